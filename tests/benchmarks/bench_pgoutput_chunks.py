"""Benchmark: what each chunked read of a pgoutput catch-up costs the server.

The catch-up of ``bench_cdc_catchup.py`` without the apply: 1 M pending changes on TPC-H
``orders`` (its workload, its table), read with ``PgOutputCapture.read(max_changes=…)`` and
acknowledged chunk by chunk. Printed per chunk: read and acknowledge seconds, and how far the
slot's ``restart_lsn`` (where every peek starts decoding) is behind its confirmed position; then
the same totals against one ``count(*)`` over a peek of everything (the server's decode alone).

Run from the repository root (PostgreSQL with wal_level=logical at MOSTAFRAME_TEST_PG_URL)::

    python tests/benchmarks/bench_pgoutput_chunks.py [--replica-identity setup|default|full]
        [--changes 1000000] [--max-changes 100000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cdc_catchup as catchup

from mostaframe.replication.capture.pgoutput import PgOutputCapture


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1_000_000)
    parser.add_argument("--initial", type=int, default=500_000)
    parser.add_argument("--max-changes", type=int, default=100_000)
    parser.add_argument("--replica-identity", choices=["setup", "default", "full"], default="setup")
    args = parser.parse_args()

    import psycopg

    schema = catchup.orders_model()
    url = catchup.create_database()
    try:
        catchup.setup_source(url, schema, args.initial)
        capture = PgOutputCapture(url, schema, schema.entities, rule="chunks")
        position = capture.setup()
        if args.replica_identity != "setup":
            catchup.set_replica_identity(url, args.replica_identity)
        print(f"source: orders has REPLICA IDENTITY {catchup.replica_identity(url)}")
        made = catchup.pending_changes(url, args.changes, base=10_000_000)
        print(f"source: {args.changes:,} changes written in {made:.1f}s")
        print(catchup.server_decode(url, capture.slot, capture.publication))
        reading = acknowledging = 0.0
        with psycopg.connect(url, autocommit=True) as monitor:
            while True:
                started = time.perf_counter()
                changes = capture.read(position, max_changes=args.max_changes)
                read = time.perf_counter() - started
                if changes.is_empty:
                    break
                started = time.perf_counter()
                capture.acknowledge(changes.end_position)
                acknowledge = time.perf_counter() - started
                reading, acknowledging = reading + read, acknowledging + acknowledge
                (behind,) = monitor.execute(
                    "SELECT (confirmed_flush_lsn - restart_lsn)::int8 FROM pg_replication_slots "
                    "WHERE slot_name = %s",
                    (capture.slot,),
                ).fetchone()
                print(
                    f"  read {changes.changes:,} changes in {read:.2f}s, acknowledge "
                    f"{acknowledge:.2f}s; restart_lsn {behind / 1e6:.1f} MB behind the slot"
                )
                position = changes.end_position
        print(
            f"chunked: read {reading:.2f}s + acknowledge {acknowledging:.2f}s "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
        capture.teardown()
    finally:
        catchup.drop_database(url)


if __name__ == "__main__":
    main()
