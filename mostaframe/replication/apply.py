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

Targets (one small class each, registered by dialect name in :data:`TARGETS`):

==========  ===================================================================================
dialect     how rows are written
==========  ===================================================================================
sqlite      ``executemany`` of ``INSERT … ON CONFLICT (pk) DO UPDATE`` / ``DELETE … WHERE pk=?``
postgres    COPY (text format, the PostgreSQL sink's encoding) into a temporary table, then
            ``INSERT … SELECT … ON CONFLICT`` / ``DELETE USING``
mysql       multi-row ``REPLACE`` literals (vectorised text); ``DELETE … JOIN`` a temp table
duckdb      the Arrow batch registered as a view, ``INSERT … ON CONFLICT`` / ``DELETE … USING``
==========  ===================================================================================

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
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from ..errors import MostaframeError, ReplicationError
from ..secrets import mask_text, mask_uri, parse_uri
from .changes import ChangeSet, EntityChanges, Truncate
from .state import ensure_state_table, write_checkpoint

if TYPE_CHECKING:
    from ..schema.model import Entity, Field, Schema

CONFLICT_RESOLUTIONS = ("source-wins", "target-wins", "timestamp")
#: name of the row-index column added to staged batches (maps result rows back to the batch)
INDEX = "__mf_row"


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


def unique_columns(entity: Entity) -> list[list[str]]:
    """Column groups of the entity's UNIQUE constraints other than the primary key."""
    keys = [entity.field(name).column for name in entity.primary_key]
    groups = [[f.column] for f in entity.fields if f.unique]
    groups += [
        [entity.field(n).column for n in index.fields] for index in entity.indexes if index.unique
    ]
    return [group for group in groups if sorted(group) != sorted(keys)]


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
# targets


class Target(ABC):
    """An open connection to a replication target, with the writes apply needs.

    Subclasses hold what differs per database; :func:`apply_changes` only calls these methods.

    Attributes:
        dialect: registry name.
        placeholder: the driver's parameter marker.
        exclusive_file: the database file cannot be opened by anyone else while this connection
            is open (DuckDB): callers close the target between passes.
        foreign_keys: replica tables are created with their foreign keys (see
            :func:`replica_schema`).
        fk_checks_off: foreign-key checks are off for this session (changes the apply order).
        description: ``"<dialect> <uri>"`` with the password masked.
    """

    dialect: ClassVar[str]
    placeholder: ClassVar[str] = "?"
    exclusive_file: ClassVar[bool] = False
    foreign_keys: ClassVar[bool] = True

    def __init__(self, uri: str | os.PathLike[str], *, lock_timeout: float = 5.0) -> None:
        self.uri = parse_uri(uri)
        self.description = f"{self.dialect} {mask_uri(self.uri.raw)}"
        self.lock_timeout = lock_timeout
        self._state_ready = False
        self._staged = 0
        from ..dialects import get_dialect

        self.sql_dialect = get_dialect(self.dialect)
        try:
            self.connection = self._connect()
            self.fk_checks_off = self._foreign_key_checks_off()
        except MostaframeError:
            raise
        except Exception as exc:
            raise self.error("connect", exc) from exc

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------

    @abstractmethod
    def _connect(self) -> Any: ...

    def _foreign_key_checks_off(self) -> bool:
        return False

    def quote(self, identifier: str) -> str:
        return self.sql_dialect.quote(identifier)

    def table(self, entity: Entity) -> str:
        """Quoted (schema-qualified where the dialect has schemas) table name."""
        if entity.db_schema and self.sql_dialect.supports_schemas:
            return f"{self.quote(entity.db_schema)}.{self.quote(entity.table)}"
        return self.quote(entity.table)

    def execute(self, sql: str | bytes, params: Sequence[Any] = ()) -> int:
        cursor = self.connection.cursor()
        try:
            if params:
                cursor.execute(sql, params)
            else:
                # no parameters: the driver must not read '%' in literals as placeholders
                cursor.execute(sql)
            return cursor.rowcount
        finally:
            cursor.close()

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        if rows:
            cursor = self.connection.cursor()
            try:
                cursor.executemany(sql, rows)
            finally:
                cursor.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def begin(self) -> None:  # noqa: B027 - optional hook
        """Start the apply transaction (drivers that begin implicitly need nothing)."""

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        try:
            self.connection.rollback()
        except Exception:  # the connection may be gone: the server rolls back by itself
            pass

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:
            pass

    def is_transient(self, error: BaseException) -> bool:
        """Whether retrying later can help (lock, lost connection, serialization failure)."""
        text = str(error).lower()
        return any(word in text for word in ("locked", "busy", "timeout", "connection", "deadlock"))

    def is_unique_violation(self, error: BaseException) -> bool:
        """Whether ``error`` is a UNIQUE constraint (other than the primary key) refusing a row."""
        text = str(error).lower()
        return "unique" in text or "duplicate" in text

    def error(
        self, step: str, error: BaseException, entity: Entity | None = None
    ) -> ReplicationError:
        """A ReplicationError naming target, step and entity; ``transient`` set when a retry can
        help."""
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        where = f", entity {entity.name} (table {entity.table})" if entity is not None else ""
        wrapped = ReplicationError(
            f"{self.description}{where}: {step} failed: {type(error).__name__}: {mask_text(first)}"
        )
        wrapped.transient = self.is_transient(error)
        return wrapped

    # -- SQL pieces ------------------------------------------------------------------------

    def key_columns(self, entity: Entity) -> list[str]:
        return [entity.field(name).column for name in entity.primary_key]

    def join_on(self, entity: Entity, left: str, right: str) -> str:
        return " AND ".join(
            f"{left}.{self.quote(c)} = {right}.{self.quote(c)}" for c in self.key_columns(entity)
        )

    def stage_name(self) -> str:
        self._staged += 1
        return f"_mf_stage_{self._staged}"

    def upsert_sql(self, entity: Entity, columns: list[str], source: str) -> str:
        """``INSERT INTO t (cols) <source> ON CONFLICT (pk) DO UPDATE SET …``."""
        keys = self.key_columns(entity)
        cols = ", ".join(self.quote(c) for c in columns)
        rest = [c for c in columns if c not in keys]
        if rest:
            sets = ", ".join(f"{self.quote(c)} = excluded.{self.quote(c)}" for c in rest)
            action = f"DO UPDATE SET {sets}"
        else:
            action = "DO NOTHING"
        conflict = ", ".join(self.quote(c) for c in keys)
        return (
            f"INSERT INTO {self.table(entity)} ({cols}) {source} ON CONFLICT ({conflict}) {action}"
        )

    # -- data (per database) ---------------------------------------------------------------

    @abstractmethod
    def stage(self, entity: Entity, batch: pa.RecordBatch) -> str:
        """Load ``batch`` (some of the entity's columns, plus :data:`INDEX`) into a temporary
        table of this transaction; return its quoted name."""

    def unstage(self, name: str) -> None:
        self.execute(f"DROP TABLE IF EXISTS {name}")

    def upsert(self, entity: Entity, rows: pa.RecordBatch) -> None:
        """Insert or replace ``rows`` (full images) by primary key."""
        name = self.stage(entity, rows)
        cols = ", ".join(self.quote(c) for c in rows.schema.names)
        self.execute(self.upsert_sql(entity, rows.schema.names, f"SELECT {cols} FROM {name}"))
        self.unstage(name)

    def delete(self, entity: Entity, keys: pa.RecordBatch) -> None:
        """Delete the rows whose primary key is in ``keys``."""
        name = self.stage(entity, keys)
        self.execute(
            f"DELETE FROM {self.table(entity)} WHERE EXISTS (SELECT 1 FROM {name} s "
            f"WHERE {self.join_on(entity, 's', self.table(entity))})"
        )
        self.unstage(name)

    def displace(self, entity: Entity, rows: pa.RecordBatch) -> int:
        """Delete target rows holding a unique value of ``rows`` under another primary key.

        Such a row is stale: the source cannot hold one value under two keys at the position
        ``rows`` describe, so the row's own change (an update or a delete, in this ChangeSet or
        a later one when the target is ahead after a snapshot) is still to come and will write
        it again if it still exists. Returns the rows deleted.
        """
        uniques = unique_columns(entity)
        if not uniques:
            return 0
        keys = self.key_columns(entity)
        wanted = list(dict.fromkeys([*keys, *(c for group in uniques for c in group)]))
        name = self.stage(entity, _with_index(rows.select(wanted)))
        table = self.table(entity)
        q = self.quote
        same_key = " AND ".join(f"s.{q(c)} = {table}.{q(c)}" for c in keys)
        deleted = 0
        for group in uniques:
            same_value = " AND ".join(f"s.{q(c)} = {table}.{q(c)}" for c in group)
            count = self.execute(
                f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {name} s "
                f"WHERE {same_value} AND NOT ({same_key}))"
            )
            deleted += max(count, 0)
        self.unstage(name)
        return deleted

    def clear(self, entity: Entity) -> None:
        """Remove every row (a TRUNCATE barrier). DELETE, not TRUNCATE: TRUNCATE is not
        transactional everywhere (MySQL commits) and refuses referenced tables (PostgreSQL)."""
        self.execute(f"DELETE FROM {self.table(entity)}")

    def matching_rows(
        self, entity: Entity, batch: pa.RecordBatch, columns: list[str], condition: str = ""
    ) -> list[tuple]:
        """``(row index, *columns)`` of target rows whose key is in ``batch`` (and that satisfy
        ``condition``, written with ``t`` for the target and ``s`` for the staged batch)."""
        name = self.stage(entity, batch)
        cols = ", ".join(f"t.{self.quote(c)}" for c in columns)
        sql = (
            f"SELECT s.{self.quote(INDEX)}{', ' + cols if cols else ''} FROM {name} s "
            f"JOIN {self.table(entity)} t ON {self.join_on(entity, 't', 's')}"
        )
        if condition:
            sql += f" WHERE {condition}"
        rows = self.query(sql)
        self.unstage(name)
        return rows

    def scan(self, entity: Entity, batch_size: int = 10_000) -> Iterator[list[tuple]]:
        """Every row of the entity's table (entity column order), in lists of ``batch_size``."""
        cols = ", ".join(self.quote(c) for c in entity.columns)
        cursor = self.connection.cursor()
        try:
            cursor.execute(f"SELECT {cols} FROM {self.table(entity)}")
            while rows := cursor.fetchmany(batch_size):
                yield [tuple(row) for row in rows]
        finally:
            cursor.close()


class SQLiteTarget(Target):
    """SQLite: ``executemany`` straight from Arrow columns (no staging for plain writes)."""

    dialect = "sqlite"

    def _connect(self) -> Any:
        import sqlite3

        # autocommit mode: transactions are begun explicitly (BEGIN IMMEDIATE below); any
        # thread may drive the target, one at a time (a rule serialises its passes)
        return sqlite3.connect(
            self.uri.path or ":memory:",
            timeout=self.lock_timeout,
            isolation_level=None,
            check_same_thread=False,
        )

    def _foreign_key_checks_off(self) -> bool:
        self.connection.execute("PRAGMA foreign_keys = OFF")
        # connection-local settings (the file is not changed): a bigger page cache keeps the
        # key indexes of a catch-up in memory; staged tables live in memory
        self.connection.execute("PRAGMA cache_size = -65536")
        self.connection.execute("PRAGMA temp_store = MEMORY")
        return True

    def begin(self) -> None:
        # IMMEDIATE takes the write lock now: a locked target fails here, before any work
        self.connection.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("COMMIT")

    def rollback(self) -> None:
        try:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
        except Exception:
            pass

    def is_unique_violation(self, error: BaseException) -> bool:
        import sqlite3

        return isinstance(error, sqlite3.IntegrityError) and "UNIQUE constraint" in str(error)

    def is_transient(self, error: BaseException) -> bool:
        import sqlite3

        return isinstance(error, sqlite3.OperationalError) and any(
            word in str(error).lower() for word in ("locked", "busy", "disk i/o")
        )

    @staticmethod
    def _rows(batch: pa.RecordBatch, entity: Entity) -> Iterator[tuple]:
        # the SQLite sink's own conversion: snapshot rows and applied rows are identical
        from ..sinks.sqlite import sqlite_values
        from ..sinks.text import Location

        columns = [
            sqlite_values(column, Location(entity.name, name))
            for name, column in zip(batch.schema.names, batch.columns, strict=True)
        ]
        # an iterator: sqlite3 binds row by row, no list of a million tuples is built
        return zip(*columns, strict=True)

    def stage(self, entity: Entity, batch: pa.RecordBatch) -> str:
        name = self.quote(self.stage_name())
        # untyped columns: values are kept exactly as given (no affinity conversion)
        cols = ", ".join(self.quote(c) for c in batch.schema.names)
        self.execute(f"DROP TABLE IF EXISTS temp.{name}")
        self.execute(f"CREATE TEMP TABLE {name} ({cols})")
        marks = ", ".join("?" * batch.num_columns)
        self.executemany(f"INSERT INTO temp.{name} VALUES ({marks})", self._rows(batch, entity))
        return f"temp.{name}"

    def upsert(self, entity: Entity, rows: pa.RecordBatch) -> None:
        marks = ", ".join("?" * rows.num_columns)
        # "VALUES" needs no WHERE true: the ON CONFLICT parsing ambiguity is for SELECT only
        sql = self.upsert_sql(entity, rows.schema.names, f"VALUES ({marks})")
        self.executemany(sql, self._rows(rows, entity))

    def delete(self, entity: Entity, keys: pa.RecordBatch) -> None:
        where = " AND ".join(f"{self.quote(c)} = ?" for c in keys.schema.names)
        self.executemany(
            f"DELETE FROM {self.table(entity)} WHERE {where}", self._rows(keys, entity)
        )


class PostgresTarget(Target):
    """PostgreSQL: rows are COPYed into a temporary table, then merged with one statement."""

    dialect = "postgres"
    placeholder = "%s"

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(
            self.uri.libpq_url(), autocommit=False, connect_timeout=max(1, int(self.lock_timeout))
        )

    def _foreign_key_checks_off(self) -> bool:
        import psycopg

        try:
            # what PostgreSQL's logical replication workers do: no FK/user triggers on apply
            self.connection.execute("SET session_replication_role = replica")
            self.connection.commit()
            return True
        except psycopg.errors.InsufficientPrivilege:
            self.connection.rollback()
            return False

    def is_unique_violation(self, error: BaseException) -> bool:
        import psycopg

        return isinstance(error, psycopg.errors.UniqueViolation)

    def is_transient(self, error: BaseException) -> bool:
        import psycopg

        return isinstance(
            error,
            psycopg.OperationalError
            | psycopg.errors.SerializationFailure
            | psycopg.errors.DeadlockDetected
            | psycopg.errors.LockNotAvailable
            | psycopg.errors.AdminShutdown,
        )

    def stage(self, entity: Entity, batch: pa.RecordBatch) -> str:
        name = self.quote(self.stage_name())
        names = batch.schema.names
        cols = ", ".join(self.quote(c) for c in names if c != INDEX)
        self.execute(f"DROP TABLE IF EXISTS {name}")
        # CREATE … AS SELECT copies the target's column types (enums, arrays, jsonb, uuid)
        index = f"0::bigint AS {self.quote(INDEX)}, " if INDEX in names else ""
        self.execute(
            f"CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT {index}{cols} "
            f"FROM {self.table(entity)} WHERE false"
        )
        ordered = ", ".join(self.quote(c) for c in names)
        # the PostgreSQL sink's COPY text encoding, vectorised: no Python object per value
        from ..sinks.postgres import copy_text_values
        from ..sinks.text import Cells, Location, assemble, concatenated

        fields = [
            Cells(copy_text_values(column, Location(entity.name, column_name)))
            for column_name, column in zip(names, batch.columns, strict=True)
        ]
        payload = concatenated(assemble(fields, separator="\t", null="\\N", tail="\n"))
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f"COPY {name} ({ordered}) FROM STDIN") as copy,
        ):
            copy.write(payload)
        return name

    def upsert(self, entity: Entity, rows: pa.RecordBatch) -> None:
        name = self.stage(entity, rows)
        cols = ", ".join(self.quote(c) for c in rows.schema.names)
        # OVERRIDING SYSTEM VALUE: the source's ids go into GENERATED ALWAYS identity columns too
        sql = self.upsert_sql(entity, rows.schema.names, f"SELECT {cols} FROM {name}")
        self.execute(sql.replace(f") SELECT {cols}", f") OVERRIDING SYSTEM VALUE SELECT {cols}", 1))
        self.unstage(name)

    def delete(self, entity: Entity, keys: pa.RecordBatch) -> None:
        name = self.stage(entity, keys)
        self.execute(
            f"DELETE FROM {self.table(entity)} t USING {name} s WHERE {self.join_on(entity, 't', 's')}"
        )
        self.unstage(name)


class MySQLTarget(Target):
    """MySQL/MariaDB: multi-row literal REPLACE statements (vectorised text)."""

    dialect = "mysql"
    placeholder = "%s"
    #: bytes of SQL per statement, well under the 16 MiB default max_allowed_packet
    statement_bytes: ClassVar[int] = 4 << 20

    def _connect(self) -> Any:
        import pymysql
        from sqlalchemy.engine import make_url

        url = make_url(self.uri.sqlalchemy_url())
        connection = pymysql.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 3306,
            user=url.username or "root",
            password=url.password or "",
            database=url.database,
            autocommit=False,
            charset="utf8mb4",
            connect_timeout=max(1, int(self.lock_timeout)),
        )
        with connection.cursor() as cursor:
            # the sinks write UTC; TIMESTAMP columns must not shift it
            cursor.execute("SET time_zone = '+00:00'")
            cursor.execute(
                f"SET SESSION innodb_lock_wait_timeout = {max(1, int(self.lock_timeout))}"
            )
        return connection

    def _foreign_key_checks_off(self) -> bool:
        self.execute("SET SESSION foreign_key_checks = 0")
        return True

    def begin(self) -> None:
        self.connection.begin()

    def is_unique_violation(self, error: BaseException) -> bool:
        import pymysql

        return isinstance(error, pymysql.IntegrityError) and error.args[:1] == (1062,)

    def is_transient(self, error: BaseException) -> bool:
        import pymysql

        # 1205 lock wait timeout, 1213 deadlock, 2003/2006/2013 connection lost / gone away
        code = error.args[0] if isinstance(error, pymysql.MySQLError) and error.args else None
        return code in (1205, 1213, 2003, 2006, 2013) or isinstance(error, pymysql.OperationalError)

    def _literal_rows(self, entity: Entity, batch: pa.RecordBatch) -> pa.Array:
        """``(v1, v2, …),\n`` per row, rendered by the MySQL sink's own literal rules."""
        from ..sinks.sql_literals import STYLES, sql_cells
        from ..sinks.text import Location, assemble

        cells = [
            sql_cells(column, STYLES["mysql"], Location(entity.name, name))
            for name, column in zip(batch.schema.names, batch.columns, strict=True)
        ]
        return assemble(cells, separator=", ", null="NULL", lead="(", tail="),\n")

    def _insert(self, head: str, tail: str, rows: pa.Array) -> None:
        from ..sinks.mysql import insert_statements

        for statement in insert_statements(
            rows, f"{head}\n".encode(), tail.encode(), self.statement_bytes
        ):
            self.execute(statement)

    def stage(self, entity: Entity, batch: pa.RecordBatch) -> str:
        name = self.quote(self.stage_name())
        names = batch.schema.names
        cols = ", ".join(self.quote(c) for c in names if c != INDEX)
        index = f"CAST(0 AS SIGNED) AS {self.quote(INDEX)}, " if INDEX in names else ""
        self.execute(f"DROP TEMPORARY TABLE IF EXISTS {name}")
        self.execute(
            f"CREATE TEMPORARY TABLE {name} AS SELECT {index}{cols} "
            f"FROM {self.table(entity)} WHERE 1 = 0"
        )
        ordered = ", ".join(self.quote(c) for c in names)
        self._insert(
            f"INSERT INTO {name} ({ordered}) VALUES", "", self._literal_rows(entity, batch)
        )
        return name

    def unstage(self, name: str) -> None:
        self.execute(f"DROP TEMPORARY TABLE IF EXISTS {name}")

    def upsert(self, entity: Entity, rows: pa.RecordBatch) -> None:
        # REPLACE, not INSERT … ON DUPLICATE KEY UPDATE: ODKU fires on ANY unique key and would
        # update the wrong row when a unique value moved between rows; REPLACE deletes every
        # row the new one conflicts with (see Target.displace for why that is right) and
        # inserts it. Foreign-key actions do not run: checks are off for this session.
        cols = ", ".join(self.quote(c) for c in rows.schema.names)
        self._insert(
            f"REPLACE INTO {self.table(entity)} ({cols}) VALUES",
            "",
            self._literal_rows(entity, rows),
        )

    def delete(self, entity: Entity, keys: pa.RecordBatch) -> None:
        name = self.stage(entity, keys)
        table = self.table(entity)
        self.execute(f"DELETE t FROM {table} t JOIN {name} s ON {self.join_on(entity, 't', 's')}")
        self.unstage(name)


class DuckDBTarget(Target):
    """DuckDB: Arrow batches are registered as views and merged with one statement each."""

    dialect = "duckdb"
    exclusive_file = True
    # DuckDB checks a foreign key on UPDATE of a UNIQUE column of the referenced row as a
    # delete + insert and refuses it ("still referenced"): upserts do that all the time
    foreign_keys = False

    def _connect(self) -> Any:
        import duckdb

        return duckdb.connect(self.uri.path or ":memory:")

    def _foreign_key_checks_off(self) -> bool:
        # replica tables carry no foreign keys here (replica_schema), so nothing is checked
        return True

    # DuckDB's Python connection autocommits until BEGIN; COMMIT without BEGIN is an error
    _open_transaction = False

    def begin(self) -> None:
        self.connection.execute("BEGIN TRANSACTION")
        self._open_transaction = True

    def commit(self) -> None:
        if self._open_transaction:
            self._open_transaction = False
            self.connection.execute("COMMIT")

    def rollback(self) -> None:
        if self._open_transaction:
            self._open_transaction = False
            try:
                self.connection.execute("ROLLBACK")
            except Exception:
                pass

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        result = self.connection.execute(sql, list(params))
        # DuckDB reports the rows a DML statement changed as its one result row
        if sql.lstrip()[:6].upper() in ("DELETE", "UPDATE", "INSERT"):
            row = result.fetchone()
            return int(row[0]) if row else -1
        return -1

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.connection.executemany(sql, [list(row) for row in rows])

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return [tuple(row) for row in self.connection.execute(sql, list(params)).fetchall()]

    def is_unique_violation(self, error: BaseException) -> bool:
        import duckdb

        return isinstance(error, duckdb.ConstraintException) and "unique" in str(error).lower()

    def is_transient(self, error: BaseException) -> bool:
        import duckdb

        return isinstance(error, duckdb.IOException | duckdb.TransactionException) or (
            "lock" in str(error).lower()
        )

    def _arrow(self, entity: Entity, batch: pa.RecordBatch) -> pa.Table:
        columns = []
        for column in batch.columns:
            # DuckDB's DECIMAL stops at 38 digits: wider decimals are VARCHAR columns (exact text)
            if pa.types.is_decimal256(column.type):
                from ..sinks.text import decimal_text

                column = decimal_text(column)
            columns.append(column)
        return pa.Table.from_arrays(columns, names=batch.schema.names)

    def stage(self, entity: Entity, batch: pa.RecordBatch) -> str:
        name = self.stage_name()
        self.connection.register(name, self._arrow(entity, batch))
        return self.quote(name)

    def unstage(self, name: str) -> None:
        self.connection.unregister(name.strip('"'))


def replica_schema(schema: Schema, target: Target) -> Schema:
    """The model replica tables are created from in ``target``: ``schema`` itself, or a copy
    without foreign keys where the target cannot upsert referenced rows (DuckDB)."""
    if target.foreign_keys:
        return schema
    import copy

    stripped = copy.deepcopy(schema)
    for entity in stripped.entities:
        for relation in entity.relations:
            if relation.owning:
                relation.ignored = True
    return stripped


TARGETS: dict[str, type[Target]] = {
    "sqlite": SQLiteTarget,
    "postgres": PostgresTarget,
    "mysql": MySQLTarget,
    "duckdb": DuckDBTarget,
}


def connect_target(uri: str | os.PathLike[str], *, lock_timeout: float = 5.0) -> Target:
    """Open the replication target at ``uri`` (any dialect in :data:`TARGETS`).

    Raises:
        ReplicationError: unknown dialect or the database cannot be reached (``transient`` set
            when retrying may help); the URI is masked.
    """
    try:
        parsed = parse_uri(uri)
    except MostaframeError as exc:
        raise ReplicationError(exc.message, hint=exc.hint) from None
    cls = TARGETS.get(parsed.dialect)
    if cls is None:
        raise ReplicationError(f"cannot replicate into {parsed.dialect} ({parsed})")
    return cls(parsed.raw, lock_timeout=lock_timeout)


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


def _with_index(batch: pa.RecordBatch, start: int = 0) -> pa.RecordBatch:
    index = pa.array(range(start, start + batch.num_rows), pa.int64())
    return batch.append_column(INDEX, index)


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
            staged = _with_index(upserts.select([*keys, column] if column not in keys else keys))
            newer = {row[0] for row in self.target.matching_rows(entity, staged, [], condition)}
            upserts = _without(upserts, newer)
            self._keep(entity, len(newer))
        newest = self.changeset.newest_commit_time
        if deletes.num_rows and newest is not None and stamp.kind == "datetime":
            typ = arrow_type(stamp)
            moment = newest if typ.tz else newest.replace(tzinfo=None)
            values = pa.array([moment] * deletes.num_rows, typ)
            staged = _with_index(deletes.append_column(column, values))
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
            pa.concat_batches([_with_index(upserts.select(keys)), _with_index(deletes, start=n_up)])
            if n_up and deletes.num_rows
            else (_with_index(upserts.select(keys)) if n_up else _with_index(deletes))
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
            staged = _with_index(upserted.select(self.target.key_columns(entity)))
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
