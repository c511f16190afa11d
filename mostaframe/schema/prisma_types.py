"""Types and defaults for the Prisma importer (:mod:`mostaframe.schema.prisma`).

The tables are data, not if-chains: :data:`_SCALAR_KINDS` (Prisma scalar → model kind),
:data:`_IMPLICIT_TYPES` (what a scalar becomes without ``@db.*``, per provider) and
:data:`_NATIVE_TYPES` (every ``@db.*`` native type per provider: the scalars it fits, its
arguments, what it changes). :class:`_FieldTypes` applies a native type to a field and reads
``@default`` values, checked against the field's type the way Prisma checks them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from .model import Default, Field, NativeType
from .prisma_arguments import _AttributeReader, _closest, _show
from .prisma_parser import (
    ArrayValue,
    Attribute,
    CallValue,
    FieldDecl,
    NumberValue,
    PathValue,
    Source,
    StringValue,
    Value,
)

# ----------------------------------------------------------------------------------------------
# type tables (data, not if-chains)

_SCALAR_KINDS = {
    "String": "string",
    "Int": "int",
    "BigInt": "bigint",
    "Float": "float",
    "Decimal": "decimal",
    "Boolean": "boolean",
    "DateTime": "datetime",
    "Json": "json",
    "Bytes": "bytes",
}

#: what a scalar type becomes without ``@db.*``, per provider (Prisma Migrate's choices)
_IMPLICIT_TYPES: dict[str, dict[str, dict[str, int]]] = {
    "postgresql": {"DateTime": {"precision": 3}, "Decimal": {"precision": 65, "scale": 30}},
    "cockroachdb": {"DateTime": {"precision": 3}, "Decimal": {"precision": 65, "scale": 30}},
    "mysql": {
        "String": {"length": 191},
        "DateTime": {"precision": 3},
        "Decimal": {"precision": 65, "scale": 30},
    },
    "sqlite": {"DateTime": {"precision": 3}},
    "sqlserver": {"String": {"length": 1000}, "Decimal": {"precision": 32, "scale": 16}},
}


@dataclass(frozen=True, slots=True)
class _Native:
    """One ``@db.*`` type: the scalar types it fits, how many arguments, what it changes."""

    scalars: tuple[str, ...]
    arity: tuple[int, ...] = (0,)
    kind: str | None = None  # overrides the scalar's kind
    timezone: bool = False
    fixed: tuple[tuple[str, int], ...] = ()  # implied length / precision / scale
    max_precision: int | None = None


def _natives(spec: dict[str, tuple]) -> dict[str, _Native]:
    return {name: _Native(*args) for name, args in spec.items()}


_S, _T = ("String",), ("DateTime",)
_NATIVE_TYPES: dict[str, dict[str, _Native]] = {
    "postgresql": _natives({
        "Text": (_S,), "Char": (_S, (0, 1)), "VarChar": (_S, (0, 1)), "Bit": (_S, (0, 1)),
        "VarBit": (_S, (0, 1)), "Uuid": (_S, (0,), "uuid"), "Xml": (_S,), "Inet": (_S,), "Citext": (_S,),
        "Boolean": (("Boolean",),), "Integer": (("Int",),), "SmallInt": (("Int",), (0,), "smallint"),
        "Oid": (("Int",), (0,), "bigint"), "BigInt": (("BigInt",),), "DoublePrecision": (("Float",),),
        "Real": (("Float",), (0,), "real"), "Decimal": (("Decimal",), (0, 2)),
        "Money": (("Decimal",), (0,), None, False, (("precision", 19), ("scale", 2))),
        "Timestamp": (_T, (0, 1), None, False, (), 6), "Timestamptz": (_T, (0, 1), None, True, (), 6),
        "Date": (_T, (0,), "date"), "Time": (_T, (0, 1), "time", False, (), 6),
        "Timetz": (_T, (0, 1), "time", True, (), 6), "Json": (("Json",),), "JsonB": (("Json",),),
        "ByteA": (("Bytes",),),
    }),
    "cockroachdb": _natives({
        "String": (_S, (0, 1)), "Char": (_S, (0, 1)), "CatalogSingleChar": (_S,), "Bit": (_S, (0, 1)),
        "VarBit": (_S, (0, 1)), "Uuid": (_S, (0,), "uuid"), "Inet": (_S,), "Bool": (("Boolean",),),
        "Int4": (("Int",),), "Int2": (("Int",), (0,), "smallint"), "Int8": (("BigInt",),),
        "Oid": (("Int",), (0,), "bigint"), "Float8": (("Float",),), "Float4": (("Float",), (0,), "real"),
        "Decimal": (("Decimal",), (0, 2)), "Timestamp": (_T, (0, 1), None, False, (), 6),
        "Timestamptz": (_T, (0, 1), None, True, (), 6), "Date": (_T, (0,), "date"),
        "Time": (_T, (0, 1), "time", False, (), 6), "Timetz": (_T, (0, 1), "time", True, (), 6),
        "JsonB": (("Json",),), "Bytes": (("Bytes",),),
    }),
    "mysql": _natives({
        "VarChar": (_S, (1,)), "Char": (_S, (1,)), "Text": (_S,), "TinyText": (_S,),
        "MediumText": (_S,), "LongText": (_S,), "TinyInt": (("Boolean", "Int"), (0,), "smallint"),
        "UnsignedTinyInt": (("Boolean", "Int"), (0,), "smallint"), "Bit": (("Boolean", "Bytes"), (1,)),
        "Int": (("Int",),), "UnsignedInt": (("Int",), (0,), "bigint"), "SmallInt": (("Int",), (0,), "smallint"),
        "UnsignedSmallInt": (("Int",),), "MediumInt": (("Int",),), "UnsignedMediumInt": (("Int",),),
        "Year": (("Int",),), "BigInt": (("BigInt",),), # past 2^63: a decimal, as mostaframe reflects BIGINT UNSIGNED
        "UnsignedBigInt": (("BigInt",), (0,), "decimal", False, (("precision", 20), ("scale", 0))),
        "Float": (("Float",), (0,), "real"), "Double": (("Float",),), "Decimal": (("Decimal",), (0, 2)),
        "DateTime": (_T, (0, 1), None, False, (), 6), "Timestamp": (_T, (0, 1), None, False, (), 6),
        "Date": (_T, (0,), "date"), "Time": (_T, (0, 1), "time", False, (), 6), "Json": (("Json",),),
        "Binary": (("Bytes",), (1,)), "VarBinary": (("Bytes",), (1,)), "TinyBlob": (("Bytes",),),
        "Blob": (("Bytes",),), "MediumBlob": (("Bytes",),), "LongBlob": (("Bytes",),),
    }),
    "sqlserver": _natives({
        "Char": (_S, (0, 1)), "NChar": (_S, (0, 1)), "VarChar": (_S, (0, 1)), "NVarChar": (_S, (0, 1)),
        "Text": (_S,), "NText": (_S,), "Xml": (_S,), "UniqueIdentifier": (_S, (0,), "uuid"),
        "Bit": (("Boolean", "Int"),), "TinyInt": (("Int",), (0,), "smallint"),
        "SmallInt": (("Int",), (0,), "smallint"), "Int": (("Int",),), "BigInt": (("BigInt",),),
        "Float": (("Float",), (0, 1)), "Real": (("Float",), (0,), "real"), "Decimal": (("Decimal",), (0, 2)),
        # Prisma types money as Float; its values are exact, so the column stays a decimal
        "Money": (("Float",), (0,), "decimal", False, (("precision", 19), ("scale", 4))),
        "SmallMoney": (("Float",), (0,), "decimal", False, (("precision", 10), ("scale", 4))),
        "Date": (_T, (0,), "date"), "Time": (_T, (0,), "time"), "DateTime": (_T,), "DateTime2": (_T,),
        "SmallDateTime": (_T,), "DateTimeOffset": (_T, (0,), None, True), "Binary": (("Bytes",), (0, 1)),
        "VarBinary": (("Bytes",), (0, 1)), "Image": (("Bytes",),),
    }),
    "sqlite": {},
}  # fmt: skip

_FIELD_ATTRIBUTES = ("id", "default", "unique", "map", "updatedAt", "ignore", "relation")
_GENERATORS = {"uuid": ((4, 7), 4), "cuid": ((1, 2), 1)}


class _FieldTypes(_AttributeReader):
    """Native types (``@db.*``) and defaults (``@default``) of scalar fields."""

    def native_type(
        self, source: Source, attribute: Attribute, field: Field, type_name: str, where: str
    ) -> None:
        prefix, _, native_name = attribute.name.partition(".")
        if native_name == "ObjectId":
            raise self.unsupported(source, attribute.offset, "@db.ObjectId (a MongoDB type)")
        if prefix != self.datasource or self.provider is None:
            raise self.unknown_attribute(source, attribute, _FIELD_ATTRIBUTES, where)
        table = _NATIVE_TYPES[self.provider]
        spec = table.get(native_name)
        if spec is None:
            fitting = [name for name, s in table.items() if type_name in s.scalars]
            raise self.error(
                source,
                attribute.offset,
                f"{where}: unknown native type @{attribute.name} for {self.provider}"
                + _closest(native_name, list(table)),
                hint=f"for {type_name}: {', '.join('@' + prefix + '.' + n for n in fitting) or 'none'}",
            )
        if type_name not in spec.scalars:
            raise self.error(
                source,
                attribute.offset,
                f"{where}: native type @{attribute.name} does not fit a field of type {type_name}; "
                f"it is for {' or '.join(spec.scalars)}",
            )
        raw = [a for a in attribute.args or ()]
        if len(raw) not in spec.arity:
            counts = " or ".join(str(n) for n in spec.arity)
            raise self.error(
                source,
                attribute.offset,
                f"{where}: @{attribute.name} takes {counts} arguments, found {len(raw)}",
            )
        args: list[str] = []
        for argument in raw:
            value = argument.value
            if argument.name is not None or value is None:
                raise self.error(
                    source, argument.offset, f"@{attribute.name} takes unnamed arguments only"
                )
            if (
                isinstance(value, PathValue)
                and value.name.lower() == "max"
                and self.provider == "sqlserver"
            ):
                args.append(value.name)
                continue
            args.append(str(self.integer(source, value, f"@{attribute.name}")))
        numbers = [int(a) for a in args if a.isdigit()]
        if spec.max_precision is not None and numbers and numbers[0] > spec.max_precision:
            raise self.error(
                source,
                attribute.offset,
                f"{where}: @{attribute.name}({numbers[0]}): precision must be 0 to {spec.max_precision}",
            )
        if type_name == "Decimal" and len(numbers) == 2 and numbers[1] > numbers[0]:
            raise self.error(
                source, attribute.offset, f"{where}: @{attribute.name}: scale larger than precision"
            )
        field.native = NativeType(native_name, args)
        if type_name != "Boolean":  # TinyInt / Bit hold booleans on MySQL: still booleans
            field.kind = spec.kind or field.kind
        field.timezone = spec.timezone
        field.length = field.precision = field.scale = None
        if type_name == "Decimal" and len(numbers) == 2:
            field.precision, field.scale = numbers
        elif type_name in ("String", "Bytes") and numbers:
            field.length = numbers[0]
        elif type_name == "DateTime" and numbers:
            field.precision = numbers[0]
        for key, number in spec.fixed:
            setattr(field, key, number)

    # -- defaults
    def default(self, source: Source, attribute: Attribute, decl: FieldDecl, where: str) -> Default:
        args = self.arguments(
            source, attribute, ("value", "map"), positional="value", required=("value",)
        )
        value = args["value"]
        type_name = decl.type_name
        if isinstance(value, CallValue):
            return self.default_function(source, value, decl, where)
        if decl.is_list:
            if not isinstance(value, ArrayValue):
                raise self.error(
                    source,
                    value.offset,
                    f"{where}: a list field needs a list default, found {_show(value)}",
                )
            items = [self.literal(source, item, decl, where) for item in value.items]
            return Default("enum" if decl.type_name in self.enum_blocks else "literal", items)
        if isinstance(value, ArrayValue):
            raise self.error(
                source, value.offset, f"{where}: a list default needs a list field ({type_name}[])"
            )
        return Default(
            "enum" if type_name in self.enum_blocks else "literal",
            self.literal(source, value, decl, where),
        )

    def default_function(
        self, source: Source, call: CallValue, decl: FieldDecl, where: str
    ) -> Default:
        name, type_name = call.name, decl.type_name
        fits = {
            "autoincrement": ("Int", "BigInt"),
            "sequence": ("Int", "BigInt"),
            "now": ("DateTime",),
            "uuid": ("String",),
            "cuid": ("String",),
            "nanoid": ("String",),
            "ulid": ("String",),
        }
        if name == "auto":
            raise self.unsupported(
                source, call.offset, "@default(auto()) (MongoDB ObjectId generation)"
            )
        if name == "dbgenerated":
            args = self.arguments(source, call, ("sql",), "sql")
            sql = self.string(source, args["sql"], "dbgenerated()") if "sql" in args else None
            if sql == "":
                raise self.error(
                    source, call.offset, f"{where}: dbgenerated() needs a non-empty SQL expression"
                )
            return Default("dbgenerated", sql)
        if name not in fits:
            known = [*fits, "dbgenerated"]
            raise self.error(
                source,
                call.offset,
                f"{where}: unknown default function {name}(){_closest(name, known)}",
                hint=f"known: {', '.join(f + '()' for f in known)}",
            )
        if type_name not in fits[name]:  # Prisma lets list fields take them too
            raise self.error(
                source,
                call.offset,
                f"{where}: @default({name}()) does not fit a field of type {type_name}; "
                f"it is for {' or '.join(fits[name])}",
            )
        if name == "sequence":
            if self.provider != "cockroachdb":
                raise self.error(
                    source, call.offset, f"{where}: sequence() is for CockroachDB only"
                )
            return Default("sequence")
        if name in ("autoincrement", "now", "ulid"):
            self.no_arguments(source, call)
            return Default(name)
        # Prisma reads the one argument whatever its name: uuid(4), uuid(version: 4)
        given = call.args[0].value if call.args else None
        if len(call.args) > 1 or (call.args and given is None):
            raise self.error(source, call.offset, f"{where}: {name}() takes at most one argument")
        if name == "nanoid":
            size = self.integer(source, given, "nanoid() length") if given is not None else None
            if size is not None and not 2 <= size <= 255:
                raise self.error(source, given.offset, f"{where}: nanoid() length must be 2 to 255")  # type: ignore[union-attr]
            return Default("nanoid", size)
        versions, fallback = _GENERATORS[name]
        version = (
            self.integer(source, given, f"{name}() version") if given is not None else fallback
        )
        if version not in versions:
            raise self.error(
                source,
                given.offset,
                f"{where}: {name}({version}): the version must be {' or '.join(map(str, versions))}",  # type: ignore[union-attr]
            )
        return Default(name, version)

    def literal(self, source: Source, value: Value, decl: FieldDecl, where: str) -> object:
        """A literal default value, checked against the field's type and normalised like Prisma."""
        type_name = decl.type_name
        if type_name in self.enum_blocks:
            values = [v.name for v in self.enum_blocks[type_name].values]
            if not isinstance(value, PathValue) or value.name not in values:
                raise self.error(
                    source,
                    value.offset,
                    f"{where}: default {_show(value)} is not a value of enum {type_name} "
                    f"({', '.join(values)})",
                )
            return value.name
        result = _read_literal(type_name, value)
        if result is _WRONG:
            raise self.error(
                source,
                value.offset,
                f"{where}: default {_show(value)} does not fit a field of type {type_name}",
            )
        if type_name == "DateTime":
            try:
                if not _RFC3339.match(result):  # type: ignore[arg-type]
                    raise ValueError(result)
                return _rfc3339(datetime.fromisoformat(result))  # type: ignore[arg-type]
            except ValueError:
                raise self.error(
                    source,
                    value.offset,
                    f"{where}: {result!r} is not an RFC 3339 date-time",
                    hint='write it like "2024-01-31T12:00:00Z"',
                ) from None
        if type_name == "Json":
            try:
                json.loads(result)  # type: ignore[arg-type]
            except ValueError:
                raise self.error(
                    source, value.offset, f"{where}: the default is not valid JSON"
                ) from None
        if type_name == "Bytes":
            try:
                base64.b64decode(result, validate=True)  # type: ignore[arg-type]
            except (binascii.Error, ValueError):
                raise self.error(
                    source, value.offset, f"{where}: a Bytes default must be base64"
                ) from None
        return result


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)\Z")


def _rfc3339(moment: datetime) -> str:
    """A date-time the way Prisma prints a default (chrono's RFC 3339, "Z" as "+00:00")."""
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    text = moment.isoformat()
    if moment.microsecond and moment.microsecond % 1000 == 0:
        head, _, tail = text.partition(".")
        text = f"{head}.{tail[:3]}{tail[6:]}"
    return text


_WRONG = object()  # a literal of the wrong form for the field's type


def _read_literal(type_name: str, value: Value) -> object:
    """The Python value of a literal default for a scalar type, or ``_WRONG``.

    Int/BigInt → int, Float → float, Decimal → str (exact, as written), Boolean → bool;
    String, DateTime, Json and Bytes stay strings (checked further by the caller)."""
    if isinstance(value, StringValue):
        if type_name in ("String", "DateTime", "Json", "Bytes"):
            return value.value
        if type_name == "Decimal":  # Prisma also takes a decimal written as a string
            try:
                number = Decimal(value.value)
            except InvalidOperation:
                return _WRONG
            return str(number) if number.is_finite() else _WRONG
        return _WRONG
    if isinstance(value, NumberValue):
        if type_name in ("Int", "BigInt"):  # both are read as 64-bit integers by Prisma
            number = None if "." in value.text else int(value.text)
            return _WRONG if number is None or not -(2**63) <= number < 2**63 else number
        if type_name == "Float":
            return float(value.text)
        if type_name == "Decimal":
            return str(Decimal(value.text))
        return _WRONG
    if isinstance(value, PathValue) and type_name == "Boolean" and value.name in ("true", "false"):
        return value.name == "true"
    return _WRONG
