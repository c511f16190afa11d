"""Turning what a driver or a file hands back into the entity model's exact Arrow types.

Every reader produces what its driver gives — connectorx widens int32 to int64 and returns
NUMERIC as decimal128(38,10), SQLite hands back whatever was stored, a CSV cell is text, a JSON
document holds strings and numbers — and :func:`conform` makes it a record batch of exactly
``arrow_schema(entity)``: strings are parsed per the model (vectorised by Arrow where it can,
value by value where it cannot), other types are cast safely, and a value that does not fit
raises :class:`~mostaframe.errors.SourceError` naming the entity and the column.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..errors import SourceError, first_line

if TYPE_CHECKING:
    import pyarrow as pa

    from ..schema.model import Entity, Field


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
    if kind == "decimal" and pa.types.is_floating(array.type):
        # a REAL (SQLite affinity, a JSON number): its shortest text is the value that was meant
        return parse_text(array.cast(pa.string()), field, target)
    if kind == "decimal" and pa.types.is_integer(array.type):
        # via decimal(38,0): Arrow wants room for any int64 before it checks the actual values
        return array.cast(pa.decimal128(38, 0)).cast(target)
    if kind == "datetime" and pa.types.is_integer(array.type):
        # Prisma's SQLite connector stores DateTime as integer milliseconds since the epoch
        import pyarrow.compute as pc

        stamps = pc.multiply(array.cast(pa.int64()), 1000).cast(pa.timestamp("us"))
        return _convert_scalar(stamps, field, target)
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

    A column of one Python type (the usual case) is converted by Arrow, vectorised; values of
    mixed types (SQLite stores whatever it was given) are converted one at a time.
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
        try:
            # one type throughout (the usual case): Arrow infers it in C, then the vectorised
            # conversions apply; mixed Python types raise here and go value by value below
            inferred = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            inferred = None
        if inferred is not None:
            return convert_array(inferred, field, entity)
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

    return mask_text(first_line(exc))


__all__ = [
    "array_from_python",
    "conform",
    "convert_array",
    "list_from_python",
    "parse_text",
]
