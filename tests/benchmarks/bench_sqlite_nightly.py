"""The nightly backup: the same database copied twice into the same SQLite file, end to end.

The first copy makes a new file (ADBC); the second loads the now existing file with mode
truncate, through the scratch-file path (``scratch``) or with it switched off (``sqlite3``:
every row by ``executemany``, as before the scratch path existed). Both ways alternate for
``--rounds`` rounds; each line gives wall and CPU seconds of this process (reader threads
included) and the load average. At the end the two files of the last round are compared row
by row, value and ``typeof`` (``EXCEPT`` both ways).

    python tests/benchmarks/bench_sqlite_nightly.py --work /work/bench-C2
    python tests/benchmarks/bench_sqlite_nightly.py --url postgresql://postgres@127.0.0.1/mydb

The default source is the TPC-H SF0.1 database ``bench_copy_tpch.py --scale 0.1`` loads.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from pathlib import Path

from mostaframe.copy import copy
from mostaframe.sinks import sqlite as sqlite_sink

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/mf_bench_tpch_sf0_1"


def load_twice(url: str, target: Path, way: str) -> list[tuple[str, float, float]]:
    """Copy ``url`` into ``target`` twice; (run, wall s, CPU s) of each copy."""
    kept = sqlite_sink.SCRATCH_AFTER_ROWS
    if way == "sqlite3":
        sqlite_sink.SCRATCH_AFTER_ROWS = 2**62
    try:
        timings = []
        for run in ("first (new file)", "second (existing, truncate)"):
            wall, cpu = time.perf_counter(), time.process_time()
            report = copy(url, str(target), mode="truncate", quiet=True)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if not report.ok:
                raise SystemExit(f"{way} {run}: the copy failed:\n{report}")
            timings.append((run, wall, cpu))
        return timings
    finally:
        sqlite_sink.SCRATCH_AFTER_ROWS = kept


def differing_rows(first: Path, second: Path) -> int:
    """Rows (value and typeof of every column) in one file's tables and not the other's."""
    with sqlite3.connect(first) as connection:
        connection.execute("ATTACH DATABASE ? AS other", (str(second),))
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        differing = 0
        for table in tables:
            columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
            cells = ", ".join(f'"{c}", typeof("{c}")' for c in columns)
            for a, b in (("main", "other"), ("other", "main")):
                differing += connection.execute(
                    f'SELECT count(*) FROM (SELECT {cells} FROM {a}."{table}" '
                    f'EXCEPT SELECT {cells} FROM {b}."{table}")'
                ).fetchone()[0]
        return differing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="source database")
    parser.add_argument("--work", type=Path, default=Path("/work/bench"), help="output folder")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    out = args.work / f"sqlite-nightly-{os.getpid()}"
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    try:
        for round_ in range(1, args.rounds + 1):
            for way in ("scratch", "sqlite3"):
                files[way] = out / f"{way}.sqlite"
                files[way].unlink(missing_ok=True)
                for run, wall, cpu in load_twice(args.url, files[way], way):
                    print(
                        f"round {round_} {way:8s} {run:28s} {wall:6.2f} s wall {cpu:6.2f} s CPU"
                        f"  load {os.getloadavg()[0]:.2f}",
                        flush=True,
                    )
        print(f"rows differing between the two files: {differing_rows(*files.values())}")
    finally:
        for path in files.values():
            path.unlink(missing_ok=True)
        out.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
