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
import time
from pathlib import Path

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


def run_child(args: list[str], kill_after: float | None) -> str:
    """Run one sync child; SIGKILL it ``kill_after`` seconds after it is ready. Returns what it
    printed last (``done`` when it finished before the kill)."""
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
    args = [name, pg_url, target, str(tmp_path), str(schema_file), capture, "500"]
    # the first child may die during the snapshot; the capture was set up before it
    killed = 0
    for iteration in range(4):
        workload(writer, seed=iteration, transactions=30, size=25)
        if run_child(args, kill_after=rng.uniform(0.05, 1.0)) != "done":
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
