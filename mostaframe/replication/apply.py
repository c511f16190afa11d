"""Apply a :class:`~mostaframe.replication.changes.ChangeSet` to a target, idempotently.

One ChangeSet = ONE target transaction holding every segment's writes AND the new checkpoint
(``_mostaframe_replication_state``). Delivery is at-least-once (after a crash the changes after the
last committed checkpoint are read again) and every write is idempotent (upsert by primary key,
delete by key, TRUNCATE as ``DELETE FROM``), so the replica ends equal to the source whatever
crashes happen and wherever.

Order inside a segment (:mod:`~mostaframe.replication.changes` already kept one change per key):

* where the target session can switch foreign-key checks off (SQLite ``foreign_keys=OFF``,
  MySQL ``foreign_key_checks=0``, PostgreSQL ``session_replication_role=replica`` — what
  PostgreSQL's own logical replication workers do), deletes go first (children first), then
  upserts (parents first): a unique value freed by a delete can be taken by an upsert;
* elsewhere (DuckDB, PostgreSQL without the privilege) upserts go first, parents first, then
  deletes, children first: every intermediate state satisfies the foreign keys.

Targets (one small class each, registered by dialect name in
:data:`~mostaframe.replication.targets.TARGETS`) live in :mod:`mostaframe.replication.targets`,
one module per database; the names below are re-exported here for existing importers.

Values take the same representation as the copy engine's sinks (SQL literal rules of
:mod:`mostaframe.sinks`), so rows written by a snapshot and by change apply are
byte-identical.

Conflict resolution (``conflict_resolution=``):

* ``source-wins`` — the source's row overwrites the target's; a source delete deletes.
* ``target-wins`` — a target row *changed locally since it was last written by replication* is
  kept (the change for it is skipped). "Changed locally" is exact: after every write the apply
  side stores a hash of the row as the target holds it in ``_mostaframe_replication_rows``
  (rule, entity, key hash, row hash); a row whose current hash differs from that marker, or that
  exists without a marker (inserted locally), was changed locally. The snapshot writes markers
  for every row it copied.
* ``timestamp`` — compares the entity's ``@updatedAt`` field (else a field named ``updatedAt``
  or ``updated_at``): an incoming row replaces the target row unless the target's value is
  newer (ties go to the source); a source delete removes the row unless the target's value is
  newer than the newest commit time of the ChangeSet (the latest the delete can have happened).
"""

from __future__ import annotations

import difflib
import hashlib
import html
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..errors import MostaframeError, ReplicationError
from .changes import ChangeSet, EntityChanges, Truncate
from .state import ensure_state_table, write_checkpoint
from .targets import (
    INDEX,
    TARGETS,
    DuckDBTarget,
    MySQLTarget,
    PostgresTarget,
    SQLiteTarget,
    Target,
    connect_target,
    replica_schema,
    unique_columns,
    with_index,
)

if TYPE_CHECKING:
    from ..schema.model import Entity, Field, Schema

# the target names are re-exported: they lived here before mostaframe.replication.targets
__all__ = [
    "CONFLICT_RESOLUTIONS",
    "INDEX",
    "TARGETS",
    "ApplyStats",
    "DuckDBTarget",
    "MySQLTarget",
    "PostgresTarget",
    "SQLiteTarget",
    "Target",
    "apply_changes",
    "check_conflict_resolution",
    "connect_target",
    "record_markers",
    "replica_schema",
    "row_markers",
    "timestamp_field",
    "unique_columns",
]

CONFLICT_RESOLUTIONS = ("source-wins", "target-wins", "timestamp")


def check_conflict_resolution(value: str) -> str:
    """``value`` if it names a conflict resolution; else a ReplicationError with the closest."""
    if value not in CONFLICT_RESOLUTIONS:
        close = difflib.get_close_matches(value, CONFLICT_RESOLUTIONS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ReplicationError(
            f"unknown conflict_resolution {value!r}{hint} "
            f"(known: {', '.join(CONFLICT_RESOLUTIONS)})"
        )
    return value


def timestamp_field(entity: Entity) -> Field:
    """The field ``timestamp`` conflict resolution compares for ``entity``.

    Raises:
        ReplicationError: the entity has no ``@updatedAt`` / ``updatedAt`` / ``updated_at`` field.
    """
    found = entity.updated_at_field
    if found is None:
        for name in ("updatedAt", "updated_at"):
            if entity.has_field(name):
                found = entity.field(name)
                break
    if found is None:
        raise ReplicationError(
            f"conflict_resolution='timestamp' needs an updatedAt field, and entity {entity.name} "
            "has none",
            hint="add an @updatedAt field to the entity, or use 'source-wins' / 'target-wins'",
        )
    return found


@dataclass
class ApplyStats:
    """What one :func:`apply_changes` call did.

    Attributes:
        rule: rule name.
        start_position / end_position: the ChangeSet's span; ``end_position`` is now the
            target's checkpoint.
        changes: row changes in the ChangeSet before collapsing.
        upserted / deleted: rows written / keys deleted (after collapsing and conflicts).
        truncated: tables emptied by TRUNCATE barriers.
        kept: target rows kept by ``target-wins`` / ``timestamp`` (their change skipped).
        by_entity: entity → ``{"upsert": n, "delete": n, "truncate": n, "kept": n}``.
        seconds: wall time of the whole call, commit included.
        cpu_seconds: CPU time of the applying thread (embedded targets do their work in it:
            this is the apply's own cost, whatever else the machine is doing).
        timings: seconds per step (``conflicts``, ``upsert``, ``delete``, ``truncate``,
            ``checkpoint``, ``commit``).
        oldest_commit_time: source commit time (UTC) of the oldest change applied.
        committed_at: when the target transaction committed (UTC).
    """

    rule: str
    start_position: int | None
    end_position: int
    changes: int = 0
    upserted: int = 0
    deleted: int = 0
    truncated: int = 0
    kept: int = 0
    by_entity: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    oldest_commit_time: datetime | None = None
    committed_at: datetime | None = None

    @property
    def seconds_behind(self) -> float | None:
        """How old the oldest change of the batch was when the target committed it: the
        worst staleness a reader of the target saw for this batch."""
        if self.oldest_commit_time is None or self.committed_at is None:
            return None
        return max(0.0, (self.committed_at - self.oldest_commit_time).total_seconds())

    @property
    def rows(self) -> int:
        """Rows written or deleted in the target."""
        return self.upserted + self.deleted

    def count(self, entity: str, operation: str, n: int) -> None:
        if n:
            entry = self.by_entity.setdefault(entity, {})
            entry[operation] = entry.get(operation, 0) + n

    def lap(self, step: str, started: float) -> None:
        self.timings[step] = self.timings.get(step, 0.0) + time.perf_counter() - started

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (times as ISO 8601 text)."""
        out = asdict(self)
        for key in ("oldest_commit_time", "committed_at"):
            out[key] = out[key].isoformat() if out[key] is not None else None
        out["seconds_behind"] = self.seconds_behind
        return out

    def __str__(self) -> str:
        rate = f", {self.changes / self.seconds:,.0f} changes/s" if self.seconds else ""
        kept = f", {self.kept:,} kept" if self.kept else ""
        return (
            f"{self.rule}: ({self.start_position}, {self.end_position}] {self.changes:,} changes "
            f"→ {self.upserted:,} upserts, {self.deleted:,} deletes, {self.truncated} truncates"
            f"{kept} in {self.seconds:.3f}s{rate}"
        )

    def _repr_html_(self) -> str:
        return f"<code>{html.escape(str(self))}</code>"


# ---------------------------------------------------------------------------------------------
# applying a ChangeSet


def apply_changes(
    target: Target | str | os.PathLike[str],
    schema: Schema,
    changeset: ChangeSet,
    *,
    rule: str,
    conflict_resolution: str = "source-wins",
) -> ApplyStats:
    """Apply ``changeset`` to ``target`` and move ``rule``'s checkpoint, in ONE transaction.

    Args:
        target: an open :class:`Target` (kept open) or a URI (opened and closed here).
        schema: the entity model the changes are of.
        changeset: collapsed changes (see :func:`~mostaframe.replication.changes.collapse`).
        rule: rule name; its checkpoint row becomes ``changeset.end_position``.
        conflict_resolution: ``source-wins``, ``target-wins`` or ``timestamp`` (module docs).

    Returns:
        What was applied, per entity and operation, with timings.

    Raises:
        ReplicationError: the target refused a write (nothing of the ChangeSet is kept: the
            transaction is rolled back); ``error.transient`` says whether retrying can help.

    Example:
        >>> stats = apply_changes("replica.sqlite", schema, changes, rule="orders")  # doctest: +SKIP
        >>> print(stats)                                                      # doctest: +SKIP
        orders: (100, 250] 150 changes → 120 upserts, 30 deletes, 0 truncates in 0.004s
    """
    check_conflict_resolution(conflict_resolution)
    owned = not isinstance(target, Target)
    connection = connect_target(target) if owned else target
    stats = ApplyStats(
        rule,
        changeset.start_position,
        changeset.end_position,
        changes=changeset.changes,
        oldest_commit_time=changeset.oldest_commit_time,
    )
    started, cpu = time.perf_counter(), time.thread_time()
    try:
        try:
            stats = _apply_once(connection, schema, changeset, rule, conflict_resolution, False)
        except _UniqueConflict:
            # a unique value moved between rows: apply again, removing stale holders first
            stats = _apply_once(connection, schema, changeset, rule, conflict_resolution, True)
    finally:
        if owned:
            connection.close()
    stats.seconds = time.perf_counter() - started
    stats.cpu_seconds = time.thread_time() - cpu
    return stats


class _UniqueConflict(Exception):
    """A UNIQUE constraint refused an upsert (the transaction was rolled back)."""


def _apply_once(
    connection: Target,
    schema: Schema,
    changeset: ChangeSet,
    rule: str,
    conflict_resolution: str,
    displace: bool,
) -> ApplyStats:
    stats = ApplyStats(
        rule,
        changeset.start_position,
        changeset.end_position,
        changes=changeset.changes,
        oldest_commit_time=changeset.oldest_commit_time,
    )
    context = _Context(connection, schema, rule, conflict_resolution, changeset, stats)
    context.displace = displace
    try:
        ensure_state_table(connection)
        context.step = "begin"
        connection.begin()
        for segment in changeset.segments:
            if isinstance(segment, Truncate):
                context.truncate(segment)
            else:
                context.segment(segment)
        context.step, context.entity = "checkpoint", None
        lap = time.perf_counter()
        write_checkpoint(connection, rule, changeset.end_position)
        stats.lap("checkpoint", lap)
        context.step = "commit"
        lap = time.perf_counter()
        connection.commit()
        stats.committed_at = datetime.now(UTC)
        stats.lap("commit", lap)
    except BaseException as exc:
        connection.rollback()
        if isinstance(exc, MostaframeError) or not isinstance(exc, Exception):
            raise
        if not displace and context.step == "upsert" and connection.is_unique_violation(exc):
            raise _UniqueConflict from exc
        raise connection.error(context.step, exc, context.entity) from exc
    return stats


def _without(batch: pa.RecordBatch, rows: set[int]) -> pa.RecordBatch:
    if not rows:
        return batch
    keep = pa.array([i not in rows for i in range(batch.num_rows)], pa.bool_())
    return batch.filter(keep)


def _digest(values: tuple) -> str:
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


def row_markers(entity: Entity, rows: list[tuple]) -> list[tuple[str, str]]:
    """``(row_key, row_hash)`` of target rows read back in entity column order.

    Both hashes are taken over the values exactly as the target's driver returns them, so a row
    hashes the same every time it is read until somebody changes it.
    """
    key_positions = [entity.columns.index(entity.field(n).column) for n in entity.primary_key]
    return [(_digest(tuple(row[i] for i in key_positions)), _digest(row)) for row in rows]


class _Context:
    """The state of one apply_changes call (so that errors can name step and entity)."""

    def __init__(
        self,
        target: Target,
        schema: Schema,
        rule: str,
        mode: str,
        changeset: ChangeSet,
        stats: ApplyStats,
    ) -> None:
        self.target = target
        self.schema = schema
        self.rule = rule
        self.mode = mode
        self.changeset = changeset
        self.stats = stats
        self.step = "apply"
        self.entity: Entity | None = None
        self.displace = False

    def truncate(self, barrier: Truncate) -> None:
        from .state import delete_markers

        lap = time.perf_counter()
        entities = [self.schema.entity(name) for name in barrier.entities]
        ordered, _ = self.schema.dependency_order(entities)
        self.step = "truncate"
        for entity in reversed(ordered):
            self.entity = entity
            self.target.clear(entity)
            if self.mode == "target-wins":
                delete_markers(self.target, self.rule, entity.name)
            self.stats.truncated += 1
            self.stats.count(entity.name, "truncate", 1)
        self.stats.lap("truncate", lap)

    def segment(self, segment: list[EntityChanges]) -> None:
        by_name = {changes.entity: changes for changes in segment if len(changes)}
        entities = [self.schema.entity(name) for name in by_name]
        ordered, _ = self.schema.dependency_order(entities)
        plan: dict[str, tuple[pa.RecordBatch, pa.RecordBatch]] = {}
        markers: dict[str, list[str]] = {}
        lap = time.perf_counter()
        self.step = "conflict resolution"
        for entity in ordered:
            self.entity = entity
            changes = by_name[entity.name]
            upserts, deletes = changes.upserts, changes.deletes
            if self.mode == "timestamp":
                upserts, deletes = self._newer_in_target(entity, upserts, deletes)
            elif self.mode == "target-wins":
                upserts, deletes, markers[entity.name] = self._changed_in_target(
                    entity, upserts, deletes
                )
            plan[entity.name] = (upserts, deletes)
        if self.mode != "source-wins":
            self.stats.lap("conflicts", lap)

        def deletes() -> None:
            self.step = "delete"
            lap = time.perf_counter()
            for entity in reversed(ordered):
                keys = plan[entity.name][1]
                if keys.num_rows:
                    self.entity = entity
                    self.target.delete(entity, keys)
                    self.stats.deleted += keys.num_rows
                    self.stats.count(entity.name, "delete", keys.num_rows)
            self.stats.lap("delete", lap)

        def upserts() -> None:
            self.step = "upsert"
            lap = time.perf_counter()
            for entity in ordered:
                rows = plan[entity.name][0]
                if rows.num_rows:
                    self.entity = entity
                    if self.displace:
                        displaced = self.target.displace(entity, rows)
                        self.stats.count(entity.name, "displaced", displaced)
                    self.target.upsert(entity, rows)
                    self.target.advance_sequences(entity, rows)
                    self.stats.upserted += rows.num_rows
                    self.stats.count(entity.name, "upsert", rows.num_rows)
            self.stats.lap("upsert", lap)

        if self.target.fk_checks_off:
            deletes()
            upserts()
        else:
            upserts()
            deletes()
        if self.mode == "target-wins":
            self.step = "row markers"
            lap = time.perf_counter()
            for entity in ordered:
                self.entity = entity
                self._mark(entity, plan[entity.name][0], markers[entity.name])
            self.stats.lap("markers", lap)

    def _keep(self, entity: Entity, kept: int) -> None:
        self.stats.kept += kept
        self.stats.count(entity.name, "kept", kept)

    def _newer_in_target(
        self, entity: Entity, upserts: pa.RecordBatch, deletes: pa.RecordBatch
    ) -> tuple[pa.RecordBatch, pa.RecordBatch]:
        """Drop the changes whose target row has a newer updatedAt (ties go to the source)."""
        from ..schema.arrow import arrow_type

        stamp = timestamp_field(entity)
        column = stamp.column
        keys = self.target.key_columns(entity)
        q = self.target.quote
        condition = f"t.{q(column)} > s.{q(column)}"
        if upserts.num_rows:
            staged = with_index(upserts.select([*keys, column] if column not in keys else keys))
            newer = {row[0] for row in self.target.matching_rows(entity, staged, [], condition)}
            upserts = _without(upserts, newer)
            self._keep(entity, len(newer))
        newest = self.changeset.newest_commit_time
        if deletes.num_rows and newest is not None and stamp.kind == "datetime":
            typ = arrow_type(stamp)
            moment = newest if typ.tz else newest.replace(tzinfo=None)
            values = pa.array([moment] * deletes.num_rows, typ)
            staged = with_index(deletes.append_column(column, values))
            newer = {row[0] for row in self.target.matching_rows(entity, staged, [], condition)}
            deletes = _without(deletes, newer)
            self._keep(entity, len(newer))
        return upserts, deletes

    def _changed_in_target(
        self, entity: Entity, upserts: pa.RecordBatch, deletes: pa.RecordBatch
    ) -> tuple[pa.RecordBatch, pa.RecordBatch, list[str]]:
        """Drop the changes whose target row was changed locally (see the module docs).

        Returns the remaining upserts and deletes, and the row keys of deleted rows whose
        markers must go.
        """
        from .state import read_markers

        keys = self.target.key_columns(entity)
        n_up = upserts.num_rows
        staged = (
            pa.concat_batches([with_index(upserts.select(keys)), with_index(deletes, start=n_up)])
            if n_up and deletes.num_rows
            else (with_index(upserts.select(keys)) if n_up else with_index(deletes))
        )
        found = self.target.matching_rows(entity, staged, entity.columns)
        current = dict(
            zip(
                (row[0] for row in found),
                row_markers(entity, [row[1:] for row in found]),
                strict=True,
            )
        )
        stored = read_markers(self.target, self.rule, entity.name, [k for k, _ in current.values()])
        changed = {i for i, (key, digest) in current.items() if stored.get(key) != digest}
        upserts = _without(upserts, {i for i in changed if i < n_up})
        deletes = _without(deletes, {i - n_up for i in changed if i >= n_up})
        gone = [current[i][0] for i in current if i >= n_up and i not in changed]
        self._keep(entity, len(changed))
        return upserts, deletes, gone

    def _mark(self, entity: Entity, upserted: pa.RecordBatch, deleted_keys: list[str]) -> None:
        """Store the row markers of what replication just wrote (and drop deleted ones)."""
        from .state import delete_markers, write_markers

        if deleted_keys:
            delete_markers(self.target, self.rule, entity.name, deleted_keys)
        if upserted.num_rows:
            staged = with_index(upserted.select(self.target.key_columns(entity)))
            rows = [row[1:] for row in self.target.matching_rows(entity, staged, entity.columns)]
            write_markers(self.target, self.rule, entity.name, row_markers(entity, rows))


def record_markers(target: Target, schema: Schema, entities: list[Entity], rule: str) -> int:
    """Store row markers for every row of ``entities`` (after a snapshot, for ``target-wins``).

    Returns the number of rows marked. Commits.
    """
    from .state import delete_markers, write_markers

    marked = 0
    try:
        target.begin()
        for entity in entities:
            delete_markers(target, rule, entity.name)
            for rows in target.scan(entity):
                write_markers(target, rule, entity.name, row_markers(entity, rows))
                marked += len(rows)
        target.commit()
    except BaseException as exc:
        target.rollback()
        if isinstance(exc, MostaframeError) or not isinstance(exc, Exception):
            raise
        raise target.error("recording row markers", exc) from exc
    return marked
