"""Import a Prisma schema (``schema.prisma``, or a folder of ``*.prisma`` files) into the entity model.

>>> schema = parse_prisma('''
... datasource db {
...   provider = "postgresql"
... }
... model User {
...   id    Int    @id @default(autoincrement())
...   email String @unique @db.VarChar(255)
... }
... ''')
>>> schema.entity("User").field("email").length
255

The syntax is read by :mod:`mostaframe.schema.prisma_parser`; this module gives it meaning and
checks it the way Prisma does (unknown types and attributes, relations without an opposite field,
``fields`` without ``references``, defaults of the wrong type, …), so that a schema Prisma rejects
is rejected here too, with ``file:line:column`` and the fix. docs/prisma.md has the full mapping
table; in short:

* models → :class:`Entity` (``view`` blocks → ``view=True``), scalar fields → :class:`Field` with
  an exact type: ``@db.*`` native types decide it (``@db.VarChar(255)`` → string of length 255,
  ``@db.Uuid`` → uuid, ``@db.Timestamptz(6)`` → datetime with time zone, precision 6 …); without
  one, the provider's own default applies (PostgreSQL: ``DateTime`` = timestamp(3) without time
  zone, ``Decimal`` = decimal(65,30), ``String`` = text);
* relation fields → :class:`Relation` on both sides; an implicit many-to-many relation gets the
  join entity Prisma creates (``_AToB`` with columns ``A``/``B``, see :func:`_join_entity`);
* ``Unsupported("…")`` fields are kept as *ignored* string fields whose ``native`` is
  ``NativeType("Unsupported", ["<database type>"])``: the column exists in the database (a copy can
  read it cast to text, DDL can recreate it for the same database) but Prisma's client, like
  mostaframe's model, has no type for it;
* scalar lists (``Int[]``) are ``list=True`` and ``required=False``: Prisma creates array columns
  without NOT NULL even though its client never returns null for them.

MongoDB (``provider = "mongodb"``, composite ``type`` blocks, ``@db.ObjectId``, ``auto()``) raises
:class:`~mostaframe.errors.UnsupportedError`.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import gc
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..errors import PrismaSyntaxError, SchemaError, UnsupportedError
from .model import (
    REFERENTIAL_ACTIONS,
    Default,
    Entity,
    Enum,
    Field,
    Index,
    IndexColumn,
    NativeType,
    Relation,
    Schema,
)
from .prisma_parser import (
    ArrayValue,
    Attribute,
    Block,
    CallValue,
    FieldDecl,
    NumberValue,
    PathValue,
    Source,
    StringValue,
    Value,
    parse_blocks,
)

__all__ = ["import_prisma", "parse_prisma"]

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

#: provider spellings Prisma accepts → the name recorded on Schema.provider
_PROVIDERS = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "cockroachdb": "cockroachdb",
    "mysql": "mysql",
    "sqlite": "sqlite",
    "sqlserver": "sqlserver",
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

_DATASOURCE_PROPERTIES = (
    "provider", "url", "directUrl", "shadowDatabaseUrl", "relationMode", "referentialIntegrity",
    "extensions", "schemas",
)  # fmt: skip


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
_MODEL_ATTRIBUTES = ("id", "unique", "index", "fulltext", "map", "schema", "ignore")
_INDEX_TYPES = ("BTree", "Hash", "Gist", "Gin", "SpGist", "Brin")
_GENERATORS = {"uuid": ((4, 7), 4), "cuid": ((1, 2), 1)}


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _closest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


# ----------------------------------------------------------------------------------------------
# public API


def import_prisma(path: str | os.PathLike[str]) -> Schema:
    """Import a Prisma schema file, or a folder holding a multi-file schema.

    Args:
        path: a ``.prisma`` file, or a folder: every ``*.prisma`` file in it and its subfolders,
            in sorted path order, read as one schema (Prisma's ``prismaSchemaFolder`` layout).

    Returns:
        The schema: one entity per model or view (in file order), then the join entities of
        implicit many-to-many relations; enums; ``provider`` from the datasource block.

    Raises:
        SchemaError: the path does not exist or the folder has no ``.prisma`` file.
        PrismaSyntaxError: the schema does not parse or validate (``file:line:column: …``).
        UnsupportedError: MongoDB constructs (provider, ``type`` blocks, ``@db.ObjectId``).

    Example:
        >>> schema = import_prisma("prisma/schema.prisma")  # doctest: +SKIP
        >>> [entity.table for entity in schema]  # doctest: +SKIP
    """
    root = Path(path)
    if root.is_dir():
        files = sorted(p for p in root.rglob("*.prisma") if p.is_file())
        if not files:
            raise SchemaError(
                f"{root}: no .prisma file in this folder",
                hint="point at schema.prisma or its folder",
            )
    elif root.is_file():
        files = [root]
    else:
        raise SchemaError(
            f"Prisma schema {root} does not exist",
            hint="give the path of schema.prisma or its folder",
        )
    # bytes, then decode: read_text() would turn "\r\n" into "\n", also inside /* */ comments,
    # whose documentation Prisma keeps verbatim
    return _build([(str(f), f.read_bytes().decode("utf-8")) for f in files])


def parse_prisma(text: str, path: str = "schema.prisma") -> Schema:
    """Import a Prisma schema given as text.

    Args:
        text: the schema.
        path: the name used in error messages.

    Returns:
        The schema (see :func:`import_prisma`).

    Raises:
        PrismaSyntaxError: the schema does not parse or validate.
        UnsupportedError: MongoDB constructs.
    """
    return _build([(path, text)])


def _build(files: list[tuple[str, str]]) -> Schema:
    # An import allocates some 10^5 small objects and no reference cycles; the cyclic garbage
    # collector would still run dozens of times over them (2-3x slower on 300 models).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _Builder(files).build()
    finally:
        if enabled:
            gc.enable()


# ----------------------------------------------------------------------------------------------
# the builder


@dataclass(slots=True)
class _RelationField:
    """A relation field while relations are being paired."""

    model: Block
    decl: FieldDecl
    entity: Entity
    attribute: Attribute | None  # its @relation, if any
    ignored: bool
    name: str | None = None  # explicit relation name
    fields: list[str] | None = None
    references: list[str] | None = None
    on_delete: str | None = None
    on_update: str | None = None
    map: str | None = None

    @property
    def target(self) -> str:
        return self.decl.type_name


class _Builder:
    def __init__(self, files: list[tuple[str, str]]) -> None:
        self.blocks = [block for path, text in files for block in parse_blocks(text, path)]
        self.provider: str | None = None
        self.datasource: str = "db"
        self.db_schemas: list[str] | None = None
        self.models: dict[str, Block] = {}
        self.enum_blocks: dict[str, Block] = {}
        self.schema = Schema()
        self.entities: dict[str, Entity] = {}
        self.scalar_types: dict[
            tuple[str, str], str
        ] = {}  # (model, field) → Prisma scalar type name
        self.relation_fields: list[_RelationField] = []
        self.context = ""  # "model User, field email": prefixes argument errors

    # -- errors
    def error(
        self, source: Source, offset: int, message: str, hint: str | None = None
    ) -> PrismaSyntaxError:
        return source.error(offset, message, hint)

    def unsupported(self, source: Source, offset: int, what: str) -> UnsupportedError:
        return UnsupportedError(
            f"{source.where(offset)}: {what} is not supported: mostaframe imports relational schemas "
            "(postgresql, mysql, sqlite, sqlserver, cockroachdb), MongoDB constructs have no table form"
        )

    # -- orchestration
    def build(self) -> Schema:
        self.read_datasource()
        for block in self.blocks:
            if block.keyword == "type":
                raise self.unsupported(
                    block.source, block.offset, f"composite type {block.name!r} (a 'type' block)"
                )
            if block.keyword in ("model", "view", "enum"):
                known = self.models.get(block.name) or self.enum_blocks.get(block.name)
                if known is not None:
                    raise self.error(
                        block.source,
                        block.name_offset,
                        f"{block.keyword} {block.name} is defined twice (first as {known.keyword} at "
                        f"{known.source.where(known.offset)})",
                        hint="rename one of them",
                    )
                self.check_name(block.source, block.name_offset, block.name, block.keyword)
                if block.name in _RESERVED_NAMES:
                    raise self.error(
                        block.source,
                        block.name_offset,
                        f"{block.keyword} name {block.name!r} is reserved by Prisma Client",
                        hint="rename it and keep the table name with @@map",
                    )
                if block.name in _SCALAR_KINDS or block.name == "Unsupported":
                    raise self.error(
                        block.source, block.name_offset, f"{block.name!r} is a built-in type name"
                    )
                (self.enum_blocks if block.keyword == "enum" else self.models)[block.name] = block
        for block in self.enum_blocks.values():
            self.schema.enums[block.name] = self.enum(block)
        for block in self.models.values():
            entity = self.entity(block)
            self.entities[block.name] = entity
            self.schema.entities.append(entity)
        tables: dict[tuple[str | None, str], Block] = {}
        for block in self.models.values():
            entity = self.entities[block.name]
            self.model_attributes(block, entity)
            self.check_columns(block, entity)
            other = tables.setdefault((entity.db_schema, entity.table), block)
            if other is not block:
                raise self.error(
                    block.source,
                    block.name_offset,
                    f"{block.keyword} {block.name} uses table {entity.table!r}, like "
                    f"{other.keyword} {other.name}",
                    hint="give one of them another @@map",
                )
        self.pair_relations()
        if self.provider in ("postgresql", "cockroachdb", None):
            self.check_constraint_names()
        for entity in self.schema.entities:
            entity.timestamps = _has_timestamps(entity)
        self.schema.provider = self.provider
        return self.schema

    def read_datasource(self) -> None:
        self.context = ""
        sources = [b for b in self.blocks if b.keyword == "datasource"]
        if len(sources) > 1:
            second = sources[1]
            raise self.error(
                second.source,
                second.offset,
                f"datasource {second.name} is a second datasource block (the first is {sources[0].name})",
                hint="a Prisma schema has exactly one datasource",
            )
        if not sources:
            return
        block = sources[0]
        self.datasource = block.name
        for key, (value, offset) in block.properties.items():
            if key not in _DATASOURCE_PROPERTIES:
                raise self.error(
                    block.source,
                    offset,
                    f"unknown datasource property {key!r}{_closest(key, list(_DATASOURCE_PROPERTIES))}",
                )
            if value is None:
                raise self.error(
                    block.source, offset, f"expected a value for datasource property {key!r}"
                )
        if "provider" not in block.properties:
            raise self.error(
                block.source,
                block.offset,
                f'datasource {block.name} has no provider: add provider = "postgresql"',
            )
        value, offset = block.properties["provider"]
        provider = self.string(block.source, value, "the provider")  # type: ignore[arg-type]
        if provider == "mongodb":
            raise self.unsupported(block.source, offset, 'provider "mongodb"')
        if provider not in _PROVIDERS:
            raise self.error(
                block.source,
                value.offset,  # type: ignore[union-attr]
                f"unknown provider {provider!r}; expected one of {', '.join(sorted(set(_PROVIDERS)))}",
            )
        self.provider = _PROVIDERS[provider]
        if "schemas" in block.properties:
            schemas_value, _ = block.properties["schemas"]
            items = (
                schemas_value.items if isinstance(schemas_value, ArrayValue) else [schemas_value]
            )
            self.db_schemas = [self.string(block.source, item, "a schema name") for item in items]  # type: ignore[arg-type]

    # -- enums
    def enum(self, block: Block) -> Enum:
        source = block.source
        self.context = f"enum {block.name}: "
        if not block.values:
            raise self.error(
                source,
                block.name_offset,
                f"enum {block.name} has no value",
                hint="add at least one",
            )
        values: list[str] = []
        mapped: dict[str, str] = {}
        for value in block.values:
            if value.name in values:
                raise self.error(
                    source, value.offset, f"enum {block.name}: value {value.name} is defined twice"
                )
            values.append(value.name)
            self.check_name(source, value.offset, value.name, f"enum {block.name}: value")
            for attribute in value.attributes:
                if attribute.name != "map":
                    raise self.unknown_attribute(
                        source, attribute, ("map",), f"enum {block.name}, value {value.name}"
                    )
                mapped[value.name] = self.map_argument(source, attribute)
        db_name = None
        for attribute in self.unique_attributes(source, block.attributes, f"enum {block.name}"):
            if attribute.name == "map":
                db_name = self.map_argument(source, attribute)
            elif attribute.name == "schema":
                self.schema_argument(source, attribute, f"enum {block.name}")
            else:
                raise self.unknown_attribute(
                    source, attribute, ("map", "schema"), f"enum {block.name}"
                )
        return Enum(name=block.name, values=values, db_name=db_name, mapped=mapped, doc=block.doc)

    # -- models
    def entity(self, block: Block) -> Entity:
        entity = Entity(name=block.name, view=block.keyword == "view", doc=block.doc)
        seen: dict[str, int] = {}
        for decl in block.fields:
            if decl.name in seen:
                raise self.error(
                    block.source,
                    decl.offset,
                    f"{block.keyword} {block.name}: field {decl.name} is defined twice "
                    f"(first at line {block.source.line_column(seen[decl.name])[0]})",
                )
            seen[decl.name] = decl.offset
            self.check_name(
                block.source, decl.offset, decl.name, f"{block.keyword} {block.name}: field"
            )
            if decl.type_name in self.models and decl.unsupported is None:
                self.relation_field(block, entity, decl)
            else:
                entity.fields.append(self.scalar_field(block, entity, decl))
        return entity

    def check_constraint_names(self) -> None:
        """Prisma refuses two constraints of one name. On PostgreSQL primary keys, unique
        constraints and indexes share a namespace per database schema; with foreign keys, one per
        table. Unnamed constraints get Prisma's conventional names (``<table>_<columns>_key``…)."""
        schema_wide: dict[tuple[str | None, str], str] = {}  # → who holds the name
        for block in self.models.values():
            entity = self.entities[block.name]
            if entity.view:
                continue
            table_wide: dict[str, int] = {}
            for number, (name, what, global_scope) in enumerate(_constraint_names(entity)):
                if len(name.encode()) > 63:
                    raise self.error(
                        block.source,
                        block.name_offset,
                        f"model {block.name}: constraint name {name!r} ({what}) is longer than "
                        "PostgreSQL's 63 bytes",
                    )
                me = f"{what} of model {block.name}"
                other = None
                if table_wide.setdefault(name, number) != number:
                    other = "another constraint or index of the same table"
                if global_scope and other is None:
                    holder = schema_wide.setdefault((entity.db_schema, name), me)
                    other = None if holder == me else f"the {holder}"  # same schema
                if other is not None:
                    raise self.error(
                        block.source,
                        block.name_offset,
                        f"model {block.name}: the {what} is named {name!r}, like {other}",
                        hint='name one of them with map: "…"',
                    )

    def check_name(self, source: Source, offset: int, name: str, what: str) -> None:
        """Prisma's identifier rules: no leading digit, no '-' (its grammar allows both)."""
        if name[0].isdigit() or "-" in name:
            problem = "starts with a digit" if name[0].isdigit() else "contains '-'"
            raise self.error(
                source, offset, f"{what} name {name!r} {problem}; Prisma does not allow it"
            )

    def check_columns(self, block: Block, entity: Entity) -> None:
        """Two fields cannot share a database column (a @map onto another field's name)."""
        seen: dict[str, str] = {}
        for field in entity.fields:
            other = seen.setdefault(field.column, field.name)
            if other != field.name:
                decl = next(d for d in block.fields if d.name == field.name)
                raise self.error(
                    block.source,
                    decl.offset,
                    f"{self.where(block, decl)}: column {field.column!r} is already the column of "
                    f"field {other}",
                    hint="give one of them another @map",
                )

    def where(self, block: Block, decl: FieldDecl | None = None) -> str:
        return f"{block.keyword} {block.name}" + (f", field {decl.name}" if decl else "")

    def scalar_field(self, block: Block, entity: Entity, decl: FieldDecl) -> Field:
        source, where = block.source, self.where(block, decl)
        self.context = f"{where}: "
        type_name = decl.type_name
        if decl.unsupported is not None:
            kind, enum_name = "string", None
        elif type_name in _SCALAR_KINDS:
            kind, enum_name = _SCALAR_KINDS[type_name], None
        elif type_name in self.enum_blocks:
            kind, enum_name = "enum", type_name
        else:
            known = list(_SCALAR_KINDS) + list(self.models) + list(self.enum_blocks)
            raise self.error(
                source,
                decl.type_offset,
                f"{where}: unknown type {type_name!r}{_closest(type_name, known)}",
                hint="use a scalar type (String, Int, BigInt, Float, Decimal, Boolean, DateTime, Json, "
                "Bytes) or the name of a model or enum",
            )
        if decl.is_list and decl.optional:
            raise self.error(
                source,
                decl.type_offset,
                f"{where}: optional lists are not supported: write {type_name}[]",
            )
        if decl.is_list and self.provider in ("mysql", "sqlite", "sqlserver"):
            raise self.error(
                source,
                decl.type_offset,
                f"{where}: {self.provider} has no scalar lists: {type_name}[] is not allowed",
            )
        field = Field(
            name=decl.name,
            kind=kind,
            required=not decl.optional and not decl.is_list,
            list=decl.is_list,
            enum=enum_name,
            doc=decl.doc,
        )
        self.scalar_types[(block.name, decl.name)] = (
            "Unsupported" if decl.unsupported is not None else type_name
        )
        if decl.unsupported is not None:
            field.native = NativeType("Unsupported", [decl.unsupported])
            field.ignored = True
        else:
            for key, number in (
                _IMPLICIT_TYPES.get(self.provider or "postgresql", {}).get(type_name, {}).items()
            ):
                setattr(field, key, number)
        for attribute in self.unique_attributes(source, decl.attributes, where):
            name = attribute.name
            if "." in name:
                self.native_type(source, attribute, field, type_name, where)
            elif name == "id":
                self.field_id(source, attribute, decl, entity, where)
            elif name == "unique":
                self.field_unique(source, attribute, decl, field, entity)
            elif name == "default":
                field.default = self.default(source, attribute, decl, where)
            elif name == "map":
                field.column = self.map_argument(source, attribute)
            elif name == "updatedAt":
                self.no_arguments(source, attribute)
                if type_name != "DateTime" or decl.is_list:
                    raise self.error(
                        source,
                        attribute.offset,
                        f"{where}: @updatedAt needs a DateTime field, found {type_name}",
                    )
                field.updated_at = True
            elif name == "ignore":
                self.no_arguments(source, attribute)
                field.ignored = True
            elif name == "relation":
                raise self.error(
                    source,
                    attribute.offset,
                    f"{where}: @relation needs a relation field; {type_name} is not a model",
                )
            else:
                raise self.unknown_attribute(source, attribute, _FIELD_ATTRIBUTES, where)
        return field

    def unique_attributes(
        self, source: Source, attributes: list[Attribute], where: str
    ) -> list[Attribute]:
        seen: set[str] = set()
        for attribute in attributes:
            repeatable = attribute.block and attribute.name in ("unique", "index", "fulltext")
            if attribute.name in seen and not repeatable:
                raise self.error(
                    source, attribute.offset, f"{where}: attribute {attribute.label} is given twice"
                )
            seen.add(attribute.name)
        return attributes

    def unknown_attribute(
        self, source: Source, attribute: Attribute, known: tuple[str, ...], where: str
    ) -> PrismaSyntaxError:
        prefix = "@@" if attribute.block else "@"
        if attribute.name in ("db.ObjectId", f"{self.datasource}.ObjectId"):
            raise self.unsupported(source, attribute.offset, "@db.ObjectId (a MongoDB type)")
        if "." in attribute.name and not attribute.block:
            hint = f"native types are written @{self.datasource}.<Type>, after the datasource name"
        else:
            hint = f"known here: {', '.join(prefix + name for name in known)}"
        return self.error(
            source,
            attribute.offset,
            f"{where}: unknown attribute {attribute.label}{_closest(attribute.name, list(known))}",
            hint=hint,
        )

    # -- arguments
    def arguments(
        self,
        source: Source,
        attribute: Attribute | CallValue,
        allowed: tuple[str, ...],
        positional: str | None = None,
        required: tuple[str, ...] = (),
    ) -> dict[str, Value]:
        """The arguments of an attribute or function call by name (an unnamed one is ``positional``)."""
        label = attribute.label if isinstance(attribute, Attribute) else f"{attribute.name}()"
        bound: dict[str, Value] = {}
        for argument in attribute.args or ():
            name = argument.name or positional
            if not allowed:
                raise self.error(
                    source, argument.offset, f"{self.context}{label} takes no argument"
                )
            if name is None:
                raise self.error(
                    source,
                    argument.offset,
                    f"{self.context}{label} takes named arguments only"
                    + (f" ({', '.join(a + ':' for a in allowed)})" if allowed else ""),
                )
            if name not in allowed:
                raise self.error(
                    source,
                    argument.offset,
                    f"{self.context}unknown argument {name!r} of {label}; expected one of {', '.join(allowed)}",
                )
            if name in bound:
                raise self.error(
                    source,
                    argument.offset,
                    f"{self.context}argument {name!r} of {label} is given twice",
                )
            if argument.value is None:
                raise self.error(
                    source,
                    argument.offset,
                    f"{self.context}expected a value after '{name}:' in {label}",
                )
            bound[name] = argument.value
        for name in required:
            if name not in bound:
                raise self.error(
                    source, attribute.offset, f"{self.context}{label} needs the argument {name!r}"
                )
        return bound

    def no_arguments(self, source: Source, attribute: Attribute | CallValue) -> None:
        self.arguments(source, attribute, ())

    def string(self, source: Source, value: Value, what: str) -> str:
        if not isinstance(value, StringValue):
            raise self.error(
                source,
                value.offset,
                f"{self.context}expected a string for {what}, found {_show(value)}",
            )
        return value.value

    def word(self, source: Source, value: Value, choices: tuple[str, ...], what: str) -> str:
        if not isinstance(value, PathValue) or value.name not in choices:
            found = _show(value)
            hint = _closest(value.name, list(choices)) if isinstance(value, PathValue) else ""
            raise self.error(
                source,
                value.offset,
                f"{self.context}expected {what} ({', '.join(choices)}), found {found}{hint}",
            )
        return value.name

    def integer(self, source: Source, value: Value, what: str, minimum: int = 0) -> int:
        if not isinstance(value, NumberValue) or "." in value.text or int(value.text) < minimum:
            raise self.error(
                source,
                value.offset,
                f"{self.context}expected an integer ≥ {minimum} for {what}, found {_show(value)}",
            )
        return int(value.text)

    def map_argument(self, source: Source, attribute: Attribute) -> str:
        args = self.arguments(source, attribute, ("name",), positional="name", required=("name",))
        name = self.string(source, args["name"], attribute.label)
        if not name:
            raise self.error(
                source,
                args["name"].offset,
                f"{self.context}{attribute.label} needs a non-empty name",
            )
        return name

    def schema_argument(self, source: Source, attribute: Attribute, where: str) -> str:
        args = self.arguments(source, attribute, ("name",), positional="name", required=("name",))
        name = self.string(source, args["name"], "@@schema")
        if self.db_schemas is None:
            raise self.error(
                source,
                attribute.offset,
                f"{where}: @@schema({name!r}) needs the schemas list in the datasource",
                hint=f'add schemas = ["{name}"] to the datasource block',
            )
        if name not in self.db_schemas:
            raise self.error(
                source,
                args["name"].offset,
                f"{where}: schema {name!r} is not in the datasource's schemas "
                f"({', '.join(self.db_schemas)})",
            )
        return name

    def field_list(
        self, source: Source, value: Value, block: Block, what: str
    ) -> list[IndexColumn]:
        """``[a, b(sort: Desc, length: 10, ops: raw("…"))]`` → index columns, fields checked."""
        items = value.items if isinstance(value, ArrayValue) else [value]
        columns: list[IndexColumn] = []
        for item in items:
            if isinstance(item, PathValue):
                name, options = item.name, {}
            elif isinstance(item, CallValue):
                name = item.name
                options = self.arguments(source, item, ("sort", "length", "ops"))
            else:
                raise self.error(
                    source, item.offset, f"expected a field name in {what}, found {_show(item)}"
                )
            column = IndexColumn(name)
            if "sort" in options:
                column.order = self.word(
                    source, options["sort"], ("Asc", "Desc"), "a sort order"
                ).lower()
            if "length" in options:
                column.length = self.integer(source, options["length"], "length", 1)
            if "ops" in options:
                column.ops = self.operator_class(source, options["ops"])
            self.check_scalar_field(source, block, name, item.offset, what)
            columns.append(column)
        if not columns:
            raise self.error(source, value.offset, f"{what} needs at least one field")
        return columns

    def operator_class(self, source: Source, value: Value) -> str:
        """``raw("gin_trgm_ops")`` → as written; Prisma's names → SQL (``JsonbPathOps`` → jsonb_path_ops)."""
        if isinstance(value, CallValue) and value.name == "raw" and len(value.args) == 1:
            return self.string(source, value.args[0].value, "raw()")  # type: ignore[arg-type]
        if isinstance(value, PathValue) and value.name.endswith("Ops"):
            return _sql_operator_class(value.name)
        raise self.error(
            source,
            value.offset,
            f'expected an operator class (like JsonbPathOps, or raw("…")), found {_show(value)}',
        )

    def check_scalar_field(
        self, source: Source, block: Block, name: str, offset: int, what: str
    ) -> None:
        if (block.name, name) in self.scalar_types:
            return
        if not any(f.name == name for f in block.fields):
            names = [f.name for f in block.fields]
            raise self.error(
                source,
                offset,
                f"{self.where(block)}: {what} names unknown field {name!r}{_closest(name, names)}",
            )
        raise self.error(
            source,
            offset,
            f"{self.where(block)}: {what} names relation field {name!r}; use its scalar fields",
        )

    # -- field attributes
    def field_id(
        self, source: Source, attribute: Attribute, decl: FieldDecl, entity: Entity, where: str
    ) -> None:
        args = self.arguments(source, attribute, ("map", "length", "sort", "clustered"))
        if decl.optional or decl.is_list:
            raise self.error(
                source, attribute.offset, f"{where}: an @id field must be required and not a list"
            )
        if entity.primary_key:
            raise self.error(
                source,
                attribute.offset,
                f"{where}: model {entity.name} already has @id on field {entity.primary_key[0]}",
                hint="a primary key over several fields is written @@id([a, b])",
            )
        entity.primary_key = [decl.name]
        if "map" in args:
            entity.primary_key_name = self.string(source, args["map"], "map")

    def field_unique(
        self, source: Source, attribute: Attribute, decl: FieldDecl, field: Field, entity: Entity
    ) -> None:
        args = self.arguments(source, attribute, ("map", "length", "sort", "clustered"))
        name = self.string(source, args["map"], "map") if "map" in args else None
        column = IndexColumn(decl.name)
        if "sort" in args:
            column.order = self.word(source, args["sort"], ("Asc", "Desc"), "a sort order").lower()
        if "length" in args:
            column.length = self.integer(source, args["length"], "length", 1)
        clustered = (
            self.word(source, args["clustered"], ("true", "false"), "true or false") == "true"
            if "clustered" in args
            else None
        )
        if column.order or column.length is not None or clustered is not None:
            # the field cannot say "unique, descending": an index can
            entity.indexes.append(Index([column], unique=True, name=name, clustered=clustered))
        else:
            field.unique, field.unique_name = True, name

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

    # -- block attributes
    def model_attributes(self, block: Block, entity: Entity) -> None:
        source = block.source
        where = self.where(block)
        self.context = f"{where}: "
        for attribute in self.unique_attributes(source, block.attributes, where):
            name = attribute.name
            if name == "map":
                entity.table = self.map_argument(source, attribute)
            elif name == "schema":
                entity.db_schema = self.schema_argument(source, attribute, where)
            elif name == "ignore":
                self.no_arguments(source, attribute)
                entity.ignored = True
            elif name == "id":
                args = self.arguments(
                    source,
                    attribute,
                    ("fields", "name", "map", "length", "sort", "clustered"),
                    "fields",
                    ("fields",),
                )
                if entity.primary_key:
                    raise self.error(
                        source,
                        attribute.offset,
                        f"{where}: @@id and a field @id cannot both be given",
                    )
                columns = self.field_list(source, args["fields"], block, "@@id")
                for column in columns:
                    decl = next(f for f in block.fields if f.name == column.field)
                    if decl.optional:
                        raise self.error(
                            source,
                            attribute.offset,
                            f"{where}: @@id field {decl.name} must be required",
                        )
                entity.primary_key = [c.field for c in columns]
                if "map" in args:
                    entity.primary_key_name = self.string(source, args["map"], "map")
            elif name in ("unique", "index", "fulltext"):
                index = self.index(source, attribute, block, entity)
                if index is not None:
                    entity.indexes.append(index)
            else:
                raise self.unknown_attribute(source, attribute, _MODEL_ATTRIBUTES, where)
        if entity.view and entity.primary_key:
            raise self.error(
                source,
                block.name_offset,
                f"view {block.name} cannot have a primary key (@id or @@id)",
                hint="use @unique or @@unique instead",
            )
        if not entity.primary_key and not entity.view and not entity.ignored:
            # Unsupported fields do not count: the client could not use them as a key
            usable = {f.name for f in entity.fields if f.required and not f.ignored}
            has_unique = any(f.unique and f.name in usable for f in entity.fields) or any(
                i.unique and set(i.fields) <= usable for i in entity.indexes
            )
            if not has_unique:
                raise self.error(
                    source,
                    block.name_offset,
                    f"model {block.name} has no unique criteria",
                    hint="mark a field @id or @unique, or add @@id([...]) or @@unique([...]) over required fields",
                )

    def index(
        self, source: Source, attribute: Attribute, block: Block, entity: Entity
    ) -> Index | None:
        """An @@index / @@unique / @@fulltext; None when it is a plain single-column unique, which
        the field itself records."""
        kind, where = attribute.name, self.where(block)
        allowed = {
            "unique": ("fields", "name", "map", "length", "sort", "clustered"),
            "index": ("fields", "name", "map", "type", "clustered"),
            "fulltext": ("fields", "map"),
        }[kind]
        args = self.arguments(source, attribute, allowed, "fields", ("fields",))
        columns = self.field_list(source, args["fields"], block, attribute.label)
        index = Index(columns, unique=kind == "unique", fulltext=kind == "fulltext")
        if kind == "fulltext" and self.provider not in ("mysql", None):
            raise self.error(
                source,
                attribute.offset,
                f"{where}: @@fulltext is for MySQL only, not {self.provider}",
            )
        if kind == "fulltext" and any(c.order or c.length for c in columns):
            raise self.error(
                source,
                attribute.offset,
                f"{where}: @@fulltext takes neither sort nor length on its fields",
            )
        if "map" in args:
            index.name = self.string(source, args["map"], "map")
        if "name" in args:
            name = self.string(source, args["name"], "name")
            if kind == "index":  # a legacy spelling of map
                if "map" in args:
                    raise self.error(
                        source,
                        args["name"].offset,
                        f"{where}: @@index takes map: or its legacy alias name:, not both",
                    )
                index.name = name
            else:
                index.model_name = name
        if "type" in args:
            index.type = self.word(source, args["type"], _INDEX_TYPES, "an index type")
        if "clustered" in args:
            index.clustered = (
                self.word(source, args["clustered"], ("true", "false"), "true or false") == "true"
            )
        if (
            kind == "unique"
            and len(columns) == 1
            and not index.model_name
            and index.clustered is None
        ):
            column = columns[0]
            field = entity.field(column.field)
            if not column.order and column.length is None and not field.unique:
                field.unique, field.unique_name = True, index.name
                return None
        return index

    # -- relations
    def relation_field(self, block: Block, entity: Entity, decl: FieldDecl) -> None:
        source, where = block.source, self.where(block, decl)
        self.context = f"{where}: "
        if decl.is_list and decl.optional:
            raise self.error(
                source,
                decl.type_offset,
                f"{where}: optional lists are not supported: write {decl.type_name}[]",
            )
        relation_attribute = None
        ignored = False
        for attribute in self.unique_attributes(source, decl.attributes, where):
            if attribute.name == "relation":
                relation_attribute = attribute
            elif attribute.name == "ignore":
                self.no_arguments(source, attribute)
                ignored = True
            else:
                raise self.unknown_attribute(
                    source, attribute, ("relation", "ignore"), f"{where} (a relation field)"
                )
        info = _RelationField(block, decl, entity, relation_attribute, ignored)
        if relation_attribute is not None:
            args = self.arguments(
                source,
                relation_attribute,
                ("name", "fields", "references", "map", "onDelete", "onUpdate"),
                "name",
            )
            if "name" in args:
                info.name = self.string(source, args["name"], "the relation name")
                if not info.name:
                    raise self.error(
                        source, args["name"].offset, f"{where}: a relation name cannot be empty"
                    )
            for key in ("fields", "references"):
                if key in args:
                    value = args[key]
                    items = value.items if isinstance(value, ArrayValue) else [value]
                    names = []
                    for item in items:
                        if not isinstance(item, PathValue):
                            raise self.error(
                                source,
                                item.offset,
                                f"expected a field name in {key}, found {_show(item)}",
                            )
                        names.append(item.name)
                    setattr(info, key, names)
            if "map" in args:
                info.map = self.string(source, args["map"], "map")
            for key, attr in (("onDelete", "on_delete"), ("onUpdate", "on_update")):
                if key in args:
                    setattr(
                        info,
                        attr,
                        self.word(source, args[key], REFERENTIAL_ACTIONS, "a referential action"),
                    )
        self.relation_fields.append(info)

    def pair_relations(self) -> None:
        self.context = ""
        groups: dict[tuple[str, str, str | None], list[_RelationField]] = {}
        for info in self.relation_fields:
            key = (*sorted((info.model.name, info.target)), info.name)
            groups.setdefault(key, []).append(info)  # type: ignore[arg-type]
        joins: list[Entity] = []
        for (first, second, name), members in groups.items():
            one = members[0]
            if len(members) == 1 or (
                first != second and len({m.model.name for m in members}) == 1 and len(members) == 2
            ):
                if len(members) == 2:
                    raise self.ambiguous(members)
                raise self.error(
                    one.model.source,
                    one.decl.offset,
                    f"{self.where(one.model, one.decl)}: the relation to {one.target} has no opposite relation field "
                    f"on model {one.target}",
                    hint=f"add a field of type {one.model.name}{'' if one.decl.is_list else '[]'} to {one.target}"
                    + (f' with @relation("{name}")' if name else ""),
                )
            if len(members) > 2:
                raise self.ambiguous(members)
            relation_name = name or f"{first}To{second}"
            a, b = members
            self.check_ignored_target(a)
            self.check_ignored_target(b)
            if a.decl.is_list and b.decl.is_list:
                joins.append(self.many_to_many(a, b, relation_name))
            else:
                self.one_to_x(a, b, relation_name)
        self.schema.entities.extend(sorted(joins, key=lambda e: e.name))

    def ambiguous(self, members: list[_RelationField]) -> PrismaSyntaxError:
        first, second = members[0], members[1]
        return self.error(
            second.model.source,
            second.decl.offset,
            f"ambiguous relation: fields {first.decl.name} and {second.decl.name} of model {first.model.name} "
            f"both refer to {first.target}",
            hint='give each relation a name on both sides: @relation("name")',
        )

    def check_ignored_target(self, side: _RelationField) -> None:
        if self.entities[side.target].ignored and not side.ignored and not side.entity.ignored:
            raise self.relation_error(
                side,
                f"model {side.target} is @@ignore'd, so this relation field must be @ignore'd too",
                hint=f"add @ignore to {side.decl.name}",
            )

    def one_to_x(self, a: _RelationField, b: _RelationField, relation_name: str) -> None:
        for side in (a, b):
            if side.decl.is_list and (side.fields or side.references):
                raise self.relation_error(
                    side,
                    "a list relation field cannot hold fields/references; "
                    "put them on the opposite field",
                )
        owners = [side for side in (a, b) if side.fields is not None or side.references is not None]
        if len(owners) == 2:
            raise self.relation_error(
                b,
                f"both sides ({a.decl.name} and {b.decl.name}) give fields/references; "
                "only the side holding the foreign key does",
            )
        if not owners:
            single = a if not a.decl.is_list else b
            raise self.relation_error(
                single, "this side must give @relation(fields: [...], references: [...])"
            )
        owner = owners[0]
        back = b if owner is a else a
        if back.on_delete or back.on_update or back.map:
            raise self.relation_error(
                back,
                f"onDelete, onUpdate and map go on the side holding the foreign key "
                f"({owner.model.name}.{owner.decl.name})",
            )
        if owner.fields is None or owner.references is None:
            missing = "references" if owner.references is None else "fields"
            raise self.relation_error(
                owner,
                f"@relation needs {missing}: [...] along with "
                f"{'fields' if missing == 'references' else 'references'}",
            )
        if len(owner.fields) != len(owner.references) or not owner.fields:
            raise self.relation_error(
                owner, "fields and references must list the same, non-zero number of fields"
            )
        target_block = self.models[owner.target]
        target_entity = self.entities[owner.target]
        for local, remote in zip(owner.fields, owner.references, strict=True):
            self.check_scalar_field(
                owner.model.source, owner.model, local, owner.attribute.offset, "fields"
            )  # type: ignore[union-attr]
            self.check_scalar_field(
                owner.model.source, target_block, remote, owner.attribute.offset, "references"
            )  # type: ignore[union-attr]
            local_type = self.scalar_types[(owner.model.name, local)]
            remote_type = self.scalar_types[(owner.target, remote)]
            if local_type != remote_type:
                raise self.relation_error(
                    owner,
                    f"field {local} is {local_type} but references {owner.target}.{remote} "
                    f"of type {remote_type}",
                )
        if set(owner.references) not in _unique_sets(target_entity):
            raise self.relation_error(
                owner,
                f"references [{', '.join(owner.references)}] is not a unique criterion of "
                f"{owner.target} (its @id, an @unique field or an @@unique)",
                hint=f"add @unique to {owner.target}.{owner.references[0]}",
            )
        fk_fields = [owner.entity.field(name) for name in owner.fields]
        optional = [f.name for f in fk_fields if not f.required and not f.list]
        required = not optional
        if not owner.decl.optional and optional:
            raise self.relation_error(
                owner,
                f"foreign-key field {optional[0]} is "
                f"optional, so the relation field must be optional too: write {owner.target}?",
            )
        one_to_one = not back.decl.is_list
        if one_to_one:
            if not back.decl.optional:
                raise self.relation_error(
                    back,
                    f"the side without the foreign key of a one-to-one relation must be "
                    f"optional: write {back.target}?",
                )
            if set(owner.fields) not in _unique_sets(owner.entity):
                raise self.relation_error(
                    owner,
                    "a one-to-one relation needs unique foreign-key fields",
                    hint=f"add @unique to {owner.fields[0]} or @@unique over the foreign-key "
                    f"fields, or make {back.model.name}.{back.decl.name} a list",
                )
        owner.entity.relations.append(Relation(
            name=owner.decl.name, target=owner.target, type="one-to-one" if one_to_one else "many-to-one",
            fields=list(owner.fields), references=list(owner.references), relation_name=relation_name,
            on_delete=owner.on_delete, on_update=owner.on_update, constraint_name=owner.map, required=required,
            ignored=owner.ignored or self.entities[owner.target].ignored,
        ))  # fmt: skip
        back.entity.relations.append(Relation(
            name=back.decl.name, target=back.target, type="one-to-one" if one_to_one else "one-to-many",
            relation_name=relation_name, ignored=back.ignored or self.entities[back.target].ignored,
        ))  # fmt: skip

    def relation_error(
        self, side: _RelationField, message: str, hint: str | None = None
    ) -> PrismaSyntaxError:
        offset = side.attribute.offset if side.attribute is not None else side.decl.offset
        return self.error(
            side.model.source, offset, f"{self.where(side.model, side.decl)}: {message}", hint
        )

    def many_to_many(self, a: _RelationField, b: _RelationField, relation_name: str) -> Entity:
        for side in (a, b):
            if side.fields or side.references or side.on_delete or side.on_update or side.map:
                raise self.relation_error(
                    side,
                    "an implicit many-to-many relation takes only a name in @relation; "
                    "fields, references, onDelete, onUpdate and map are fixed by Prisma",
                )
            target = self.entities[side.target]
            if len(target.primary_key) != 1:
                raise self.relation_error(
                    side,
                    f"an implicit many-to-many relation needs a single-field @id on {side.target}",
                    hint="use an explicit join model instead",
                )
        join = _join_entity(
            relation_name, *sorted((a.target, b.target)), self.entities, self.provider
        )
        for side in (a, b):
            side.entity.relations.append(Relation(
                name=side.decl.name, target=side.target, type="many-to-many", relation_name=relation_name,
                through=join.name, ignored=side.ignored or self.entities[side.target].ignored,
            ))  # fmt: skip
        return join


def _join_entity(
    relation_name: str, first: str, second: str, entities: dict[str, Entity], provider: str | None
) -> Entity:
    """The table Prisma Migrate creates for an implicit many-to-many relation.

    Named ``_<relation name>`` (``_AToB`` by default: the two model names sorted), with columns
    ``A`` (referencing the id of the alphabetically first model) and ``B`` (the second), typed like
    those ids. Since Prisma 6, PostgreSQL gets the primary key ``_<name>_AB_pkey`` on (A, B); the
    other databases (and CockroachDB) keep the unique index ``_<name>_AB_unique``. Every database
    gets the index ``_<name>_B_index`` on B and the foreign keys ``_<name>_A_fkey`` /
    ``_<name>_B_fkey`` with ON DELETE CASCADE ON UPDATE CASCADE. The table lives in the database
    schema of the first model.
    """
    table = f"_{relation_name}"
    join = Entity(name=table, table=table, join_table=True, db_schema=entities[first].db_schema)
    names = [_lower_first(first), _lower_first(second)]
    if names[0] == names[1]:  # a self relation
        names = [names[0] + "A", names[1] + "B"]
    for column, model, relation in zip("AB", (first, second), names, strict=True):
        key = entities[model].primary_key_fields[0]
        join.fields.append(Field(
            name=column, kind=key.kind, required=True, length=key.length, precision=key.precision,
            scale=key.scale, timezone=key.timezone, enum=key.enum,
            native=NativeType(key.native.name, list(key.native.args)) if key.native else None,
        ))  # fmt: skip
        join.relations.append(Relation(
            name=relation, target=model, type="many-to-one", fields=[column], references=[key.name],
            on_delete="Cascade", on_update="Cascade", constraint_name=f"{table}_{column}_fkey", required=True,
        ))  # fmt: skip
    if provider in ("postgresql", None):
        join.primary_key, join.primary_key_name = ["A", "B"], f"{table}_AB_pkey"
    else:
        join.indexes.append(
            Index([IndexColumn("A"), IndexColumn("B")], unique=True, name=f"{table}_AB_unique")
        )
    join.indexes.append(Index([IndexColumn("B")], name=f"{table}_B_index"))
    return join


def _constraint_names(entity: Entity) -> list[tuple[str, str, bool]]:
    """(name, description, shares the schema-wide namespace?) of every constraint and index of
    ``entity``, conventional names (Prisma's, cut to PostgreSQL's 63 bytes) where none is given."""
    table = entity.table
    columns = {f.name: f.column for f in entity.fields}
    names = []
    if entity.primary_key:
        names.append((entity.primary_key_name or _cut(table, 5) + "_pkey", "primary key", True))
    for f in entity.fields:
        if f.unique:
            names.append(
                (
                    f.unique_name or _cut(f"{table}_{f.column}", 4) + "_key",
                    f"unique constraint on {f.name}",
                    True,
                )
            )
    for index in entity.indexes:
        suffix, what = ("_key", "unique constraint") if index.unique else ("_idx", "index")
        default = (
            _cut(f"{table}_{'_'.join(columns[c] for c in index.fields)}", len(suffix)) + suffix
        )
        names.append((index.name or default, f"{what} on {', '.join(index.fields)}", True))
    for relation in entity.foreign_keys():
        default = _cut(f"{table}_{'_'.join(columns[c] for c in relation.fields)}", 5) + "_fkey"
        names.append((relation.constraint_name or default, f"foreign key {relation.name}", False))
    return names


def _cut(text: str, suffix: int, limit: int = 63) -> str:
    """``text`` cut so that with a suffix of ``suffix`` bytes it stays under ``limit`` bytes."""
    data = text.encode()
    if len(data) >= limit - suffix:
        return data[: limit - suffix].decode(errors="ignore")
    return text


def _unique_sets(entity: Entity) -> list[set[str]]:
    """Field sets that identify a row: the primary key, unique fields, unique indexes."""
    sets = [set(entity.primary_key)] if entity.primary_key else []
    sets += [{f.name} for f in entity.fields if f.unique]
    sets += [set(i.fields) for i in entity.indexes if i.unique]
    return sets


def _has_timestamps(entity: Entity) -> bool:
    """True when the entity has a created-at field (``@default(now())``, named like "created…") and
    an ``@updatedAt`` field: what the @mostajs ``timestamps`` flag stands for."""
    created = any(
        f.kind == "datetime"
        and f.default is not None
        and f.default.kind == "now"
        and "created" in f.name.lower()
        for f in entity.fields
    )
    return created and entity.updated_at_field is not None


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


def _sql_operator_class(name: str) -> str:
    """Prisma's CamelCase operator class names are PostgreSQL's snake_case ones, except that
    "minmax", "timestamptz", "timetz" and "varbit" are single words in PostgreSQL."""
    words = re.findall(r"[A-Z][a-z]*[0-9]*", name)
    snake = "_".join(word.lower() for word in words)
    for split, joined in (("min_max", "minmax"), ("_tz_", "tz_"), ("var_bit", "varbit")):
        snake = snake.replace(split, joined)
    return snake


_WRONG = object()  # a literal of the wrong form for the field's type

#: model, view and enum names Prisma Client reserves: its own name and JavaScript's keywords
_RESERVED_NAMES = frozenset(
    "PrismaClient break case catch class const continue debugger default delete do else enum "
    "export extends false finally for function if implements import in instanceof interface let "
    "new null package private protected public return super switch this throw true try typeof "
    "var void while with yield".split()
)


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


def _show(value: Value) -> str:
    if isinstance(value, StringValue):
        return json.dumps(value.value)
    if isinstance(value, NumberValue):
        return value.text
    if isinstance(value, PathValue):
        return value.name
    if isinstance(value, CallValue):
        return f"{value.name}(…)"
    return "a list"
