"""Benchmark: PostgreSQL → SQLite change data capture, end to end through a replication rule.

Three numbers (docs/replication.md):

1. **catch-up**: 1 M changes pending on the source (60 % inserts, 30 % updates, 10 % deletes, in
   transactions of 1,000 changes) on a TPC-H ``orders`` table; one ``rule.sync()`` applies them
   all. Reported: changes/s end to end (read + decode + apply + checkpoint + acknowledge).
2. **no-op sync**: the fixed cost of a pass with nothing to do (median and max of 10).
3. **sustained**: a writer makes 5,000 changes/s on the source for 60 s while ``rule.run
   (interval=1.0)`` runs; a prober samples every 100 ms how old the oldest source transaction
   not yet visible in the replica is ("seconds behind", measured from the outside). Reported:
   p50 / p95 / max, and the same from the rule's own per-batch numbers.

Run from the repository root (PostgreSQL with wal_level=logical at MOSTAFRAME_TEST_PG_URL)::

    python tests/benchmarks/bench_cdc_catchup.py [--changes 1000000] [--seconds 60]
        [--rate 5000] [--capture pgoutput] [--replica-identity setup|default|full]
        [--server-decode]

``--replica-identity default|full`` sets the source table's REPLICA IDENTITY after the snapshot
(before the pending changes are written), overriding what the capture's setup chose;
``--server-decode`` first times the server alone decoding the pending WAL (``count(*)`` over a
peek of the slot), so it can be told apart from the client's work.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from mostaframe.replication import add_replication_rule  # noqa: E402
from mostaframe.schema.model import Entity, Field, Schema  # noqa: E402

PG_URL = os.environ.get("MOSTAFRAME_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def orders_model() -> Schema:
    """TPC-H ``orders``."""
    return Schema(
        [
            Entity(
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
        ]
    )


#: one row of orders as SQL over a key expression ``k``
ROW_SQL = (
    "k, (k % 150000)::int, (ARRAY['O','F','P'])[1 + k % 3], ((k % 100000) * 1.37)::numeric(15,2), "
    "DATE '1992-01-01' + (k % 2400)::int, '1-URGENT', 'Clerk#' || lpad((k % 1000)::text, 9, '0'), "
    "0, 'furiously regular deposits ' || md5(k::text)"
)


def create_database() -> str:
    import psycopg

    name = f"mf_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_URL.rpartition('/')[0]}/{name}"


def drop_database(url: str) -> None:
    import psycopg

    name = url.rpartition("/")[2]
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE database = %s",
            (name,),
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_source(url: str, schema: Schema, rows: int) -> None:
    import psycopg

    from mostaframe.ddl import create_statements

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in create_statements(schema, "postgres"):
            conn.execute(statement)
        conn.execute(f"INSERT INTO orders SELECT {ROW_SQL} FROM generate_series(1, {rows}) AS k")
        conn.execute("ANALYZE orders")


def pending_changes(url: str, changes: int, base: int) -> float:
    """``changes`` changes in transactions of 1,000 (600 inserts, 300 updates, 100 deletes);
    updates and deletes hit rows of the initial load. Returns the seconds it took."""
    import psycopg

    per = 1000
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"""
            DO $$
            DECLARE i int;
            BEGIN
              FOR i IN 0..{changes // per - 1} LOOP
                INSERT INTO orders SELECT {ROW_SQL}
                  FROM generate_series({base} + i * 600 + 1, {base} + (i + 1) * 600) AS k;
                UPDATE orders SET totalprice = totalprice + 1, orderstatus = 'F'
                  WHERE orderkey BETWEEN i * 300 + 1 AND (i + 1) * 300;
                DELETE FROM orders
                  WHERE orderkey BETWEEN 400000 + i * 100 + 1 AND 400000 + (i + 1) * 100;
                COMMIT;
              END LOOP;
            END $$"""
        )
    return time.perf_counter() - started


def set_replica_identity(url: str, identity: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE orders REPLICA IDENTITY {identity.upper()}")


def replica_identity(url: str) -> str:
    import psycopg

    names = {"d": "DEFAULT", "f": "FULL", "i": "USING INDEX", "n": "NOTHING"}
    with psycopg.connect(url) as conn:
        (code,) = conn.execute(
            "SELECT relreplident::text FROM pg_class WHERE oid = 'orders'::regclass"
        ).fetchone()
    return names[code]


def server_decode(url: str, slot: str, publication: str) -> str:
    """The server alone decoding every pending change (nothing fetched but a count)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET work_mem = '128MB'")
        conn.execute("SET logical_decoding_work_mem = '256MB'")
        started = time.perf_counter()
        messages, size = conn.execute(
            "SELECT count(*), sum(length(data)) FROM pg_logical_slot_peek_binary_changes("
            "%s, NULL, NULL, 'proto_version', '1', 'publication_names', %s)",
            (slot, publication),
        ).fetchone()
        seconds = time.perf_counter() - started
    return (
        f"server decode: {messages:,} messages ({size / 1e6:.1f} MB) in {seconds:.2f}s = "
        f"{messages / seconds:,.0f} messages/s (load average {os.getloadavg()[0]:.1f})"
    )


def same_data(pg_url: str, sqlite_path: str) -> bool:
    import sqlite3

    import psycopg

    with psycopg.connect(pg_url) as conn:
        source = conn.execute(
            "SELECT count(*), sum(orderkey), sum(totalprice)::text, "
            "sum(length(comment)) FROM orders"
        ).fetchone()
    with sqlite3.connect(sqlite_path) as conn:
        # totalprice is stored as exact text: sum it exactly in Python
        from decimal import Decimal

        count, keys, lengths = conn.execute(
            "SELECT count(*), sum(orderkey), sum(length(comment)) FROM orders"
        ).fetchone()
        total = sum(Decimal(str(v)) for (v,) in conn.execute("SELECT totalprice FROM orders"))
    return (count, keys, lengths) == (source[0], source[1], source[3]) and total == Decimal(
        source[2]
    )


def sustained(pg_url: str, rule, seconds: float, rate: int, base: int) -> dict[str, float]:
    """Writer at ``rate`` changes/s (transactions of 100: 60/30/10) + ``rule.run(1.0)`` + a
    prober. Returns lag percentiles in seconds."""
    import sqlite3

    import psycopg

    stop = threading.Event()
    commits: list[tuple[int, float]] = []  # (highest key inserted, wall clock of the commit)
    per_txn = 100
    period = per_txn / rate
    target = rule.target

    def writer() -> None:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            next_key, deleted, updated = base, 0, 0
            deadline = time.perf_counter()
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                first, last = next_key + 1, next_key + 60
                conn.execute(
                    f"BEGIN; INSERT INTO orders SELECT {ROW_SQL} FROM generate_series({first}, "
                    f"{last}) AS k; UPDATE orders SET totalprice = totalprice + 1 WHERE orderkey "
                    f"BETWEEN {updated + 1} AND {updated + 30}; DELETE FROM orders WHERE orderkey "
                    f"BETWEEN {300000 + deleted + 1} AND {300000 + deleted + 10}; COMMIT"
                )
                commits.append((last, time.time()))
                next_key, updated, deleted = last, updated + 30, deleted + 10
                deadline += period
                pause = deadline - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)

    samples: list[float] = []

    def prober() -> None:
        conn = sqlite3.connect(target, timeout=10)
        try:
            while not stop.is_set():
                now = time.time()
                done = len(commits)
                if done:
                    (visible,) = conn.execute(
                        "SELECT coalesce(max(orderkey), 0) FROM orders WHERE orderkey > ?",
                        (base,),
                    ).fetchone()
                    oldest = next((t for key, t in commits[:done] if key > visible), None)
                    samples.append(0.0 if oldest is None else max(0.0, now - oldest))
                stop.wait(0.1)
        finally:
            conn.close()

    runner = threading.Thread(target=rule.run, kwargs={"interval": 1.0, "stop": stop})
    probe = threading.Thread(target=prober)
    write = threading.Thread(target=writer)
    runner.start()
    probe.start()
    write.start()
    write.join()
    time.sleep(2.0)  # let the last changes arrive
    stop.set()
    runner.join()
    probe.join()
    runs = rule.status.runs(rule.name)
    behind = [
        b["seconds_behind"]
        for batches in runs["batches"].to_list()[-int(seconds) - 5 :]
        for b in __import__("json").loads(batches)
        if b.get("seconds_behind") is not None
    ]
    samples.sort()
    behind.sort()

    def pct(values: list[float], p: float) -> float:
        return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")

    return {
        "achieved_rate": len(commits) * per_txn / seconds,
        "p50": pct(samples, 0.50),
        "p95": pct(samples, 0.95),
        "max": samples[-1] if samples else float("nan"),
        "batch_p95": pct(behind, 0.95),
        "batch_max": behind[-1] if behind else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1_000_000)
    parser.add_argument("--initial", type=int, default=500_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--capture", default="pgoutput")
    parser.add_argument("--batch-size", type=int, default=100_000)
    parser.add_argument(
        "--read-ahead",
        choices=("default", "on", "off"),
        default="default",
        help="read the next ChangeSet while applying (default: the capture's choice, off for pgoutput)",
    )
    parser.add_argument("--replica-identity", choices=["setup", "default", "full"], default="setup")
    parser.add_argument("--server-decode", action="store_true")
    args = parser.parse_args()

    model = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    cpu = next(
        (line.split(":", 1)[1].strip() for line in model.splitlines() if "Model name" in line), "?"
    )
    print(f"machine: {os.cpu_count()} cores, {cpu}")
    schema = orders_model()
    pg_url = create_database()
    work = Path(tempfile.mkdtemp(prefix="mf-bench-"))
    target = str(work / "replica.sqlite")
    try:
        setup_source(pg_url, schema, args.initial)
        rule = add_replication_rule(
            "bench",
            pg_url,
            target,
            schema=schema,
            status_dir=work,
            capture=args.capture,
            batch_size=args.batch_size,
        )
        if args.read_ahead != "default":
            rule.read_ahead = args.read_ahead == "on"
        started = time.perf_counter()
        snapshot = rule.sync()
        print(
            f"snapshot: {sum(snapshot.snapshot_rows.values()):,} rows in "
            f"{time.perf_counter() - started:.2f}s"
        )

        if args.replica_identity != "setup":
            set_replica_identity(pg_url, args.replica_identity)
        print(f"source: orders has REPLICA IDENTITY {replica_identity(pg_url)}")
        made = pending_changes(pg_url, args.changes, base=10_000_000)
        print(f"source: {args.changes:,} changes written in {made:.1f}s")
        if args.server_decode and args.capture == "pgoutput":
            print(server_decode(pg_url, rule.capture.slot, rule.capture.publication))
        started, cpu = time.perf_counter(), time.process_time()
        result = rule.sync()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        load = os.getloadavg()[0]
        print(
            f"catch-up: {result.changes_read:,} changes in {seconds:.2f}s = "
            f"{result.changes_read / seconds:,.0f} changes/s end to end "
            f"({len(result.batches)} batches, {result.rows_applied:,} rows applied)"
        )
        timings: dict[str, float] = {}
        for batch in result.batches:
            for step, value in batch.timings.items():
                timings[step] = timings.get(step, 0.0) + value
        apply_seconds = sum(b.seconds for b in result.batches)
        apply_cpu = sum(b.cpu_seconds for b in result.batches)
        print(
            f"  CPU of this process {cpu:.2f}s: apply {apply_cpu:.2f}s "
            f"({result.changes_read / apply_cpu:,.0f} changes/s of apply CPU), capture client "
            f"{cpu - apply_cpu:.2f}s; load average at the end {load:.1f} (2 cores)"
        )
        print(
            f"  apply {apply_seconds:.2f}s ({', '.join(f'{k} {v:.2f}s' for k, v in timings.items())}); "
            f"capture read/decode/acknowledge overlapped in {seconds - apply_seconds:.2f}s more"
        )
        print(f"  replica equals source: {same_data(pg_url, target)}")

        idle = []
        for _ in range(10):
            started = time.perf_counter()
            assert rule.sync().kind == "idle"
            idle.append(time.perf_counter() - started)
        print(
            f"no-op sync: median {statistics.median(idle) * 1000:.1f} ms, "
            f"max {max(idle) * 1000:.1f} ms"
        )

        lag = sustained(pg_url, rule, args.seconds, args.rate, base=50_000_000)
        print(
            f"sustained {lag['achieved_rate']:,.0f} changes/s for {args.seconds:.0f}s at 1 s "
            f"interval: seconds behind p50 {lag['p50']:.2f}s, p95 {lag['p95']:.2f}s, max "
            f"{lag['max']:.2f}s (per batch: p95 {lag['batch_p95']:.2f}s, max {lag['batch_max']:.2f}s)"
        )
        print(f"  replica equals source: {same_data(pg_url, target)}")
        rule.drop()
    finally:
        drop_database(pg_url)


if __name__ == "__main__":
    main()
