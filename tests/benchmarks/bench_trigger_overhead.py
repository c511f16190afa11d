"""Benchmark: what trigger capture costs the source's writers.

On each source dialect (PostgreSQL, MariaDB, SQLite), a TPC-H ``orders`` table receives N
single-row INSERTs (``executemany``, committed every 1,000 rows), then one UPDATE and one DELETE
touching every row (row triggers fire once per row) — first without triggers, then with the
``mostaframe_*`` triggers of a rule installed. Reported per dialect and operation: µs per row
without / with triggers and the overhead (numbers in docs/cdc.md).

Run from the repository root (servers as for the tests)::

    python tests/benchmarks/bench_trigger_overhead.py [--rows 100000] [--dialects postgres,mysql,sqlite]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench_pgoutput_decode import SCHEMA  # noqa: E402

from mostaframe.replication.capture.triggers import TriggerCapture  # noqa: E402

PG_URL = os.environ.get("MOSTAFRAME_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL_URL = os.environ.get("MOSTAFRAME_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")

CREATE = (
    "CREATE TABLE orders (orderkey bigint PRIMARY KEY, custkey int NOT NULL, "
    "orderstatus char(1) NOT NULL, totalprice decimal(15,2) NOT NULL, orderdate date NOT NULL, "
    "orderpriority varchar(15) NOT NULL, clerk varchar(15) NOT NULL, shippriority int NOT NULL, "
    "comment varchar(79) NOT NULL)"
)


class Database:
    """A fresh database of one dialect, with a DB-API connection."""

    def __init__(self, dialect: str) -> None:
        self.dialect, self.name = dialect, f"mf_bench_{uuid.uuid4().hex[:8]}"
        self.mark = "%s"
        if dialect == "postgres":
            import psycopg

            self.admin = psycopg.connect(PG_URL, autocommit=True)
            self.admin.execute(f'CREATE DATABASE "{self.name}"')
            self.url = PG_URL.rsplit("/", 1)[0] + "/" + self.name
            self.conn = psycopg.connect(self.url)
        elif dialect == "mysql":
            import pymysql

            self.admin = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
            self.admin.cursor().execute(f"CREATE DATABASE `{self.name}`")
            self.url = MYSQL_URL.rsplit("/", 1)[0] + "/" + self.name
            self.conn = pymysql.connect(host="127.0.0.1", user="root", database=self.name)
        else:
            self.folder = tempfile.TemporaryDirectory()
            self.url = str(Path(self.folder.name) / "bench.sqlite")
            self.conn = sqlite3.connect(self.url)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.mark = "?"

    def execute(self, sql: str, params: tuple = ()) -> None:
        cursor = self.conn.cursor()
        cursor.execute(sql, params) if params else cursor.execute(sql)

    def close(self) -> None:
        self.conn.close()
        if self.dialect == "postgres":
            self.admin.execute(f'DROP DATABASE "{self.name}" WITH (FORCE)')
        elif self.dialect == "mysql":
            self.admin.cursor().execute(f"DROP DATABASE `{self.name}`")
        else:
            self.folder.cleanup()


def rows(n: int) -> list[tuple]:
    return [
        (
            i,
            i % 150_000,
            "OFP"[i % 3],
            f"{(i % 500_000) * 1.37:.2f}",
            f"199{i % 7}-0{i % 9 + 1}-1{i % 9}",
            "1-URGENT",
            f"Clerk#{i % 1000:09d}",
            0,
            f"comment number {i}",
        )
        for i in range(1, n + 1)
    ]


def run(db: Database, data: list[tuple]) -> dict[str, float]:
    """Seconds for the inserts, the update of every row and the delete of every row."""
    insert = f"INSERT INTO orders VALUES ({', '.join([db.mark] * 9)})"
    out = {}
    start = time.perf_counter()
    for i in range(0, len(data), 1000):
        db.conn.cursor().executemany(insert, data[i : i + 1000])
        db.conn.commit()
    out["insert"] = time.perf_counter() - start
    start = time.perf_counter()
    db.execute("UPDATE orders SET shippriority = shippriority + 1")
    db.conn.commit()
    out["update"] = time.perf_counter() - start
    start = time.perf_counter()
    db.execute("DELETE FROM orders")
    db.conn.commit()
    out["delete"] = time.perf_counter() - start
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dialects", default="postgres,mysql,sqlite")
    args = parser.parse_args()
    data = rows(args.rows)
    print(f"{args.rows:,} rows; µs per row: without triggers / with triggers (overhead)")
    print(f"{'dialect':<10}{'insert':>28}{'update':>28}{'delete':>28}")
    for dialect in args.dialects.split(","):
        db = Database(dialect)
        try:
            db.execute(CREATE)
            db.conn.commit()
            plain = run(db, data)
            capture = TriggerCapture(db.url, SCHEMA, SCHEMA.entities, rule="bench")
            capture.setup()
            captured = run(db, data)
            capture.teardown()
        finally:
            db.close()
        cells = []
        for op in ("insert", "update", "delete"):
            a, b = plain[op] / args.rows * 1e6, captured[op] / args.rows * 1e6
            cells.append(f"{a:7.1f} / {b:7.1f} (+{(b / a - 1) * 100:4.0f}%)")
        print(f"{dialect:<10}" + "".join(f"{c:>28}" for c in cells))


if __name__ == "__main__":
    main()
