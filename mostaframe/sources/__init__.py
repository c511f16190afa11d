"""Sources: where a copy reads from. Every source yields record batches of ``arrow_schema(entity)``.

A :class:`Source` reads one entity at a time as an iterator of :class:`pyarrow.RecordBatch`
whose schema is EXACTLY :func:`mostaframe.schema.arrow.arrow_schema` of the entity: types come
from the entity model, never from what a driver guessed. Each reader produces whatever its driver
gives (connectorx widens int32 to int64, returns NUMERIC as decimal128(38,10), SQLite hands back
text, a JSON file holds strings and numbers) and :func:`conform` turns that into the model's
types, failing with the entity and column named when a value does not fit.

Registered sources (:func:`open_source`):

========  ===========================================================  ==================
kind      reads                                                        module
========  ===========================================================  ==================
db        PostgreSQL, MySQL/MariaDB (connectorx), SQLite (sqlite3),    connectorx, sqlite,
          DuckDB (native), chosen from the URI or ``dialect``          duckdb
json      a JSON archive (``{"entities": {...}}``) or an NDJSON folder files
csv       a folder of ``<table>.csv``                                  files
parquet   a folder of ``<table>.parquet``                              files
sql       a SQL dump written by the ``sql-dump`` destination           files
========  ===========================================================  ==================
"""

from __future__ import annotations

import difflib
import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from ..dialects.connections import SCHEMES
from ..errors import SourceError
from .convert import array_from_python, conform, convert_array, list_from_python, parse_text

if TYPE_CHECKING:
    import pyarrow as pa

    from ..schema.model import Entity, Schema


class Source(ABC):
    """One place a copy reads from.

    Lifecycle: :meth:`prepare` once (connect, check every table and column exists: a bad
    source fails before any destination is touched), then :meth:`read` per entity, then
    :meth:`close`. Usable as a context manager.

    Attributes:
        kind: registry name (``db``, ``json``, ``csv``, ``parquet``, ``sql``).
        description: what is read, password masked (safe to print and log).
    """

    kind: ClassVar[str]
    description: str = ""

    def prepare(self, schema: Schema, entities: list[Entity]) -> None:  # noqa: B027 - optional
        """Connect and check that every entity can be read.

        Raises:
            DatabaseConnectionError: the database cannot be reached or refuses the login.
            SourceError: a table, file or column is missing (names it and the fix).
        """

    @abstractmethod
    def read(
        self, entity: Entity, *, batch_size: int = 20_000, where: str | None = None
    ) -> Iterator[pa.RecordBatch]:
        """Record batches of ``entity``'s rows, schema ``arrow_schema(entity)``.

        Args:
            entity: what to read.
            batch_size: at most this many rows per batch; memory stays bounded by it.
            where: SQL predicate the rows must satisfy (database sources run it in the
                database; file sources run it in DuckDB over each batch).
        """

    def estimate_rows(self, entity: Entity, where: str | None = None) -> int | None:
        """Rows :meth:`read` will probably yield (for progress bars), or None when unknown."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and temporary files."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"


class ArrowSource(Source):
    """In-memory data as a source: Arrow tables, record batches or polars/pandas DataFrames.

    Handy in a notebook (``mostaframe.copy(ArrowSource({"User": df}), "./app.sqlite")``) and
    in tests. Keys are entity names or table names; columns are matched by column name and
    converted to the model's types like any other source.

    Args:
        tables: entity (or table) name → data.
    """

    kind = "arrow"

    def __init__(self, tables: dict[str, Any]) -> None:
        self.tables = dict(tables)
        self.description = f"arrow ({len(self.tables)} tables in memory)"

    def _table(self, entity: Entity) -> pa.Table:
        import pyarrow as pa

        data = self.tables.get(entity.name, self.tables.get(entity.table))
        if data is None:
            raise SourceError(
                f"entity {entity.name}: no data given for it",
                hint=f"given: {', '.join(self.tables) or 'nothing'}",
            )
        if isinstance(data, pa.Table):
            return data
        if isinstance(data, pa.RecordBatch):
            return pa.Table.from_batches([data])
        if hasattr(data, "to_arrow"):  # polars
            return data.to_arrow()
        return pa.Table.from_pandas(data, preserve_index=False)

    def prepare(self, schema: Schema, entities: list[Entity]) -> None:
        for entity in entities:
            self._table(entity)

    def read(
        self, entity: Entity, *, batch_size: int = 20_000, where: str | None = None
    ) -> Iterator[pa.RecordBatch]:
        for batch in self._table(entity).to_batches(max_chunksize=batch_size):
            batch = conform(batch, entity)
            if where:
                from .files import filter_batch

                batch = filter_batch(batch, where, entity)
            if batch.num_rows:
                yield batch

    def estimate_rows(self, entity: Entity, where: str | None = None) -> int | None:
        return None if where else self._table(entity).num_rows


#: source kinds and the aliases the @mostajs tools use
SOURCE_KINDS = ("db", "json", "ndjson", "csv", "parquet", "sql")
_KIND_ALIASES = {"sql-dump": "sql", "sqldump": "sql", "dump": "sql", "jsonl": "ndjson"}
# a database dialect given as the kind (``--source sqlite``) means ``db`` with that dialect
_DIALECT_KINDS = tuple(scheme for scheme in SCHEMES if "+" not in scheme)


def open_source(
    kind: str,
    *,
    uri: str | None = None,
    file: str | None = None,
    dialect: str | None = None,
) -> Source:
    """The source of ``kind`` reading ``uri`` (databases) or ``file`` (files and folders).

    Args:
        kind: ``db``, ``json``, ``csv``, ``parquet`` or ``sql`` (the ``--source`` values of
            ``mostajs-copy``); a dialect name (``sqlite``, ``postgres``, …) means ``db``.
        uri: database URI or SQLite/DuckDB file path (``db``).
        file: file or folder (``json``/``csv``/``parquet``/``sql``); for ``db`` a file path is
            accepted as the URI of an embedded database.
        dialect: ``--source-dialect``: postgres, mysql, sqlite or duckdb; must agree with the
            URI's scheme. For ``sql`` it names the dump's dialect when the file does not say.

    Raises:
        SourceError: unknown kind (with the closest one) or a missing uri/file.

    Example:
        >>> source = open_source("db", uri="./shop.sqlite")  # doctest: +SKIP
    """
    key = kind.strip().lower()
    key = _KIND_ALIASES.get(key, key)
    if key in _DIALECT_KINDS:
        dialect, key = dialect or key, "db"
    if key not in SOURCE_KINDS:
        close = difflib.get_close_matches(key, [*SOURCE_KINDS, *_DIALECT_KINDS], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise SourceError(f"unknown source kind {kind!r}{hint} (known: {', '.join(SOURCE_KINDS)})")
    if key == "db":
        target = uri or file
        if not target:
            raise SourceError(
                "a database source needs a URI", hint="pass --source-uri (or uri=...)"
            )
        return _open_database(target, dialect)
    if not file:
        raise SourceError(
            f"a {key} source needs a file or folder", hint="pass --source-file (or file=...)"
        )
    from . import files

    return files.open_file_source(key, file, dialect=dialect)


def _open_database(target: str, dialect: str | None) -> Source:
    from ..errors import MostaframeError
    from ..secrets import parse_uri

    try:
        parsed = parse_uri(target, dialect)
    except MostaframeError as exc:
        raise SourceError(exc.message, hint=exc.hint) from None
    module, factory = _DATABASE_READERS[parsed.dialect]
    return getattr(importlib.import_module(module, __name__), factory)(parsed)


#: dialect → (module, class or function) that opens a database of that dialect as a source
_DATABASE_READERS = {
    "postgres": (".connectorx", "open_connectorx_source"),
    "mysql": (".connectorx", "open_connectorx_source"),
    "sqlite": (".sqlite", "SQLiteSource"),
    "duckdb": (".duckdb", "DuckDBSource"),
}


__all__ = [
    "SOURCE_KINDS",
    "ArrowSource",
    "Source",
    "array_from_python",
    "conform",
    "convert_array",
    "list_from_python",
    "open_source",
    "parse_text",
]
