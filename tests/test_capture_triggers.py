"""Trigger capture on real PostgreSQL, MariaDB and SQLite sources.

The first part holds what the capture tests share (also imported by test_capture_pgoutput): a
shop model with every field kind, a writer issuing plain SQL on each source (so that triggers
fire and the WAL sees ordinary statements), a seeded random workload (inserts, updates,
primary-key changes, deletes, truncates) and a minimal applier keeping a replica as Python
dicts, so that "the captured, collapsed changes reproduce the source" is checked without the
apply engine.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from mostaframe.errors import ReplicationError
from mostaframe.replication.changes import ChangeSet, Truncate
from mostaframe.schema.arrow import arrow_schema
from mostaframe.schema.model import Default, Entity, Enum, Field, Relation, Schema
from mostaframe.secrets import parse_uri

UTC = dt.UTC
BASE = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
STRINGS = ["it's", 'say "hi"', "back\\slash", "new\nline", "emoji 🎉 é", "", "a,b", "%s {x}"]


def shop_model() -> Schema:
    """Plan ← Member ← Visit (composite key); Member has one field of every kind."""
    plan = Entity(
        "Plan",
        table="plans",
        fields=[
            Field("id", "int", default=Default("autoincrement")),
            Field("name", "string", length=100),
            Field("price", "decimal", precision=10, scale=2),
            Field("seats", "smallint", required=False),
        ],
        primary_key=["id"],
    )
    member = Entity(
        "Member",
        table="members",
        fields=[
            Field("id", "bigint"),
            Field("email", "string", length=120),
            Field("balance", "decimal", precision=14, scale=4, required=False),
            Field("active", "boolean", required=False),
            Field("score", "float", required=False),
            Field("ratio", "real", required=False),
            Field("joinedAt", "datetime", timezone=True, column="joined_at", precision=6),
            Field("birth", "date", required=False),
            Field("wakeup", "time", required=False),
            Field("prefs", "json", required=False),
            Field("avatar", "bytes", required=False),
            Field("token", "uuid", required=False),
            Field("level", "enum", enum="Level"),
            Field("tags", "string", list=True, required=False),
            Field("updatedAt", "datetime", updated_at=True, required=False, precision=6),
            Field("note", "string", required=False),
            Field("planId", "int", required=False),
        ],
        primary_key=["id"],
        relations=[Relation("plan", "Plan", "many-to-one", fields=["planId"], references=["id"])],
    )
    visit = Entity(
        "Visit",
        table="visits",
        fields=[Field("memberId", "bigint"), Field("day", "date"), Field("minutes", "int")],
        primary_key=["memberId", "day"],
        relations=[
            Relation(
                "member",
                "Member",
                "many-to-one",
                fields=["memberId"],
                references=["id"],
                required=True,
            )
        ],
    )
    return Schema([plan, member, visit], enums={"Level": Enum("Level", ["BASIC", "PRO", "ELITE"])})


SHOP = shop_model()


def member_row(i: int, rng: random.Random, **changes: Any) -> dict[str, Any]:
    """A member with every kind set, or None where optional and the dice say so. Times carry
    microseconds; floats are arbitrary doubles (exactness is part of the test)."""
    maybe = lambda value: None if rng.random() < 0.15 else value  # noqa: E731
    row = {
        "id": i,
        "email": f"m{i}-{rng.choice(STRINGS)}-{rng.randint(0, 10**6)}",
        "balance": maybe(Decimal(rng.randint(-(10**12), 10**12)) / 10_000),
        "active": maybe(rng.random() < 0.5),
        "score": maybe(rng.uniform(-1e6, 1e6)),
        "ratio": maybe(float(pa.scalar(rng.uniform(-10, 10), pa.float32()).as_py())),
        "joined_at": BASE + dt.timedelta(microseconds=rng.randint(0, 10**13)),
        "birth": maybe(dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 20_000))),
        "wakeup": maybe(dt.time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))),
        "prefs": maybe(json.dumps({"lang": rng.choice(["fr", "en"]), "n": rng.randint(0, 9)})),
        "avatar": maybe(bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 12)))),
        "token": maybe(str(uuid.UUID(int=rng.getrandbits(128)))),
        "level": rng.choice(["BASIC", "PRO", "ELITE"]),
        "tags": maybe([rng.choice(STRINGS) for _ in range(rng.randint(0, 3))]),
        "updatedAt": maybe(
            (BASE + dt.timedelta(microseconds=rng.randint(0, 10**13))).replace(tzinfo=None)
        ),
        "note": maybe(rng.choice(STRINGS)),
        "planId": maybe(rng.randint(1, 5)),
    }
    row.update(changes)
    return row


def plan_row(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "id": i,
        "name": f"plan {i} {rng.choice(STRINGS)}",
        "price": Decimal(rng.randint(0, 99_999)) / 100,
        "seats": rng.choice([None, rng.randint(-300, 300)]),
    }


class SourceWriter:
    """Plain SQL writes on a PostgreSQL, MariaDB or SQLite source (model-typed rows in)."""

    def __init__(self, url: str, schema: Schema = SHOP) -> None:
        from mostaframe.dialects import get_dialect

        self.url, self.schema = url, schema
        self.dialect = parse_uri(url).dialect
        self.quote = get_dialect(self.dialect).quote
        if self.dialect == "postgres":
            import psycopg

            self.connection: Any = psycopg.connect(url)
        elif self.dialect == "mysql":
            import pymysql
            from sqlalchemy.engine import make_url

            u = make_url(parse_uri(url).sqlalchemy_url())
            self.connection = pymysql.connect(
                host=u.host,
                port=u.port or 3306,
                user=u.username,
                password=u.password or "",
                database=u.database,
                charset="utf8mb4",
            )
            with self.connection.cursor() as cursor:
                cursor.execute("SET time_zone = '+00:00'")
        else:
            self.connection = sqlite3.connect(parse_uri(url).path)
            self.connection.execute("PRAGMA foreign_keys = ON")
        self.mark = "?" if self.dialect == "sqlite" else "%s"

    def create_tables(self) -> None:
        from mostaframe.ddl import create_statements

        for statement in create_statements(self.schema, self.dialect):
            self.run(statement)
        self.commit()

    def run(self, sql: str, params: tuple | list = ()) -> int:
        """Execute (``?`` marks); returns the row count."""
        cursor = self.connection.cursor()
        sql = sql.replace("?", self.mark) if self.mark != "?" else sql
        cursor.execute(sql, tuple(params)) if params else cursor.execute(sql)
        return cursor.rowcount

    def _value(self, value: Any, field: Field) -> Any:
        if value is None:
            return None
        if self.dialect == "postgres":
            return value
        if field.list:
            return json.dumps(value)
        if field.kind == "datetime" and value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") + (
                "Z" if self.dialect == "sqlite" else ""
            )
        if self.dialect == "sqlite":
            if field.kind == "decimal":
                return f"{value:.{field.scale}f}"
            if isinstance(value, (dt.date, dt.time, dt.datetime)):
                return (
                    value.isoformat(sep=" ")
                    if isinstance(value, dt.datetime)
                    else value.isoformat()
                )
        return value

    def insert(self, name: str, row: dict[str, Any]) -> None:
        entity = self.schema.entity(name)
        q = self.quote
        cols = [f for f in entity.fields if f.column in row]
        self.run(
            f"INSERT INTO {q(entity.table)} ({', '.join(q(f.column) for f in cols)}) "
            f"VALUES ({', '.join('?' for _ in cols)})",
            [self._value(row[f.column], f) for f in cols],
        )

    def update(self, name: str, key: dict[str, Any], values: dict[str, Any]) -> int:
        entity = self.schema.entity(name)
        q = self.quote
        sets = ", ".join(f"{q(c)} = ?" for c in values)
        where = " AND ".join(f"{q(c)} = ?" for c in key)
        params = [self._value(v, entity.field(c)) for c, v in values.items()]
        params += [self._value(v, entity.field(c)) for c, v in key.items()]
        return self.run(f"UPDATE {q(entity.table)} SET {sets} WHERE {where}", params)

    def delete(self, name: str, key: dict[str, Any]) -> int:
        entity = self.schema.entity(name)
        where = " AND ".join(f"{self.quote(c)} = ?" for c in key)
        params = [self._value(v, entity.field(c)) for c, v in key.items()]
        return self.run(f"DELETE FROM {self.quote(entity.table)} WHERE {where}", params)

    def truncate(self, name: str) -> None:
        table = self.quote(self.schema.entity(name).table)
        self.run(f"TRUNCATE {table}" if self.dialect == "postgres" else f"DELETE FROM {table}")

    def commit(self) -> None:
        self.connection.commit()

    def close(self) -> None:
        self.connection.close()


def seed(writer: SourceWriter, rng: random.Random, members: int = 30) -> None:
    for i in range(1, 6):
        writer.insert("Plan", plan_row(i, rng))
    for i in range(1, members + 1):
        writer.insert("Member", member_row(i, rng))
    for i in range(1, members + 1, 3):
        for day in range(2):
            writer.insert("Visit", {"memberId": i, "day": dt.date(2024, 1, 1 + day), "minutes": 30})
    writer.commit()


def workload(writer: SourceWriter, rng: random.Random, transactions: int, size: int = 12) -> int:
    """Random transactions over the three tables; returns the number of row statements."""
    done = 0
    for _ in range(transactions):
        for _ in range(rng.randint(1, size)):
            roll, member = rng.random(), rng.randint(1, 60)
            if roll < 0.30:
                if not writer.update("Member", {"id": member}, _member_changes(member, rng)):
                    writer.insert("Member", member_row(member, rng))
            elif roll < 0.45:
                writer.update(
                    "Member", {"id": member}, {"score": rng.uniform(-5, 5), "active": None}
                )
            elif roll < 0.60:
                day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 9))
                exists = writer.update(
                    "Visit", {"memberId": member, "day": day}, {"minutes": rng.randint(1, 99)}
                )
                if not exists and writer.update("Member", {"id": member}, {"note": "visited"}):
                    writer.insert("Visit", {"memberId": member, "day": day, "minutes": 5})
            elif roll < 0.68:
                writer.update(
                    "Plan",
                    {"id": rng.randint(1, 5)},
                    {"price": Decimal(rng.randint(0, 9999)) / 100},
                )
            elif roll < 0.80:
                writer.run(
                    f"DELETE FROM {writer.quote('visits')} WHERE {writer.quote('memberId')} = ?",
                    (member,),
                )
                writer.delete("Member", {"id": member})
            elif roll < 0.90:
                # primary-key changes: a member (without visits: MySQL does not fire triggers for
                # cascaded foreign-key updates) and a visit (composite key)
                q = writer.quote
                writer.run(f"DELETE FROM {q('visits')} WHERE {q('memberId')} = ?", (member,))
                target = member + 100 + rng.randint(0, 50)
                writer.run(
                    f"UPDATE {q('members')} SET {q('id')} = ? WHERE {q('id')} = ? AND NOT EXISTS "
                    f"(SELECT 1 FROM (SELECT {q('id')} FROM {q('members')} WHERE {q('id')} = ?) x)",
                    (target, member, target),
                )
                writer.run(
                    f"UPDATE {q('visits')} SET {q('day')} = ? WHERE {q('memberId')} = ? AND {q('day')} = ?",
                    (
                        writer._value(dt.date(2025, 1, 1), Field("d", "date")),
                        member + 1,
                        writer._value(dt.date(2024, 1, 1), Field("d", "date")),
                    ),
                )
            elif roll < 0.97:
                for i in range(3):  # same-millisecond updates of one row: the last one must win
                    writer.update("Member", {"id": member}, {"email": f"burst {i} {rng.random()}"})
            else:
                writer.truncate("Visit")
            done += 1
        writer.commit()
    return done


def _member_changes(member: int, rng: random.Random) -> dict[str, Any]:
    row = member_row(member, rng)
    row.pop("id")
    return row


def read_source(url: str, schema: Schema = SHOP) -> dict[str, dict[tuple, dict[str, Any]]]:
    """Every entity's rows (model-typed, through mostaframe's sources) keyed by primary key."""
    from mostaframe.sources import open_source

    out = {}
    with open_source("db", uri=url) as source:
        source.prepare(schema, schema.select())
        for entity in schema.select():
            rows = [r for b in source.read(entity, batch_size=10_000) for r in b.to_pylist()]
            out[entity.name] = {_key(entity, r): normalise(r) for r in rows}
    return out


def _key(entity: Entity, row: dict[str, Any]) -> tuple:
    return tuple(row[entity.field(k).column] for k in entity.primary_key)


def normalise(row: dict[str, Any]) -> dict[str, Any]:
    """JSON compared as data (jsonb and MySQL JSON reformat the text)."""
    out = dict(row)
    for name, value in row.items():
        if name == "prefs" and value is not None:
            out[name] = json.loads(value)
    return out


class Replica:
    """A minimal applier: the target as dicts, changed only through ChangeSets."""

    def __init__(self, rows: dict[str, dict[tuple, dict[str, Any]]], schema: Schema = SHOP):
        self.schema = schema
        self.rows = {name: dict(table) for name, table in rows.items()}

    def apply(self, changes: ChangeSet) -> None:
        for segment in changes.segments:
            if isinstance(segment, Truncate):
                for name in segment.entities:
                    self.rows[name] = {}
                continue
            for entity_changes in segment:
                entity = self.schema.entity(entity_changes.entity)
                assert entity_changes.upserts.schema.equals(arrow_schema(entity))
                table = self.rows.setdefault(entity.name, {})
                keys = [r for r in entity_changes.deletes.to_pylist()]
                ups = entity_changes.upserts.to_pylist()
                # collapsed: a key is never both deleted and upserted in one EntityChanges
                assert not {_key(entity, r) for r in keys} & {_key(entity, r) for r in ups}
                for row in keys:
                    table.pop(_key(entity, row), None)
                for row in ups:
                    table[_key(entity, row)] = normalise(row)


def assert_same(replica: dict, source: dict) -> None:
    """Equal row sets; on failure the message names entity, key and the differing columns."""
    for name in source:
        mine, theirs = replica.get(name, {}), source[name]
        missing, extra = sorted(set(theirs) - set(mine))[:3], sorted(set(mine) - set(theirs))[:3]
        assert not missing and not extra, f"{name}: missing keys {missing}, extra keys {extra}"
        for key, row in theirs.items():
            diff = {c: (mine[key].get(c), v) for c, v in row.items() if mine[key].get(c) != v}
            assert not diff, f"{name} {key}: (replica, source) differ: {diff}"


def drain(capture: Any, position: int, max_changes: int = 100_000) -> tuple[list[ChangeSet], int]:
    """Read, 'apply' and acknowledge until nothing is left; the ChangeSets and end position.

    An empty read may still move the position (past WAL of other tables): it is acknowledged,
    not kept."""
    sets = []
    while True:
        changes = capture.read(position, max_changes=max_changes)
        assert changes.end_position >= position
        capture.acknowledge(changes.end_position)
        if changes.is_empty:
            return sets, changes.end_position
        sets.append(changes)
        position = changes.end_position


# ---------------------------------------------------------------------------------------------
# the trigger capture tests, on each source dialect


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def source_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(
        {"sqlite": "sqlite_url", "postgres": "pg_url", "mysql": "mysql_url"}[request.param]
    )


def make_capture(url: str, rule: str = "shop", schema: Schema = SHOP):
    from mostaframe.replication.capture.triggers import TriggerCapture

    return TriggerCapture(url, schema, schema.entities, rule=rule)


def installed(url: str) -> dict[str, list[str]]:
    """Objects named like mostaframe's on the source: triggers, tables, functions."""
    writer = SourceWriter(url)
    try:
        queries = {
            "postgres": {
                "triggers": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
                "tables": "SELECT relname FROM pg_class WHERE relname LIKE '%%mostaframe%%'",
                "functions": "SELECT proname FROM pg_proc WHERE proname LIKE 'mostaframe%%'",
            },
            "mysql": {
                "triggers": "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
                "tables": "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '%%mostaframe%%'",
            },
            "sqlite": {
                "triggers": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
                "tables": "SELECT name FROM sqlite_master WHERE name LIKE '%mostaframe%'",
            },
        }[writer.dialect]
        out = {}
        for what, sql in queries.items():
            cursor = writer.connection.cursor()
            cursor.execute(sql)
            out[what] = sorted(r[0] for r in cursor.fetchall())
        writer.commit()
        return out
    finally:
        writer.close()


def test_every_kind_round_trips_and_the_replica_equals_the_source(source_url: str) -> None:
    writer = SourceWriter(source_url)
    writer.create_tables()
    rng = random.Random(7)
    seed(writer, rng)
    capture = make_capture(source_url)
    start = capture.setup()
    assert capture.setup() == start  # idempotent
    replica = Replica(read_source(source_url))
    statements = workload(writer, random.Random(11), transactions=40)
    sets, end = drain(capture, start, max_changes=50)
    assert len(sets) > 1 and statements > 100
    for changes in sets:
        replica.apply(changes)
    assert_same(replica.rows, read_source(source_url))
    # nothing left, and positions only grew
    assert capture.read(end).is_empty
    assert [c.end_position for c in sets] == sorted({c.end_position for c in sets})
    assert capture.lag(end).pending_changes == 0
    capture.teardown()
    writer.close()


def test_snapshot_overlap_is_deduplicated_by_key(source_url: str) -> None:
    """Changes made between setup and the snapshot are in both: applying them again is a no-op."""
    writer = SourceWriter(source_url)
    writer.create_tables()
    rng = random.Random(3)
    seed(writer, rng, members=10)
    capture = make_capture(source_url)
    start = capture.setup()
    workload(writer, random.Random(5), transactions=10)
    replica = Replica(read_source(source_url))  # the "snapshot", taken after the changes
    for changes in drain(capture, start)[0]:
        replica.apply(changes)
    assert_same(replica.rows, read_source(source_url))
    capture.teardown()


def test_updates_in_the_same_millisecond_keep_their_order(source_url: str) -> None:
    writer = SourceWriter(source_url)
    writer.create_tables()
    writer.insert("Plan", plan_row(1, random.Random(1)))
    writer.commit()
    capture = make_capture(source_url)
    start = capture.setup()
    for i in range(200):
        writer.update("Plan", {"id": 1}, {"name": f"v{i}", "seats": i})
    writer.commit()
    changes = capture.read(start)
    (segment,) = changes.segments
    (plans,) = segment
    assert plans.upserts.to_pylist()[0]["name"] == "v199"
    assert plans.upserts.to_pylist()[0]["seats"] == 199
    assert changes.counts == {("Plan", "update"): 200} and changes.changes == 200
    capture.teardown()


def test_primary_key_change_is_delete_then_upsert(source_url: str) -> None:
    writer = SourceWriter(source_url)
    writer.create_tables()
    rng = random.Random(2)
    seed(writer, rng, members=2)
    capture = make_capture(source_url)
    start = capture.setup()
    writer.run("DELETE FROM visits")
    writer.update("Member", {"id": 2}, {"id": 77})
    writer.update("Member", {"id": 1}, {"id": 2})  # the old key 2 is taken again
    writer.commit()
    changes = capture.read(start)
    members = next(c for c in changes.segments[0] if c.entity == "Member")
    assert sorted(r["id"] for r in members.upserts.to_pylist()) == [2, 77]
    assert members.deletes.to_pylist() == [{"id": 1}]
    assert changes.counts[("Member", "update")] == 2
    capture.teardown()


def test_lag_counts_pending_changes_and_their_age(source_url: str) -> None:
    writer = SourceWriter(source_url)
    writer.create_tables()
    capture = make_capture(source_url)
    start = capture.setup()
    assert (capture.lag(start).pending_changes, capture.lag(start).seconds_behind) == (0, 0.0)
    rng = random.Random(4)
    for i in range(1, 6):
        writer.insert("Plan", plan_row(i, rng))
    writer.commit()
    time.sleep(0.3)
    lag = capture.lag(start)
    assert lag.pending_changes == 5 and lag.pending_bytes > 100
    assert 0.3 <= lag.seconds_behind < 30
    changes = capture.read(start)
    capture.acknowledge(changes.end_position)
    assert capture.lag(changes.end_position).pending_changes == 0
    assert "0 changes" in str(capture.lag(changes.end_position))
    capture.teardown()


def test_check_reports_trimmed_log_missing_trigger_and_gone_log(source_url: str) -> None:
    writer = SourceWriter(source_url)
    writer.create_tables()
    capture = make_capture(source_url, rule="Gym Rule")
    start = capture.setup()
    writer.insert("Plan", plan_row(1, random.Random(1)))
    writer.commit()
    changes = capture.read(start)
    capture.check(start)
    capture.acknowledge(changes.end_position)
    with pytest.raises(
        ReplicationError,
        match=r"change log of rule Gym Rule .* was trimmed past the "
        rf"checkpoint \(trimmed to {changes.end_position}, checkpoint {start}\): "
        r"re-snapshot with rule.resync\(\)",
    ):
        capture.check(start)
    capture.check(changes.end_position)
    trigger = capture.sql.trigger_names("Gym Rule", SHOP.entity("Visit"))[0]
    assert trigger.startswith("mostaframe_gym_rule_visits_")
    table = writer.quote("visits")
    writer.run(
        f"DROP TRIGGER {writer.quote(trigger)}"
        + (f" ON {table}" if writer.dialect == "postgres" else "")
    )
    writer.commit()
    with pytest.raises(
        ReplicationError, match=rf"trigger {trigger} on table visits \(entity Visit\) is gone"
    ):
        capture.check(changes.end_position)
    writer.run(f"DROP TABLE {writer.quote('_mostaframe_changes')}")
    writer.run(f"DROP TABLE {writer.quote('_mostaframe_capture')}")
    writer.commit()
    with pytest.raises(ReplicationError, match=r"change log _mostaframe_changes .* is gone"):
        capture.check(changes.end_position)
    capture.teardown()


def test_teardown_leaves_nothing_and_keeps_other_rules(source_url: str) -> None:
    writer = SourceWriter(source_url)
    writer.create_tables()
    before = installed(source_url)
    first, second = make_capture(source_url, "one"), make_capture(source_url, "two")
    start_one, start_two = first.setup(), second.setup()
    writer.insert("Plan", plan_row(1, random.Random(1)))
    writer.commit()
    assert first.read(start_one).counts == second.read(start_two).counts == {("Plan", "insert"): 1}
    first.teardown()
    assert second.read(start_two).counts == {("Plan", "insert"): 1}  # the log stays for rule two
    assert any(t.startswith("mostaframe_two_") for t in installed(source_url)["triggers"])
    second.teardown()
    assert installed(source_url) == before
    assert not any("mostaframe" in t for t in before["triggers"])


def test_bad_configuration_names_the_fix(source_url: str) -> None:
    writer = SourceWriter(source_url)
    writer.create_tables()
    writer.run("CREATE TABLE nokey (a INT, b INT)")
    writer.commit()
    loose = Entity(
        "Loose", table="nokey", fields=[Field("a", "int"), Field("b", "int")], primary_key=["a"]
    )
    schema = Schema([*SHOP.entities, loose], enums=SHOP.enums)
    with pytest.raises(
        ReplicationError,
        match=r"entity Loose \(table nokey\) has no primary key; add one or exclude it",
    ):
        make_capture(source_url, schema=schema).setup()
    ghost = Entity("Ghost", table="ghosts", fields=[Field("id", "int")], primary_key=["id"])
    with pytest.raises(ReplicationError, match="entity Ghost: table ghosts not found on"):
        make_capture(source_url, schema=Schema([ghost])).setup()
    modelled = Entity("NoKey", table="x", fields=[Field("id", "int")])
    with pytest.raises(ReplicationError, match=r"entity NoKey \(table x\) has no primary key"):
        make_capture(source_url, schema=Schema([modelled]))


def test_postgres_truncate_is_a_barrier(pg_url: str) -> None:
    writer = SourceWriter(pg_url)
    writer.create_tables()
    rng = random.Random(8)
    seed(writer, rng, members=4)
    capture = make_capture(pg_url)
    start = capture.setup()
    writer.insert("Visit", {"memberId": 2, "day": dt.date(2024, 3, 1), "minutes": 1})
    writer.truncate("Visit")
    writer.insert("Visit", {"memberId": 3, "day": dt.date(2024, 3, 2), "minutes": 2})
    writer.commit()
    changes = capture.read(start)
    before, barrier, after = changes.segments
    assert isinstance(barrier, Truncate) and barrier.entities == ["Visit"]
    assert [c.upserts.to_pylist() for c in before] == [
        [{"memberId": 2, "day": dt.date(2024, 3, 1), "minutes": 1}]
    ]
    assert [c.upserts.to_pylist() for c in after] == [
        [{"memberId": 3, "day": dt.date(2024, 3, 2), "minutes": 2}]
    ]
    assert changes.counts[("Visit", "truncate")] == 1
    capture.teardown()


def test_postgres_late_commit_is_never_skipped(pg_url: str) -> None:
    """A transaction takes sequence number n, another takes n + 1 and commits first: the reader
    must not move past n until the first one ends."""
    import psycopg

    writer = SourceWriter(pg_url)
    writer.create_tables()
    capture = make_capture(pg_url)
    start = capture.setup()
    rng = random.Random(1)
    slow = psycopg.connect(pg_url)
    slow.execute("INSERT INTO plans (id, name, price) VALUES (1, 'slow', 1)")  # not committed
    writer.insert("Plan", plan_row(2, rng))
    writer.commit()
    early = capture.read(start)
    assert early.is_empty and early.end_position < start + 2  # stopped below the open number
    slow.commit()
    changes = capture.read(early.end_position)
    (segment,) = changes.segments
    assert sorted(r["id"] for r in segment[0].upserts.to_pylist()) == [1, 2]
    # number 3 commits, then a writer opens: nothing proves it did not take a number below 3
    # (no sample in between), so the reader waits for it; once it rolls back, 3 comes
    writer.insert("Plan", plan_row(3, rng))
    writer.commit()
    late = psycopg.connect(pg_url)
    late.execute("INSERT INTO plans (id, name, price) VALUES (4, 'late', 1)")
    assert capture.read(changes.end_position).is_empty
    late.rollback()
    again = capture.read(changes.end_position)
    assert [r["id"] for r in again.segments[0][0].upserts.to_pylist()] == [3]
    # a writer that starts after a sample does not hold back the numbers that sample proved
    writer.insert("Plan", plan_row(5, rng))
    writer.commit()
    capture.read(again.end_position)  # samples: number 5 proven, no writer
    late.execute("INSERT INTO plans (id, name, price) VALUES (6, 'late', 1)")
    writer.insert("Plan", plan_row(7, rng))
    writer.commit()
    proven = capture.read(again.end_position)
    assert [r["id"] for r in proven.segments[0][0].upserts.to_pylist()] == [5]
    late.commit()
    rest = capture.read(proven.end_position)
    assert [r["id"] for r in rest.segments[0][0].upserts.to_pylist()] == [6, 7]
    slow.close()
    late.close()
    capture.teardown()


def test_mysql_late_commit_is_waited_for(mysql_url: str) -> None:
    import pymysql
    from sqlalchemy.engine import make_url

    writer = SourceWriter(mysql_url)
    writer.create_tables()
    capture = make_capture(mysql_url)
    start = capture.setup()
    u = make_url(parse_uri(mysql_url).sqlalchemy_url())
    slow = pymysql.connect(host=u.host, port=u.port or 3306, user=u.username, database=u.database)
    with slow.cursor() as cursor:
        cursor.execute("INSERT INTO plans (id, name, price) VALUES (1, 'slow', 1)")  # open
    writer.insert("Plan", plan_row(2, random.Random(1)))
    writer.commit()
    # a reader that finds number 2 committed but 1 still open does not return 2 alone
    capture.sql.LOCK_WAIT = 1
    early = capture.read(start)
    assert early.is_empty and early.end_position == start
    # the open transaction commits while the reader waits: both come, in order
    timer = threading.Timer(0.3, slow.commit)
    timer.start()
    capture.sql.LOCK_WAIT = 5
    changes = capture.read(start)
    timer.join()
    assert [r["id"] for r in changes.segments[0][0].upserts.to_pylist()] == [1, 2]
    slow.close()
    capture.teardown()


def test_sqlite_epoch_milliseconds_and_text_floats(sqlite_url: str) -> None:
    """Prisma's SQLite connector writes DateTime as integer milliseconds."""
    writer = SourceWriter(sqlite_url)
    writer.create_tables()
    capture = make_capture(sqlite_url)
    start = capture.setup()
    writer.run(
        "INSERT INTO members (id, email, joined_at, level, score) VALUES (1, 'a', 1714564800123, 'PRO', 0.1)"
    )
    writer.commit()
    (member,) = capture.read(start).segments[0][0].upserts.to_pylist()
    assert member["joined_at"] == dt.datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
    assert member["score"] == 0.1
    capture.teardown()


def test_wide_tables_build_their_image_in_several_json_calls(source_url: str) -> None:
    """PostgreSQL functions take at most 100 arguments, SQLite json_object 127: a 91-column
    image is built from several calls and merged."""
    wide = Entity(
        "Wide",
        table="wide",
        fields=[Field("id", "int")] + [Field(f"c{i}", "int", required=False) for i in range(90)],
        primary_key=["id"],
    )
    schema = Schema([wide])
    writer = SourceWriter(source_url, schema)
    writer.create_tables()
    capture = make_capture(source_url, schema=schema)
    start = capture.setup()
    row = {"id": 1, **{f"c{i}": i * 7 if i % 5 else None for i in range(90)}}
    writer.insert("Wide", row)
    writer.commit()
    assert capture.read(start).segments[0][0].upserts.to_pylist() == [row]
    capture.teardown()


def test_a_restarting_server_is_a_connection_error_not_a_missing_change_log() -> None:
    """psycopg raises AdminShutdown (an OperationalError subclass) when the source restarts: it
    must reconnect and be retried, not be read as "the change log is gone"."""
    import psycopg
    import pymysql

    from mostaframe.replication.capture.triggers import _is_closed, _is_connection_error

    assert _is_connection_error(psycopg.errors.AdminShutdown("terminating connection"))
    assert _is_connection_error(pymysql.err.InterfaceError(0, ""))
    assert not _is_connection_error(
        psycopg.errors.UndefinedTable('relation "_mostaframe_changes" does not exist')
    )
    assert not _is_connection_error(ValueError("closed"))

    class Psycopg:
        closed = True

    class PyMySQL:
        open = False

    assert _is_closed(Psycopg()) and _is_closed(PyMySQL())
    assert not _is_closed(sqlite3.connect(":memory:"))
