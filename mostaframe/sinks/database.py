"""Database destinations: what PostgreSQL, MySQL, SQLite and DuckDB sinks share.

``DatabaseSink(uri)`` (the ``db`` kind) returns the sink of the URI's dialect. The base class
runs the transaction and the modes; each dialect's module supplies the connection, the bulk
write and the few statements that differ (see :class:`DatabaseSink`).
"""

from __future__ import annotations

import os
from abc import abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import MostaframeError, SinkError, first_line
from ..secrets import mask_text, mask_uri
from .base import Sink

if TYPE_CHECKING:
    from ..schema.model import Entity


class DatabaseSink(Sink):
    """A database destination; ``DatabaseSink(uri)`` returns the sink of the URI's dialect.

    The whole copy runs in ONE transaction (DuckDB: one per entity, it has no savepoints):
    :meth:`begin` creates the tables per ``mode``, each entity is written inside a savepoint
    that :meth:`abort` rolls back, :meth:`finish` commits, :meth:`cancel` rolls everything back.

    Subclasses set ``dialect_name`` and implement :meth:`_connect`, :meth:`_execute`,
    :meth:`_table_exists` and :meth:`_write`; they override the ``_session_*`` hooks for
    pragmas / foreign-key switches and :meth:`_empty_statements` for truncate.
    """

    kind: ClassVar[str] = "db"
    dialect_name: ClassVar[str] = ""
    #: the database can roll back to a savepoint (DuckDB cannot)
    savepoints: ClassVar[bool] = True

    def __new__(
        cls, target: str | os.PathLike[str] = "", *, dialect: str | None = None, **kwargs: Any
    ) -> DatabaseSink:
        if cls is DatabaseSink:
            from ..secrets import parse_uri
            from . import SINKS

            try:
                found = parse_uri(target, dialect).dialect
            except MostaframeError as exc:
                raise SinkError(f"db destination: {exc.message}") from exc
            cls = SINKS[found]  # type: ignore[assignment]
        return super().__new__(cls)

    def __init__(
        self, target: str | os.PathLike[str], *, dialect: str | None = None, **kwargs: Any
    ) -> None:
        from ..secrets import parse_uri

        super().__init__(target, dialect=self.dialect_name, **kwargs)
        try:
            self.uri = parse_uri(self.target, dialect or self.dialect_name)
        except MostaframeError as exc:
            raise SinkError(f"{self.dialect_name} destination: {exc.message}") from exc
        if self.uri.dialect != self.dialect_name:
            raise SinkError(
                f"{mask_uri(self.target)} is a {self.uri.dialect} URI, not {self.dialect_name}"
            )
        self.connection: Any = None
        self.created: set[str] = set()  # tables this copy created (entity names)
        self._existing: set[str] = set()
        self.warnings: list[str] = []

    @property
    def description(self) -> str:
        return f"{self.dialect_name} {mask_uri(self.target)}"

    # -- what subclasses provide -----------------------------------------------------------

    @abstractmethod
    def _connect(self) -> Any:
        """Open and return a DB-API connection in autocommit mode (transactions explicit)."""

    @abstractmethod
    def _execute(self, sql: str) -> None:
        """Run one statement."""

    @abstractmethod
    def _table_exists(self, entity: Entity) -> bool: ...

    def _session_start(self) -> None:
        """Session settings for a bulk load (before the transaction starts)."""

    def _session_end(self) -> None:
        """Undo :meth:`_session_start` (after commit or rollback)."""

    def _before_commit(self) -> None:
        """Last checks inside the transaction (foreign keys…)."""

    def _empty_statements(self, entities: list[Entity]) -> list[str]:
        """Statements emptying the tables of ``entities`` (given children first)."""
        return [f"DELETE FROM {self._table(entity)}" for entity in entities]

    def _prepare_entity(self, entity: Entity) -> None:
        """Per-entity preparation inside its savepoint (statements, temp tables…)."""

    # -- helpers ---------------------------------------------------------------------------

    @property
    def sql_dialect(self):  # type: ignore[no-untyped-def]
        from ..dialects import get_dialect

        return get_dialect(self.dialect_name)

    def quote(self, identifier: str) -> str:
        return self.sql_dialect.quote(identifier)

    def _table(self, entity: Entity) -> str:
        table = self.quote(entity.table)
        if entity.db_schema and self.sql_dialect.supports_schemas:
            return f"{self.quote(entity.db_schema)}.{table}"
        return table

    def _columns(self, entity: Entity) -> str:
        return ", ".join(self.quote(field.column) for field in entity.fields)

    def _upsert(self, entity: Entity) -> str:
        """This dialect's insert-or-update clause for ``entity`` (by primary key)."""
        from .sql_literals import upsert_clause

        keys = [entity.field(name).column for name in entity.primary_key]
        others = [column for column in entity.columns if column not in keys]
        return upsert_clause(
            self.dialect_name, [self.quote(k) for k in keys], [self.quote(c) for c in others]
        )

    def _savepoint(self, entity: Entity) -> str:
        return self.quote(f"mf_{self.entities.index(entity)}")

    # -- lifecycle -------------------------------------------------------------------------

    def _begin(self) -> None:
        from ..errors import DatabaseConnectionError

        if self.mode == "upsert":
            for entity in self.entities:
                if not entity.primary_key:
                    raise SinkError(
                        f"{self.description}: entity {entity.name} has no primary key, "
                        "so mode upsert cannot tell which rows to update",
                        hint="give the entity a primary key (@id / @@id) or use mode insert",
                    )
        try:
            self.connection = self._connect()
        except MostaframeError:
            raise
        except Exception as exc:
            first = first_line(exc)
            raise DatabaseConnectionError(
                f"cannot connect to {self.description}: {mask_text(first)}"
            ) from exc
        try:
            self._session_start()
            if self.sql_dialect.transactional_ddl:
                self._execute("BEGIN")
                self._create_tables()
            else:  # DDL would commit the transaction: create first, then start it
                self._create_tables()
                self._execute("BEGIN")
            self._empty_tables()
            self._tables_ready()
        except BaseException:
            self._cancel()
            raise

    def _tables_ready(self) -> None:
        """Hook: tables exist and are emptied per mode (DuckDB commits its DDL here)."""

    def _create_tables(self) -> None:
        from ..ddl import create_statements, drop_statements

        assert self.schema is not None
        existing = {entity.name for entity in self.entities if self._table_exists(entity)}
        if self.mode == "replace" and existing:
            dropped = [entity for entity in self.entities if entity.name in existing]
            for statement in drop_statements(self.schema, self.dialect_name, dropped):
                self._execute(statement)
            existing = set()
        missing = [entity for entity in self.entities if entity.name not in existing]
        if missing and not self.create_tables:
            names = ", ".join(entity.table for entity in missing)
            raise SinkError(
                f"{self.description}: table(s) {names} do not exist and create_tables is off",
                hint="create them first (mostaframe schema apply) or pass create_tables=True",
            )
        if missing:
            # foreign keys may point at tables outside this copy that already exist
            others = [
                e
                for e in self.schema.entities
                if e.name not in {m.name for m in missing} and not e.view and self._table_exists(e)
            ]
            for statement in create_statements(
                self.schema, self.dialect_name, missing, if_not_exists=True, existing=others
            ):
                self._execute(statement)
            self.created = {entity.name for entity in missing}
        self._existing = existing

    def _empty_tables(self) -> None:
        if self.mode != "truncate":
            return
        kept = [entity for entity in reversed(self.entities) if entity.name in self._existing]
        for statement in self._empty_statements(kept):
            self._execute(statement)

    def _open(self, entity: Entity) -> None:
        if self.savepoints:
            self._execute(f"SAVEPOINT {self._savepoint(entity)}")
        self._prepare_entity(entity)

    def _close(self) -> None:
        assert self.entity is not None
        if self.savepoints:
            self._execute(f"RELEASE SAVEPOINT {self._savepoint(self.entity)}")

    def _abort(self, error: BaseException) -> None:
        assert self.entity is not None
        if self.savepoints:
            self._execute(f"ROLLBACK TO SAVEPOINT {self._savepoint(self.entity)}")
            self._execute(f"RELEASE SAVEPOINT {self._savepoint(self.entity)}")

    def _finish(self) -> None:
        try:
            self._before_commit()
            self._execute("COMMIT")
        except BaseException:
            self._cancel()
            raise
        try:
            self._session_end()
        finally:
            self._disconnect()

    def _cancel(self) -> None:
        if self.connection is None:
            return
        try:
            self._execute("ROLLBACK")
            self._session_end()
        except Exception:  # the connection may be gone; closing is all that is left to do
            pass
        finally:
            self._disconnect()

    def _disconnect(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None
