"""DuckDB source: the database file read natively through DuckDB's Arrow record batch reader.

DuckDB already speaks Arrow, so most columns come out in their exact type and :func:`conform`
only narrows them to the model (``decimal(38,10)`` → ``decimal(10,2)``, ``HUGEINT`` →
``bigint``). Types without an exact Arrow twin, or whose Arrow form loses something (``TIMETZ``
drops its offset, ``ENUM`` arrives as a dictionary, ``INTERVAL``, ``UUID``, ``JSON``, ``BIT``,
``MAP``, ``STRUCT``, …), are cast to ``VARCHAR`` in the query and parsed per the model.
The file is opened read-only, so a copy never changes its source.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DatabaseConnectionError, SourceError
from ..secrets import DatabaseURI
from . import Source, conform

if TYPE_CHECKING:
    import pyarrow as pa

    from ..schema.model import Entity, Field, Schema

# DuckDB types read as they are (their Arrow form is exact); everything else goes through text
_NATIVE = re.compile(
    r"^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|"
    r"FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)|DATE|TIME|TIMESTAMP|TIMESTAMP_MS|TIMESTAMP_NS|"
    r"TIMESTAMP_S|TIMESTAMP WITH TIME ZONE|VARCHAR|BLOB)$"
)


class DuckDBSource(Source):
    """A DuckDB database file, read-only."""

    kind = "db"

    def __init__(self, uri: DatabaseURI) -> None:
        self.uri = uri
        self.path = uri.path or ":memory:"
        self.description = f"duckdb {self.path}"
        self._connection: Any = None
        self._plans: dict[str, tuple[str, list[str]]] = {}

    def quote(self, identifier: str) -> str:
        from ..dialects import get_dialect

        return get_dialect("duckdb").quote(identifier)

    def _connect(self) -> Any:
        import duckdb

        if self.path != ":memory:" and not Path(self.path).exists():
            raise DatabaseConnectionError(
                f"DuckDB database file {self.path} does not exist",
                hint="check the path given as --source-uri",
            )
        try:
            connection = duckdb.connect(self.path, read_only=True)
        except duckdb.Error as exc:
            raise DatabaseConnectionError(
                f"cannot open {self.description}: {str(exc).splitlines()[0]}",
                hint="is another process writing it? DuckDB allows one writer",
            ) from None
        # TIMESTAMPTZ values come out in the session zone: UTC, like every other source
        connection.execute("SET TimeZone = 'UTC'")
        return connection

    @property
    def connection(self) -> Any:
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def prepare(self, schema: Schema, entities: list[Entity]) -> None:
        for entity in entities:
            self._plan(entity)

    def _plan(self, entity: Entity) -> tuple[str, list[str]]:
        if entity.name in self._plans:
            return self._plans[entity.name]
        table = self.quote(entity.table)
        if entity.db_schema:
            table = f"{self.quote(entity.db_schema)}.{table}"
        rows = self.connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = ? AND table_schema = coalesce(?, current_schema())"
            " ORDER BY ordinal_position",
            [entity.table, entity.db_schema],
        ).fetchall()
        catalog = dict(rows)
        if not catalog:
            known = [
                r[0]
                for r in self.connection.execute(
                    "SELECT table_name FROM information_schema.tables"
                ).fetchall()
            ]
            close = difflib.get_close_matches(entity.table, known, n=3)
            raise SourceError(
                f"entity {entity.name}: table {entity.table!r} does not exist in "
                f"{self.description}",
                hint=f"did you mean {', '.join(close)}?" if close else "create it first",
            )
        columns = []
        for f in entity.fields:
            if f.column not in catalog:
                close = difflib.get_close_matches(f.column, list(catalog), n=3)
                raise SourceError(
                    f"entity {entity.name}: table {entity.table!r} in {self.description} has no "
                    f"column {f.column!r}",
                    hint=f"did you mean {', '.join(close)}?" if close else None,
                )
            columns.append(f"{self._expression(f, catalog[f.column])} AS {self.quote(f.column)}")
        self._plans[entity.name] = (table, columns)
        return self._plans[entity.name]

    def _expression(self, f: Field, data_type: str) -> str:
        column = self.quote(f.column)
        element = data_type[:-2] if data_type.endswith("[]") else None
        if element is not None:
            if f.list and _NATIVE.match(element):
                return column
            return f"CAST({column} AS VARCHAR[])" if f.list else f"CAST({column} AS VARCHAR)"
        if _NATIVE.match(data_type):
            return column
        return f"CAST({column} AS VARCHAR)"

    def query(self, entity: Entity, where: str | None = None) -> str:
        """The SELECT statement :meth:`read` runs."""
        table, columns = self._plan(entity)
        sql = f"SELECT {', '.join(columns)} FROM {table}"
        return sql + (f" WHERE ({where})" if where else "")

    def read(
        self, entity: Entity, *, batch_size: int = 20_000, where: str | None = None
    ) -> Iterator[pa.RecordBatch]:
        import duckdb

        sql = self.query(entity, where)
        try:
            reader = self.connection.sql(sql).to_arrow_reader(batch_size)
            for batch in reader:
                yield conform(batch, entity)
        except duckdb.Error as exc:
            raise SourceError(
                f"{self.description}, entity {entity.name}: {str(exc).splitlines()[0]}"
            ) from None

    def estimate_rows(self, entity: Entity, where: str | None = None) -> int | None:
        table, _ = self._plan(entity)
        sql = f"SELECT count(*) FROM {table}" + (f" WHERE ({where})" if where else "")
        try:
            # fetchall: a half-fetched result would block the next query on this connection
            return int(self.connection.execute(sql).fetchall()[0][0])
        except Exception:  # a bad predicate is reported by read(), with its context
            return None

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
