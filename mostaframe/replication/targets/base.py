"""The :class:`Target` base class: one open connection to a replication target.

A target knows how to stage an Arrow batch in a temporary table of the apply transaction and
how to upsert, delete, displace and clear rows with it;
:func:`~mostaframe.replication.apply.apply_changes` only calls these methods. What differs per
database lives in the sibling modules (:mod:`.sqlite`, :mod:`.postgres`, :mod:`.mysql`,
:mod:`.duckdb`).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from ...errors import MostaframeError, ReplicationError, first_line
from ...secrets import mask_text, mask_uri, parse_uri

if TYPE_CHECKING:
    from ...schema.model import Entity, Field

#: name of the row-index column added to staged batches (maps result rows back to the batch)
INDEX = "__mf_row"


def unique_columns(entity: Entity) -> list[list[str]]:
    """Column groups of the entity's UNIQUE constraints other than the primary key."""
    keys = [entity.field(name).column for name in entity.primary_key]
    groups = [[f.column] for f in entity.fields if f.unique]
    groups += [
        [entity.field(n).column for n in index.fields] for index in entity.indexes if index.unique
    ]
    return [group for group in groups if sorted(group) != sorted(keys)]


def with_index(batch: pa.RecordBatch, start: int = 0) -> pa.RecordBatch:
    """``batch`` with an :data:`INDEX` column numbering its rows from ``start``."""
    index = pa.array(range(start, start + batch.num_rows), pa.int64())
    return batch.append_column(INDEX, index)


class Target(ABC):
    """An open connection to a replication target, with the writes apply needs.

    Subclasses hold what differs per database;
    :func:`~mostaframe.replication.apply.apply_changes` only calls these methods.

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
        #: (entity, column) → a value the column's sequence is known to have reached
        self._sequence_high: dict[tuple[str, str], int] = {}
        from ...dialects import get_dialect

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
        first = first_line(error)
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
        name = self.stage(entity, with_index(rows.select(wanted)))
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

    # -- autoincrement counters -------------------------------------------------------------

    def advance_sequences(self, entity: Entity, rows: pa.RecordBatch) -> None:
        """Keep the entity's autoincrement counters past the keys of ``rows`` just upserted.

        A promoted replica's next INSERT without an id must not draw a value replication
        already wrote. Cheap per batch: the batch's own maximum (vectorised), and a statement
        only when it is above what this connection last saw the counter reach.
        """
        import pyarrow.compute as pc

        for field in entity.fields:
            if not field.autoincrement or field.column not in rows.schema.names:
                continue
            high = pc.max(rows.column(field.column)).as_py()
            key = (entity.name, field.column)
            if high is None or high <= self._sequence_high.get(key, 0):
                continue
            self.advance_sequence(entity, field, int(high))
            self._sequence_high[key] = int(high)

    def advance_sequence(self, entity: Entity, field: Field, value: int) -> None:  # noqa: B027
        """Move ``field``'s counter to at least ``value`` (never back).

        Nothing to do here: SQLite (``AUTOINCREMENT`` updates ``sqlite_sequence``) and
        MySQL/MariaDB (InnoDB raises ``AUTO_INCREMENT``) move their counters on explicit
        inserts of larger values; PostgreSQL and DuckDB sequences do not, and override this.
        """

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
