"""DuckDB destination: Arrow-native — each batch is registered as a view and inserted with SQL.

``INSERT INTO t (cols) SELECT cols FROM <batch>`` lets DuckDB read the Arrow buffers directly
(no conversion to Python values). Only decimals wider than 38 digits are turned into text first:
DuckDB's DECIMAL stops at 38 digits and its Arrow reader refuses decimal256; the dialect
declares those columns VARCHAR, so the exact digits are kept.

DuckDB has no savepoints: the tables are created in one transaction, then every entity is
written in its own transaction (:meth:`abort` rolls it back). A new database file is built
under a temporary name and renamed into place by :meth:`finish`; on an existing file a cancel
keeps the entities already closed. Upsert: ``INSERT … ON CONFLICT (primary key) DO UPDATE``.
DuckDB always enforces foreign keys and cannot switch them off: parents must come first (the
copy pipeline orders them so) and the dialect leaves out the foreign keys that close a cycle.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from ..errors import SinkError
from ..fileio import temporary_name
from .database import DatabaseSink
from .text import decimal_text

if TYPE_CHECKING:
    from ..schema.model import Entity

_VIEW = "mf_batch"


class DuckDBSink(DatabaseSink):
    """Writes into a DuckDB database file (see the module docstring)."""

    kind: ClassVar[str] = "duckdb"
    dialect_name: ClassVar[str] = "duckdb"
    savepoints: ClassVar[bool] = False

    def __init__(self, target: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self.path = Path(self.uri.path or "")
        self._temp: Path | None = None
        self._in_transaction = False

    @property
    def description(self) -> str:
        return f"duckdb {self.path}"

    def _connect(self) -> Any:
        import duckdb

        if str(self.path) == ":memory:":
            raise SinkError(
                "duckdb destination: an in-memory database would be lost at the end",
                hint="give a file path",
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SinkError(f"{self.description}: cannot create {self.path.parent}: {exc}") from exc
        if not self.path.exists():
            self._temp = temporary_name(self.path)
            self._remove_temp()
        return duckdb.connect(str(self._temp or self.path))

    def _execute(self, sql: str) -> None:
        keyword = sql.split(None, 1)[0].upper() if sql.strip() else ""
        self.connection.execute(sql)
        if keyword in ("BEGIN",):
            self._in_transaction = True
        elif keyword in ("COMMIT", "ROLLBACK"):
            self._in_transaction = False

    def _table_exists(self, entity: Entity) -> bool:
        row = self.connection.execute(
            "SELECT 1 FROM duckdb_tables() WHERE table_name = ? AND schema_name = ?",
            [entity.table, entity.db_schema or "main"],
        ).fetchone()
        return row is not None

    def _tables_ready(self) -> None:
        self._execute("COMMIT")

    # -- per entity: one transaction each --------------------------------------------------

    def _prepare_entity(self, entity: Entity) -> None:
        self._execute("BEGIN")
        columns = self._columns(entity)
        sql = f"INSERT INTO {self._table(entity)} ({columns}) SELECT {columns} FROM {_VIEW}"
        if self.mode == "upsert":
            sql += " " + self._upsert(entity)
        self._insert = sql

    def _write(self, batch: pa.RecordBatch) -> int:
        if any(pa.types.is_decimal256(column.type) for column in batch.columns):
            batch = pa.RecordBatch.from_arrays(
                [decimal_text(c) if pa.types.is_decimal256(c.type) else c for c in batch.columns],
                names=batch.schema.names,
            )
        self.connection.register(_VIEW, batch)
        try:
            self.connection.execute(self._insert)
        finally:
            self.connection.unregister(_VIEW)
        return batch.nbytes

    def _close(self) -> None:
        assert self.entity is not None
        self._advance_sequences(self.entity)
        self._execute("COMMIT")

    def _advance_sequences(self, entity: Entity) -> None:
        """Move the sequences behind autoincrement columns past the ids just loaded: explicit
        ids do not move them, and the application's next INSERT would draw a copied id."""
        dialect = self.sql_dialect
        for field in entity.fields:
            if not field.autoincrement:
                continue
            name = dialect.sequence_name(entity, field)
            drawn = self.connection.execute(dialect.SEQUENCE_LAST_VALUE, [name]).fetchone()
            if drawn is None:  # a table made elsewhere, numbered another way
                continue
            (high,) = self.connection.execute(
                f"SELECT max({self.quote(field.column)}) FROM {self._table(entity)}"
            ).fetchone()
            if high is not None and high > drawn[0]:
                self.connection.execute(dialect.sequence_draw_sql(name, int(high) - drawn[0]))

    def _abort(self, error: BaseException) -> None:
        if self._in_transaction:
            self._execute("ROLLBACK")

    def _finish(self) -> None:
        try:
            if self._in_transaction:
                self._execute("COMMIT")
            self._execute("CHECKPOINT")
        except BaseException:
            self._cancel()
            raise
        self._disconnect()
        if self._temp is not None:
            os.replace(self._temp, self.path)
            self._temp = None

    def _cancel(self) -> None:
        if self.connection is not None:
            try:
                if self._in_transaction:
                    self._execute("ROLLBACK")
            except Exception:  # the connection may be unusable; closing it is what is left
                pass
            finally:
                self._disconnect()
        self._remove_temp()
        self._temp = None

    def _remove_temp(self) -> None:
        if self._temp is not None:
            for suffix in ("", ".wal"):
                Path(f"{self._temp}{suffix}").unlink(missing_ok=True)
