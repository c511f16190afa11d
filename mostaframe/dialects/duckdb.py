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

import re
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.sql import quoted_name

from ..schema.model import NativeType
from .base import Dialect, NamedType, NativeFactory, TypeFactory, decimal_args

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SQLAlchemyDialect

    from ..schema.model import Entity, Enum, Field, Schema
    from ..schema.reflect import TableInfo

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
    keeps_constraint_names = False
    reflected_time_precision = 6

    TYPE_MAP: ClassVar[dict[str, TypeFactory]] = {
        **Dialect.TYPE_MAP,
        "string": lambda f: sa.VARCHAR(),
        "float": lambda f: sa.DOUBLE(),
        "decimal": _decimal,
        "datetime": lambda f: (
            NamedType("TIMESTAMPTZ", "datetime", timezone=True, precision=6)
            if f.timezone
            else NamedType("TIMESTAMP", "datetime", precision=6)
        ),
        "time": lambda f: (
            NamedType("TIMETZ", "time", timezone=True, precision=6)
            if f.timezone
            else NamedType("TIME", "time", precision=6)
        ),
        "bytes": lambda f: sa.BLOB(),
    }

    # DuckDB type names as reflection reports them
    NATIVE_TYPES: ClassVar[dict[str, NativeFactory]] = {
        "tinyint": lambda a: NamedType("TINYINT", "smallint"),
        "utinyint": lambda a: NamedType("UTINYINT", "smallint"),
        "usmallint": lambda a: NamedType("USMALLINT", "int"),
        "uinteger": lambda a: NamedType("UINTEGER", "bigint"),
        "ubigint": lambda a: NamedType("UBIGINT", "decimal", precision=20, scale=0),
        "hugeint": lambda a: NamedType("HUGEINT", "decimal", precision=38, scale=0),
        "uhugeint": lambda a: NamedType("UHUGEINT", "decimal", precision=38, scale=0),
        "timestamp_s": lambda a: NamedType("TIMESTAMP_S", "datetime", precision=0),
        "timestamp_ms": lambda a: NamedType("TIMESTAMP_MS", "datetime", precision=3),
        "timestamp_ns": lambda a: NamedType("TIMESTAMP_NS", "datetime", precision=9),
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

    def sequence_name(self, entity: Entity, field: Field) -> str:
        """Sequence that numbers an autoincrement column (PostgreSQL's SERIAL naming)."""
        return self.constraint_name(entity.table, [field.column], "seq")

    #: ``?`` = the sequence name: its last value drawn (0 before the first)
    SEQUENCE_LAST_VALUE = (
        "SELECT coalesce(last_value, 0) FROM duckdb_sequences() WHERE sequence_name = ?"
    )

    def sequence_draw_sql(self, name: str, count: int) -> str:
        """Draw ``count`` values from sequence ``name``, moving it forward by that much.

        DuckDB has no ``setval`` and cannot replace a sequence a table's DEFAULT uses, so
        explicit ids loaded into an autoincrement column are followed by drawing the values
        they took (≈ 0.13 s per million); like PostgreSQL's, ``nextval`` is not undone by a
        rollback.
        """
        return f"SELECT max(nextval({self.string_literal(self.quote(name))})) FROM range({count})"

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

    # ── reflection: DuckDB's own catalog functions (duckdb_engine's inspector queries
    # PostgreSQL catalogs that DuckDB does not have) ──────────────────────────────────────

    def _rows(self, connection: sa.Connection, sql: str) -> list[dict[str, Any]]:
        return [dict(row) for row in connection.exec_driver_sql(sql).mappings()]

    def _schema_filter(self, schema_name: str | None) -> str:
        schema = self.string_literal(schema_name) if schema_name else "current_schema()"
        return f"database_name = current_database() AND schema_name = {schema}"

    def table_names(self, connection: sa.Connection, schema_name: str | None) -> set[str]:
        where = self._schema_filter(schema_name)
        rows = self._rows(connection, f"SELECT table_name FROM duckdb_tables() WHERE {where}")
        return {row["table_name"] for row in rows}

    def enum_types(
        self, connection: sa.Connection, schema_name: str | None
    ) -> dict[str, list[str]]:
        where = self._schema_filter(schema_name)
        rows = self._rows(
            connection,
            f"SELECT type_name, labels FROM duckdb_types() WHERE {where} "
            "AND logical_type = 'ENUM' AND NOT internal ORDER BY type_oid",
        )
        return {row["type_name"]: list(row["labels"]) for row in rows}

    def catalog(
        self, connection: sa.Connection, schema_name: str | None, tables: list[str] | None
    ) -> list[TableInfo]:
        from ..schema.reflect import TableInfo, _check_requested

        where = self._schema_filter(schema_name)
        enums = self.enum_types(connection, schema_name)
        names = sorted(self.table_names(connection, schema_name))
        views = sorted(
            row["view_name"]
            for row in self._rows(
                connection, f"SELECT view_name FROM duckdb_views() WHERE {where} AND NOT internal"
            )
        )
        if tables is not None:
            _check_requested(tables, names + views)
            names = [name for name in names if name in tables]
            views = [name for name in views if name in tables]
        columns: dict[str, list[dict[str, Any]]] = {}
        for row in self._rows(
            connection,
            "SELECT table_name, column_name, column_default, is_nullable, data_type "
            f"FROM duckdb_columns() WHERE {where} ORDER BY table_name, column_index",
        ):
            column_type, native = _parse_type(row["data_type"], enums)
            columns.setdefault(row["table_name"], []).append(
                {
                    "name": row["column_name"],
                    "type": column_type,
                    "native": native,
                    "nullable": bool(row["is_nullable"]),
                    "default": row["column_default"],
                }
            )
        infos = {name: TableInfo(name, columns.get(name, [])) for name in names}
        for row in self._rows(
            connection,
            "SELECT table_name, constraint_type, constraint_column_names, referenced_table, "
            f"referenced_column_names FROM duckdb_constraints() WHERE {where} "
            "ORDER BY table_name, constraint_index",
        ):
            info = infos.get(row["table_name"])
            if info is None:
                continue
            columns_of = list(row["constraint_column_names"])
            kind = row["constraint_type"]
            # DuckDB does not keep constraint names (it reports its own): name = None
            if kind == "PRIMARY KEY":
                info.primary_key = {"constrained_columns": columns_of, "name": None}
            elif kind == "UNIQUE":
                info.unique_constraints.append({"name": None, "column_names": columns_of})
            elif kind == "FOREIGN KEY":
                info.foreign_keys.append(
                    {
                        "name": None,
                        "constrained_columns": columns_of,
                        "referred_table": row["referenced_table"],
                        "referred_columns": list(row["referenced_column_names"]),
                        "options": {},
                    }
                )
        for row in self._rows(
            connection,
            f"SELECT table_name, index_name, is_unique, sql FROM duckdb_indexes() WHERE {where} "
            "ORDER BY table_name, index_oid",
        ):
            info = infos.get(row["table_name"])
            if info is not None:
                info.indexes.append(
                    {
                        "name": row["index_name"],
                        "unique": bool(row["is_unique"]),
                        "column_names": _index_columns(row["sql"] or ""),
                    }
                )
        result = [infos[name] for name in names]
        result += [TableInfo(name, columns.get(name, []), view=True) for name in views]
        return result

    def sqlalchemy_dialect(self) -> SQLAlchemyDialect:
        from duckdb_engine import Dialect as DuckDBEngineDialect

        return DuckDBEngineDialect(paramstyle="named")


#: DuckDB type names → (SQLAlchemy type the model kind is read from, native type name)
_TYPES: dict[str, sa.types.TypeEngine] = {
    "VARCHAR": sa.VARCHAR(),
    "TINYINT": sa.SMALLINT(),
    "SMALLINT": sa.SMALLINT(),
    "INTEGER": sa.INTEGER(),
    "BIGINT": sa.BIGINT(),
    "HUGEINT": sa.NUMERIC(38, 0),
    "UTINYINT": sa.SMALLINT(),
    "USMALLINT": sa.INTEGER(),
    "UINTEGER": sa.BIGINT(),
    "UBIGINT": sa.NUMERIC(20, 0),
    "UHUGEINT": sa.NUMERIC(38, 0),
    "FLOAT": sa.REAL(),
    "DOUBLE": sa.DOUBLE(),
    "BOOLEAN": sa.BOOLEAN(),
    "DATE": sa.DATE(),
    "TIME": sa.TIME(),
    "TIME WITH TIME ZONE": sa.TIME(timezone=True),
    "TIMESTAMP": sa.TIMESTAMP(),
    "TIMESTAMP WITH TIME ZONE": sa.TIMESTAMP(timezone=True),
    "TIMESTAMP_S": pg.TIMESTAMP(precision=0),
    "TIMESTAMP_MS": pg.TIMESTAMP(precision=3),
    "TIMESTAMP_NS": pg.TIMESTAMP(precision=9),
    "JSON": sa.JSON(),
    "BLOB": sa.BLOB(),
    "UUID": sa.UUID(),
}


def _parse_type(
    data_type: str, enums: dict[str, list[str]]
) -> tuple[sa.types.TypeEngine, NativeType | None]:
    """A DuckDB ``data_type`` string as a SQLAlchemy type plus its native name."""
    text = data_type.strip()
    if text.endswith("[]"):
        item, native = _parse_type(text[:-2], enums)
        return pg.ARRAY(item), native
    if text.upper().startswith("ENUM("):
        labels = [label.replace("''", "'") for label in re.findall(r"'((?:[^']|'')*)'", text)]
        name = next((name for name, values in enums.items() if values == labels), None)
        return pg.ENUM(*labels, name=name, create_type=False), None
    match = re.match(r"^([A-Z_ ]+?)\s*(?:\((\d+)\s*(?:,\s*(\d+))?\))?$", text.upper())
    if match and match.group(1) in ("DECIMAL", "NUMERIC"):
        precision = int(match.group(2) or 18)
        scale = int(match.group(3) or 3)
        return sa.DECIMAL(precision, scale), NativeType("DECIMAL", [str(precision), str(scale)])
    if match and match.group(1) in _TYPES:
        name = match.group(1)
        # timestamps and times carry microseconds unless the type says otherwise
        return _TYPES[name], NativeType(name)
    return sa.types.NullType(), NativeType(text)


def _index_columns(sql: str) -> list[str | None]:
    """Column names of ``CREATE INDEX … ON t(a, "b c")``; None for expression items."""
    match = re.search(r"\((.*)\)\s*;?\s*$", sql, re.DOTALL)
    if not match:
        return []
    body = match.group(1)
    items, current, quoted, depth = [], "", False, 0
    for char in body:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        if char == "," and not quoted and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        items.append(current.strip())
    columns: list[str | None] = []
    for item in items:
        if re.fullmatch(r'"(?:[^"]|"")*"', item):
            columns.append(item[1:-1].replace('""', '"'))
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", item):
            columns.append(item)
        else:
            columns.append(None)
    return columns


DIALECT = DuckDBDialect()
