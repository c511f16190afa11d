"""Keys and indexes for the Prisma importer (:mod:`mostaframe.schema.prisma`).

A field's ``@id`` and ``@unique``, and a model's block attributes: ``@@id``, ``@@unique``,
``@@index``, ``@@fulltext`` (with their field lists, sort orders, lengths and operator classes),
``@@map``, ``@@schema`` and ``@@ignore``; a model without any unique criteria is refused, as
Prisma refuses it.
"""

from __future__ import annotations

import re

from .model import Entity, Field, Index, IndexColumn
from .prisma_arguments import _AttributeReader, _show
from .prisma_parser import (
    ArrayValue,
    Attribute,
    Block,
    CallValue,
    FieldDecl,
    PathValue,
    Source,
    Value,
)

_MODEL_ATTRIBUTES = ("id", "unique", "index", "fulltext", "map", "schema", "ignore")
_INDEX_TYPES = ("BTree", "Hash", "Gist", "Gin", "SpGist", "Brin")


class _Keys(_AttributeReader):
    """Primary keys, unique constraints and indexes, from field and block attributes."""

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


def _sql_operator_class(name: str) -> str:
    """Prisma's CamelCase operator class names are PostgreSQL's snake_case ones, except that
    "minmax", "timestamptz", "timetz" and "varbit" are single words in PostgreSQL."""
    words = re.findall(r"[A-Z][a-z]*[0-9]*", name)
    snake = "_".join(word.lower() for word in words)
    for split, joined in (("min_max", "minmax"), ("_tz_", "tz_"), ("var_bit", "varbit")):
        snake = snake.replace(split, joined)
    return snake
