"""Trigger capture: a change-log table filled by row triggers (PostgreSQL, MySQL/MariaDB, SQLite).

What :meth:`TriggerCapture.setup` installs on the source (SQL in :mod:`.trigger_sql`):

* ``_mostaframe_changes`` — the change log (sequence, rule, entity, operation, key, row image,
  transaction id, change time) and ``_mostaframe_capture`` — one row per rule with the position
  acknowledged so far (how :meth:`check` spots a log trimmed past a checkpoint);
* per captured table, AFTER INSERT/UPDATE/DELETE row triggers named
  ``mostaframe_<rule>_<table>_…`` (PostgreSQL: one SECURITY DEFINER function, a row trigger and
  a TRUNCATE statement trigger);
* MySQL/MariaDB also BEFORE DELETE / BEFORE UPDATE triggers logging the rows foreign-key
  actions change (InnoDB fires no trigger for them, :mod:`.mysql_cascade`) and the InnoDB
  table ids every read compares (TRUNCATE fires no trigger either: it is detected).

Reads go in sequence order and never past a number whose transaction may still commit (see each
dialect's ``read``); :meth:`acknowledge` deletes the rule's rows up to the position. The row
images (JSON objects of canonical texts) become Arrow columns through the entity model
(:mod:`.convert`) with one vectorised JSON parse per batch.
"""

from __future__ import annotations

import io
from collections import Counter
from contextlib import suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.json as pa_json

from ...errors import ReplicationError
from ...schema.arrow import arrow_schema
from ..changes import ChangeSet, EntityChanges, Truncate, key_schema, last_per_key
from .base import Capture, Lag
from .convert import text_to_arrow
from .trigger_sql import LOG_TABLE, STATE_TABLE, trigger_sql_for

if TYPE_CHECKING:
    from ...schema.model import Entity, Schema

_OPERATIONS = {"I": "insert", "U": "update", "D": "delete", "T": "truncate"}


class TriggerCapture(Capture):
    """Capture through triggers writing a change-log table on the source.

    Example:
        >>> capture = TriggerCapture("app.sqlite", schema, schema.select("*"), rule="edge")  # doctest: +SKIP
        >>> start = capture.setup()  # doctest: +SKIP
    """

    method: ClassVar[str] = "triggers"
    dialects: ClassVar[tuple[str, ...]] = ("postgres", "mysql", "sqlite")
    #: seconds setup waits for writers still holding change-log numbers (re-snapshot case)
    SETUP_WAIT: ClassVar[float] = 30.0

    def __init__(self, source_uri: str, schema: Schema, entities: list[Entity], rule: str) -> None:
        super().__init__(source_uri, schema, entities, rule)
        self.sql = trigger_sql_for(self.source)
        self._connection: Any = None
        #: what the dialect's extras remember between calls (MySQL: table ids, cascade plan)
        self.dialect_state: dict[str, Any] = {}

    # --- connection -------------------------------------------------------------------------

    def _conn(self) -> Any:
        if self._connection is not None and _is_closed(self._connection):
            self.close()  # the server closed it (a restart): reconnect
        if self._connection is None:
            self._connection = self.sql.connect()
        return self._connection

    def close(self) -> None:
        """Close the connection to the source (reopened on the next call)."""
        if self._connection is not None:
            with suppress(Exception):
                self._connection.close()
        self._connection = None

    def _execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one statement; the rows it returns (none for DDL/DML)."""
        conn = self._conn()
        sql = sql.replace("%s", self.sql.param) if self.sql.param != "%s" else sql
        cursor = conn.cursor()
        try:
            cursor.execute(sql, params) if params else cursor.execute(sql)
            return list(cursor.fetchall()) if cursor.description is not None else []
        except Exception as exc:
            if _is_connection_error(exc):
                self.close()
                from ...errors import DatabaseConnectionError

                raise DatabaseConnectionError(
                    f"capture source {self.source_text}: {str(exc).strip().splitlines()[0]}"
                ) from None
            raise
        finally:
            cursor.close()

    def _transaction(self, statements: list[tuple[str, tuple]]) -> None:
        """Run statements in one transaction (DDL commits implicitly on MySQL)."""
        self._execute(self.sql.begin)
        try:
            for sql, params in statements:
                self._execute(sql, params)
        except BaseException:
            with suppress(Exception):
                self._execute("ROLLBACK")
            raise
        self._execute("COMMIT")

    def _log_exists(self) -> bool:
        conn = self._conn()
        try:
            cursor = conn.cursor()
            cursor.execute(f"SELECT 1 FROM {self.sql.state} WHERE 1 = 0")
            cursor.fetchall()
            cursor.close()
            return True
        except Exception as exc:
            if _is_connection_error(exc):
                raise
            if self.sql.failed_statement_aborts:
                with suppress(Exception):
                    conn.rollback()
            return False

    def _check_tables(self) -> None:
        for entity in self.entities:
            exists, has_key = self.sql.table_info(self._conn(), entity)
            if not exists:
                raise ReplicationError(
                    f"entity {entity.name}: table {entity.table} not found on {self.source_text}; "
                    "create it (mostaframe.ddl) or exclude the entity"
                )
            if not has_key:
                raise ReplicationError(
                    f"entity {entity.name} (table {entity.table}) has no primary key; "
                    "add one or exclude it"
                )

    def _installed_triggers(self) -> set[str]:
        return {row[0] for row in self._execute(self.sql.existing_triggers_sql())}

    # --- the Capture operations --------------------------------------------------------------

    def setup(self) -> int:
        """Create the change log and this rule's triggers (idempotent).

        Returns:
            The start position: every change after it is in the change log.

        Raises:
            ReplicationError: a table that is missing or has no primary key, or writers that
                keep the change log locked for :attr:`SETUP_WAIT` seconds.
        """
        self._check_tables()
        for statement in self.sql.create_log():
            self._execute(statement)
        already = set(self._installed_triggers())
        expected = {n for e in self.entities for n in self.sql.trigger_names(self.rule, e)}
        # read the position BEFORE (re)creating triggers: this rule's rows all come after it
        position = self.sql.current_position(self._conn())
        if already & expected:
            # triggers were live already (a re-snapshot): wait until no running transaction can
            # still commit a number <= position, else the snapshot could miss its rows
            self.sql.wait_for_writers(self._conn(), position, self.SETUP_WAIT)
        for entity in self.entities:
            for statement in self.sql.create_triggers(self.rule, entity):
                self._execute(statement)
        self.sql.install_extras(self)
        state = self._execute(
            f"SELECT acknowledged FROM {self.sql.state} WHERE rule = %s", (self.rule,)
        )
        if state:
            position = max(position, int(state[0][0]))
        else:
            self._execute(
                f"INSERT INTO {self.sql.state} (rule, acknowledged) VALUES (%s, %s)",
                (self.rule, position),
            )
        return position

    def read(self, after: int, *, max_changes: int = 100_000) -> ChangeSet:
        """Change-log rows of this rule after ``after`` (at most ``max_changes``, plus the rest of
        the last transaction on PostgreSQL), collapsed into a ChangeSet."""
        rows, bound, complete = self.sql.read(
            self, self._conn(), self.rule, after, max(1, max_changes)
        )
        # after the rows: a TRUNCATE before this read must not let them through unnoticed
        self.sql.verify_extras(self, full=False)
        changes = build_changeset(rows, self.schema, self.entities, after)
        if complete and bound > changes.end_position:
            changes.end_position = bound
        return changes

    def acknowledge(self, position: int) -> None:
        """Delete this rule's change-log rows up to ``position`` and remember the position."""
        self._transaction(
            [
                (
                    f"DELETE FROM {self.sql.log} WHERE rule = %s AND seq <= %s",
                    (self.rule, position),
                ),
                (
                    f"UPDATE {self.sql.state} SET acknowledged = %s WHERE rule = %s "
                    "AND acknowledged < %s",
                    (position, self.rule, position),
                ),
            ]
        )

    def lag(self, checkpoint: int) -> Lag:
        """Pending rows and bytes in the change log after ``checkpoint`` and the age of the
        oldest one."""
        if not self._log_exists():
            return Lag(None, None, None)
        count, size, oldest_seq = self._execute(
            "SELECT COUNT(*), SUM(LENGTH(pk) + COALESCE(LENGTH(image), 0) + "
            f"COALESCE(LENGTH(old_pk), 0)), MIN(seq) FROM {self.sql.log} "
            "WHERE rule = %s AND seq > %s",
            (self.rule, checkpoint),
        )[0]
        if not count:
            return Lag(0, 0, 0.0)
        (changed_at,) = self._execute(
            f"SELECT changed_at FROM {self.sql.log} WHERE seq = %s", (oldest_seq,)
        )[0]
        behind = (datetime.now(UTC) - _utc(changed_at)).total_seconds()
        return Lag(int(count), int(size or 0), max(0.0, behind))

    def check(self, checkpoint: int) -> None:
        """Raise when the change log or a trigger is gone, or the log was trimmed past
        ``checkpoint``."""
        if not self._log_exists():
            raise ReplicationError(
                f"the change log {LOG_TABLE} on {self.source_text} is gone: changes after "
                f"position {checkpoint} are lost; re-snapshot with rule.resync()"
            )
        state = self._execute(
            f"SELECT acknowledged FROM {self.sql.state} WHERE rule = %s", (self.rule,)
        )
        if not state:
            raise ReplicationError(
                f"rule {self.rule}: its capture on {self.source_text} was removed (no row in "
                f"{STATE_TABLE}): changes after position {checkpoint} are lost; re-snapshot with "
                "rule.resync()"
            )
        if int(state[0][0]) > checkpoint:
            raise ReplicationError(
                f"the change log of rule {self.rule} on {self.source_text} was trimmed past the "
                f"checkpoint (trimmed to {state[0][0]}, checkpoint {checkpoint}): re-snapshot "
                "with rule.resync()"
            )
        self.sql.verify_extras(self, full=True)
        installed = self._installed_triggers()
        for entity in self.entities:
            missing = [n for n in self.sql.trigger_names(self.rule, entity) if n not in installed]
            if missing:
                raise ReplicationError(
                    f"trigger {missing[0]} on table {entity.table} (entity {entity.name}) is gone "
                    f"from {self.source_text}: its changes are no longer captured; re-snapshot "
                    "with rule.resync()"
                )

    def teardown(self) -> None:
        """Drop this rule's triggers and change-log rows; drop the change log too when no
        other rule uses it."""
        for entity in self.entities:
            exists, _ = self.sql.table_info(self._conn(), entity)
            if exists:
                for statement in self.sql.drop_triggers(self.rule, entity):
                    self._execute(statement)
        if self._log_exists():
            self.sql.remove_extras(self)
            self._execute(f"DELETE FROM {self.sql.log} WHERE rule = %s", (self.rule,))
            self._execute(f"DELETE FROM {self.sql.state} WHERE rule = %s", (self.rule,))
            (others,) = self._execute(f"SELECT COUNT(*) FROM {self.sql.state}")[0]
            if not others:
                for statement in self.sql.drop_log():
                    self._execute(statement)
        self.close()


def _is_connection_error(exc: Exception) -> bool:
    # by the class hierarchy: psycopg's AdminShutdown (a restarting server) is an
    # OperationalError subclass; no driver is imported here
    families = {cls.__name__ for cls in type(exc).__mro__}
    return bool(families & {"OperationalError", "InterfaceError"}) and not any(
        word in str(exc).lower() for word in ("no such table", "doesn't exist", "does not exist")
    )


def _is_closed(connection: Any) -> bool:
    """Whether a driver connection is known to be closed (psycopg ``closed``, pymysql
    ``open``); sqlite3 connections do not close under us."""
    closed = getattr(connection, "closed", None)
    if isinstance(closed, bool):
        return closed
    is_open = getattr(connection, "open", None)
    return is_open is False


def _utc(value: Any) -> datetime:
    """A change time from the log (aware, naive UTC or SQLite text) as aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- change-log rows → ChangeSet ----------------------------------------------------------------


def _json_columns(texts: list[str], columns: list[str]) -> pa.Table:
    """Parse JSON objects of strings into one large_string column per name (vectorised)."""
    schema = pa.schema([pa.field(c, pa.large_string()) for c in columns])
    if not texts:
        return schema.empty_table()
    data = "\n".join(texts).encode()
    return pa_json.read_json(
        io.BytesIO(data),
        read_options=pa_json.ReadOptions(block_size=max(1 << 20, len(data) + 1)),
        parse_options=pa_json.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="ignore"
        ),
    ).select(columns)


def build_changeset(
    rows: list[tuple], schema: Schema, entities: list[Entity], after: int
) -> ChangeSet:
    """Change-log rows (seq, entity, op, pk, old_pk, image, changed_at, txid) in seq order →
    a collapsed ChangeSet.

    Raises:
        ReplicationError: a row of an entity the rule does not capture, or a value that does
            not convert to its entity's type.
    """
    if not rows:
        return ChangeSet.empty(after)
    by_name = {e.name: e for e in entities}
    seqs = np.array([r[0] for r in rows], dtype=np.int64)
    ops = np.array([r[2] for r in rows])
    names = np.array([r[1] for r in rows], dtype=object)
    segment_of = np.cumsum(ops == "T") - (ops == "T")  # a truncate closes its segment
    counts = dict(Counter((r[1], _OPERATIONS[r[2]]) for r in rows))
    segments: list[list[EntityChanges] | Truncate] = []
    truncates = np.flatnonzero(ops == "T")
    for s in range(len(truncates) + 1):
        in_segment = (segment_of == s) & (ops != "T")
        batch = []
        for name in dict.fromkeys(names[in_segment]):
            entity = by_name.get(name)
            if entity is None:
                raise ReplicationError(
                    f"the change log holds a change of entity {name!r}, which the rule does not "
                    "capture; re-run setup"
                )
            index = np.flatnonzero(in_segment & (names == name))
            batch.append(_entity_changes(entity, [rows[i] for i in index], seqs[index]))
        if batch:
            segments.append(batch)
        if s < len(truncates):
            t = int(truncates[s])
            segments.append(Truncate([str(names[t])], int(seqs[t])))
    times = [r[6] for r in rows]
    return ChangeSet(
        segments=_merge_truncates(segments),
        start_position=after,
        end_position=int(seqs[-1]),
        changes=len(rows),
        bytes=sum(len(r[3] or "") + len(r[4] or "") + len(r[5] or "") for r in rows),
        oldest_commit_time=_utc(times[0]),
        newest_commit_time=_utc(times[-1]),
        counts=counts,
    )


def _merge_truncates(segments: list[list[EntityChanges] | Truncate]) -> list:
    """Neighbouring truncates (one TRUNCATE of several tables fires one trigger per table)."""
    out: list = []
    for segment in segments:
        if isinstance(segment, Truncate) and out and isinstance(out[-1], Truncate):
            out[-1] = Truncate(out[-1].entities + segment.entities, segment.position)
        else:
            out.append(segment)
    return out


def _entity_changes(entity: Entity, rows: list[tuple], seqs: np.ndarray) -> EntityChanges:
    """One entity's rows of one segment → collapsed EntityChanges."""
    key_fields = entity.primary_key_fields
    key_columns = [f.column for f in key_fields]
    # change order: the delete of a changed key (ordinal 2i) before the row itself (2i + 1)
    key_texts, ordinals, is_delete, sources = [], [], [], []
    for i, row in enumerate(rows):
        op, pk, old_pk = row[2], row[3], row[4]
        if op == "U" and old_pk:
            key_texts.append(old_pk)
            ordinals.append(2 * i)
            is_delete.append(True)
            sources.append(i)
        key_texts.append(pk)
        ordinals.append(2 * i + 1)
        is_delete.append(op == "D")
        sources.append(i)
    order = np.argsort(np.array(ordinals), kind="stable")
    key_texts = [key_texts[i] for i in order]
    deleting = np.array(is_delete)[order]
    source = np.array(sources)[order]
    parsed = _json_columns(key_texts, key_columns)
    keys = {
        f.column: text_to_arrow(parsed.column(f.column).combine_chunks(), f, entity)
        for f in key_fields
    }
    survivors = last_per_key(keys, len(key_texts))
    upserts = survivors[~deleting[survivors]]
    deletes = survivors[deleting[survivors]]
    images = _json_columns([rows[source[i]][5] for i in upserts], entity.columns)
    columns = [
        text_to_arrow(images.column(f.column).combine_chunks(), f, entity) for f in entity.fields
    ]
    keys_schema = key_schema(entity)
    delete_index = pa.array(deletes, pa.int64())
    return EntityChanges(
        entity=entity.name,
        upserts=pa.RecordBatch.from_arrays(columns, schema=arrow_schema(entity)),
        upsert_positions=pa.array(seqs[source[upserts]], pa.int64()),
        deletes=pa.RecordBatch.from_arrays(
            [keys[c].take(delete_index) for c in keys_schema.names], schema=keys_schema
        ),
        delete_positions=pa.array(seqs[source[deletes]], pa.int64()),
    )


__all__ = ["TriggerCapture", "build_changeset"]
