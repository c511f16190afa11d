"""SQLite: Prisma's SQLite mapping (TEXT, INTEGER, REAL, DECIMAL, DATETIME, BLOB; enums as TEXT).

==========  ===============================================  ====================================
kind        declared type (→ SQLite affinity)                notes
==========  ===============================================  ====================================
string      TEXT (TEXT)                                      length not enforced by SQLite
int         INTEGER (INTEGER)                                INTEGER PRIMARY KEY AUTOINCREMENT
smallint    SMALLINT (INTEGER)
bigint      BIGINT (INTEGER)                                 autoincrement key: INTEGER
float       REAL (REAL)
real        REAL (REAL)
decimal     DECIMAL(p,s) (NUMERIC) when p ≤ 15,              NUMERIC affinity turns text into an
            else DECIMAL_TEXT(p,s) (TEXT)                    8-byte float: exact only to 15 digits
boolean     BOOLEAN (NUMERIC)                                stored 0 / 1
datetime    DATETIME (NUMERIC)                               no time zone, no precision
date        DATE (NUMERIC)
time        TIME (NUMERIC)
json        TEXT (TEXT)                                      Prisma declares JSONB, whose NUMERIC
                                                             affinity turns ``'1.50'`` into 1.5
bytes       BLOB (BLOB)
uuid        TEXT (TEXT)
enum        TEXT (TEXT)                                      SQLite has no enum type
list of T   TEXT (JSON array)
==========  ===============================================  ====================================

SQLite cannot add a foreign key to an existing table, but checks foreign keys only when rows
are written, so every foreign key is declared inside CREATE TABLE and table order does not
matter (cycles included).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from ..schema.model import NativeType
from .base import Dialect, NamedType, NativeFactory, TypeFactory, decimal_args

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SQLAlchemyDialect

    from ..schema.model import Entity, Field, Schema
    from ..schema.reflect import TableInfo


class SQLiteDialect(Dialect):
    name = "sqlite"
    quote_char = '"'
    enum_style = "text"
    transactional_ddl = True
    alter_add_foreign_key = False
    inline_cyclic_foreign_keys = True
    # SQLite keeps the constraint name in the table's SQL text only: PRAGMAs do not report it
    named_primary_key = True
    PROVIDERS = ("sqlite",)
    reflected_time_precision = None  # SQLite stores what it is given

    TYPE_MAP: ClassVar[dict[str, TypeFactory]] = {
        **Dialect.TYPE_MAP,
        "string": lambda f: sa.TEXT(),
        "float": lambda f: sa.REAL(),
        "decimal": lambda f: _decimal(*decimal_args(f)),
        "datetime": lambda f: sa.DATETIME(),
        "time": lambda f: sa.TIME(),
        "json": lambda f: sa.TEXT(),
        "uuid": lambda f: sa.TEXT(),
        "enum": lambda f: sa.TEXT(),
    }

    # Prisma has no @db.* types for SQLite; these are the declared types reflection reports
    NATIVE_TYPES: ClassVar[dict[str, NativeFactory]] = {
        "decimal_text": lambda a: _decimal(*a),
        "numeric": lambda a: sa.NUMERIC(*a) if a else sa.NUMERIC(),
        "varchar": lambda a: sa.VARCHAR(*a),
        "char": lambda a: sa.CHAR(*a),
    }

    EXPRESSIONS: ClassVar[dict[str, str]] = {
        "now()": "CURRENT_TIMESTAMP",
        "current_timestamp": "CURRENT_TIMESTAMP",
        # a random version-4 UUID in SQLite's own functions
        "gen_random_uuid()": (
            "(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
            "substr(lower(hex(randomblob(2))), 2) || '-' || "
            "substr('89ab', 1 + (abs(random()) % 4), 1) || "
            "substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))"
        ),
    }
    EXPRESSIONS["uuid()"] = EXPRESSIONS["gen_random_uuid()"]

    def autoincrement(
        self, entity: Entity, field: Field
    ) -> tuple[sa.types.TypeEngine | None, bool]:
        if entity.primary_key not in ([field.name], [field.column]):
            raise self.unsupported(
                f"entity {entity.name}, field {field.name}: autoincrement() needs a single-column "
                "primary key in SQLite (INTEGER PRIMARY KEY AUTOINCREMENT)",
                hint="drop the default or make the field the only primary key column",
            )
        # only INTEGER PRIMARY KEY aliases the 64-bit rowid: BIGINT would not autoincrement
        return sa.INTEGER(), True

    def table_options(self, entity: Entity) -> dict[str, Any]:
        for field in entity.fields:
            if field.autoincrement:
                return {"sqlite_autoincrement": True}
        return {}

    def expression_sql(self, default, entity: Entity, field: Field, schema: Schema) -> str | None:
        expression = super().expression_sql(default, entity, field, schema)
        # SQLite takes an expression default only in parentheses
        if expression and not expression.startswith("(") and "(" in expression:
            return f"({expression})"
        return expression

    def engine(self, uri: str) -> sa.Engine:
        engine = super().engine(uri)

        # Python's sqlite3 module commits before DDL on its own; take over transaction control
        # so CREATE TABLE statements roll back together (SQLAlchemy's documented recipe)
        @sa.event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(connection: sa.Connection) -> None:
            connection.exec_driver_sql("BEGIN")

        return engine

    def catalog(
        self, connection: sa.Connection, schema_name: str | None, tables: list[str] | None
    ) -> list[TableInfo]:
        infos = super().catalog(connection, schema_name, tables)
        # the inspector reports neither AUTOINCREMENT nor descending index columns
        for info in infos:
            sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = "
                + self.string_literal(info.name)
            ).scalar()
            _exact_decimals(connection, self, info)
            key = info.primary_key.get("constrained_columns") or []
            if sql and len(key) == 1 and re.search(r"\bAUTOINCREMENT\b", sql, re.IGNORECASE):
                for column in info.columns:
                    if column["name"] == key[0]:
                        column["autoincrement"] = True
            for index in info.indexes:
                rows = connection.exec_driver_sql(
                    f"PRAGMA index_xinfo({self.quote(index['name'])})"
                ).mappings()
                sorting = {row["name"]: ("desc",) for row in rows if row["key"] and row["desc"]}
                if sorting:
                    index["column_sorting"] = sorting
        return infos

    def reflect_column_type(self, column: dict[str, Any], info: TableInfo) -> dict[str, Any]:
        attributes = super().reflect_column_type(column, info)
        if attributes["kind"] == "real":
            attributes["kind"] = "float"  # SQLite's REAL is an 8-byte double
        return attributes

    def sqlalchemy_dialect(self) -> SQLAlchemyDialect:
        from sqlalchemy.dialects.sqlite.pysqlite import dialect

        return dialect(paramstyle="named")


#: significant digits an 8-byte float (what NUMERIC affinity stores) keeps exactly
EXACT_DIGITS = 15


def _decimal(precision: int, scale: int = 0) -> sa.types.TypeEngine:
    """``DECIMAL(p, s)`` while a double holds every value exactly, else ``DECIMAL_TEXT(p, s)``.

    A declared type containing TEXT has TEXT affinity: SQLite keeps the decimal's text as
    given instead of converting it to REAL, which keeps only 15 significant digits (Prisma's
    default Decimal(65, 30) would lose most of them). Comparisons are then textual.
    """
    if precision <= EXACT_DIGITS:
        return sa.DECIMAL(precision, scale)
    return NamedType(
        f"DECIMAL_TEXT({precision}, {scale})", "decimal", precision=precision, scale=scale
    )


def _exact_decimals(connection: sa.Connection, dialect: SQLiteDialect, info: TableInfo) -> None:
    """Give ``DECIMAL_TEXT(p, s)`` columns back their decimal type (the inspector sees TEXT)."""
    rows = connection.exec_driver_sql(f"PRAGMA table_xinfo({dialect.quote(info.name)})").mappings()
    declared = {row["name"]: str(row["type"] or "") for row in rows}
    for column in info.columns:
        match = re.fullmatch(
            r"DECIMAL_TEXT\((\d+)\s*,\s*(\d+)\)", declared.get(column["name"], ""), re.IGNORECASE
        )
        if match:
            precision, scale = int(match.group(1)), int(match.group(2))
            column["type"] = sa.DECIMAL(precision, scale)
            column["native"] = NativeType("DECIMAL_TEXT", [str(precision), str(scale)])


DIALECT = SQLiteDialect()
