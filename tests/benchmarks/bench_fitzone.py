"""Benchmark: generate FitZoneGym and load it into each database dialect.

Run from the repository root::

    python tests/benchmarks/bench_fitzone.py [--scale 1] [--dialects sqlite,duckdb,postgres,mysql]
    python tests/benchmarks/bench_fitzone.py --rows      # the row-count table of docs/fitzonegym.md

It times :func:`fitzone.generate` alone (every batch materialised, best of ``--runs``), then
:func:`fitzone.load` into a fresh database of each dialect (tables created through the DDL,
rows through the DB sinks, foreign keys on), and prints seconds and rows per second with the
machine (CPU model, cores). PostgreSQL and MariaDB come from ``MOSTAFRAME_TEST_PG_URL`` /
``MOSTAFRAME_TEST_MYSQL_URL`` (the test defaults otherwise); a scratch database is created and
dropped. Not a pytest test: numbers go to docs/fitzonegym.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from mostaframe.datasets import fitzone  # noqa: E402

PG_URL = os.environ.get("MOSTAFRAME_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL_URL = os.environ.get("MOSTAFRAME_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


def machine() -> str:
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in subprocess.run(
                ["lscpu"], capture_output=True, text=True
            ).stdout.splitlines()
            if line.startswith("Model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def time_generation(scale: float, runs: int) -> tuple[float, int]:
    best, rows = float("inf"), 0
    for _ in range(runs):
        start = time.perf_counter()
        rows = sum(b.num_rows for _, batches in fitzone.generate(scale) for b in batches)
        best = min(best, time.perf_counter() - start)
    return best, rows


def scratch_database(dialect: str, folder: Path) -> tuple[str, object]:
    """URL of a fresh database and a function that drops it."""
    name = f"mf_bench_{uuid.uuid4().hex[:8]}"
    if dialect in ("sqlite", "duckdb"):
        path = folder / f"fitzone.{dialect}"
        return (str(path) if dialect == "sqlite" else f"duckdb:///{path}"), (lambda: None)
    if dialect == "postgres":
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(PG_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return f"{PG_URL.rpartition('/')[0]}/{name}", drop
    import pymysql
    from sqlalchemy.engine import make_url

    url = make_url(MYSQL_URL.replace("mysql://", "mysql+pymysql://", 1))
    params = dict(
        host=url.host, port=url.port or 3306, user=url.username, password=url.password or ""
    )
    with pymysql.connect(**params) as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")

    def drop_mysql() -> None:
        with pymysql.connect(**params) as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")

    return f"{MYSQL_URL.rpartition('/')[0]}/{name}", drop_mysql


def row_table() -> str:
    """The Markdown table of rows per table at scale 1 and 0.01 (seed 42)."""
    schema = fitzone.load_schema()
    counts = {}
    for scale in (1.0, 0.01):
        for entity, batches in fitzone.generate(scale, schema=schema):
            counts.setdefault(entity.name, (entity.table, {}))[1][scale] = sum(
                b.num_rows for b in batches
            )
    lines = ["| Table | Model | Rows at scale 1 | Rows at scale 0.01 |", "|---|---|---:|---:|"]
    for name, (table, by_scale) in counts.items():
        lines.append(f"| `{table}` | {name} | {by_scale[1.0]:,} | {by_scale[0.01]:,} |")
    totals = [sum(c[1][s] for c in counts.values()) for s in (1.0, 0.01)]
    lines.append(f"| **total** | | **{totals[0]:,}** | **{totals[1]:,}** |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3, help="generation runs (best is kept)")
    parser.add_argument("--dialects", default="sqlite,duckdb,postgres,mysql")
    parser.add_argument("--rows", action="store_true", help="print the row-count table and exit")
    args = parser.parse_args()
    if args.rows:
        print(row_table())
        return
    print(f"machine: {machine()}")
    seconds, rows = time_generation(args.scale, args.runs)
    print(
        f"generate  scale {args.scale:g}: {rows:,} rows in {seconds:.2f} s ({rows / seconds:,.0f} rows/s)"
    )
    with tempfile.TemporaryDirectory() as folder:
        for dialect in [d for d in args.dialects.split(",") if d]:
            url, drop = scratch_database(dialect, Path(folder))
            try:
                start = time.perf_counter()
                counts = fitzone.load(url, scale=args.scale, quiet=True)
                elapsed = time.perf_counter() - start
            finally:
                drop()
            loaded = sum(counts.values())
            print(
                f"load      {dialect:8} scale {args.scale:g}: {loaded:,} rows in {elapsed:.2f} s "
                f"({loaded / elapsed:,.0f} rows/s, generation included)"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
