"""Kill -9 at random points of a sync: after restarts the replica equals the source.

A large pending change set sits on a PostgreSQL source; ``rule.sync()`` runs in a child process
(``python -c …``) with small ChangeSets (many commits) and is SIGKILLed at seeded random moments
— during the snapshot, the capture read, the apply, the commit or the acknowledgement. More
changes arrive between kills. A final uninterrupted sync must leave the replica equal to the
source: same rows, same per-row checksums (no change lost, none applied twice wrongly).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from test_replication_rule import (
    SCHEMA,
    SourceWriter,
    checksums,
    make_rule,
    seed_data,
    unique_name,
    workload,
)

from mostaframe.errors import ReplicationError
from mostaframe.schema import write_schema

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import sys
from mostaframe.replication import add_replication_rule
name, source, target, status, schema, capture = sys.argv[1:7]
rule = add_replication_rule(name, source, target, schema=schema, status_dir=status,
                            capture=capture, batch_size=int(sys.argv[7]))
print("ready", flush=True)
while rule.sync().kind != "idle":
    pass
print("done", flush=True)
"""


def start_child(args: list[str]) -> subprocess.Popen[str]:
    """Start one sync child and wait until it has made its rule."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    assert line == "ready", child.stderr.read() if child.stderr else line
    return child


def run_child(args: list[str], kill_after: float | None) -> str:
    """Run one sync child; SIGKILL it ``kill_after`` seconds after it is ready. Returns what it
    printed last (``done`` when it finished before the kill)."""
    child = start_child(args)
    line = "ready"
    if kill_after is not None:
        time.sleep(kill_after)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
    out, err = child.communicate(timeout=120)
    if kill_after is None or child.returncode != -signal.SIGKILL:
        assert child.returncode == 0, err
    return (out.strip().splitlines() or [line])[-1]


@pytest.mark.parametrize("capture", ["pgoutput", "triggers"])
def test_sigkill_at_random_points_loses_and_doubles_nothing(
    pg_url: str, tmp_path: Path, capture: str
) -> None:
    rng = random.Random(f"crash-{capture}")
    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer, members=300)
    schema_file = tmp_path / "entities.json"
    write_schema(SCHEMA, schema_file)
    target = str(tmp_path / "replica.sqlite")
    name = unique_name("crash")
    args = [name, pg_url, target, str(tmp_path), str(schema_file), capture, "200"]
    # the first child may die during the snapshot; the capture was set up before it. Small
    # ChangeSets and kills within 0.6 s: on a quiet machine a child syncs 750 statements in
    # well under a second, and the kills must land while it works
    killed = 0
    for iteration in range(4):
        workload(writer, seed=iteration, transactions=30, size=25)
        if run_child(args, kill_after=rng.uniform(0.05, 0.6)) != "done":
            killed += 1
    assert killed >= 2, "the kills must land while the child works"
    assert run_child(args, kill_after=None) == "done"
    assert checksums(target, SCHEMA) == checksums(pg_url, SCHEMA)
    rule = make_rule(pg_url, target, tmp_path, name=name, capture=capture)
    try:
        assert rule.sync().kind == "idle"
    finally:
        rule.drop()
        writer.close()


# ---------------------------------------------------------------------------------------------
# a client killed while PostgreSQL was still creating its replication slot


def kill_during_slot_creation(pg_url: str, tmp_path: Path, name: str) -> tuple[Any, int]:
    """Hold a transaction open (a logical slot is finished only once every transaction running
    on the server has ended), start a sync child, SIGKILL it while its server process creates
    the slot. Returns the still-open blocking connection and the orphaned server process id."""
    import psycopg

    schema_file = tmp_path / "entities.json"
    write_schema(SCHEMA, schema_file)
    blocker = psycopg.connect(pg_url)
    blocker.execute("CREATE TABLE blocker (id int)")
    blocker.commit()
    blocker.execute("INSERT INTO blocker VALUES (1)")  # an open transaction with an xid
    target = str(tmp_path / "replica.sqlite")
    child = start_child([name, pg_url, target, str(tmp_path), str(schema_file), "pgoutput", "500"])
    slot = f"mostaframe_{name}"
    deadline = time.monotonic() + 20
    holder = None
    with psycopg.connect(pg_url, autocommit=True) as look:
        while holder is None and time.monotonic() < deadline:
            rows = look.execute(
                "SELECT active_pid FROM pg_replication_slots "
                "WHERE slot_name = %s AND confirmed_flush_lsn IS NULL",
                (slot,),
            ).fetchall()
            holder = rows[0][0] if rows else None
            time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    assert holder is not None, "the child never reached slot creation"
    return blocker, holder


def slot_position(pg_url: str, slot: str) -> int | None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as look:
        rows = look.execute(
            "SELECT (confirmed_flush_lsn - '0/0')::int8, active_pid FROM pg_replication_slots "
            "WHERE slot_name = %s",
            (slot,),
        ).fetchall()
    return rows[0][0] if rows else None


def test_sync_waits_for_the_slot_a_killed_client_was_creating(pg_url: str, tmp_path: Path) -> None:
    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer, members=50)
    name = unique_name("halfslot")
    blocker, holder = kill_during_slot_creation(pg_url, tmp_path, name)
    target = str(tmp_path / "replica.sqlite")
    rule = make_rule(pg_url, target, tmp_path, name=name, capture="pgoutput")
    try:
        # still being created, and the blocking transaction stays open: a clear transient error
        rule.capture.slot_busy_timeout = 0.3
        with pytest.raises(ReplicationError) as failed:
            rule.sync()
        message = str(failed.value)
        assert failed.value.transient
        assert f"replication slot mostaframe_{name} on " in message
        assert f"is held by server process {holder} (creating it" in message
        assert f"behind the open transactions of process {blocker.info.backend_pid}" in message
        assert f"SELECT pg_terminate_backend({holder})" in message
        assert (
            rule.status.runs(rule.name)["error"]
            .to_list()[-1]
            .startswith(f"replication slot mostaframe_{name}")
        )
        # the blocking transaction ends while the rule waits: the slot is finished and used
        rule.capture.slot_busy_timeout = 20.0
        release = threading.Timer(0.5, blocker.commit)
        release.start()
        started = time.perf_counter()
        snapshot = rule.sync()
        release.join()
        assert time.perf_counter() - started >= 0.4
        assert snapshot.kind == "snapshot" and snapshot.ok
        assert snapshot.position == slot_position(pg_url, f"mostaframe_{name}")
        workload(writer, seed=21, transactions=20)
        assert rule.sync().kind == "changes"
        assert checksums(target, SCHEMA) == checksums(pg_url, SCHEMA)
        assert rule.sync().kind == "idle"
    finally:
        blocker.close()
        rule.drop()
        writer.close()


def test_terminating_the_orphaned_creator_lets_the_next_sync_create_the_slot(
    pg_url: str, tmp_path: Path
) -> None:
    import psycopg

    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer, members=50)
    name = unique_name("halfslot")
    blocker, holder = kill_during_slot_creation(pg_url, tmp_path, name)
    target = str(tmp_path / "replica.sqlite")
    rule = make_rule(pg_url, target, tmp_path, name=name, capture="pgoutput")
    try:
        rule.capture.slot_busy_timeout = 0.3
        with pytest.raises(ReplicationError, match=rf"pg_terminate_backend\({holder}\)"):
            rule.sync()
        # the fix the message names: the half-made slot goes with its process
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (holder,))
        assert slot_position(pg_url, f"mostaframe_{name}") is None
        # our own creation waits for the same open transaction, bounded, and names it
        rule.capture.slot_create_timeout = 0.3
        with pytest.raises(ReplicationError) as failed:
            rule.sync()
        assert failed.value.transient
        assert f"creating replication slot mostaframe_{name} on " in str(failed.value)
        assert f"process {blocker.info.backend_pid} (open " in str(failed.value)
        assert slot_position(pg_url, f"mostaframe_{name}") is None  # nothing half-made left
        blocker.commit()
        assert rule.sync().kind == "snapshot"
        workload(writer, seed=22, transactions=20)
        assert rule.sync().kind == "changes"
        assert checksums(target, SCHEMA) == checksums(pg_url, SCHEMA)
    finally:
        blocker.close()
        rule.drop()
        writer.close()
