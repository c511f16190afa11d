"""PostgreSQL: Prisma's PostgreSQL mapping, real ENUM types, arrays, SERIAL.

==========  ======================================  ==============================================
kind        column type                              Prisma native types honoured (``@db.*``)
==========  ======================================  ==============================================
string      TEXT, VARCHAR(n) with a length           Text, VarChar(n), Char(n), Bit(n), VarBit(n),
                                                     Xml, Inet, Citext
int         INTEGER (SERIAL when autoincrement)      Integer, Oid
smallint    SMALLINT (SMALLSERIAL)                   SmallInt
bigint      BIGINT (BIGSERIAL)                       BigInt
float       DOUBLE PRECISION                         DoublePrecision, Real
real        REAL
decimal     DECIMAL(p,s), default (65,30)            Decimal(p,s), Money
boolean     BOOLEAN
datetime    TIMESTAMP(p) / TIMESTAMPTZ(p), p=3       Timestamp(p), Timestamptz(p), Date, Time(p)
date        DATE
time        TIME(p) / TIMETZ(p)                      Time(p), Timetz(p)
json        JSONB                                    Json, JsonB
bytes       BYTEA
uuid        UUID                                     Uuid
enum        named ENUM type (CREATE TYPE)
list of T   T[]
==========  ======================================  ==============================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.sql import quoted_name

from .base import (
    Dialect,
    NamedType,
    NativeFactory,
    TypeFactory,
    datetime_precision,
    field_precision,
)

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SQLAlchemyDialect

    from ..schema.model import Entity, Enum, Field, Index


def _opt(args: tuple[int, ...], index: int = 0) -> int | None:
    return args[index] if len(args) > index else None


#: ``autoincrement()`` on a column SQLAlchemy would not make SERIAL itself (not the primary key)
_SERIAL = {"int": "SERIAL", "smallint": "SMALLSERIAL", "bigint": "BIGSERIAL"}

#: Prisma index types → PostgreSQL access methods
_INDEX_METHODS = ("btree", "hash", "gist", "gin", "spgist", "brin")


class PostgresDialect(Dialect):
    name = "postgres"
    quote_char = '"'
    max_identifier_length = 63
    enum_style = "type"
    transactional_ddl = True
    alter_add_foreign_key = True
    supports_arrays = True
    supports_schemas = True
    PROVIDERS = ("postgresql", "postgres", "cockroachdb")
    # MySQL's Bit(1) is Prisma's Boolean, PostgreSQL's BIT(1) a bit string
    AMBIGUOUS_NATIVES = frozenset({"bit"})
    reflected_time_precision = 6  # timestamp / time without (p) keep microseconds

    REFLECTED_NATIVE: ClassVar[dict[str, str]] = {
        "VARCHAR": "VarChar",
        "CHAR": "Char",
        "TEXT": "Text",
        "CITEXT": "Citext",
        "INET": "Inet",
        "BIT": "Bit",
        "UUID": "Uuid",
        "BOOLEAN": "Boolean",
        "INTEGER": "Integer",
        "SMALLINT": "SmallInt",
        "BIGINT": "BigInt",
        "OID": "Oid",
        "DOUBLE_PRECISION": "DoublePrecision",
        "REAL": "Real",
        "NUMERIC": "Decimal",
        "MONEY": "Money",
        "TIMESTAMP": "Timestamp",
        "TIMESTAMP WITH TIME ZONE": "Timestamptz",
        "DATE": "Date",
        "TIME": "Time",
        "TIME WITH TIME ZONE": "Timetz",
        "JSON": "Json",
        "JSONB": "JsonB",
        "BYTEA": "ByteA",
    }

    TYPE_MAP: ClassVar[dict[str, TypeFactory]] = {
        **Dialect.TYPE_MAP,
        "float": lambda f: pg.DOUBLE_PRECISION(),
        "datetime": lambda f: pg.TIMESTAMP(timezone=f.timezone, precision=datetime_precision(f)),
        "time": lambda f: pg.TIME(timezone=f.timezone, precision=field_precision(f)),
        "json": lambda f: pg.JSONB(),
        "bytes": lambda f: pg.BYTEA(),
        "uuid": lambda f: pg.UUID(),
    }

    NATIVE_TYPES: ClassVar[dict[str, NativeFactory]] = {
        "text": lambda a: pg.TEXT(),
        "varchar": lambda a: pg.VARCHAR(_opt(a)),
        "char": lambda a: pg.CHAR(_opt(a)),
        "bit": lambda a: pg.BIT(_opt(a) or 1),
        "varbit": lambda a: pg.BIT(_opt(a), varying=True),
        "xml": lambda a: NamedType("XML"),
        "inet": lambda a: pg.INET(),
        "citext": lambda a: pg.CITEXT(),
        "boolean": lambda a: pg.BOOLEAN(),
        "integer": lambda a: pg.INTEGER(),
        "smallint": lambda a: pg.SMALLINT(),
        "bigint": lambda a: pg.BIGINT(),
        "oid": lambda a: pg.OID(),
        "doubleprecision": lambda a: pg.DOUBLE_PRECISION(),
        "real": lambda a: pg.REAL(),
        "decimal": lambda a: sa.DECIMAL(*a) if a else sa.DECIMAL(),
        "money": lambda a: pg.MONEY(),
        "timestamp": lambda a: pg.TIMESTAMP(precision=_opt(a)),
        "timestamptz": lambda a: pg.TIMESTAMP(timezone=True, precision=_opt(a)),
        "date": lambda a: pg.DATE(),
        "time": lambda a: pg.TIME(precision=_opt(a)),
        "timetz": lambda a: pg.TIME(timezone=True, precision=_opt(a)),
        "json": lambda a: pg.JSON(),
        "jsonb": lambda a: pg.JSONB(),
        "bytea": lambda a: pg.BYTEA(),
        "uuid": lambda a: pg.UUID(),
    }

    EXPRESSIONS: ClassVar[dict[str, str]] = {
        "uuid()": "gen_random_uuid()",
        "(uuid())": "gen_random_uuid()",
        "current_timestamp": "CURRENT_TIMESTAMP",
        "now()": "now()",
    }

    def enum_type(self, enum: Enum, field: Field) -> sa.types.TypeEngine:
        # the type is created by enum_statements(), once per schema, not per column
        return pg.ENUM(
            *enum.db_values(), name=quoted_name(enum.type_name, quote=True), create_type=False
        )

    def enum_statements(self, enum: Enum, *, if_not_exists: bool = False) -> list[str]:
        values = ", ".join(self.string_literal(value) for value in enum.db_values())
        create = f"CREATE TYPE {self.quote(enum.type_name)} AS ENUM ({values})"
        if if_not_exists:
            # PostgreSQL has no CREATE TYPE IF NOT EXISTS
            create = f"DO $$ BEGIN {create}; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        return [create]

    def drop_enum_statements(self, enum: Enum) -> list[str]:
        return [f"DROP TYPE IF EXISTS {self.quote(enum.type_name)}"]

    def enum_types(
        self, connection: sa.Connection, schema_name: str | None
    ) -> dict[str, list[str]]:
        enums = sa.inspect(connection).get_enums(schema=schema_name or None)
        return {enum["name"]: list(enum["labels"]) for enum in enums}

    def autoincrement(
        self, entity: Entity, field: Field
    ) -> tuple[sa.types.TypeEngine | None, bool]:
        serial = _SERIAL.get(field.kind, "SERIAL")
        if entity.primary_key == [field.name] or entity.primary_key == [field.column]:
            return None, True  # SQLAlchemy writes SERIAL / BIGSERIAL for the key itself
        return NamedType(serial, field.kind), False

    def literal_sql(self, value: Any, field: Field) -> str:
        if field.list and isinstance(value, list):
            # Prisma: ARRAY['a', 'b']::TEXT[] (the cast types an empty array)
            base = sa.types.to_instance(self.TYPE_MAP[field.kind](field))
            item_field = _scalar_copy(field)
            items = ", ".join(self.literal_sql(item, item_field) for item in value)
            type_sql = base.compile(dialect=self.sqlalchemy_dialect())
            return f"ARRAY[{items}]::{type_sql}[]"
        return super().literal_sql(value, field)

    def index_options(self, entity: Entity, index: Index) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if index.type and index.type.lower() in _INDEX_METHODS:
            options["postgresql_using"] = index.type.lower()
        ops = {column.field: column.ops for column in index.columns if column.ops}
        if ops:
            options["postgresql_ops"] = {entity.field(name).column: op for name, op in ops.items()}
        return options

    def sqlalchemy_dialect(self) -> SQLAlchemyDialect:
        from sqlalchemy.dialects.postgresql.psycopg import dialect

        return dialect(paramstyle="named")


def _scalar_copy(field: Field) -> Field:
    from dataclasses import replace

    return replace(field, list=False)


DIALECT = PostgresDialect()
