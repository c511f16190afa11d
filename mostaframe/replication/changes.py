"""Captured changes as Arrow data: the contract between capture and apply.

A capture method (:mod:`mostaframe.replication.capture`) reads the source's changes after a
checkpoint and returns a :class:`ChangeSet`; the apply side writes it to the target in one
transaction together with :attr:`ChangeSet.end_position` as the new checkpoint.

Positions are Python ints that only grow: a PostgreSQL LSN (``(lsn - '0/0')::numeric``) for
logical decoding, the change-log sequence number for trigger capture. A change's position is the
position that must be acknowledged for it to be consumed (for logical decoding: the end LSN of
its transaction's commit record, shared by every change of that transaction).

A ChangeSet is split into *segments* at TRUNCATE barriers::

    segments = [[EntityChanges(A), EntityChanges(B)], Truncate(["B"]), [EntityChanges(B)]]

Inside a segment the changes are *collapsed* (:func:`collapse`): per entity, only the last change
of each primary key survives, as a full row image in ``upserts`` or a key in ``deletes``. Applying
a segment is therefore order-free within an entity; across entities apply upserts parents first
(:meth:`~mostaframe.schema.model.Schema.dependency_order`) and deletes children first.

Example:
    >>> cs = ChangeSet.empty(42)
    >>> cs.is_empty, cs.end_position
    (True, 42)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..errors import ReplicationError

if TYPE_CHECKING:
    from ..schema.model import Entity

#: operation names used in :attr:`ChangeSet.counts`
OPERATIONS = ("insert", "update", "delete", "truncate")


def key_schema(entity: Entity) -> pa.Schema:
    """Arrow schema of ``entity``'s primary-key columns (the shape of ``EntityChanges.deletes``).

    Raises:
        ReplicationError: the entity has no primary key (change capture needs one).
    """
    from ..schema.arrow import arrow_schema

    if not entity.primary_key:
        raise ReplicationError(
            f"entity {entity.name} (table {entity.table}) has no primary key; "
            "add one or exclude it from the rule"
        )
    full = arrow_schema(entity)
    columns = [entity.field(name).column for name in entity.primary_key]
    return pa.schema([full.field(c) for c in columns], metadata=full.metadata)


@dataclass
class EntityChanges:
    """The collapsed changes of one entity inside one segment.

    An UPDATE that changes the primary key is a delete of the old key plus an upsert of the new
    row. An UPDATE whose new image lacks unchanged TOASTed columns is completed from the old image
    (REPLICA IDENTITY FULL) before it gets here: rows are never missing columns.

    Attributes:
        entity: entity name (model name).
        upserts: full row images; schema == ``arrow_schema(entity)``; ordered by position.
        upsert_positions: int64, position of each upsert row.
        deletes: primary-key columns only (the old key), same Arrow types as in
            ``arrow_schema(entity)``; ordered by position.
        delete_positions: int64, position of each delete row.
    """

    entity: str
    upserts: pa.RecordBatch
    upsert_positions: pa.Array
    deletes: pa.RecordBatch
    delete_positions: pa.Array

    @classmethod
    def empty(cls, entity: Entity) -> EntityChanges:
        """No changes for ``entity`` (batches with the right schemas and zero rows)."""
        from ..schema.arrow import arrow_schema

        return cls(
            entity=entity.name,
            upserts=pa.RecordBatch.from_pylist([], schema=arrow_schema(entity)),
            upsert_positions=pa.array([], pa.int64()),
            deletes=pa.RecordBatch.from_pylist([], schema=key_schema(entity)),
            delete_positions=pa.array([], pa.int64()),
        )

    @property
    def key_columns(self) -> list[str]:
        """Primary-key column names (the columns of ``deletes``)."""
        return list(self.deletes.schema.names)

    def __len__(self) -> int:
        return self.upserts.num_rows + self.deletes.num_rows

    def __str__(self) -> str:
        return f"{self.entity}: {self.upserts.num_rows} upserts, {self.deletes.num_rows} deletes"


@dataclass
class Truncate:
    """A TRUNCATE barrier: every row of ``entities`` is removed at ``position``.

    Attributes:
        entities: entity names truncated together (one TRUNCATE statement).
        position: position of the transaction holding the TRUNCATE.
    """

    entities: list[str]
    position: int

    def __str__(self) -> str:
        return f"TRUNCATE {', '.join(self.entities)} @ {self.position}"


Segment = list[EntityChanges] | Truncate


@dataclass
class ChangeSet:
    """Changes read from a source after a checkpoint, whole transactions only, in commit order.

    Attributes:
        segments: lists of collapsed :class:`EntityChanges` split at :class:`Truncate` barriers.
        start_position: the checkpoint read from (exclusive lower bound), or None when unknown.
        end_position: position to store as the new checkpoint once everything here is applied
            (equals the start position when nothing was read).
        changes: row changes read, before collapsing.
        bytes: bytes of change data read from the source.
        oldest_commit_time: commit time (UTC) of the oldest change in the set.
        newest_commit_time: commit time (UTC) of the newest change in the set.
        counts: ``(entity, "insert"|"update"|"delete"|"truncate") → count`` before collapsing.
    """

    segments: list[Segment]
    start_position: int | None
    end_position: int
    changes: int = 0
    bytes: int = 0
    oldest_commit_time: datetime | None = None
    newest_commit_time: datetime | None = None
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def empty(cls, position: int) -> ChangeSet:
        """A ChangeSet with nothing in it, ending where it starts."""
        return cls(segments=[], start_position=position, end_position=position)

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to apply (the checkpoint may still move)."""
        return not any(isinstance(s, Truncate) or any(len(c) for c in s) for s in self.segments)

    def entities(self) -> list[str]:
        """Names of the entities this set touches, in first-seen order."""
        seen: dict[str, None] = {}
        for segment in self.segments:
            names = (
                segment.entities if isinstance(segment, Truncate) else [c.entity for c in segment]
            )
            seen.update(dict.fromkeys(names))
        return list(seen)

    def asdict(self) -> dict[str, Any]:
        """JSON-ready summary (no row data)."""
        return {
            "start_position": self.start_position,
            "end_position": self.end_position,
            "changes": self.changes,
            "bytes": self.bytes,
            "oldest_commit_time": _iso(self.oldest_commit_time),
            "newest_commit_time": _iso(self.newest_commit_time),
            "counts": {f"{entity}.{op}": n for (entity, op), n in sorted(self.counts.items())},
            "segments": [
                str(s) if isinstance(s, Truncate) else [str(c) for c in s] for s in self.segments
            ],
        }

    def __str__(self) -> str:
        span = f"({self.start_position}, {self.end_position}]"
        parts = ", ".join(f"{entity}.{op}={n}" for (entity, op), n in sorted(self.counts.items()))
        return f"ChangeSet {span}: {self.changes} changes{' — ' + parts if parts else ''}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def collapse_entity(changes: list[EntityChanges]) -> EntityChanges:
    """Collapse changes of ONE entity (in order) to the last change per primary key.

    Rows are ordered by position; at equal positions the order of ``changes`` and, inside one
    :class:`EntityChanges`, upserts before deletes is kept (captures emit collapsed sets, so a
    key never appears twice at one position unless the caller merged sets out of order).

    Args:
        changes: EntityChanges of the same entity, oldest first.

    Returns:
        One EntityChanges in which each key appears at most once.

    Raises:
        ReplicationError: the parts belong to different entities or have different schemas.
    """
    if not changes:
        raise ReplicationError("collapse_entity needs at least one EntityChanges")
    first = changes[0]
    if any(c.entity != first.entity for c in changes):
        names = sorted({c.entity for c in changes})
        raise ReplicationError(f"collapse_entity got several entities: {', '.join(names)}")
    keys = first.key_columns
    upserts = pa.Table.from_batches([c.upserts for c in changes], schema=first.upserts.schema)
    deletes = pa.Table.from_batches([c.deletes for c in changes], schema=first.deletes.schema)
    n_up = upserts.num_rows
    positions = np.concatenate(
        [_int64(c.upsert_positions) for c in changes]
        + [_int64(c.delete_positions) for c in changes]
    )
    # input sequence: part by part, its upserts then its deletes; rows in [upserts…, deletes…]
    sequence = np.empty(len(positions), dtype=np.int64)
    up_at, del_at, rank = 0, n_up, 0
    for c in changes:
        u, d = c.upserts.num_rows, c.deletes.num_rows
        sequence[up_at : up_at + u] = np.arange(rank, rank + u)
        sequence[del_at : del_at + d] = np.arange(rank + u, rank + u + d)
        up_at, del_at, rank = up_at + u, del_at + d, rank + u + d
    order = np.lexsort((sequence, positions))  # change order: position, then input sequence
    take = pa.array(order)
    key_values = {
        k: pa.concat_arrays([upserts[k].combine_chunks(), deletes[k].combine_chunks()]).take(take)
        for k in keys
    }
    rows = order[last_per_key(key_values, len(order))] if len(order) else order
    up_rows, del_rows = rows[rows < n_up], rows[rows >= n_up] - n_up
    return EntityChanges(
        entity=first.entity,
        upserts=_one_batch(upserts.take(pa.array(up_rows, pa.int64()))),
        upsert_positions=pa.array(positions[up_rows], pa.int64()),
        deletes=_one_batch(deletes.take(pa.array(del_rows, pa.int64()))),
        delete_positions=pa.array(positions[n_up + del_rows], pa.int64()),
    )


def _int64(values: pa.Array) -> np.ndarray:
    return np.asarray(values.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _one_batch(table: pa.Table) -> pa.RecordBatch:
    batches = table.combine_chunks().to_batches()
    if not batches:
        return pa.RecordBatch.from_pylist([], schema=table.schema)
    return batches[0]


def last_per_key(keys: dict[str, pa.Array], n: int) -> np.ndarray:
    """Indexes (ascending) of the last row of each key among ``n`` rows in change order.

    Args:
        keys: primary-key column name → typed values, one per row, rows in change order.
        n: number of rows.
    """
    if len(keys) == 1:
        (only,) = keys.values()
        if pa.types.is_integer(only.type) and only.null_count == 0:
            # one integer key (the usual case): a stable sort beats a hash aggregation
            values = only.to_numpy()
            order = np.argsort(values, kind="stable")
            ordered = values[order]
            last = np.ones(n, dtype=bool)
            last[:-1] = ordered[1:] != ordered[:-1]
            return np.sort(order[last])
    table = pa.table({**keys, "__row": pa.array(np.arange(n))})
    # ordered (single-threaded) hash aggregation keeps input order: "last" is the latest change
    grouped = table.group_by(list(keys), use_threads=False).aggregate([("__row", "last")])
    return np.sort(grouped["__row_last"].to_numpy())


def collapse_segment(segment: list[EntityChanges]) -> list[EntityChanges]:
    """Collapse a segment: one :class:`EntityChanges` per entity (first-seen order)."""
    by_entity: dict[str, list[EntityChanges]] = {}
    for changes in segment:
        by_entity.setdefault(changes.entity, []).append(changes)
    return [collapse_entity(parts) for parts in by_entity.values()]


def collapse(changes: ChangeSet) -> ChangeSet:
    """Collapse every segment of ``changes``: the last change per primary key survives.

    Idempotent: collapsing a collapsed set changes nothing. Neighbouring segments (no TRUNCATE
    in between) are merged first. Counts, positions and times are kept.
    """
    segments: list[Segment] = []
    for segment in changes.segments:
        if isinstance(segment, Truncate):
            segments.append(segment)
        elif segments and not isinstance(segments[-1], Truncate):
            segments[-1] = list(segments[-1]) + list(segment)
        else:
            segments.append(list(segment))
    collapsed: list[Segment] = [
        s if isinstance(s, Truncate) else collapse_segment(s) for s in segments
    ]
    return ChangeSet(
        segments=collapsed,
        start_position=changes.start_position,
        end_position=changes.end_position,
        changes=changes.changes,
        bytes=changes.bytes,
        oldest_commit_time=changes.oldest_commit_time,
        newest_commit_time=changes.newest_commit_time,
        counts=dict(changes.counts),
    )


def merge(changesets: list[ChangeSet]) -> ChangeSet:
    """Join consecutive ChangeSets (oldest first) into one collapsed set.

    Lets the apply side batch several reads into one target transaction.

    Raises:
        ReplicationError: the sets are not consecutive (a set starts before the previous ends).
    """
    if not changesets:
        raise ReplicationError("merge needs at least one ChangeSet")
    for before, after in itertools.pairwise(changesets):
        if after.start_position is not None and after.start_position < before.end_position:
            raise ReplicationError(
                f"ChangeSets are not consecutive: one ends at {before.end_position}, "
                f"the next starts at {after.start_position}"
            )
    counts: dict[tuple[str, str], int] = {}
    for cs in changesets:
        for key, n in cs.counts.items():
            counts[key] = counts.get(key, 0) + n
    olds = [c.oldest_commit_time for c in changesets if c.oldest_commit_time is not None]
    news = [c.newest_commit_time for c in changesets if c.newest_commit_time is not None]
    return collapse(
        ChangeSet(
            segments=[s for cs in changesets for s in cs.segments],
            start_position=changesets[0].start_position,
            end_position=changesets[-1].end_position,
            changes=sum(c.changes for c in changesets),
            bytes=sum(c.bytes for c in changesets),
            oldest_commit_time=min(olds) if olds else None,
            newest_commit_time=max(news) if news else None,
            counts=counts,
        )
    )


__all__ = [
    "OPERATIONS",
    "ChangeSet",
    "EntityChanges",
    "Segment",
    "Truncate",
    "collapse",
    "collapse_entity",
    "collapse_segment",
    "key_schema",
    "last_per_key",
    "merge",
]
