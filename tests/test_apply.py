"""apply_changes against every target dialect, over real connections.

A small gym model with foreign keys, a composite key and every field kind is created in a fresh
database of each dialect (``db_url``); ChangeSets built by hand or by a seeded random workload are
applied, and the target is read back through mostaframe's own sources (model-typed Arrow) and
compared with a Python reference of what the source holds.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
import uuid
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from mostaframe.errors import ReplicationError
from mostaframe.replication.apply import (
    apply_changes,
    connect_target,
    record_markers,
    replica_schema,
)
from mostaframe.replication.changes import ChangeSet, EntityChanges, Truncate, collapse, key_schema
from mostaframe.replication.state import read_checkpoint, read_state, write_checkpoint
from mostaframe.schema.arrow import arrow_schema
from mostaframe.schema.model import Default, Entity, Enum, Field, Relation, Schema

UTC = dt.UTC


def gym_model() -> Schema:
    """Plan ← Member ← Visit (composite key), every field kind on Member."""
    plan = Entity(
        "Plan",
        table="plans",
        fields=[
            Field("id", "int", default=Default("autoincrement")),
            Field("name", "string", length=100),
            Field("price", "decimal", precision=10, scale=2),
        ],
        primary_key=["id"],
    )
    member = Entity(
        "Member",
        table="members",
        fields=[
            Field("id", "bigint"),
            Field("email", "string", unique=True, length=120),
            Field("balance", "decimal", precision=12, scale=2, required=False),
            Field("active", "boolean"),
            Field("score", "float", required=False),
            Field("joinedAt", "datetime", timezone=True, column="joined_at"),
            Field("birth", "date", required=False),
            Field("wakeup", "time", required=False),
            Field("prefs", "json", required=False),
            Field("avatar", "bytes", required=False),
            Field("token", "uuid", required=False),
            Field("level", "enum", enum="Level"),
            Field("tags", "string", list=True, required=False),
            Field("updatedAt", "datetime", updated_at=True, required=False),
            Field("planId", "int", required=False),
        ],
        primary_key=["id"],
        relations=[
            Relation("plan", "Plan", "many-to-one", fields=["planId"], references=["id"]),
        ],
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


SCHEMA = gym_model()
BASE = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def plan_row(i: int, rng: random.Random | None = None) -> dict[str, Any]:
    price = Decimal(rng.randint(0, 99_999)) / 100 if rng else Decimal("9.99")
    return {"id": i, "name": f"plan {i}", "price": price}


def member_row(i: int, rng: random.Random | None = None, **changes: Any) -> dict[str, Any]:
    """A member with every kind filled (or None where optional and the dice say so).

    Times are whole milliseconds (PostgreSQL / MySQL keep 3 digits by default) and whole
    seconds for TIME (MySQL's TIME has none).
    """
    r = rng or random.Random(i)
    maybe = (lambda value: None if r.random() < 0.2 else value) if rng else (lambda value: value)
    row = {
        "id": i,
        "email": f"member{i}-{r.randint(0, 10**6)}@fitzone.example",
        "balance": maybe(Decimal(r.randint(-(10**8), 10**8)) / 100),
        "active": r.random() < 0.5,
        "score": maybe(r.randint(-1000, 1000) / 4),
        "joined_at": BASE + dt.timedelta(milliseconds=r.randint(0, 10**10)),
        "birth": maybe(dt.date(1950, 1, 1) + dt.timedelta(days=r.randint(0, 20_000))),
        "wakeup": maybe(dt.time(r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))),
        # keys in jsonb's order (shorter first): the text survives a PostgreSQL round trip
        "prefs": maybe(json.dumps({"n": r.randint(0, 9), "lang": r.choice(["fr", "en"])})),
        "avatar": maybe(bytes(r.randint(0, 255) for _ in range(r.randint(0, 8)))),
        "token": maybe(str(uuid.UUID(int=r.getrandbits(128)))),
        "level": r.choice(["BASIC", "PRO", "ELITE"]),
        "tags": maybe([r.choice(["yoga", "box", "swim", "it's"]) for _ in range(r.randint(0, 3))]),
        "updatedAt": maybe(
            (BASE + dt.timedelta(milliseconds=r.randint(0, 10**10))).replace(tzinfo=None)
        ),
        "planId": maybe(r.randint(1, 5)),
    }
    row.update(changes)
    return row


def visit_row(member: int, day: int, minutes: int = 30) -> dict[str, Any]:
    return {
        "memberId": member,
        "day": dt.date(2024, 1, 1) + dt.timedelta(days=day),
        "minutes": minutes,
    }


def changes(
    entity: str,
    upserts: list[dict[str, Any]] = (),
    deletes: list[dict[str, Any]] = (),
    position: int = 1,
) -> EntityChanges:
    e = SCHEMA.entity(entity)
    return EntityChanges(
        entity,
        pa.RecordBatch.from_pylist(list(upserts), schema=arrow_schema(e)),
        pa.array([position] * len(upserts), pa.int64()),
        pa.RecordBatch.from_pylist(list(deletes), schema=key_schema(e)),
        pa.array([position] * len(deletes), pa.int64()),
    )


def create_tables(url: str) -> None:
    from mostaframe.ddl import create_statements

    with connect_target(url) as target:
        for statement in create_statements(replica_schema(SCHEMA, target), target.dialect):
            target.execute(statement)
        target.commit()


def normalise(row: dict[str, Any]) -> dict[str, Any]:
    """JSON compared as data (jsonb and MySQL JSON reformat the text)."""
    out = dict(row)
    if out.get("prefs") is not None:
        out["prefs"] = json.loads(out["prefs"])
    return out


def read_back(url: str, entity: str) -> dict[tuple, dict[str, Any]]:
    """The target's rows of ``entity`` through mostaframe's source, keyed by primary key."""
    from mostaframe.sources import open_source

    e = SCHEMA.entity(entity)
    keys = [e.field(n).column for n in e.primary_key]
    with open_source("db", uri=url) as source:
        source.prepare(SCHEMA, [e])
        rows = [r for b in source.read(e, batch_size=10_000) for r in b.to_pylist()]
    return {tuple(r[k] for k in keys): normalise(r) for r in rows}


def expected(rows: list[dict[str, Any]], entity: str) -> dict[tuple, dict[str, Any]]:
    e = SCHEMA.entity(entity)
    keys = [e.field(n).column for n in e.primary_key]
    # through Arrow, like the source, so that types compare equal
    typed = pa.Table.from_pylist(rows, schema=arrow_schema(e)).to_pylist()
    return {tuple(r[k] for k in keys): normalise(r) for r in typed}


def test_apply_upserts_deletes_truncate_and_checkpoint(db_url: str) -> None:
    create_tables(db_url)
    plans = [plan_row(1), plan_row(2)]
    members = [member_row(1), member_row(2), member_row(3, tags=[], prefs=None)]
    # children first in the ChangeSet: apply must still write the parents before them
    first = ChangeSet(
        [
            [
                changes("Visit", [visit_row(1, 0), visit_row(1, 1), visit_row(2, 0)]),
                changes("Member", members),
                changes("Plan", plans),
            ]
        ],
        0,
        100,
        changes=8,
    )
    stats = apply_changes(db_url, SCHEMA, first, rule="gym")
    assert (stats.upserted, stats.deleted, stats.truncated) == (8, 0, 0)
    assert stats.by_entity == {
        "Plan": {"upsert": 2},
        "Member": {"upsert": 3},
        "Visit": {"upsert": 3},
    }
    assert read_back(db_url, "Member") == expected(members, "Member")

    # update (email moves from member 2 to member 3: the delete must free it first), delete,
    # a TRUNCATE barrier on visits, then new visits
    moved = member_row(3, email=members[1]["email"], score=None, level="ELITE")
    second = ChangeSet(
        [
            [changes("Member", [moved], [{"id": 2}], 150), changes("Visit", [], [visit_row(2, 0)])],
            Truncate(["Visit"], 160),
            [changes("Visit", [visit_row(3, 5, 45)], [], 170)],
        ],
        100,
        200,
        changes=5,
    )
    stats = apply_changes(db_url, SCHEMA, second, rule="gym")
    assert (stats.upserted, stats.deleted, stats.truncated) == (2, 2, 1)
    assert read_back(db_url, "Member") == expected([members[0], moved], "Member")
    assert read_back(db_url, "Visit") == expected([visit_row(3, 5, 45)], "Visit")
    assert read_back(db_url, "Plan") == expected(plans, "Plan")
    with connect_target(db_url) as target:
        assert read_checkpoint(target, "gym") == 200
        state = read_state(target, "gym")
        assert state is not None and state.snapshot_done and state.position == 200


def test_applying_twice_changes_nothing(db_url: str) -> None:
    create_tables(db_url)
    rows = [member_row(i) for i in range(1, 6)]
    cs = ChangeSet([[changes("Member", rows, [{"id": 99}])]], 0, 10, changes=6)
    with connect_target(db_url) as target:
        apply_changes(target, SCHEMA, cs, rule="r")
        apply_changes(target, SCHEMA, cs, rule="r")  # at-least-once: a replay is harmless
        assert read_checkpoint(target, "r") == 10
    assert read_back(db_url, "Member") == expected(rows, "Member")


def test_a_failing_changeset_leaves_data_and_checkpoint_untouched(db_url: str) -> None:
    create_tables(db_url)
    good = [member_row(1)]
    apply_changes(db_url, SCHEMA, ChangeSet([[changes("Member", good)]], 0, 10), rule="r")
    bad_plan = pa.RecordBatch.from_pylist(
        [{"id": 7, "name": None, "price": Decimal("1.00")}],
        schema=arrow_schema(SCHEMA.entity("Plan")).set(
            1, pa.field("name", pa.string(), nullable=True)
        ),
    )
    broken = EntityChanges(
        "Plan",
        bad_plan,
        pa.array([11], pa.int64()),
        pa.RecordBatch.from_pylist([], schema=key_schema(SCHEMA.entity("Plan"))),
        pa.array([], pa.int64()),
    )
    cs = ChangeSet([[changes("Member", [member_row(2)], [{"id": 1}], 11), broken]], 10, 20)
    with pytest.raises(ReplicationError) as caught:
        apply_changes(db_url, SCHEMA, cs, rule="r")
    assert "entity Plan (table plans): upsert failed" in str(caught.value)
    assert caught.value.transient is False
    with connect_target(db_url) as target:
        assert read_checkpoint(target, "r") == 10
    assert read_back(db_url, "Member") == expected(good, "Member")


def random_workload(seed: int, steps: int) -> tuple[list[ChangeSet], dict[str, dict]]:
    """ChangeSets of a seeded random workload (collapsed like a capture would) and the final
    source state per entity."""
    rng = random.Random(seed)
    state: dict[str, dict] = {"Plan": {}, "Member": {}, "Visit": {}}
    sets, position = [], 0
    for step in range(steps):
        raw: list[EntityChanges | Truncate] = []
        for _ in range(rng.randint(1, 40)):
            position += 1
            entity = rng.choice(["Plan", "Member", "Member", "Visit", "Visit"])
            table = state[entity]
            roll = rng.random()
            if entity == "Visit" and roll < 0.02:
                table.clear()
                raw.append(Truncate(["Visit"], position))
                continue
            if roll < 0.55 or not table:
                if entity == "Plan":
                    row = plan_row(rng.randint(1, 8), rng)
                elif entity == "Member":
                    row = member_row(rng.randint(1, 60), rng)
                else:
                    row = visit_row(rng.randint(1, 60), rng.randint(0, 9), rng.randint(1, 90))
                key = tuple(row[k] for k in _keys(entity))
                table[key] = row
                raw.append(changes(entity, [row], [], position))
            else:
                key = rng.choice(sorted(table, key=repr))
                del table[key]
                raw.append(
                    changes(entity, [], [dict(zip(_keys(entity), key, strict=True))], position)
                )
        segments: list = []
        for item in raw:
            if isinstance(item, Truncate):
                segments.append(item)
            elif segments and isinstance(segments[-1], list):
                segments[-1].append(item)
            else:
                segments.append([item])
        start = sets[-1].end_position if sets else 0
        sets.append(collapse(ChangeSet(segments, start, position, changes=len(raw))))
        del step
    return sets, state


def _keys(entity: str) -> list[str]:
    e = SCHEMA.entity(entity)
    return [e.field(n).column for n in e.primary_key]


@pytest.mark.parametrize("seed", [1, 2])
def test_random_workload_ends_equal_to_the_source(db_url: str, seed: int) -> None:
    create_tables(db_url)
    sets, state = random_workload(seed, 12)
    with connect_target(db_url) as target:
        for cs in sets:
            apply_changes(target, SCHEMA, cs, rule="w")
        assert read_checkpoint(target, "w") == sets[-1].end_position
    for entity, rows in state.items():
        assert read_back(db_url, entity) == expected(list(rows.values()), entity), entity


def test_timestamp_conflict_resolution_keeps_newer_target_rows(sqlite_url: str) -> None:
    create_tables(sqlite_url)
    old, new = dt.datetime(2024, 1, 1, 10), dt.datetime(2024, 1, 1, 12)
    rows = [member_row(i, updatedAt=old) for i in (1, 2, 3, 4)]
    apply_changes(sqlite_url, SCHEMA, ChangeSet([[changes("Member", rows)]], 0, 1), rule="t")
    with sqlite3.connect(sqlite_url) as local:  # edits made on the replica itself
        local.execute(
            "UPDATE members SET score = 99, \"updatedAt\" = '2024-01-01 12:00:00.000000' "
            "WHERE id IN (1, 3)"
        )
    incoming = [
        member_row(1, updatedAt=dt.datetime(2024, 1, 1, 11), score=1.0),  # older than local
        member_row(2, updatedAt=dt.datetime(2024, 1, 1, 11), score=2.0),  # newer than target
    ]
    cs = ChangeSet(
        [[changes("Member", incoming, [{"id": 3}, {"id": 4}], 2)]],
        1,
        2,
        newest_commit_time=dt.datetime(2024, 1, 1, 11, tzinfo=UTC),
    )
    stats = apply_changes(sqlite_url, SCHEMA, cs, rule="t", conflict_resolution="timestamp")
    assert stats.kept == 2 and stats.by_entity["Member"] == {"kept": 2, "upsert": 1, "delete": 1}
    got = read_back(sqlite_url, "Member")
    assert sorted(got) == [(1,), (2,), (3,)]  # 3 was edited after the delete: kept
    assert got[(1,)]["score"] == 99 and got[(1,)]["updatedAt"] == new
    assert got[(2,)]["score"] == 2.0


def test_timestamp_ties_go_to_the_source(sqlite_url: str) -> None:
    create_tables(sqlite_url)
    stamp = dt.datetime(2024, 1, 1, 10)
    apply_changes(
        sqlite_url,
        SCHEMA,
        ChangeSet([[changes("Member", [member_row(1, updatedAt=stamp)])]], 0, 1),
        rule="t",
        conflict_resolution="timestamp",
    )
    same = member_row(1, updatedAt=stamp, score=5.0)
    apply_changes(
        sqlite_url,
        SCHEMA,
        ChangeSet([[changes("Member", [same])]], 1, 2),
        rule="t",
        conflict_resolution="timestamp",
    )
    assert read_back(sqlite_url, "Member")[(1,)]["score"] == 5.0


def test_target_wins_keeps_rows_changed_on_the_replica(db_url: str) -> None:
    create_tables(db_url)
    rows = [member_row(i) for i in (1, 2, 3, 4)]
    with connect_target(db_url) as target:
        apply_changes(
            target,
            SCHEMA,
            ChangeSet([[changes("Member", rows[:2])]], 0, 1),
            rule="tw",
            conflict_resolution="target-wins",
        )
        # rows 3 and 4 arrive by snapshot: markers are recorded for them afterwards
        target.begin()
        target.upsert(
            SCHEMA.entity("Member"),
            pa.RecordBatch.from_pylist(rows[2:], schema=arrow_schema(SCHEMA.entity("Member"))),
        )
        target.commit()
        assert record_markers(target, SCHEMA, [SCHEMA.entity("Member")], "tw") == 4
        q = target.quote
        target.begin()
        # local edits: an update of 1, a delete of 2 (nothing to keep), an insert of 9
        target.execute(f"UPDATE {q('members')} SET {q('score')} = 42 WHERE {q('id')} = 1")
        target.execute(f"DELETE FROM {q('members')} WHERE {q('id')} = 2")
        target.upsert(
            SCHEMA.entity("Member"),
            pa.RecordBatch.from_pylist(
                [member_row(9, score=9.0)], schema=arrow_schema(SCHEMA.entity("Member"))
            ),
        )
        target.commit()
        incoming = [member_row(i, score=-1.0) for i in (1, 2, 3, 9)]
        cs = ChangeSet([[changes("Member", incoming, [{"id": 4}], 2)]], 1, 2)
        stats = apply_changes(target, SCHEMA, cs, rule="tw", conflict_resolution="target-wins")
        assert stats.kept == 2  # 1 (updated locally) and 9 (inserted locally)
        # rows replication wrote are "unchanged" again: the next change to 3 applies
        later = ChangeSet([[changes("Member", [member_row(3, score=-2.0)], [], 3)]], 2, 3)
        assert (
            apply_changes(target, SCHEMA, later, rule="tw", conflict_resolution="target-wins").kept
            == 0
        )
    got = read_back(db_url, "Member")
    assert sorted(got) == [(1,), (2,), (3,), (9,)]
    assert got[(1,)]["score"] == 42 and got[(9,)]["score"] == 9.0
    assert got[(2,)]["score"] == -1.0 and got[(3,)]["score"] == -2.0


def test_unknown_conflict_resolution_suggests_the_closest(sqlite_url: str) -> None:
    with pytest.raises(
        ReplicationError,
        match=r"unknown conflict_resolution 'source_wins'; "
        r"did you mean 'source-wins'\?",
    ):
        apply_changes(
            sqlite_url, SCHEMA, ChangeSet.empty(0), rule="r", conflict_resolution="source_wins"
        )


def test_timestamp_resolution_needs_an_updated_at_field(sqlite_url: str) -> None:
    create_tables(sqlite_url)
    cs = ChangeSet([[changes("Plan", [plan_row(1)])]], 0, 1)
    with pytest.raises(ReplicationError, match="entity Plan has none"):
        apply_changes(sqlite_url, SCHEMA, cs, rule="r", conflict_resolution="timestamp")


def test_locked_sqlite_target_is_a_transient_error(sqlite_url: str) -> None:
    create_tables(sqlite_url)
    blocker = sqlite3.connect(sqlite_url, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with connect_target(sqlite_url, lock_timeout=0.2) as target:
            with pytest.raises(ReplicationError) as caught:
                apply_changes(
                    target, SCHEMA, ChangeSet([[changes("Plan", [plan_row(1)])]], 0, 1), rule="r"
                )
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert caught.value.transient is True
    assert "database is locked" in str(caught.value)


def test_passwords_are_masked_in_connection_errors() -> None:
    with pytest.raises(ReplicationError) as caught:
        connect_target("postgresql://dev:s3cret@127.0.0.1:1/nowhere", lock_timeout=1)
    assert "s3cret" not in str(caught.value)
    assert "postgres postgresql://dev:***@127.0.0.1:1/nowhere" in str(caught.value)
    assert caught.value.transient is True


def test_checkpoint_rows_of_several_rules_are_independent(sqlite_url: str) -> None:
    with connect_target(sqlite_url) as target:
        from mostaframe.replication.state import ensure_state_table

        ensure_state_table(target)
        target.begin()
        write_checkpoint(target, "a", 5, snapshot_done=False)
        write_checkpoint(target, "b", 7)
        write_checkpoint(target, "b", 9)
        target.commit()
        assert read_checkpoint(target, "a") is None  # snapshot not finished
        assert read_state(target, "a").position == 5
        assert read_checkpoint(target, "b") == 9
        assert read_checkpoint(target, "c") is None


def test_unique_values_moving_between_rows_are_applied(db_url: str) -> None:
    create_tables(db_url)
    a, b = member_row(1, email="a@x.org"), member_row(2, email="b@x.org")
    apply_changes(db_url, SCHEMA, ChangeSet([[changes("Member", [a, b])]], 0, 1), rule="u")
    # the two members swap e-mails in one ChangeSet: no order of the two upserts is valid
    swapped = [member_row(1, email="b@x.org"), member_row(2, email="a@x.org")]
    stats = apply_changes(
        db_url, SCHEMA, ChangeSet([[changes("Member", swapped, [], 2)]], 1, 2), rule="u"
    )
    assert stats.by_entity["Member"]["upsert"] == 2
    assert read_back(db_url, "Member") == expected(swapped, "Member")


def test_replaying_changes_older_than_the_snapshot_converges(db_url: str) -> None:
    """After a snapshot the target is ahead of the replayed stream: member 5 became 1005 with
    the same e-mail before the snapshot read it, the stream still starts with member 5."""
    create_tables(db_url)
    moved = member_row(1005, email="e@x.org")
    apply_changes(db_url, SCHEMA, ChangeSet([[changes("Member", [moved])]], 0, 1), rule="s")
    old = member_row(5, email="e@x.org")
    first = apply_changes(
        db_url, SCHEMA, ChangeSet([[changes("Member", [old], [], 2)]], 1, 2), rule="s"
    )
    # MySQL's REPLACE removes the stale holder by itself; elsewhere apply does it
    assert first.by_entity["Member"].get("displaced", 0) == (0 if "mysql" in db_url else 1)
    apply_changes(
        db_url, SCHEMA, ChangeSet([[changes("Member", [moved], [{"id": 5}], 3)]], 2, 3), rule="s"
    )
    assert read_back(db_url, "Member") == expected([moved], "Member")


def test_hostile_text_round_trips(db_url: str) -> None:
    from helpers import HOSTILE

    create_tables(db_url)
    rows = [
        member_row(i, email=f"{text} <{i}>", tags=[text, "x"])
        for i, text in enumerate(HOSTILE, start=1)
    ]
    apply_changes(db_url, SCHEMA, ChangeSet([[changes("Member", rows)]], 0, 1), rule="h")
    apply_changes(db_url, SCHEMA, ChangeSet([[changes("Member", rows, [], 2)]], 1, 2), rule="h")
    assert read_back(db_url, "Member") == expected(rows, "Member")
