"""Read throughput on PostgreSQL: mostaframe's source against raw connectorx ``arrow_stream``.

Creates (once) a lineitem-like table of ``--rows`` rows in the database ``mf_bench_read`` of the
server in ``MOSTAFRAME_TEST_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``),
then times, interleaved ``--repeat`` times:

* ``raw``: ``connectorx.read_sql("SELECT * FROM lineitem", return_type="arrow_stream")`` —
  untyped (NUMERIC as decimal128(38,10), char(n) padded, int32 widened to int64);
* ``single``: :class:`mostaframe.sources.connectorx.PostgresSource` in one query, every batch
  typed exactly by the entity model;
* ``ranges``: the same source reading ctid page ranges one after another in this process
  (``MOSTAFRAME_READ_WORKERS=1``, what auto chooses on a 2-core machine with a local server);
* ``parallel``: the same ranges shared by two worker processes (``MOSTAFRAME_READ_WORKERS=2``).

Run: ``python tests/benchmarks/bench_read.py --rows 3000000 --repeat 3``. Prints rows/s and
client CPU seconds (this process and its reader processes; the server's are not counted) per
method (median) and the ratios to ``raw`` (medians and best runs: on a shared machine the
best run is the least disturbed one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

SERVER = os.environ.get("MOSTAFRAME_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "mf_bench_read"


def lineitem_entity():
    from mostaframe.schema.model import Entity, Field

    decimal = {"kind": "decimal", "precision": 15, "scale": 2}
    return Entity(
        "Lineitem",
        table="lineitem",
        primary_key=["l_orderkey", "l_linenumber"],
        fields=[
            Field("l_orderkey", "bigint"),
            Field("l_partkey", "int"),
            Field("l_suppkey", "int"),
            Field("l_linenumber", "int"),
            Field("l_quantity", **decimal),
            Field("l_extendedprice", **decimal),
            Field("l_discount", **decimal),
            Field("l_tax", **decimal),
            Field("l_returnflag", "string", length=1),
            Field("l_linestatus", "string", length=1),
            Field("l_shipdate", "date"),
            Field("l_commitdate", "date"),
            Field("l_receiptdate", "date"),
            Field("l_shipinstruct", "string", length=25),
            Field("l_shipmode", "string", length=10),
            Field("l_comment", "string", length=44),
        ],
    )


def ensure_table(rows: int) -> str:
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as admin:
        if not admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
        ).fetchone():
            admin.execute(f'CREATE DATABASE "{DATABASE}"')
    url = SERVER.rsplit("/", 1)[0] + f"/{DATABASE}"
    with psycopg.connect(url, autocommit=True) as connection:
        present = connection.execute("SELECT to_regclass('lineitem') IS NOT NULL").fetchone()[0]
        count = connection.execute("SELECT count(*) FROM lineitem").fetchone()[0] if present else 0
        if count != rows:
            print(f"creating lineitem with {rows:,} rows …", file=sys.stderr)
            connection.execute("DROP TABLE IF EXISTS lineitem")
            connection.execute(
                "CREATE TABLE lineitem (l_orderkey bigint NOT NULL, l_partkey int NOT NULL,"
                " l_suppkey int NOT NULL, l_linenumber int NOT NULL,"
                " l_quantity numeric(15,2) NOT NULL, l_extendedprice numeric(15,2) NOT NULL,"
                " l_discount numeric(15,2) NOT NULL, l_tax numeric(15,2) NOT NULL,"
                " l_returnflag char(1) NOT NULL, l_linestatus char(1) NOT NULL,"
                " l_shipdate date NOT NULL, l_commitdate date NOT NULL,"
                " l_receiptdate date NOT NULL, l_shipinstruct char(25) NOT NULL,"
                " l_shipmode char(10) NOT NULL, l_comment varchar(44) NOT NULL,"
                " PRIMARY KEY (l_orderkey, l_linenumber))"
            )
            connection.execute(
                "INSERT INTO lineitem SELECT g / 4, (g * 7) % 200000, (g * 13) % 10000, g % 4,"
                " (g % 50) + 1, ((g % 100000) * 1.37)::numeric(15,2), (g % 11) / 100.0,"
                " (g % 9) / 100.0, substr('ANR', g % 3 + 1, 1), substr('OF', g % 2 + 1, 1),"
                " date '1992-01-01' + g % 2500, date '1992-01-01' + g % 2400,"
                " date '1992-01-01' + g % 2600, 'DELIVER IN PERSON', 'TRUCK', md5(g::text)"
                f" FROM generate_series(1, {rows}) g"
            )
            connection.execute("VACUUM ANALYZE lineitem")
    return url


def time_raw(url: str, batch_size: int) -> tuple[int, float]:
    import connectorx

    started = time.perf_counter()
    rows = 0
    for batch in connectorx.read_sql(
        url, "SELECT * FROM lineitem", return_type="arrow_stream", batch_size=batch_size
    ):
        rows += batch.num_rows
    return rows, time.perf_counter() - started


def time_source(url: str, batch_size: int, ranges: bool, workers: int) -> tuple[int, float]:
    from mostaframe.sources import open_source

    os.environ["MOSTAFRAME_PARALLEL_MIN_PAGES"] = "1" if ranges else str(10**12)
    os.environ["MOSTAFRAME_READ_WORKERS"] = str(workers)
    entity = lineitem_entity()
    source = open_source("db", uri=url)
    started = time.perf_counter()
    rows = 0
    for batch in source.read(entity, batch_size=batch_size):
        rows += batch.num_rows
    elapsed = time.perf_counter() - started
    source.close()
    return rows, elapsed


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the parallel readers)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=50_000)
    args = parser.parse_args()
    url = ensure_table(args.rows)
    methods = {
        "raw": lambda: time_raw(url, args.batch_size),
        "single": lambda: time_source(url, args.batch_size, ranges=False, workers=1),
        "ranges": lambda: time_source(url, args.batch_size, ranges=True, workers=1),
        "parallel": lambda: time_source(url, args.batch_size, ranges=True, workers=2),
    }
    timings: dict[str, list[float]] = {name: [] for name in methods}
    cpu: dict[str, list[float]] = {name: [] for name in methods}
    for round_ in range(args.repeat):
        for name, run in methods.items():
            before = _cpu_seconds()
            rows, seconds = run()
            cpu[name].append(_cpu_seconds() - before)
            assert rows == args.rows, (name, rows)
            timings[name].append(seconds)
            print(
                f"round {round_ + 1} {name:8} {seconds:6.2f}s {rows / seconds / 1e6:5.2f} M rows/s",
                file=sys.stderr,
            )
    medians = {name: statistics.median(values) for name, values in timings.items()}
    for name, seconds in medians.items():
        print(
            f"{name:8} median {seconds:6.2f}s  {args.rows / seconds / 1e6:5.2f} M rows/s, "
            f"client CPU {statistics.median(cpu[name]):6.2f}s"
        )
    best = {name: min(values) for name, values in timings.items()}
    for name in ("single", "ranges", "parallel"):
        print(
            f"{name} / raw connectorx: median {medians['raw'] / medians[name]:.2f}x, "
            f"best {best['raw'] / best[name]:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
