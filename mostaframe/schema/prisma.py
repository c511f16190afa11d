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
  join entity Prisma creates (``_AToB`` with columns ``A``/``B``, see
  :func:`~mostaframe.schema.prisma_relations._join_entity`);
* ``Unsupported("…")`` fields are kept as *ignored* string fields whose ``native`` is
  ``NativeType("Unsupported", ["<database type>"])``: the column exists in the database (a copy can
  read it cast to text, DDL can recreate it for the same database) but Prisma's client, like
  mostaframe's model, has no type for it;
* scalar lists (``Int[]``) are ``list=True`` and ``required=False``: Prisma creates array columns
  without NOT NULL even though its client never returns null for them.

MongoDB (``provider = "mongodb"``, composite ``type`` blocks, ``@db.ObjectId``, ``auto()``) raises
:class:`~mostaframe.errors.UnsupportedError`.

The work is split by what it checks and builds; :class:`_Builder` here runs the steps in order
and joins the pieces, each one a mixin over the shared state of
:class:`~mostaframe.schema.prisma_arguments._AttributeReader`:

* :mod:`~mostaframe.schema.prisma_arguments`: errors, attribute arguments and their values;
* :mod:`~mostaframe.schema.prisma_types`: scalar and ``@db.*`` native type tables per provider,
  ``@default`` values;
* :mod:`~mostaframe.schema.prisma_keys`: ``@id``/``@unique`` and the model's block attributes
  (``@@id``, ``@@unique``, ``@@index``, ``@@fulltext``, ``@@map``, ``@@schema``, ``@@ignore``);
* :mod:`~mostaframe.schema.prisma_relations`: relation fields, their pairing, implicit
  many-to-many join entities;
* :mod:`~mostaframe.schema.prisma_checks`: name rules, column and constraint-name collisions.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from ..errors import SchemaError
from .model import Entity, Enum, Field, NativeType, Schema
from .prisma_arguments import _closest
from .prisma_checks import _RESERVED_NAMES, _Checks
from .prisma_keys import _Keys
from .prisma_parser import ArrayValue, Block, FieldDecl, parse_blocks
from .prisma_relations import _Relations
from .prisma_types import _FIELD_ATTRIBUTES, _IMPLICIT_TYPES, _SCALAR_KINDS, _FieldTypes

# re-exported: tests check every native type against Prisma's own list
from .prisma_types import _NATIVE_TYPES as _NATIVE_TYPES

__all__ = ["import_prisma", "parse_prisma"]

#: provider spellings Prisma accepts → the name recorded on Schema.provider
_PROVIDERS = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "cockroachdb": "cockroachdb",
    "mysql": "mysql",
    "sqlite": "sqlite",
    "sqlserver": "sqlserver",
}

_DATASOURCE_PROPERTIES = (
    "provider", "url", "directUrl", "shadowDatabaseUrl", "relationMode", "referentialIntegrity",
    "extensions", "schemas",
)  # fmt: skip


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


class _Builder(_Keys, _Relations, _FieldTypes, _Checks):
    """One import: reads the blocks of every file, then builds and checks the schema from them."""

    def __init__(self, files: list[tuple[str, str]]) -> None:
        # the attributes are declared, with what they hold, on _AttributeReader
        self.blocks = [block for path, text in files for block in parse_blocks(text, path)]
        self.provider = None
        self.datasource = "db"
        self.db_schemas = None
        self.models = {}
        self.enum_blocks = {}
        self.schema = Schema()
        self.entities = {}
        self.scalar_types = {}
        self.relation_fields = []
        self.context = ""

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
