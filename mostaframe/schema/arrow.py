"""The entity model as Arrow types: the one place that decides how each field kind travels.

Every source produces, and every sink consumes, record batches of :func:`arrow_schema`. Each
Arrow field carries the model's exact kind in its metadata (``mostaframe.kind``) so that sinks can
tell a JSON column or a UUID from a plain string without looking the entity up again.

==========  ========================================  =========================================
kind        Arrow type                                notes
==========  ========================================  =========================================
string      string
int         int32
smallint    int16
bigint      int64
float       float64
real        float32
decimal     decimal128(p, s), decimal256 if p > 38    no precision given: (65, 30), Prisma's
                                                      PostgreSQL default
boolean     bool
datetime    timestamp[us] / timestamp[us, tz=UTC]     ``timezone`` decides; always UTC-aware
date        date32
time        time64[us]
json        string (JSON text)                        sinks write it as JSON, never re-quoted
bytes       binary
uuid        string (canonical 8-4-4-4-12 lower case)
enum        string (the database value)
list of T   list<T>                                   PostgreSQL arrays
==========  ========================================  =========================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

    from .model import Entity, Field

KIND_METADATA_KEY = b"mostaframe.kind"

#: precision and scale of a decimal with none given (Prisma's PostgreSQL default)
DEFAULT_DECIMAL = (65, 30)


def arrow_type(field: Field) -> pa.DataType:
    """The Arrow type a value of ``field`` travels as."""
    import pyarrow as pa

    kind = field.kind
    if kind == "decimal":
        precision = field.precision or DEFAULT_DECIMAL[0]
        scale = (
            field.scale
            if field.scale is not None
            else (DEFAULT_DECIMAL[1] if not field.precision else 0)
        )
        base = (
            pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)
        )
    elif kind == "datetime":
        base = pa.timestamp("us", tz="UTC" if field.timezone else None)
    else:
        base = {
            "string": pa.string(),
            "int": pa.int32(),
            "smallint": pa.int16(),
            "bigint": pa.int64(),
            "float": pa.float64(),
            "real": pa.float32(),
            "boolean": pa.bool_(),
            "date": pa.date32(),
            "time": pa.time64("us"),
            "json": pa.string(),
            "bytes": pa.binary(),
            "uuid": pa.string(),
            "enum": pa.string(),
        }[kind]
    return pa.list_(base) if field.list else base


def arrow_field(field: Field) -> pa.Field:
    """Arrow field named after the database column, nullable unless required."""
    import pyarrow as pa

    return pa.field(
        field.column,
        arrow_type(field),
        nullable=not field.required,
        metadata={KIND_METADATA_KEY: field.kind.encode()},
    )


def arrow_schema(entity: Entity) -> pa.Schema:
    """Arrow schema of ``entity``'s rows: one field per column, in model order."""
    import pyarrow as pa

    return pa.schema(
        [arrow_field(f) for f in entity.fields],
        metadata={
            b"mostaframe.entity": entity.name.encode(),
            b"mostaframe.table": entity.table.encode(),
        },
    )


def field_kind(arrow_field_: pa.Field) -> str | None:
    """The model kind recorded on an Arrow field, if any."""
    metadata = arrow_field_.metadata or {}
    value = metadata.get(KIND_METADATA_KEY)
    return value.decode() if value else None
