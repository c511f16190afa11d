"""Decoded pgoutput chunk → collapsed :class:`~mostaframe.replication.changes.ChangeSet`.

Per segment (between TRUNCATEs) and entity, the row changes of the chunk are put in change
order, collapsed on their *typed* primary key (so superseded row images are never converted),
and only the surviving rows' columns are cut out of the message buffer and cast to the entity's
Arrow types, one vectorised cast per column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from ...errors import ReplicationError
from ...schema.arrow import arrow_schema
from ..changes import ChangeSet, EntityChanges, Truncate, key_schema, last_per_key
from .convert import text_to_arrow
from .pgoutput_decode import (
    _CHANGE_KINDS,
    KIND_TRUNCATE,
    OP_DELETE,
    OP_INSERT,
    OP_UPDATE,
    DecodedChunk,
    Relation,
    RowChanges,
    pg_time,
    slices_to_array,
)

if TYPE_CHECKING:
    from ...schema.model import Entity


def build_changeset(
    chunk: DecodedChunk, tables: dict[str, Entity], start_position: int | None
) -> ChangeSet:
    """Turn a decoded chunk into a collapsed :class:`ChangeSet`.

    Args:
        chunk: the decoded transactions.
        tables: ``"namespace.table" → entity`` of every captured table.
        start_position: the checkpoint the chunk was read after.

    Raises:
        ReplicationError: a change of a table the rule does not capture, a column of the entity
            missing from the source table, an UPDATE lacking an unchanged TOAST value, or a value
            that does not convert to the entity's type.
    """
    n_segments = len(chunk.truncates) + 1
    grouped: dict[tuple[int, str], list[tuple[RowChanges, np.ndarray | None]]] = {}
    entities: dict[str, Entity] = {}
    for rows in chunk.rows:
        entity = _entity_of(rows.relation, tables)
        entities[entity.name] = entity
        if n_segments == 1:
            grouped.setdefault((0, entity.name), []).append((rows, None))
            continue
        segment = chunk.message_segment[rows.message_index]
        for s in np.unique(segment):
            grouped.setdefault((int(s), entity.name), []).append(
                (rows, np.flatnonzero(segment == s))
            )
    positions = chunk.end_lsns[chunk.message_txn] if len(chunk.end_lsns) else np.zeros(0, np.int64)
    counts: dict[tuple[str, str], int] = {}
    per_segment: list[list[EntityChanges]] = [[] for _ in range(n_segments)]
    for (s, name), parts in grouped.items():
        changes, part_counts = _entity_changes(chunk, entities[name], parts, positions)
        per_segment[s].append(changes)
        for key, value in part_counts.items():
            counts[key] = counts.get(key, 0) + value
    segments: list[list[EntityChanges] | Truncate] = []
    for s in range(n_segments):
        if per_segment[s]:
            segments.append(per_segment[s])
        if s < len(chunk.truncates):
            index, relations, _, _ = chunk.truncates[s]
            names = [_entity_of(r, tables).name for r in relations]
            for name in names:
                counts[(name, "truncate")] = counts.get((name, "truncate"), 0) + 1
            segments.append(Truncate(names, int(positions[index])))
    times = chunk.commit_times
    return ChangeSet(
        segments=segments,
        start_position=start_position,
        end_position=int(chunk.end_lsns[-1]) if len(chunk.end_lsns) else (start_position or 0),
        changes=int(np.isin(chunk.messages.kinds, [*_CHANGE_KINDS, KIND_TRUNCATE]).sum()),
        bytes=chunk.messages.total_bytes,
        oldest_commit_time=pg_time(times[0]) if len(times) else None,
        newest_commit_time=pg_time(times[-1]) if len(times) else None,
        counts=counts,
    )


def _entity_of(relation: Relation, tables: dict[str, Entity]) -> Entity:
    entity = tables.get(relation.qualified_name)
    if entity is None:
        raise ReplicationError(
            f"captured a change of table {relation.qualified_name}, which no entity of the rule "
            "maps to; the publication holds tables the rule does not capture (re-run setup)"
        )
    return entity


class _Rows:
    """The row changes of one entity in one segment, concatenated and put in change order."""

    def __init__(self, entity: Entity, parts: list[tuple[RowChanges, np.ndarray | None]]):
        self.parts = parts
        self.columns: list[list[int]] = []
        for rows, _ in parts:
            try:
                self.columns.append([rows.relation.columns.index(f.column) for f in entity.fields])
            except ValueError:
                missing = [f.column for f in entity.fields if f.column not in rows.relation.columns]
                raise ReplicationError(
                    f"entity {entity.name}: column(s) {', '.join(missing)} are not in the source "
                    f"table {rows.relation.qualified_name}; update the model or re-snapshot"
                ) from None
        ordinal = self._concat(lambda r: r.ordinal)
        if len(ordinal) > 1 and (np.diff(ordinal) <= 0).any():
            self.order: np.ndarray | None = np.argsort(ordinal, kind="stable")
        else:
            self.order = None  # already in change order (a single insert-only part, typically)
        self.ordinal = self.arrange(ordinal)

    def _concat(self, get) -> np.ndarray:
        arrays = [get(rows) if pick is None else get(rows)[pick] for rows, pick in self.parts]
        return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)

    def arrange(self, values: np.ndarray, select: np.ndarray | None = None) -> np.ndarray:
        """``values`` (concatenated part order) in change order, then ``select``ed."""
        index = self.order
        if select is not None:
            index = select if index is None else index[select]
        return values if index is None else values[index]

    def field(self, get) -> np.ndarray:
        return self.arrange(self._concat(get))

    def column(self, f: int, buffer: pa.Buffer, select: np.ndarray | None) -> pa.Array:
        """Text of field ``f`` for the rows ``select``ed (change-order indexes)."""
        arrays = []
        for what in ("starts", "lengths", "valid"):
            parts = [
                getattr(rows, what)[columns[f]]
                if pick is None
                else getattr(rows, what)[columns[f]][pick]
                for (rows, pick), columns in zip(self.parts, self.columns, strict=True)
            ]
            values = parts[0] if len(parts) == 1 else np.concatenate(parts)
            arrays.append(self.arrange(values, select))
        rows, _ = self.parts[0]
        type_oid = rows.relation.type_oids[self.columns[0][f]]
        return as_text_cast(slices_to_array(buffer, *arrays), type_oid)


#: PostgreSQL types whose ``::text`` cast (what the snapshot reads) differs from their output
#: function (what pgoutput sends)
BPCHAR_OID, INET_OID = 1042, 869


def as_text_cast(values: pa.Array, type_oid: int) -> pa.Array:
    """pgoutput text → the ``::text`` form the snapshot reads, for the two types that differ:
    ``char(n)`` loses its blank padding, ``inet`` keeps its mask (``10.0.0.1`` → ``10.0.0.1/32``).
    """
    import pyarrow.compute as pc

    if type_oid == BPCHAR_OID:
        return pc.utf8_rtrim(values, characters=" ")
    if type_oid == INET_OID and len(values):
        text = pa.scalar("", values.type)
        mask = pc.if_else(
            pc.match_substring(values, "/"),
            text,
            pc.if_else(
                pc.match_substring(values, ":"),
                pa.scalar("/128", values.type),
                pa.scalar("/32", values.type),
            ),
        )
        return pc.binary_join_element_wise(values, mask, text)
    return values


def _entity_changes(
    chunk: DecodedChunk,
    entity: Entity,
    parts: list[tuple[RowChanges, np.ndarray | None]],
    positions: np.ndarray,
) -> tuple[EntityChanges, dict[tuple[str, str], int]]:
    rows = _Rows(entity, parts)
    op = rows.field(lambda r: r.op)
    is_delete = rows.field(lambda r: r.is_delete)
    primary = (rows.ordinal % 2) == 1  # the message's own row, not the delete of a changed key
    counts = {
        (entity.name, name): int(((op == code) & primary).sum())
        for code, name in ((OP_INSERT, "insert"), (OP_UPDATE, "update"), (OP_DELETE, "delete"))
    }
    counts = {k: v for k, v in counts.items() if v}
    buffer = chunk.messages.arrow_buffer
    fields = entity.fields
    key_index = [fields.index(f) for f in entity.primary_key_fields]
    keys = {
        fields[f].column: text_to_arrow(rows.column(f, buffer, None), fields[f], entity)
        for f in key_index
    }
    missing_key = [
        name
        for name, values in keys.items()
        if values.null_count and (values.is_null().to_numpy(zero_copy_only=False) & is_delete).any()
    ]
    if missing_key:
        # a removed key is a NOT NULL primary key: NULL means the old tuple did not carry it
        # (the table's REPLICA IDENTITY was changed to USING INDEX of another index after setup)
        raise ReplicationError(
            f"entity {entity.name}: a DELETE or key-changing UPDATE of table "
            f"{rows.parts[0][0].relation.qualified_name} came without its primary key "
            f"({', '.join(missing_key)}): the table's REPLICA IDENTITY does not include it; run "
            f"ALTER TABLE {entity.table} REPLICA IDENTITY FULL (the rule's setup does) and "
            "re-snapshot with rule.resync()"
        )
    n = len(rows.ordinal)
    survivors = last_per_key(keys, n) if n > 1 else np.arange(n)
    upserts = survivors[~is_delete[survivors]]
    deletes = survivors[is_delete[survivors]]
    if rows.field(lambda r: r.incomplete)[upserts].any():
        raise ReplicationError(
            f"entity {entity.name}: an UPDATE left a large (TOASTed) value unchanged and the "
            f"source sent no old image to take it from; run ALTER TABLE {entity.table} "
            "REPLICA IDENTITY FULL (the rule's setup does) and re-snapshot"
        )
    position = positions[rows.field(lambda r: r.message_index)]
    upsert_index = pa.array(upserts)
    columns = [
        keys[spec.column].take(upsert_index)
        if f in key_index
        else text_to_arrow(rows.column(f, buffer, upserts), spec, entity)
        for f, spec in enumerate(fields)
    ]
    delete_index = pa.array(deletes)
    key_schema_ = key_schema(entity)
    return (
        EntityChanges(
            entity=entity.name,
            upserts=pa.RecordBatch.from_arrays(columns, schema=arrow_schema(entity)),
            upsert_positions=pa.array(position[upserts], pa.int64()),
            deletes=pa.RecordBatch.from_arrays(
                [keys[name].take(delete_index) for name in key_schema_.names], schema=key_schema_
            ),
            delete_positions=pa.array(position[deletes], pa.int64()),
        ),
        counts,
    )


__all__ = ["build_changeset"]
