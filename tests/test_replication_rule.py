"""Replication rules end to end on real databases, and the status store they write.

PostgreSQL → SQLite and → DuckDB through both capture methods (pgoutput, triggers), SQLite →
PostgreSQL through triggers: snapshot, then seeded random workloads of inserts, updates, deletes
and truncates; the replica must equal the source row for row (checksums of model-typed Arrow).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time

import polars as pl
import pytest

from mostaframe.replication.state import StatusStore


class _Lag:
    def __init__(self, changes: int | None, size: int | None, seconds: float | None) -> None:
        self.pending_changes, self.pending_bytes, self.seconds_behind = changes, size, seconds


# ---------------------------------------------------------------------------------------------
# status store


def test_status_store_keeps_a_bounded_history_per_rule(tmp_path) -> None:
    store = StatusStore(tmp_path, history=5)
    for i in range(12):
        store.record_lag("a", _Lag(i, i * 100, i / 10))
    for i in range(3):
        store.record_lag("b", _Lag(i, None, None))
    a = store.lag_history("a")
    assert a["pending_changes"].to_list() == [7, 8, 9, 10, 11]
    assert a.schema["time"] == pl.Datetime("us", "UTC")
    assert store.lag_history("b")["pending_bytes"].to_list() == [None, None, None]
    assert store.lag_history()["rule"].to_list() == ["a"] * 5 + ["b"] * 3
    assert store.lag_history("a", limit=2)["pending_changes"].to_list() == [10, 11]
    assert store.path == tmp_path / "replicator-status.sqlite"


def test_status_store_runs_and_events_are_frames_with_masked_text(tmp_path) -> None:
    store = StatusStore(tmp_path / "topology", history=3)
    started = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for i in range(4):
        store.record_run(
            "r",
            started=started + dt.timedelta(seconds=i),
            seconds=0.5,
            kind="changes",
            changes_read=10 * i,
            rows_applied=i,
            position=100 + i,
            applied={"Member": {"insert": i}},
            batches=[{"changes": 10 * i, "seconds": 0.1}],
            error="connection to postgresql://dev:hunter2@db/app refused" if i == 3 else None,
        )
    runs = store.runs("r")
    assert runs.height == 3 and runs["position"].to_list() == [101, 102, 103]
    assert runs["error"].to_list()[-1] == "connection to postgresql://dev:***@db/app refused"
    assert runs["started"].to_list()[0] == started + dt.timedelta(seconds=1)
    store.event("r", "warning", "retrying postgresql://dev:hunter2@db/app in 2s")
    events = store.events("r", level="warning")
    assert events["message"].to_list() == ["retrying postgresql://dev:***@db/app in 2s"]
    assert "hunter2" not in (tmp_path / "topology" / "replicator-status.sqlite").read_bytes().decode(
        "latin-1"
    )
    with pytest.raises(Exception, match="unknown event level 'fatal'"):
        store.event("r", "fatal", "x")
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert store.events(since=future).height == 0


def test_status_store_readers_do_not_block_the_writer(tmp_path) -> None:
    store = StatusStore(tmp_path)
    store.event(None, "info", "first")
    reader = sqlite3.connect(store.path)
    try:
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 1
        started = time.perf_counter()
        store.event(None, "info", "second")  # WAL: the open read transaction does not block
        assert time.perf_counter() - started < 1.0
        assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 1  # its snapshot
    finally:
        reader.close()
    assert store.events()["message"].to_list() == ["first", "second"]


def test_reading_a_missing_status_store_gives_empty_frames(tmp_path) -> None:
    store = StatusStore(tmp_path / "nowhere")
    assert store.lag_history().height == 0
    assert store.runs().columns[:3] == ["rule", "started", "seconds"]
