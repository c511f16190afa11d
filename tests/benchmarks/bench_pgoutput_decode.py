"""Benchmark: decoding pgoutput change messages, against the cost of reading them.

1 M changes on a TPC-H ``orders`` table (600 k inserts, 300 k updates, 100 k deletes, in
transactions of 1,000 changes), captured by a ``mostaframe_*`` slot (REPLICA IDENTITY FULL, as
the capture sets it up). Measured (numbers in docs/cdc.md):

1. **server decode**: ``SELECT count(*) FROM pg_logical_slot_peek_binary_changes(…)`` — the
   server decodes everything, nothing is transferred;
2. **raw peek**: ``SELECT data FROM pg_logical_slot_peek_binary_changes(…)`` fetched with
   psycopg (binary) — what any reader pays before decoding;
3. **decode**: mostaframe's vectorised decoder on those messages (framing, tuple walk,
   collapse, conversion to Arrow) in one chunk and in chunks of 100 k changes (the default
   ``max_changes``): messages/s and the ratio to the raw peek;
4. **read loop**: ``capture.read(position, max_changes=100_000)`` + ``acknowledge`` until
   caught up — peek, decode and slot advance end to end.

Run from the repository root::

    python tests/benchmarks/bench_pgoutput_decode.py [--changes 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import psycopg  # noqa: E402

from mostaframe.replication.capture.pgoutput import PgOutputCapture  # noqa: E402
from mostaframe.replication.capture.pgoutput_changes import build_changeset  # noqa: E402
from mostaframe.replication.capture.pgoutput_decode import Messages, decode  # noqa: E402
from mostaframe.schema.model import Entity, Field, Schema  # noqa: E402

PG_URL = os.environ.get("MOSTAFRAME_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

ORDERS = Entity(
    "Order",
    table="orders",
    primary_key=["orderkey"],
    fields=[
        Field("orderkey", "bigint"),
        Field("custkey", "int"),
        Field("orderstatus", "string", length=1),
        Field("totalprice", "decimal", precision=15, scale=2),
        Field("orderdate", "date"),
        Field("orderpriority", "string", length=15),
        Field("clerk", "string", length=15),
        Field("shippriority", "int"),
        Field("comment", "string", length=79),
    ],
)
SCHEMA = Schema([ORDERS])


def timed(label: str, fn, results: dict) -> object:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    results[label] = (time.perf_counter() - wall, time.process_time() - cpu)
    return out


def generate(conn: psycopg.Connection, changes: int, per_txn: int = 1000) -> None:
    inserts, updates = changes * 6 // 10, changes * 3 // 10
    deletes = changes - inserts - updates
    for start in range(0, inserts, per_txn):
        conn.execute(
            "INSERT INTO orders SELECT g, g %% 150000, (ARRAY['O','F','P'])[g %% 3 + 1], "
            "(g %% 500000) * 1.37, DATE '1992-01-01' + (g %% 2400)::int, '1-URGENT', "
            "'Clerk#' || lpad((g %% 1000)::text, 9, '0'), 0, 'comment number ' || g "
            "FROM generate_series(%s::bigint, %s::bigint) g",
            (start + 1, min(start + per_txn, inserts)),
        )
    for start in range(0, updates, per_txn):
        conn.execute(
            "UPDATE orders SET totalprice = totalprice + 1, orderstatus = 'F' "
            "WHERE orderkey BETWEEN %s AND %s",
            (start + 1, start + per_txn),
        )
    for start in range(0, deletes, per_txn):
        conn.execute(
            "DELETE FROM orders WHERE orderkey BETWEEN %s AND %s",
            (inserts - deletes + start + 1, inserts - deletes + start + per_txn),
        )


def chunks(payloads: list[bytes], size: int) -> list[list[bytes]]:
    """Cut at commits every ~size messages; each chunk starts with the Relation message (as a
    fresh peek would send it)."""
    relation = [p for p in payloads[:5] if p[:1] == b"R"]
    kinds = np.frombuffer(b"".join(p[:1] for p in payloads), dtype=np.uint8)
    commits = np.flatnonzero(kinds == ord("C"))
    out, start = [], 0
    while start < len(payloads):
        ends = commits[commits >= start + size - 1]
        end = int(ends[0]) + 1 if len(ends) else len(payloads)
        out.append(relation + payloads[start:end])
        start = end
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1_000_000)
    args = parser.parse_args()
    name = f"mf_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG_URL, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    capture = PgOutputCapture(url, SCHEMA, SCHEMA.entities, rule="bench decode")
    results: dict[str, tuple[float, float]] = {}
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE orders (orderkey bigint PRIMARY KEY, custkey int NOT NULL, "
                "orderstatus char(1) NOT NULL, totalprice numeric(15,2) NOT NULL, orderdate date "
                "NOT NULL, orderpriority varchar(15) NOT NULL, clerk varchar(15) NOT NULL, "
                "shippriority int NOT NULL, comment varchar(79) NOT NULL)"
            )
            start = capture.setup()
            timed("generate", lambda: generate(conn, args.changes), results)
            for setting, value in (("work_mem", "256MB"), ("logical_decoding_work_mem", "256MB")):
                conn.execute(f"SET {setting} = '{value}'")
            peek = (
                "pg_logical_slot_peek_binary_changes('mostaframe_bench_decode', NULL, NULL, "
                "'proto_version', '1', 'publication_names', 'mostaframe_bench_decode')"
            )
            (messages,) = timed(
                "server decode",
                lambda: conn.execute(f"SELECT count(*) FROM {peek}").fetchone(),
                results,
            )
            payloads = timed(
                "raw peek",
                lambda: [
                    r[0] for r in conn.cursor(binary=True).execute(f"SELECT data FROM {peek}")
                ],
                results,
            )
        size = sum(map(len, payloads))
        tables = {"public.orders": ORDERS}
        keys = {"public.orders": ["orderkey"]}

        def whole():
            return build_changeset(decode(Messages.from_payloads(payloads), keys), tables, 0)

        def chunked():
            return [
                build_changeset(decode(Messages.from_payloads(part), keys), tables, 0)
                for part in chunks(payloads, 100_000)
            ]

        whole_set = timed("decode, one chunk", whole, results)
        timed("decode, 100k chunks", chunked, results)

        def read_loop():
            position, total = start, 0
            while True:
                changes = capture.read(position, max_changes=100_000)
                capture.acknowledge(changes.end_position)
                position = changes.end_position
                total += changes.changes
                if changes.is_empty:
                    return total

        read_changes = timed("read loop", read_loop, results)
    finally:
        capture.teardown()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"{args.changes:,} changes → {messages:,} messages, {size / 1e6:.1f} MB")
    print(f"collapsed: {whole_set}")
    raw = results["raw peek"][0]
    print(f"{'step':<22}{'wall s':>9}{'cpu s':>9}{'M msg/s':>10}{'× raw peek':>12}")
    for label, (wall, cpu) in results.items():
        if label == "generate":
            continue
        rate = messages / wall / 1e6
        print(f"{label:<22}{wall:>9.2f}{cpu:>9.2f}{rate:>10.2f}{wall / raw:>12.2f}")
    wall = results["read loop"][0]
    print(f"read loop: {read_changes:,} changes at {read_changes / wall:,.0f} changes/s")


if __name__ == "__main__":
    main()
