"""Rows per second of each sink alone, on an in-memory lineitem-like Arrow table.

The table (TPC-H lineitem's 16 columns and types: bigints, decimal(15,2), chars, dates,
varchars) is generated with numpy, then written by one sink at a time in batches of
``--batch-size`` rows; only the sink's own work is timed (begin → finish). For reference it
also times ``pg_dump --inserts --rows-per-insert=1000`` of the same table.

    python tests/benchmarks/bench_sinks.py --rows 1000000
    python tests/benchmarks/bench_sinks.py --rows 200000 --only parquet,csv
    python tests/benchmarks/bench_sinks.py --rows 600000 --only "sqlite,sqlite existing file"

The SQLite cases: ``sqlite`` a new file (ADBC); ``sqlite existing file`` an existing empty file
(scratch file + ``INSERT … SELECT``), ``… sqlite3 only`` the same with the scratch path off
(``executemany``, as before it existed); ``sqlite nightly …`` the table loaded a second time into
the same file with mode truncate, both ways.

Servers: ``MOSTAFRAME_TEST_PG_URL`` / ``MOSTAFRAME_TEST_MYSQL_URL`` (as the test fixtures);
a database ``mf_bench_<random>`` is created and dropped on each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa

from mostaframe.schema import Entity, Field, Schema
from mostaframe.schema.arrow import arrow_schema
from mostaframe.sinks import get_sink

PG_URL = os.environ.get("MOSTAFRAME_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL_URL = os.environ.get("MOSTAFRAME_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


def lineitem_entity() -> tuple[Schema, Entity]:
    def money(name: str) -> Field:
        return Field(name, "decimal", precision=15, scale=2)

    fields = [
        Field("l_orderkey", "bigint"),
        Field("l_partkey", "bigint"),
        Field("l_suppkey", "bigint"),
        Field("l_linenumber", "int"),
        money("l_quantity"),
        money("l_extendedprice"),
        money("l_discount"),
        money("l_tax"),
        Field("l_returnflag", "string", length=1),
        Field("l_linestatus", "string", length=1),
        Field("l_shipdate", "date"),
        Field("l_commitdate", "date"),
        Field("l_receiptdate", "date"),
        Field("l_shipinstruct", "string", length=25),
        Field("l_shipmode", "string", length=10),
        Field("l_comment", "string", length=80),
    ]
    entity = Entity(
        "Lineitem", table="lineitem", fields=fields, primary_key=["l_orderkey", "l_linenumber"]
    )
    return Schema([entity]), entity


def lineitem_table(rows: int, seed: int = 1) -> pa.Table:
    """``rows`` rows with lineitem's value shapes (comments from a TPC-H-like word list)."""
    rng = np.random.default_rng(seed)
    _, entity = lineitem_entity()
    words = np.array(
        "furiously quickly carefully slyly blithely final regular express ironic "
        "pending special bold deposits accounts packages requests instructions "
        "theodolites foxes pinto beans ideas dependencies platelets".split()
    )

    def decimals(low: int, high: int) -> pa.Array:
        cents = pa.array(rng.integers(low, high, rows), pa.int64())
        return pa.Array.from_buffers(
            pa.decimal128(15, 2), rows, cents.cast(pa.decimal128(19, 0)).buffers()
        )

    def choice(options: list[str]) -> pa.Array:
        return pa.array(np.array(options)[rng.integers(0, len(options), rows)])

    comments = [" ".join(w) for w in words[rng.integers(0, len(words), (rows, 4))]]
    ship = rng.integers(8035, 10_591, rows).astype(np.int32)
    columns = [
        pa.array(np.arange(rows) // 4 + 1, pa.int64()),
        pa.array(rng.integers(1, 200_000, rows), pa.int64()),
        pa.array(rng.integers(1, 10_000, rows), pa.int64()),
        pa.array(np.arange(rows) % 4 + 1, pa.int32()),
        decimals(100, 5_001),
        decimals(90_000, 10_494_950),
        decimals(0, 11),
        decimals(0, 9),
        choice(["R", "A", "N"]),
        choice(["O", "F"]),
        pa.array(ship, pa.date32()),
        pa.array(ship + 30, pa.date32()),
        pa.array(ship + 15, pa.date32()),
        choice(["DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"]),
        choice(["REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"]),
        pa.array(comments, pa.string()),
    ]
    return pa.Table.from_arrays(columns, schema=arrow_schema(entity))


def _database(server_url: str, dialect: str) -> tuple[str, callable]:
    name = f"mf_bench_{uuid.uuid4().hex[:8]}"
    head = server_url.rpartition("/")[0]
    if dialect == "postgres":
        import psycopg

        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        import pymysql
        from sqlalchemy.engine import make_url

        url = make_url(server_url.replace("mysql://", "mysql+pymysql://", 1))
        params = dict(
            host=url.host, port=url.port or 3306, user=url.username, password=url.password or ""
        )
        with pymysql.connect(**params) as admin, admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")

        def drop() -> None:
            with pymysql.connect(**params) as admin, admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")

    return f"{head}/{name}", drop


def _new_file(path: Path) -> str:
    path.unlink(missing_ok=True)
    return str(path)


def _empty_sqlite_file(path: Path) -> str:
    import sqlite3

    path.unlink(missing_ok=True)
    sqlite3.connect(path).close()
    return str(path)


def _sqlite3_only(run: callable) -> tuple[float, float]:
    """``run()`` with the SQLite sink's scratch-file path off (every row via executemany)."""
    from mostaframe.sinks import sqlite as sqlite_sink

    kept = sqlite_sink.SCRATCH_AFTER_ROWS
    sqlite_sink.SCRATCH_AFTER_ROWS = 2**62
    try:
        return run()
    finally:
        sqlite_sink.SCRATCH_AFTER_ROWS = kept


def _nightly(path: Path, table: pa.Table, batch_size: int) -> tuple[float, float]:
    """The second load of ``table`` into the same file (mode truncate); the first is untimed."""
    if not path.exists():
        time_sink("sqlite", str(path), table, batch_size)
    return time_sink("sqlite", str(path), table, batch_size, mode="truncate")


def time_sink(
    kind: str, target: str, table: pa.Table, batch_size: int, **options
) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds) of one sink writing ``table``."""
    schema, entity = lineitem_entity()
    batches = table.to_batches(max_chunksize=batch_size)
    sink = get_sink(kind, target, **options)
    started = time.perf_counter()
    cpu = time.process_time()
    sink.begin(schema, [entity])
    try:
        sink.open(entity)
        for batch in batches:
            sink.write(batch)
        result = sink.close()
        sink.finish()
    except BaseException:
        sink.cancel()
        raise
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    assert result.rows == table.num_rows, result
    return elapsed, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=50_000)
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case; the best counts")
    parser.add_argument("--work", type=Path, help="where outputs go (default: a temporary dir)")
    args = parser.parse_args(argv)
    table = lineitem_table(args.rows)
    print(f"lineitem-like table: {table.num_rows:,} rows, {table.nbytes / 1e6:.0f} MB in memory")
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="mf-bench-", dir=args.work))
    pg, drop_pg = _database(PG_URL, "postgres")
    my, drop_my = _database(MYSQL_URL, "mysql")
    cases = {
        "parquet": lambda: time_sink("parquet", str(work / "pq"), table, args.batch_size),
        "csv": lambda: time_sink("csv", str(work / "csv"), table, args.batch_size),
        "ndjson": lambda: time_sink("ndjson", str(work / "nd"), table, args.batch_size),
        "json": lambda: time_sink("json", str(work / "a.json"), table, args.batch_size),
        "sql-dump postgres": lambda: time_sink(
            "sql-dump", str(work / "pg.sql"), table, args.batch_size
        ),
        "sql-dump mysql": lambda: time_sink(
            "sql-dump", str(work / "my.sql"), table, args.batch_size, dialect="mysql"
        ),
        "sql-dump sqlite": lambda: time_sink(
            "sql-dump", str(work / "lite.sql"), table, args.batch_size, dialect="sqlite"
        ),
        # a new file binds through ADBC, an existing one through sqlite3 (docs/sinks.md)
        "sqlite": lambda: time_sink("sqlite", _new_file(work / "a.sqlite"), table, args.batch_size),
        "sqlite existing file": lambda: time_sink(
            "sqlite", _empty_sqlite_file(work / "b.sqlite"), table, args.batch_size
        ),
        "sqlite existing file (sqlite3 only)": lambda: _sqlite3_only(
            lambda: time_sink(
                "sqlite", _empty_sqlite_file(work / "c.sqlite"), table, args.batch_size
            )
        ),
        "sqlite nightly (truncate)": lambda: _nightly(work / "d.sqlite", table, args.batch_size),
        "sqlite nightly (sqlite3 only)": lambda: _sqlite3_only(
            lambda: _nightly(work / "e.sqlite", table, args.batch_size)
        ),
        "duckdb": lambda: time_sink(
            "duckdb", str(work / "a.duckdb"), table, args.batch_size, mode="replace"
        ),
        "postgres (binary COPY)": lambda: time_sink(
            "db", pg, table, args.batch_size, mode="replace"
        ),
        "postgres (text COPY)": lambda: time_sink(
            "db", pg, table, args.batch_size, mode="replace", copy_format="text"
        ),
        "mysql": lambda: time_sink("db", my, table, args.batch_size, mode="replace"),
    }
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    try:
        for name, run in cases.items():
            if only and name not in only:
                continue
            seconds, cpu = min(run() for _ in range(args.repeat))
            print(
                f"{name:34s} {table.num_rows / seconds / 1e6:6.2f} M rows/s  ({seconds:6.2f} s wall,"
                f" {cpu:6.2f} s CPU here: {table.num_rows / cpu / 1e6:5.2f} M rows/CPU-s)"
                f"  load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
        if (not only or "pg_dump" in only) and shutil.which("pg_dump"):
            if only:  # pg_dump needs the table loaded
                time_sink("db", pg, table, args.batch_size, mode="replace")
            command = [
                "pg_dump",
                "--data-only",
                "--inserts",
                "--rows-per-insert=1000",
                "-t",
                "lineitem",
                "-f",
                str(work / "pg_dump.sql"),
                pg,
            ]
            seconds = float("inf")
            for _ in range(args.repeat):
                started = time.perf_counter()
                subprocess.run(command, check=True)
                seconds = min(seconds, time.perf_counter() - started)
            print(
                f"{'pg_dump --inserts (ref)':24s} {table.num_rows / seconds / 1e6:6.2f} M rows/s"
                f"  ({seconds:6.2f} s wall)"
            )
    finally:
        drop_pg()
        drop_my()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
