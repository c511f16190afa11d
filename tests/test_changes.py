"""The ChangeSet contract: collapsing, merging, rendering (no database needed)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest

from mostaframe.errors import ReplicationError
from mostaframe.replication.changes import (
    ChangeSet,
    EntityChanges,
    Truncate,
    collapse,
    collapse_entity,
    key_schema,
    last_per_key,
    merge,
)
from mostaframe.schema.arrow import arrow_schema
from mostaframe.schema.model import Entity, Field

ITEM = Entity(
    "Item",
    table="items",
    fields=[Field("id", "int"), Field("name", "string", required=False)],
    primary_key=["id"],
)
SLOT = Entity(
    "Slot",
    table="slots",
    fields=[
        Field("room", "string"),
        Field("day", "date"),
        Field("price", "decimal", precision=8, scale=2),
    ],
    primary_key=["room", "day"],
)


def part(
    entity: Entity, upserts=(), up_positions=(), deletes=(), del_positions=()
) -> EntityChanges:
    return EntityChanges(
        entity.name,
        pa.RecordBatch.from_pylist(list(upserts), schema=arrow_schema(entity)),
        pa.array(list(up_positions), pa.int64()),
        pa.RecordBatch.from_pylist(list(deletes), schema=key_schema(entity)),
        pa.array(list(del_positions), pa.int64()),
    )


def test_last_change_per_key_wins_and_lands_in_upserts_or_deletes() -> None:
    changes = part(
        ITEM,
        upserts=[
            {"id": 1, "name": "a"},
            {"id": 2, "name": "b"},
            {"id": 1, "name": "c"},
            {"id": 3, "name": "d"},
        ],
        up_positions=[10, 11, 14, 16],
        deletes=[{"id": 2}, {"id": 3}],
        del_positions=[13, 15],
    )
    out = collapse_entity([changes])
    assert out.upserts.to_pylist() == [{"id": 1, "name": "c"}, {"id": 3, "name": "d"}]
    assert out.upsert_positions.to_pylist() == [14, 16]
    assert out.deletes.to_pylist() == [{"id": 2}]
    assert out.delete_positions.to_pylist() == [13]
    assert out.upserts.schema.equals(arrow_schema(ITEM), check_metadata=True)
    assert out.key_columns == ["id"] and len(out) == 3 and str(out) == "Item: 2 upserts, 1 deletes"


def test_composite_keys_collapse_and_collapse_is_idempotent() -> None:
    day = dt.date(2024, 1, 1)
    changes = part(
        SLOT,
        upserts=[
            {"room": "A", "day": day, "price": Decimal("1.00")},
            {"room": "A", "day": day + dt.timedelta(1), "price": Decimal("2.00")},
            {"room": "A", "day": day, "price": Decimal("3.00")},
        ],
        up_positions=[1, 2, 3],
        deletes=[{"room": "A", "day": day + dt.timedelta(1)}],
        del_positions=[4],
    )
    once = collapse(ChangeSet([[changes]], 0, 4, changes=4))
    (segment,) = once.segments
    (slots,) = segment
    assert slots.upserts.to_pylist() == [{"room": "A", "day": day, "price": Decimal("3.00")}]
    assert slots.deletes.to_pylist() == [{"room": "A", "day": day + dt.timedelta(1)}]
    twice = collapse(once)
    assert twice.segments[0][0].upserts.equals(slots.upserts)
    assert twice.segments[0][0].deletes.equals(slots.deletes)
    assert twice.changes == 4 and twice.end_position == 4


def test_truncate_barriers_split_segments_and_neighbours_merge() -> None:
    first = part(ITEM, upserts=[{"id": 1, "name": "a"}], up_positions=[1])
    second = part(ITEM, deletes=[{"id": 1}], del_positions=[2])
    third = part(ITEM, upserts=[{"id": 1, "name": "z"}], up_positions=[4])
    cs = ChangeSet([[first], [second], Truncate(["Item"], 3), [third]], 0, 4)
    out = collapse(cs)
    assert len(out.segments) == 3
    assert out.segments[0][0].deletes.to_pylist() == [{"id": 1}]  # delete after the upsert wins
    assert out.segments[0][0].upserts.num_rows == 0
    assert str(out.segments[1]) == "TRUNCATE Item @ 3"
    assert out.segments[2][0].upserts.to_pylist() == [{"id": 1, "name": "z"}]
    assert out.entities() == ["Item"]


def test_merge_joins_consecutive_sets_and_refuses_gaps() -> None:
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    a = ChangeSet(
        [[part(ITEM, upserts=[{"id": 1, "name": "a"}], up_positions=[5])]],
        0,
        5,
        1,
        10,
        t0,
        t0,
        {("Item", "insert"): 1},
    )
    b = ChangeSet(
        [[part(ITEM, upserts=[{"id": 1, "name": "b"}], up_positions=[9])]],
        5,
        9,
        1,
        12,
        t0 + dt.timedelta(seconds=2),
        t0 + dt.timedelta(seconds=3),
        {("Item", "update"): 1},
    )
    merged = merge([a, b])
    assert merged.segments[0][0].upserts.to_pylist() == [{"id": 1, "name": "b"}]
    assert (merged.start_position, merged.end_position, merged.changes, merged.bytes) == (
        0,
        9,
        2,
        22,
    )
    assert merged.counts == {("Item", "insert"): 1, ("Item", "update"): 1}
    assert (merged.oldest_commit_time, merged.newest_commit_time) == (
        t0,
        t0 + dt.timedelta(seconds=3),
    )
    with pytest.raises(
        ReplicationError,
        match="ChangeSets are not consecutive: one ends at 9, the next starts at 5",
    ):
        merge([b, ChangeSet.empty(5)])


def test_rendering_and_empty_sets() -> None:
    empty = ChangeSet.empty(7)
    assert (
        empty.is_empty and empty.end_position == 7 and str(empty) == "ChangeSet (7, 7]: 0 changes"
    )
    cs = ChangeSet(
        [[EntityChanges.empty(ITEM)], Truncate(["Item"], 9)],
        7,
        9,
        3,
        counts={("Item", "truncate"): 1},
    )
    assert not cs.is_empty  # a truncate is something to apply
    assert cs.asdict()["segments"] == [["Item: 0 upserts, 0 deletes"], "TRUNCATE Item @ 9"]
    assert cs.asdict()["counts"] == {"Item.truncate": 1}
    assert str(cs) == "ChangeSet (7, 9]: 3 changes — Item.truncate=1"


def test_key_schema_needs_a_primary_key() -> None:
    loose = Entity("Log", table="logs", fields=[Field("line", "string")])
    with pytest.raises(
        ReplicationError,
        match=r"entity Log \(table logs\) has no primary key; add one or exclude it",
    ):
        key_schema(loose)
    with pytest.raises(ReplicationError, match="collapse_entity got several entities: Item, Slot"):
        collapse_entity([EntityChanges.empty(ITEM), EntityChanges.empty(SLOT)])


@pytest.mark.parametrize("seed", range(5))
def test_last_per_key_fast_path_agrees_with_the_hash_aggregation(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 2000)
    values = [rng.randint(0, n // 3 + 1) for _ in range(n)]
    as_int = last_per_key({"id": pa.array(values, pa.int64())}, n)
    as_text = last_per_key({"id": pa.array([str(v) for v in values])}, n)
    expected = sorted({v: i for i, v in enumerate(values)}.values())
    assert as_int.tolist() == as_text.tolist() == expected
    assert np.all(np.diff(as_int) > 0)
