"""DuckDB: native types, ENUM types, sequences for autoincrement, UNIQUE constraints.

==========  ==========================================  ===========================================
kind        column type                                 notes
==========  ==========================================  ===========================================
string      VARCHAR                                     DuckDB does not enforce or keep a length
int         INTEGER                                     autoincrement: sequence + nextval()
smallint    SMALLINT
bigint      BIGINT
float       DOUBLE
real        REAL
decimal     DECIMAL(p,s) when p ≤ 38, else VARCHAR      DuckDB's DECIMAL stops at 38 digits; Prisma's
                                                        default (65,30) is kept as exact text
boolean     BOOLEAN
datetime    TIMESTAMP / TIMESTAMPTZ                     always microseconds (precision not kept)
date        DATE
time        TIME / TIMETZ
json        JSON
bytes       BLOB
uuid        UUID
enum        named ENUM type (CREATE TYPE)
list of T   T[]
==========  ==========================================  ===========================================

Foreign keys: DuckDB enforces only RESTRICT / NO ACTION, cannot add a foreign key after CREATE
TABLE (so foreign keys that close a cycle are left out, with a warning), and lets a foreign key
reference only a PRIMARY KEY or UNIQUE *constraint* — so uniques are constraints here, not indexes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.sql import quoted_name

from .base import Dialect, NamedType, NativeFactory, TypeFactory, decimal_args

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SQLAlchemyDialect

    from ..schema.model import Entity, Enum, Field, Schema

#: DuckDB's largest DECIMAL precision
MAX_DECIMAL_PRECISION = 38


def _decimal(field: Field) -> sa.types.TypeEngine:
    precision, scale = decimal_args(field)
    if precision > MAX_DECIMAL_PRECISION:
        # lossless fallback: DOUBLE would round, DECIMAL(38, s) would overflow
        return sa.VARCHAR()
    return sa.DECIMAL(precision, scale)


class DuckDBDialect(Dialect):
    name = "duckdb"
    quote_char = '"'
    enum_style = "type"
    transactional_ddl = True
    alter_add_foreign_key = False
    unique_as_constraint = True
    referential_actions = frozenset({"Restrict", "NoAction"})
    supports_arrays = True
    # DuckDB accepts CONSTRAINT names but reports its own (<table>_<cols>_pkey)
    named_primary_key = False
    PROVIDERS = ("duckdb",)

    TYPE_MAP: ClassVar[dict[str, TypeFactory]] = {
        **Dialect.TYPE_MAP,
        "string": lambda f: sa.VARCHAR(),
        "float": lambda f: sa.DOUBLE(),
        "decimal": _decimal,
        "datetime": lambda f: NamedType("TIMESTAMPTZ" if f.timezone else "TIMESTAMP"),
        "time": lambda f: NamedType("TIMETZ" if f.timezone else "TIME"),
        "bytes": lambda f: sa.BLOB(),
    }

    # DuckDB type names as reflection reports them
    NATIVE_TYPES: ClassVar[dict[str, NativeFactory]] = {
        "tinyint": lambda a: NamedType("TINYINT"),
        "utinyint": lambda a: NamedType("UTINYINT"),
        "usmallint": lambda a: NamedType("USMALLINT"),
        "uinteger": lambda a: NamedType("UINTEGER"),
        "ubigint": lambda a: NamedType("UBIGINT"),
        "hugeint": lambda a: NamedType("HUGEINT"),
        "uhugeint": lambda a: NamedType("UHUGEINT"),
        "timestamp_s": lambda a: NamedType("TIMESTAMP_S"),
        "timestamp_ms": lambda a: NamedType("TIMESTAMP_MS"),
        "timestamp_ns": lambda a: NamedType("TIMESTAMP_NS"),
        "interval": lambda a: NamedType("INTERVAL"),
    }

    EXPRESSIONS: ClassVar[dict[str, str]] = {
        "gen_random_uuid()": "gen_random_uuid()",
        "uuid()": "gen_random_uuid()",
        "(uuid())": "gen_random_uuid()",
        "now()": "CURRENT_TIMESTAMP",
        "current_timestamp": "CURRENT_TIMESTAMP",
    }

    def enum_type(self, enum: Enum, field: Field) -> sa.types.TypeEngine:
        return pg.ENUM(
            *enum.db_values(), name=quoted_name(enum.type_name, quote=True), create_type=False
        )

    def enum_statements(self, enum: Enum, *, if_not_exists: bool = False) -> list[str]:
        values = ", ".join(self.string_literal(value) for value in enum.db_values())
        exists = "IF NOT EXISTS " if if_not_exists else ""
        return [f"CREATE TYPE {exists}{self.quote(enum.type_name)} AS ENUM ({values})"]

    def drop_enum_statements(self, enum: Enum) -> list[str]:
        return [f"DROP TYPE IF EXISTS {self.quote(enum.type_name)}"]

    def list_type(self, base: sa.types.TypeEngine, field: Field) -> sa.types.TypeEngine:
        return pg.ARRAY(base)

    def sequence_name(self, entity: Entity, field: Field) -> str:
        """Sequence that numbers an autoincrement column (PostgreSQL's SERIAL naming)."""
        return self.constraint_name(entity.table, [field.column], "seq")

    def autoincrement(
        self, entity: Entity, field: Field
    ) -> tuple[sa.types.TypeEngine | None, bool]:
        # no SERIAL: a sequence (pre_table_statements) and DEFAULT nextval() (default_sql)
        return None, False

    def pre_table_statements(self, entity: Entity, *, if_not_exists: bool = False) -> list[str]:
        exists = "IF NOT EXISTS " if if_not_exists else ""
        return [
            f"CREATE SEQUENCE {exists}{self.quote(self.sequence_name(entity, field))}"
            for field in entity.fields
            if field.autoincrement
        ]

    def post_drop_statements(self, entity: Entity) -> list[str]:
        return [
            f"DROP SEQUENCE IF EXISTS {self.quote(self.sequence_name(entity, field))}"
            for field in entity.fields
            if field.autoincrement
        ]

    def default_sql(self, entity: Entity, field: Field, schema: Schema) -> str | None:
        if field.autoincrement:
            sequence = self.quote(self.sequence_name(entity, field))
            return f"nextval({self.string_literal(sequence)})"
        return super().default_sql(entity, field, schema)

    def sqlalchemy_dialect(self) -> SQLAlchemyDialect:
        from duckdb_engine import Dialect as DuckDBEngineDialect

        return DuckDBEngineDialect(paramstyle="named")


DIALECT = DuckDBDialect()
