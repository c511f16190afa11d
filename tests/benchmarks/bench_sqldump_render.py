"""SQL dump renderer, side by side in one process: the plain path against the sink's renderer.

Run from the repository root::

    python tests/benchmarks/bench_sqldump_render.py --rounds 7
    python tests/benchmarks/bench_sqldump_render.py --url postgresql://postgres@127.0.0.1:5432/mf_bench_tpch_sf0_1

``plain`` renders each batch with ``sql_cells`` per column and ``text.assemble`` with a lead per
row (what the sink did before ``sql_rows``); ``sink`` is :class:`SqlDumpSink` as it is. Both
write the whole dump (``begin()`` to ``finish()``, file write included), alternating round by
round so that a loaded machine slows both alike; the best and the median CPU seconds of each are
printed, and the two files are checked byte for byte. Data: ``bench_sinks.py``'s lineitem-like
table, or with ``--url`` the ``lineitem`` table of that database read once through mostaframe's
source.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mostaframe.sinks import text  # noqa: E402
from mostaframe.sinks.sql_literals import sql_cells  # noqa: E402
from mostaframe.sinks.sqldump import ROW_BREAK, SqlDumpSink  # noqa: E402


class PlainDump(SqlDumpSink):
    """The dump rendered by ``sql_cells`` + ``text.assemble``, one lead per row."""

    def _write(self, batch: pa.RecordBatch) -> int:
        assert self._handle is not None and self.result is not None and self.entity is not None
        first = self.result.rows

        def render(part: pa.RecordBatch, at: int) -> memoryview:
            assert self.entity is not None
            cells = [
                sql_cells(column, self.style, text.Location(self.entity.name, name, first + at))
                for column, name in zip(part.columns, part.schema.names, strict=True)
            ]
            positions = np.arange(first + at, first + at + part.num_rows)
            kinds = (positions % self.options["rows_per_statement"] == 0).astype(np.int32)
            if first + at == 0:
                kinds[0] = 2
            choices = pa.array(
                [ROW_BREAK, self._lead(self.options["rows_per_statement"]), self._lead(0)]
            )
            leads = pc.take(choices, pa.array(kinds))
            return text.concatenated(text.assemble(cells, separator=", ", null="NULL", lead=leads))

        parts = text.render_parts(batch, render)
        for data in parts:
            self._handle.write(data)
        return sum(len(data) for data in parts)


def load(url: str | None, rows: int) -> tuple[object, object, list[pa.RecordBatch]]:
    if url is None:
        from bench_sinks import lineitem_entity, lineitem_table

        schema, entity = lineitem_entity()
        return schema, entity, lineitem_table(rows).to_batches(max_chunksize=50_000)
    from mostaframe.schema.reflect import reflect
    from mostaframe.sources import open_source

    schema = reflect(url, tables=["lineitem"])
    entity = schema.entities[0]
    with open_source("db", uri=url) as source:
        source.prepare(schema, [entity])
        return schema, entity, list(source.read(entity, batch_size=50_000))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the generated table")
    parser.add_argument("--url", help="read lineitem from this PostgreSQL database instead")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dialect", default="postgres")
    args = parser.parse_args()
    schema, entity, batches = load(args.url, args.rows)
    rows = sum(batch.num_rows for batch in batches)
    seconds: dict[str, list[float]] = {"plain": [], "sink": []}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.rounds):
            for name, kind in (("plain", PlainDump), ("sink", SqlDumpSink)):
                sink = kind(Path(folder) / f"{name}.sql", dialect=args.dialect, create_tables=False)
                started = time.process_time()
                sink.begin(schema, [entity])  # type: ignore[arg-type]
                sink.open(entity)  # type: ignore[arg-type]
                for batch in batches:
                    sink.write(batch)
                sink.close()
                sink.finish()
                seconds[name].append(time.process_time() - started)
        dumps = [
            re.sub(rb"-- created: [^\n]*", b"", (Path(folder) / f"{n}.sql").read_bytes())
            for n in seconds
        ]
    print(
        f"{rows:,} rows, dialect {args.dialect}, {args.rounds} rounds alternating, "
        f"same bytes: {dumps[0] == dumps[1]}, load average {os.getloadavg()[0]:.2f}"
    )
    for name, values in seconds.items():
        best = min(values)
        print(
            f"  {name:6s} CPU s best {best:.3f}, median {statistics.median(values):.3f}: "
            f"{rows / best / 1e6:.2f} M rows per CPU-second"
        )
    print(f"  plain / sink (best): {min(seconds['plain']) / min(seconds['sink']):.2f}×")
    return 0 if dumps[0] == dumps[1] else 1


if __name__ == "__main__":
    sys.exit(main())
