"""DuckDB replication target: Arrow batches registered as views, merged with one statement each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .base import Target

if TYPE_CHECKING:
    from ...schema.model import Entity, Field


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

    def advance_sequence(self, entity: Entity, field: Field, value: int) -> None:
        # each id is drawn once over the replica's life (see DuckDBDialect.sequence_draw_sql)
        dialect = self.sql_dialect
        name = dialect.sequence_name(entity, field)
        rows = self.query(dialect.SEQUENCE_LAST_VALUE, (name,))
        if rows and rows[0][0] < value:
            self.query(dialect.sequence_draw_sql(name, value - rows[0][0]))

    def _arrow(self, entity: Entity, batch: pa.RecordBatch) -> pa.Table:
        columns = []
        for column in batch.columns:
            # DuckDB's DECIMAL stops at 38 digits: wider decimals are VARCHAR columns (exact text)
            if pa.types.is_decimal256(column.type):
                from ...sinks.text import decimal_text

                column = decimal_text(column)
            columns.append(column)
        return pa.Table.from_arrays(columns, names=batch.schema.names)

    def stage(self, entity: Entity, batch: pa.RecordBatch) -> str:
        name = self.stage_name()
        self.connection.register(name, self._arrow(entity, batch))
        return self.quote(name)

    def unstage(self, name: str) -> None:
        self.connection.unregister(name.strip('"'))
