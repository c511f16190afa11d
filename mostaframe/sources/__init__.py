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

import base64
import datetime as dt
import difflib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import SourceError

if TYPE_CHECKING:
    import pyarrow as pa

    from ..schema.model import Entity, Field, Schema


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
        self, entity: Entity, *, batch_size: int = 50_000, where: str | None = None
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
        self, entity: Entity, *, batch_size: int = 50_000, where: str | None = None
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
_DIALECT_KINDS = ("postgres", "postgresql", "mysql", "mariadb", "sqlite", "duckdb")


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
    if parsed.dialect == "duckdb":
        from .duckdb import DuckDBSource

        return DuckDBSource(parsed)
    if parsed.dialect == "sqlite":
        from .sqlite import SQLiteSource

        return SQLiteSource(parsed)
    from .connectorx import open_connectorx_source

    return open_connectorx_source(parsed)


# ---------------------------------------------------------------------------------------------
# turning what a driver gives into the model's Arrow types


def conform(
    batch: pa.RecordBatch | pa.Table, entity: Entity, *, rstrip: frozenset[str] = frozenset()
) -> pa.RecordBatch:
    """Return ``batch`` as a record batch of exactly ``arrow_schema(entity)``.

    Columns are matched by database column name. Strings are parsed into the model's type
    (text that a query cast to ``::text`` for exactness, SQLite text, CSV cells); other types
    are cast safely (int64 → int32, decimal128(38,10) → decimal(p,s), ``+00:00`` → ``UTC``).
    Columns named in ``rstrip`` lose their trailing blanks (a ``char(n)`` column's padding).

    Raises:
        SourceError: a column is missing or a value does not fit its model type (names the
            entity, the column and the value's type).
    """
    import pyarrow as pa

    from ..schema.arrow import arrow_schema

    target = arrow_schema(entity)
    if isinstance(batch, pa.Table):
        batch = batch.combine_chunks()
        batches = batch.to_batches()
        batch = batches[0] if batches else pa.RecordBatch.from_pylist([], schema=batch.schema)
    if not rstrip and batch.schema.equals(target, check_metadata=False):
        return pa.RecordBatch.from_arrays(batch.columns, schema=target)
    names = batch.schema.names
    arrays = []
    for field in entity.fields:
        if field.column not in names:
            raise SourceError(
                f"entity {entity.name}: the source has no column {field.column!r} "
                f"(it has: {', '.join(names)})",
                hint="the entity model and the source disagree; regenerate entities.json",
            )
        column = batch.column(names.index(field.column))
        if field.column in rstrip:
            import pyarrow.compute as pc

            column = pc.utf8_rtrim(column.cast(pa.string()), " ")
        arrays.append(convert_array(column, field, entity))
    return pa.RecordBatch.from_arrays(arrays, schema=target)


def convert_array(array: pa.Array, field: Field, entity: Entity) -> pa.Array:
    """``array`` converted to ``field``'s Arrow type (see :func:`conform`)."""
    import pyarrow as pa

    from ..schema.arrow import arrow_type

    target = arrow_type(field)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type == target:
        return array
    try:
        if field.list:
            return _convert_list(array, field, target, entity)
        return _convert_scalar(array, field, target)
    except SourceError:
        raise
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError, TypeError) as exc:
        raise SourceError(
            f"entity {entity.name}, column {field.column}: cannot read {array.type} as "
            f"{field.kind} ({target}): {_first_line(exc)}",
            hint="the data does not fit the entity model (check precision, scale, length)",
        ) from None


def _convert_scalar(array: pa.Array, field: Field, target: pa.DataType) -> pa.Array:
    import pyarrow as pa

    if pa.types.is_null(array.type):
        return pa.nulls(len(array), target)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return parse_text(array, field, target)
    kind = field.kind
    if kind == "uuid" and (
        pa.types.is_fixed_size_binary(array.type) or pa.types.is_binary(array.type)
    ):
        return _uuid_from_bytes(array)
    if isinstance(array.type, pa.ExtensionType):
        array = array.storage
        if kind == "uuid":
            return _uuid_from_bytes(array)
    if kind == "datetime" and pa.types.is_timestamp(array.type):
        if array.type.tz is None and target.tz is not None:
            # a naive timestamp for an aware field: the database stored UTC wall time
            return array.cast(pa.timestamp(array.type.unit, tz="UTC")).cast(target)
        if array.type.tz is not None and target.tz is None:
            return (
                array.cast(pa.timestamp(array.type.unit, tz="UTC"))
                .cast(pa.timestamp(array.type.unit))
                .cast(target)
            )
    if kind == "boolean" and (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)):
        return array.cast(pa.bool_())
    if kind in ("json", "string", "enum", "uuid") and not pa.types.is_binary(array.type):
        # numbers or booleans where the model says text (SQLite affinity, JSON files)
        return array.cast(pa.string())
    return array.cast(target, safe=True)


def _convert_list(array: pa.Array, field: Field, target: pa.DataType, entity: Entity) -> pa.Array:
    import pyarrow as pa

    if pa.types.is_null(array.type):
        return pa.nulls(len(array), target)
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        # a JSON array in a text column (MySQL, SQLite, CSV cells)
        parsed = [None if v is None else json.loads(v) for v in array.to_pylist()]
        return list_from_python(parsed, field, entity)
    if not (pa.types.is_list(array.type) or pa.types.is_large_list(array.type)):
        raise SourceError(
            f"entity {entity.name}, column {field.column}: expected a list, got {array.type}"
        )
    offsets = array.offsets
    values = array.values
    if array.offset or len(values) != offsets[-1].as_py() - offsets[0].as_py():
        array = pa.concat_arrays([array])  # normalise slices so offsets index values directly
        offsets, values = array.offsets, array.values
    child = convert_array(values, _element_field(field), entity)
    offsets = offsets.cast(pa.int32())
    mask = array.is_null() if array.null_count else None
    return pa.ListArray.from_arrays(offsets, child, type=target, mask=mask)


def _element_field(field: Field) -> Field:
    from dataclasses import replace

    return replace(field, list=False, required=False)


def _uuid_from_bytes(array: pa.Array) -> pa.Array:
    import uuid

    import pyarrow as pa

    return pa.array(
        [None if v is None else str(uuid.UUID(bytes=bytes(v))) for v in array.to_pylist()],
        pa.string(),
    )


_TRUE = {"t", "true", "1", "y", "yes", "on"}
_FALSE = {"f", "false", "0", "n", "no", "off"}


def parse_text(array: pa.Array, field: Field, target: pa.DataType) -> pa.Array:
    """Parse a string array into ``field``'s type (vectorised where Arrow can, else per value)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = array.cast(pa.string())
    kind = field.kind
    if kind in ("string", "json", "enum"):
        return array
    if kind == "uuid":
        return pc.utf8_lower(array)
    if kind == "boolean":
        lowered = pc.utf8_lower(pc.utf8_trim_whitespace(array))
        bad = pc.invert(pc.is_in(lowered, pa.array(sorted(_TRUE | _FALSE))))
        if pc.any(pc.and_kleene(bad, pc.is_valid(lowered))).as_py():
            sample = pc.filter(array, pc.fill_null(bad, False))[0].as_py()
            raise ValueError(f"{sample!r} is not a boolean")
        return pc.if_else(
            pc.is_null(lowered),
            pa.scalar(None, pa.bool_()),
            pc.is_in(lowered, pa.array(sorted(_TRUE))),
        )
    if kind == "datetime":
        try:
            return array.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return pa.array([_parse_datetime(v, target.tz) for v in array.to_pylist()], target)
    if kind == "date":
        try:
            return array.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return pa.array(
                [
                    None if v is None else dt.date.fromisoformat(v.strip()[:10])
                    for v in array.to_pylist()
                ],
                target,
            )
    if kind == "time":
        try:
            stamped = pc.binary_join_element_wise("1970-01-01T", pc.utf8_trim_whitespace(array), "")
            return stamped.cast(pa.timestamp("us")).cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return pa.array([_parse_time(v) for v in array.to_pylist()], target)
    if kind == "bytes":
        return pa.array([_parse_bytes(v) for v in array.to_pylist()], target)
    if kind == "decimal":
        try:
            return array.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            # exponent notation or surrounding blanks: go through Decimal, exactly
            return pa.array([_parse_decimal(v) for v in array.to_pylist()], target)
    if kind in ("float", "real"):
        try:
            return array.cast(target)
        except pa.ArrowInvalid:
            # 9e999 (SQLite's infinity), Infinity, NaN: Python's float() reads them all
            return pa.array([None if v is None else float(v) for v in array.to_pylist()], target)
    if kind in ("int", "smallint", "bigint"):
        try:
            return array.cast(target)
        except pa.ArrowInvalid:
            # "12.0" from a REAL-affinity column: accept integral values only
            return pa.array([_parse_integral(v) for v in array.to_pylist()], target)
    return array.cast(target)


def _parse_integral(text: str | None) -> int | None:
    if text is None:
        return None
    value = Decimal(text.strip())
    if value != value.to_integral_value():
        raise ValueError(f"{text!r} is not an integer")
    return int(value)


def _parse_decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a decimal number") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} cannot be stored in an exact decimal")
    return value


def _parse_datetime(value: Any, tz: str | None) -> dt.datetime | None:
    """ISO-8601 text (any separator, optional offset or Z) or epoch milliseconds → datetime.

    Naive values are UTC wall time; aware values are converted to UTC (and made naive when the
    field has no time zone).
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        # Prisma's SQLite connector stores DateTime as integer milliseconds since the epoch
        parsed = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=value)
    else:
        parsed = dt.datetime.fromisoformat(str(value).strip())
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC)
        return parsed if tz else parsed.replace(tzinfo=None)
    return parsed.replace(tzinfo=dt.UTC) if tz else parsed


def _parse_time(value: Any) -> dt.time | None:
    if value is None or isinstance(value, dt.time):
        return value
    parsed = dt.time.fromisoformat(str(value).strip())
    if parsed.tzinfo is not None:
        moment = dt.datetime.combine(dt.date(2000, 1, 1), parsed).astimezone(dt.UTC)
        parsed = moment.time()
    return parsed


def _parse_bytes(value: Any) -> bytes | None:
    """bytes as such; PostgreSQL ``\\x`` hex text; otherwise base64 (JSON and CSV files)."""
    if value is None or isinstance(value, bytes | bytearray | memoryview):
        return None if value is None else bytes(value)
    text = str(value)
    if text.startswith("\\x"):
        return bytes.fromhex(text[2:])
    return base64.b64decode(text, validate=True)


def array_from_python(values: list[Any], field: Field, entity: Entity) -> pa.Array:
    """Python values (from sqlite3 or a JSON document) as ``field``'s Arrow type.

    Values may be mixed (SQLite stores whatever it was given): all-text columns take the
    vectorised :func:`parse_text` path, others are converted one value at a time.
    """
    import pyarrow as pa

    from ..schema.arrow import arrow_type

    if field.list:
        decoded = [json.loads(v) if isinstance(v, str) else v for v in values]
        return list_from_python(decoded, field, entity)
    target = arrow_type(field)
    kind = field.kind
    try:
        if kind == "json":
            return pa.array(
                [v if v is None or isinstance(v, str) else json.dumps(v) for v in values],
                pa.string(),
            )
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, str) for v in present):
            return parse_text(pa.array(values, pa.string()), field, target)
        converter = _PY_CONVERTERS.get(kind)
        if converter is not None:
            values = [None if v is None else converter(v, target) for v in values]
        return pa.array(values, target)
    except SourceError:
        raise
    except (
        pa.ArrowInvalid,
        pa.ArrowTypeError,
        pa.ArrowNotImplementedError,
        ValueError,
        TypeError,
        OverflowError,
        InvalidOperation,
    ) as exc:
        raise SourceError(
            f"entity {entity.name}, column {field.column}: cannot read a value as "
            f"{field.kind} ({target}): {_first_line(exc)}",
            hint="the data does not fit the entity model",
        ) from None


def list_from_python(values: list[Any], field: Field, entity: Entity) -> pa.Array:
    """Python lists (or None) → ``list<T>`` of ``field``'s element type."""
    import pyarrow as pa

    from ..schema.arrow import arrow_type

    offsets = [0]
    flat: list[Any] = []
    mask = []
    for value in values:
        if value is None:
            mask.append(True)
        else:
            if not isinstance(value, list):
                raise SourceError(
                    f"entity {entity.name}, column {field.column}: expected a list, got "
                    f"{type(value).__name__}"
                )
            flat.extend(value)
            mask.append(False)
        offsets.append(len(flat))
    element = _element_field(field)
    if field.kind == "json":
        flat = [v if v is None else json.dumps(v) for v in flat]
    child = array_from_python(flat, element, entity)
    return pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()),
        child,
        type=arrow_type(field),
        mask=pa.array(mask, pa.bool_()) if any(mask) else None,
    )


def _py_bool(value: Any, _target: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a boolean")


def _py_decimal(value: Any, _target: Any) -> Decimal:
    if isinstance(value, float):
        # a REAL-affinity value: its shortest repr is what was stored
        return Decimal(repr(value))
    return _parse_decimal(str(value)) if not isinstance(value, Decimal) else value


def _py_int(value: Any, _target: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return _parse_integral(str(value)) or 0
    return value


def _py_float(value: Any, _target: Any) -> float:
    return float(value)


def _py_text(value: Any, _target: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


_PY_CONVERTERS = {
    "boolean": _py_bool,
    "decimal": _py_decimal,
    "int": _py_int,
    "smallint": _py_int,
    "bigint": _py_int,
    "float": _py_float,
    "real": _py_float,
    "datetime": lambda v, target: _parse_datetime(v, target.tz),
    "date": lambda v, _t: v if isinstance(v, dt.date) else _parse_datetime(v, None).date(),
    "time": lambda v, _t: _parse_time(v),
    "bytes": lambda v, _t: _parse_bytes(v),
    "string": _py_text,
    "enum": _py_text,
    "uuid": lambda v, _t: str(v).lower(),
}


def _first_line(exc: BaseException) -> str:
    from ..secrets import mask_text

    return mask_text((str(exc).strip().splitlines() or [type(exc).__name__])[0])


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
