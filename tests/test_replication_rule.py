"""Replication rules end to end on real databases, and the status store they write.

PostgreSQL → SQLite and → DuckDB through both capture methods (pgoutput, triggers), SQLite →
PostgreSQL through triggers: snapshot, then seeded random workloads of inserts, updates, deletes
and truncates; the replica must equal the source row for row (checksums of model-typed Arrow).
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from helpers import table_checksum
from test_apply import gym_model, member_row, plan_row, visit_row

from mostaframe.replication.state import StatusStore
from mostaframe.schema.arrow import arrow_schema
from mostaframe.schema.model import Entity, Field, Schema
from mostaframe.secrets import parse_uri


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
    assert "hunter2" not in (
        tmp_path / "topology" / "replicator-status.sqlite"
    ).read_bytes().decode("latin-1")
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


# ---------------------------------------------------------------------------------------------
# a source database and a seeded random workload on it

ROOT = Path(__file__).resolve().parent.parent


def source_model() -> Schema:
    """The apply tests' gym model, with ON UPDATE CASCADE keys so that a member's id change
    cascades to its visits (a primary-key change of a child row)."""
    return gym_model()


class SourceWriter:
    """Writes model-typed rows into a PostgreSQL or SQLite source with plain SQL (so that
    triggers fire and the WAL sees ordinary statements)."""

    def __init__(self, url: str, schema: Schema) -> None:
        self.url = url
        self.schema = schema
        self.dialect = parse_uri(url).dialect
        if self.dialect == "postgres":
            import psycopg

            self.connection = psycopg.connect(url)
            self.mark = "%s"
        else:
            self.connection = sqlite3.connect(parse_uri(url).path)
            self.connection.execute("PRAGMA foreign_keys = ON")
            self.mark = "?"
        from mostaframe.dialects import get_dialect

        self.quote = get_dialect(self.dialect).quote

    def close(self) -> None:
        self.connection.close()

    def create_tables(self) -> None:
        from mostaframe.ddl import create_statements

        for statement in create_statements(self.schema, self.dialect):
            self.connection.execute(statement)
        self.connection.commit()

    def _values(self, entity: Entity, rows: list[dict[str, Any]], columns: list[str]) -> list:
        table = pa.Table.from_pylist(rows, schema=arrow_schema(entity)).select(columns)
        if self.dialect == "postgres":
            data = [table.column(c).to_pylist() for c in columns]
        else:
            from mostaframe.sinks.sqlite import sqlite_values
            from mostaframe.sinks.text import Location

            data = [
                sqlite_values(table.column(c).combine_chunks(), Location(entity.name, c))
                for c in columns
            ]
        return list(zip(*data, strict=True))

    def upsert(self, name: str, rows: list[dict[str, Any]]) -> None:
        entity = self.schema.entity(name)
        q, cols = self.quote, entity.columns
        keys = [entity.field(k).column for k in entity.primary_key]
        sets = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in cols if c not in keys)
        sql = (
            f"INSERT INTO {q(entity.table)} ({', '.join(q(c) for c in cols)}) VALUES "
            f"({', '.join([self.mark] * len(cols))}) ON CONFLICT ({', '.join(q(k) for k in keys)}) "
            f"DO UPDATE SET {sets}"
        )
        self.connection.cursor().executemany(sql, self._values(entity, rows, cols))

    def delete(self, name: str, where: str, params: tuple = ()) -> None:
        entity = self.schema.entity(name)
        self.connection.execute(
            f"DELETE FROM {self.quote(entity.table)} WHERE {where.replace('?', self.mark)}", params
        )

    def execute(self, sql: str, params: tuple = ()) -> None:
        if self.dialect == "postgres":
            sql = sql.replace("%", "%%")
        self.connection.execute(sql.replace("?", self.mark), params)

    def commit(self) -> None:
        self.connection.commit()


def seed_data(writer: SourceWriter, members: int = 40) -> None:
    rng = random.Random(0)
    writer.upsert("Plan", [plan_row(i, rng) for i in range(1, 6)])
    writer.upsert("Member", [member_row(i, rng) for i in range(1, members + 1)])
    writer.upsert("Visit", [visit_row(i, d) for i in range(1, members + 1, 3) for d in range(3)])
    writer.commit()


def workload(writer: SourceWriter, seed: int, transactions: int, *, size: int = 20) -> int:
    """Random transactions of inserts, updates, deletes, key changes and truncates; returns
    the number of statements run."""
    rng = random.Random(seed)
    q = writer.quote
    done = 0
    for _ in range(transactions):
        for _ in range(rng.randint(1, size)):
            roll = rng.random()
            member = rng.randint(1, 400)
            if roll < 0.40:
                writer.upsert("Member", [member_row(member, rng)])
            elif roll < 0.60:
                # the member first: a visit needs one (foreign key)
                writer.upsert("Member", [member_row(member, rng)])
                writer.upsert("Visit", [visit_row(member, rng.randint(0, 20), rng.randint(1, 99))])
            elif roll < 0.70:
                writer.upsert("Plan", [plan_row(rng.randint(1, 5), rng)])
            elif roll < 0.80:
                writer.execute(
                    f"UPDATE {q('members')} SET {q('score')} = ?, {q('active')} = ? "
                    f"WHERE {q('id')} % 7 = ?",
                    (rng.randint(0, 400) / 4, rng.random() < 0.5, rng.randint(0, 6)),
                )
            elif roll < 0.92:
                writer.delete("Visit", f"{q('memberId')} = ?", (member,))
                writer.delete("Member", f"{q('id')} = ?", (member,))
            elif roll < 0.97:
                # a primary-key change (visits follow through ON UPDATE CASCADE)
                writer.execute(
                    f"UPDATE {q('members')} SET {q('id')} = ? WHERE {q('id')} = ? AND NOT EXISTS "
                    f"(SELECT 1 FROM {q('members')} WHERE {q('id')} = ?)",
                    (member + 1000, member, member + 1000),
                )
            elif rng.random() < 0.3:
                if writer.dialect == "postgres":
                    writer.execute(f"TRUNCATE {q('visits')}")
                else:
                    writer.execute(f"DELETE FROM {q('visits')}")
            done += 1
        writer.commit()
    return done


def checksums(url: str, schema: Schema) -> dict[str, tuple[int, int]]:
    """``entity → (rows, checksum)`` of model-typed rows read through mostaframe's sources."""
    from mostaframe.sources import open_source

    out = {}
    with open_source("db", uri=url) as source:
        source.prepare(schema, schema.select())
        for entity in schema.select():
            batches = list(source.read(entity, batch_size=50_000))
            out[entity.name] = table_checksum(
                pa.Table.from_batches(batches, schema=arrow_schema(entity))
            )
    return out


# ---------------------------------------------------------------------------------------------
# rules end to end


def unique_name(prefix: str) -> str:
    """Slots are cluster-wide: tests of other databases on the same server must not collide."""
    import uuid

    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def make_rule(source: str, target: str, status: Path, **options: Any):
    from mostaframe.replication import add_replication_rule

    options.setdefault("schema", SCHEMA)
    return add_replication_rule(
        options.pop("name", unique_name("gym")), source, target, status_dir=status, **options
    )


SCHEMA = source_model()


@pytest.mark.parametrize("capture", ["pgoutput", "triggers"])
@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_postgres_replicates_to_embedded_targets(
    pg_url: str, tmp_path: Path, kind: str, capture: str
) -> None:
    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer)
    target = str(tmp_path / f"replica.{kind}")
    rule = make_rule(pg_url, target, tmp_path, capture=capture, batch_size=500)
    try:
        first = rule.sync()
        assert first.kind == "snapshot" and first.ok
        assert first.snapshot_rows == {"Plan": 5, "Member": 40, "Visit": 42}
        assert checksums(target, SCHEMA) == checksums(pg_url, SCHEMA)
        for round_ in range(2):
            statements = workload(writer, seed=round_, transactions=15)
            result = rule.sync()
            assert result.ok and result.kind == "changes", result
            assert result.changes_read >= statements // 2
            assert result.lag is not None and result.lag.pending_changes == 0
            assert checksums(target, SCHEMA) == checksums(pg_url, SCHEMA), f"round {round_}"
        idle = rule.sync()
        assert idle.kind == "idle" and idle.changes_read == 0
        runs = rule.status.runs(rule.name)
        assert runs["kind"].to_list() == ["snapshot", "changes", "changes", "idle"]
    finally:
        rule.drop()
        writer.close()


def test_sqlite_source_replicates_to_postgres_through_triggers(pg_url: str, tmp_path: Path) -> None:
    source = str(tmp_path / "source.sqlite")
    writer = SourceWriter(source, SCHEMA)
    writer.create_tables()
    seed_data(writer)
    rule = make_rule(source, pg_url, tmp_path, batch_size=300)
    assert rule.capture is not None and rule.capture.method == "triggers"
    try:
        assert rule.sync().kind == "snapshot"
        for round_ in range(2):
            workload(writer, seed=10 + round_, transactions=15)
            assert rule.sync().ok
            assert checksums(pg_url, SCHEMA) == checksums(source, SCHEMA), f"round {round_}"
    finally:
        rule.drop()
        writer.close()


def test_bad_configuration_names_what_to_change(pg_url: str, tmp_path: Path) -> None:
    from mostaframe.errors import ReplicationError

    target = str(tmp_path / "r.sqlite")
    with pytest.raises(ReplicationError) as caught:
        make_rule(pg_url, target, tmp_path, collections=["Membr"])
    assert str(caught.value) == (
        "collections: unknown entity 'Membr'; did you mean Member, members? "
        "(collections takes entity names or table names of the model, or '*')"
    )
    keyless = Schema([Entity("Log", table="logs", fields=[Field("line", "string")])])
    with pytest.raises(ReplicationError, match=r"entity Log \(table logs\) has no primary key"):
        make_rule(pg_url, target, tmp_path, schema=keyless)
    with pytest.raises(
        ReplicationError, match="conflict_resolution='timestamp' needs an updatedAt"
    ):
        make_rule(pg_url, target, tmp_path, collections=["plans"], conflict_resolution="timestamp")
    with pytest.raises(ReplicationError, match="unknown mode 'cdcc' for rule gym"):
        make_rule(pg_url, target, tmp_path, mode="cdcc", name="gym")
    with pytest.raises(ReplicationError, match=r"unknown capture method 'trigger'; did you mean"):
        make_rule(pg_url, target, tmp_path, capture="trigger")
    with pytest.raises(ReplicationError, match="rule name 'a b' is not valid"):
        make_rule(pg_url, target, tmp_path, name="a b")
    with pytest.raises(ReplicationError, match="source and target are the same database"):
        make_rule(target, target, tmp_path)
    secret = pg_url.replace("postgres@", "postgres:hunter2@")
    with pytest.raises(ReplicationError) as caught:
        make_rule(secret, "mysql2://x", tmp_path)
    assert "hunter2" not in str(caught.value)


def test_collections_accept_table_names_and_order_parents_first(
    pg_url: str, tmp_path: Path
) -> None:
    rule = make_rule(
        pg_url,
        str(tmp_path / "r.sqlite"),
        tmp_path,
        collections=["visits", "Plan", "members"],
        capture="triggers",
    )
    assert [e.name for e in rule.entities] == ["Plan", "Member", "Visit"]
    assert "hunter2" not in repr(rule)


def test_run_backs_off_while_the_target_is_locked(pg_url: str, tmp_path: Path) -> None:
    import threading

    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer)
    target = str(tmp_path / "replica.sqlite")
    rule = make_rule(pg_url, target, tmp_path, capture="triggers", lock_timeout=0.1)
    try:
        rule.sync()
        workload(writer, seed=3, transactions=5)
        blocker = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")  # somebody holds the write lock for a while
        release = threading.Timer(1.2, lambda: (blocker.execute("ROLLBACK"), blocker.close()))
        release.start()
        started = time.perf_counter()
        last = rule.run(interval=0.2, max_runs=1, max_backoff=0.4)
        release.join()
        assert last is not None and last.kind == "changes"
        assert time.perf_counter() - started >= 1.0
        events = rule.status.events(rule.name)
        warnings = events.filter(pl.col("level") == "warning")["message"].to_list()
        assert warnings and "database is locked" in warnings[0]
        assert "retrying in" in warnings[0] and "from the checkpoint" in warnings[0]
        assert events["message"].to_list()[-1].startswith("recovered after")
        assert checksums(target, SCHEMA) == checksums(pg_url, SCHEMA)
    finally:
        rule.drop()
        writer.close()


def test_run_stops_on_a_terminal_error_and_resync_recovers(pg_url: str, tmp_path: Path) -> None:
    from mostaframe.errors import ReplicationError

    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer)
    target = str(tmp_path / "replica.sqlite")
    rule = make_rule(pg_url, target, tmp_path, capture="pgoutput")
    try:
        rule.sync()
        workload(writer, seed=5, transactions=5)
        rule.close()
        writer.execute(f"SELECT pg_drop_replication_slot('mostaframe_{rule.name}')")
        writer.commit()
        with pytest.raises(ReplicationError, match="resync"):
            rule.run(interval=0.05, max_runs=3)
        assert rule.status.events(rule.name, level="error").height >= 1
        result = rule.resync()
        assert result.kind == "snapshot"
        workload(writer, seed=6, transactions=5)
        assert rule.sync().kind == "changes"
        assert checksums(target, SCHEMA) == checksums(pg_url, SCHEMA)
    finally:
        rule.drop()
        writer.close()


def test_target_wins_keeps_a_replica_edit(pg_url: str, tmp_path: Path) -> None:
    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer)
    target = str(tmp_path / "replica.sqlite")
    rule = make_rule(
        pg_url, target, tmp_path, capture="triggers", conflict_resolution="target-wins"
    )
    try:
        rule.sync()
        with sqlite3.connect(target) as local:
            local.execute("UPDATE members SET score = 1234 WHERE id = 1")
        writer.execute("UPDATE members SET score = 1 WHERE id IN (1, 2)")
        writer.commit()
        result = rule.sync()
        assert result.batches[0].kept == 1
        with sqlite3.connect(target) as local:
            scores = dict(local.execute("SELECT id, score FROM members WHERE id IN (1, 2)"))
        assert scores == {1: 1234.0, 2: 1.0}
    finally:
        rule.drop()
        writer.close()


def test_sync_results_render_and_the_noop_pass_is_cheap(pg_url: str, tmp_path: Path) -> None:
    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer)
    rule = make_rule(pg_url, str(tmp_path / "r.sqlite"), tmp_path, capture="pgoutput")
    try:
        snapshot = rule.sync()
        assert str(snapshot).startswith(f"{rule.name}: snapshot of 3 entities, 87 rows in ")
        writer.execute('DELETE FROM visits WHERE "memberId" = 1')
        writer.execute("UPDATE members SET score = 2 WHERE id = 2")
        writer.commit()
        changes = rule.sync()
        text = str(changes)
        assert text.startswith(f"{rule.name}: 4 changes read, 4 rows applied in 1 batches")
        assert "  Member: update 1\n  Visit: delete 3" in text
        assert "<td>Visit</td><td>delete</td>" in changes._repr_html_()
        as_dict = changes.to_dict()
        assert as_dict["applied"] == {"Member": {"update": 1}, "Visit": {"delete": 3}}
        assert as_dict["lag"]["pending_changes"] == 0
        started = time.perf_counter()
        idle = rule.sync()
        assert idle.kind == "idle" and time.perf_counter() - started < 1.0
        lag = rule.lag()
        assert lag.pending_changes == 0
        assert rule.status.lag_history(rule.name).height >= 3
    finally:
        rule.drop()
        writer.close()


def test_drop_removes_capture_and_checkpoint(pg_url: str, tmp_path: Path) -> None:
    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer)
    target = str(tmp_path / "r.sqlite")
    rule = make_rule(pg_url, target, tmp_path, capture="pgoutput")
    rule.sync()
    assert rule.checkpoint() is not None
    rule.drop()
    with sqlite3.connect(target) as local:
        assert local.execute("SELECT count(*) FROM _mostaframe_replication_state").fetchone() == (
            0,
        )
    slots = writer.connection.execute(
        "SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s",
        (f"mostaframe_{rule.name}",),
    ).fetchone()
    assert slots == (0,)
    writer.close()


def fitzone_workload(url: str, schema: Schema, seed: int) -> int:
    """Seeded updates on every FitZoneGym table and deletes on tables nothing references;
    returns the number of rows touched."""
    import psycopg

    from mostaframe.dialects import get_dialect

    q = get_dialect("postgres").quote
    rng = random.Random(seed)
    referenced = {r.target for e in schema.entities for r in e.foreign_keys()}
    touched = 0
    with psycopg.connect(url, autocommit=True) as conn:
        for entity in schema.select():
            keys = ", ".join(q(entity.field(k).column) for k in entity.primary_key)
            sample = (
                f"SELECT {keys} FROM {q(entity.table)} ORDER BY random() LIMIT {rng.randint(1, 8)}"
            )
            fk_columns = {c for r in entity.foreign_keys() for c in r.fields}
            plain = [
                f
                for f in entity.fields
                if f.kind in ("string", "int", "float")
                and not f.list
                and not f.unique
                and f.name not in entity.primary_key
                and f.name not in fk_columns
            ]
            if plain:
                f = rng.choice(plain)
                change = f"upper({q(f.column)})" if f.kind == "string" else f"{q(f.column)} + 1"
                touched += conn.execute(
                    f"UPDATE {q(entity.table)} SET {q(f.column)} = {change} "
                    f"WHERE ({keys}) IN ({sample})"
                ).rowcount
            if entity.name not in referenced and rng.random() < 0.5:
                touched += conn.execute(
                    f"DELETE FROM {q(entity.table)} WHERE ({keys}) IN ({sample})"
                ).rowcount
    return touched


@pytest.mark.parametrize(
    ("kind", "capture"),
    [
        ("sqlite", "pgoutput"),
        ("sqlite", "triggers"),
        ("duckdb", "pgoutput"),
        ("duckdb", "triggers"),
    ],
)
def test_fitzone_replicates_from_postgres(
    pg_url: str, tmp_path: Path, kind: str, capture: str
) -> None:
    from mostaframe.datasets import fitzone

    fitzone.load(pg_url, scale=0.002, quiet=True)
    schema = fitzone.load_schema()
    target = str(tmp_path / f"fitzone.{kind}")
    rule = make_rule(pg_url, target, tmp_path, schema=schema, capture=capture)
    try:
        snapshot = rule.sync()
        assert len(snapshot.snapshot_rows) == len(schema.select())
        assert checksums(target, schema) == checksums(pg_url, schema)
        touched = fitzone_workload(pg_url, schema, seed=0)
        result = rule.sync()
        assert result.changes_read >= touched > 0
        assert checksums(target, schema) == checksums(pg_url, schema)
    finally:
        rule.drop()


def test_missing_replication_privilege_names_the_fix(pg_url: str, tmp_path: Path) -> None:
    import psycopg

    from mostaframe.errors import ReplicationError

    role = unique_name("weak")
    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw-s3cret'")
    try:
        weak = pg_url.replace("postgres@", f"{role}:pw-s3cret@")
        rule = make_rule(weak, str(tmp_path / "r.sqlite"), tmp_path, capture="pgoutput")
        with pytest.raises(ReplicationError) as caught:
            rule.sync()
        message = str(caught.value)
        assert "lacks the REPLICATION attribute" in message
        assert f'ALTER ROLE "{role}" REPLICATION' in message and "pw-s3cret" not in message
        assert "pw-s3cret" not in rule.status.events(rule.name)["message"].to_list()[-1]
        rule.close()
    finally:
        writer.close()
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


def test_postgres_replicates_to_mysql(pg_url: str, mysql_url: str, tmp_path: Path) -> None:
    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer)
    rule = make_rule(pg_url, mysql_url, tmp_path, capture="triggers")
    try:
        assert rule.sync().kind == "snapshot"
        assert checksums(mysql_url, SCHEMA) == checksums(pg_url, SCHEMA)
        workload(writer, seed=21, transactions=15)
        assert rule.sync().kind == "changes"
        assert checksums(mysql_url, SCHEMA) == checksums(pg_url, SCHEMA)
    finally:
        rule.drop()
        writer.close()
