"""The entity model and its file format: ``Schema`` ⇄ ``entities.json`` ⇄ Prisma / live databases."""

from .jsonfile import dumps, read_schema, schema_from_json, schema_to_json, write_schema
from .model import (
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

__all__ = [
    "Default",
    "Entity",
    "Enum",
    "Field",
    "Index",
    "IndexColumn",
    "NativeType",
    "Relation",
    "Schema",
    "dumps",
    "read_schema",
    "schema_from_json",
    "schema_to_json",
    "write_schema",
]
