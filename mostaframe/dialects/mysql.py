"""MySQL and MariaDB: Prisma's MySQL mapping (VARCHAR(191), DATETIME(3), TINYINT(1), inline ENUM).

==========  ======================================  ==============================================
kind        column type                              Prisma native types honoured (``@db.*``)
==========  ======================================  ==============================================
string      VARCHAR(191), VARCHAR(n) with a length   VarChar(n), Char(n), Text, TinyText,
                                                     MediumText, LongText
int         INTEGER (AUTO_INCREMENT)                 Int, UnsignedInt, MediumInt, …
smallint    SMALLINT                                 SmallInt, TinyInt, UnsignedSmallInt, …
bigint      BIGINT                                   BigInt, UnsignedBigInt
float       DOUBLE                                   Double, Float
real        FLOAT
decimal     DECIMAL(p,s), default (65,30)            Decimal(p,s)
boolean     TINYINT(1)                               Bit(1)
datetime    DATETIME(p), p=3 (no time zone type)     DateTime(p), Timestamp(p), Date, Time(p)
date        DATE
time        TIME(p)                                  Time(p)
json        JSON                                     Json
bytes       LONGBLOB                                 Binary(n), VarBinary(n), TinyBlob, Blob, …
uuid        CHAR(36)
enum        ENUM('a', 'b') inline
list of T   JSON (MySQL has no arrays)
==========  ======================================  ==============================================

VARCHAR(191) is Prisma's choice: 191 × 4 bytes (utf8mb4) fits the 767-byte index key limit of
older InnoDB row formats, so any string column can be indexed. Tables are created with
``utf8mb4`` / ``utf8mb4_bin``: a binary collation keeps comparisons and unique keys case- and
accent-sensitive like PostgreSQL and SQLite, so copying data in never hits a duplicate key that
the source allowed (Prisma's ``utf8mb4_unicode_ci`` would).
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from ..schema.model import NativeType
from .base import (
    Dialect,
    NativeFactory,
    TypeFactory,
    datetime_precision,
    decimal_args,
    field_length,
    field_precision,
)

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SQLAlchemyDialect

    from ..schema.model import Entity, Enum, Field, Index, Schema
    from ..schema.reflect import TableInfo

#: Prisma's String length on MySQL
DEFAULT_VARCHAR = 191


def _opt(args: tuple[int, ...], index: int = 0) -> int | None:
    return args[index] if len(args) > index else None


class MySQLDialect(Dialect):
    name = "mysql"
    quote_char = "`"
    max_identifier_length = 64
    enum_style = "inline"
    # MySQL commits implicitly around every CREATE/DROP: apply() cleans up what it created
    # when a later statement fails instead of relying on a rollback
    transactional_ddl = False
    backslash_escapes = True
    alter_add_foreign_key = True
    drop_foreign_key_keyword = "FOREIGN KEY"
    # MySQL names the primary key PRIMARY whatever it is given
    named_primary_key = False
    PROVIDERS = ("mysql", "mariadb")
    # PostgreSQL's Timestamp has no 2038 limit and no zone conversion, its Text no 64 KB limit,
    # its Bit(n) is a bit string, not a boolean
    AMBIGUOUS_NATIVES = frozenset({"timestamp", "text", "bit"})
    foreign_keys_create_indexes = True
    reflected_time_precision = 0
    charset = "utf8mb4"
    collation = "utf8mb4_bin"

    TYPE_MAP: ClassVar[dict[str, TypeFactory]] = {
        **Dialect.TYPE_MAP,
        "string": lambda f: mysql.VARCHAR(field_length(f) or DEFAULT_VARCHAR),
        "int": lambda f: mysql.INTEGER(),
        "smallint": lambda f: mysql.SMALLINT(),
        "bigint": lambda f: mysql.BIGINT(),
        "float": lambda f: mysql.DOUBLE(),
        "real": lambda f: mysql.FLOAT(),
        "decimal": lambda f: mysql.DECIMAL(*decimal_args(f)),
        "boolean": lambda f: mysql.TINYINT(1),
        # DATETIME, not TIMESTAMP: TIMESTAMP stops in 2038 and converts with the session zone
        "datetime": lambda f: mysql.DATETIME(fsp=datetime_precision(f)),
        "date": lambda f: mysql.DATE(),
        "time": lambda f: mysql.TIME(fsp=field_precision(f)),
        "json": lambda f: mysql.JSON(),
        "bytes": lambda f: mysql.LONGBLOB(),
        "uuid": lambda f: mysql.CHAR(36),
    }

    NATIVE_TYPES: ClassVar[dict[str, NativeFactory]] = {
        "varchar": lambda a: mysql.VARCHAR(_opt(a) or DEFAULT_VARCHAR),
        "char": lambda a: mysql.CHAR(_opt(a)),
        "text": lambda a: mysql.TEXT(),
        "tinytext": lambda a: mysql.TINYTEXT(),
        "mediumtext": lambda a: mysql.MEDIUMTEXT(),
        "longtext": lambda a: mysql.LONGTEXT(),
        "bit": lambda a: mysql.BIT(_opt(a)),
        "unsigneddecimal": lambda a: mysql.DECIMAL(*a, unsigned=True),
        "binary": lambda a: mysql.BINARY(_opt(a)),
        "varbinary": lambda a: mysql.VARBINARY(_opt(a)),
        "tinyblob": lambda a: mysql.TINYBLOB(),
        "blob": lambda a: mysql.BLOB(),
        "mediumblob": lambda a: mysql.MEDIUMBLOB(),
        "longblob": lambda a: mysql.LONGBLOB(),
        "int": lambda a: mysql.INTEGER(),
        "unsignedint": lambda a: mysql.INTEGER(unsigned=True),
        "smallint": lambda a: mysql.SMALLINT(),
        "unsignedsmallint": lambda a: mysql.SMALLINT(unsigned=True),
        "mediumint": lambda a: mysql.MEDIUMINT(),
        "unsignedmediumint": lambda a: mysql.MEDIUMINT(unsigned=True),
        "tinyint": lambda a: mysql.TINYINT(*a),
        "unsignedtinyint": lambda a: mysql.TINYINT(unsigned=True),
        "bigint": lambda a: mysql.BIGINT(),
        "unsignedbigint": lambda a: mysql.BIGINT(unsigned=True),
        "year": lambda a: mysql.YEAR(),
        "decimal": lambda a: mysql.DECIMAL(*a) if a else mysql.DECIMAL(),
        "float": lambda a: mysql.FLOAT(),
        "double": lambda a: mysql.DOUBLE(),
        "datetime": lambda a: mysql.DATETIME(fsp=_opt(a)),
        "timestamp": lambda a: mysql.TIMESTAMP(fsp=_opt(a)),
        "date": lambda a: mysql.DATE(),
        "time": lambda a: mysql.TIME(fsp=_opt(a)),
        "json": lambda a: mysql.JSON(),
    }

    EXPRESSIONS: ClassVar[dict[str, str]] = {
        "gen_random_uuid()": "(uuid())",
        "uuid_generate_v4()": "(uuid())",
        "now()": "CURRENT_TIMESTAMP",
        "current_timestamp": "CURRENT_TIMESTAMP",
    }

    REFLECTED_NATIVE: ClassVar[dict[str, str]] = {
        "VARCHAR": "VarChar",
        "CHAR": "Char",
        "TEXT": "Text",
        "TINYTEXT": "TinyText",
        "MEDIUMTEXT": "MediumText",
        "LONGTEXT": "LongText",
        "INTEGER": "Int",
        "SMALLINT": "SmallInt",
        "TINYINT": "TinyInt",
        "MEDIUMINT": "MediumInt",
        "BIGINT": "BigInt",
        "DECIMAL": "Decimal",
        "FLOAT": "Float",
        "DOUBLE": "Double",
        "DATETIME": "DateTime",
        "TIMESTAMP": "Timestamp",
        "DATE": "Date",
        "TIME": "Time",
        "JSON": "Json",
        "BLOB": "Blob",
        "TINYBLOB": "TinyBlob",
        "MEDIUMBLOB": "MediumBlob",
        "LONGBLOB": "LongBlob",
        "BINARY": "Binary",
        "VARBINARY": "VarBinary",
        "BIT": "Bit",
        "YEAR": "Year",
    }

    #: unsigned integers widen to the next kind that holds every value
    UNSIGNED_KINDS: ClassVar[dict[str, str]] = {
        "TINYINT": "smallint",
        "SMALLINT": "int",
        "MEDIUMINT": "int",
        "INTEGER": "bigint",
        "BIGINT": "decimal",
    }

    def column_type(
        self, field: Field, schema: Schema, entity: Entity | None = None
    ) -> sa.types.TypeEngine:
        # Prisma's VARCHAR(191) fits models written for MySQL. A string of unbounded length
        # from anywhere else (PostgreSQL TEXT, @db.Text, a model that does not name its
        # database) would be cut at 191 characters, so it becomes LONGTEXT — unless the column
        # must be indexed, which LONGTEXT cannot be.
        native_used = field.native is not None and self.honours_native(field.native.name, schema)
        written_for_mysql = (schema.provider or "").lower() in self.PROVIDERS
        if (
            field.kind == "string"
            and not field.list
            and field_length(field) is None
            and not native_used
            and not written_for_mysql
        ):
            owner = entity or self.owner(schema, field)
            if owner is None or not self.is_key_column(owner, field):
                return mysql.LONGTEXT()
        return super().column_type(field, schema, entity)

    def catalog(
        self, connection: sa.Connection, schema_name: str | None, tables: list[str] | None
    ) -> list[TableInfo]:
        with warnings.catch_warnings():
            # SQLAlchemy parses SHOW CREATE TABLE and warns on names with backticks; the
            # foreign keys it cannot parse are read from information_schema below
            warnings.filterwarnings("ignore", "Unknown schema content", sa.exc.SAWarning)
            infos = super().catalog(connection, schema_name, tables)
        by_name = {info.name: info for info in infos}
        schema = self.string_literal(schema_name) if schema_name else "DATABASE()"
        for info in infos:
            _unescape_backticks(info)
            info.foreign_keys = []
        rules = {
            (table, name): (on_delete, on_update)
            for name, table, on_delete, on_update in connection.exec_driver_sql(
                "SELECT CONSTRAINT_NAME, TABLE_NAME, DELETE_RULE, UPDATE_RULE "
                f"FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = {schema}"
            )
        }
        for name, table, column, target, target_column in connection.exec_driver_sql(
            "SELECT CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, "
            "REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
            f"WHERE CONSTRAINT_SCHEMA = {schema} AND REFERENCED_TABLE_NAME IS NOT NULL "
            "ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION"
        ):
            info = by_name.get(table)
            if info is None:
                continue
            if not info.foreign_keys or info.foreign_keys[-1]["name"] != name:
                on_delete, on_update = rules.get((table, name), (None, None))
                info.foreign_keys.append(
                    {
                        "name": name,
                        "constrained_columns": [],
                        "referred_table": target,
                        "referred_columns": [],
                        "options": {"ondelete": on_delete, "onupdate": on_update},
                    }
                )
            info.foreign_keys[-1]["constrained_columns"].append(column)
            info.foreign_keys[-1]["referred_columns"].append(target_column)
        # the inspector reports neither descending index columns nor MariaDB's column-level
        # CHECK (json_valid(...)) that marks a JSON column: read both from information_schema
        for table, index, column in connection.exec_driver_sql(
            "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
            f"WHERE TABLE_SCHEMA = {schema} AND COLLATION = 'D'"
        ):
            for entry in by_name[table].indexes if table in by_name else []:
                if entry.get("name") == index:
                    entry.setdefault("column_sorting", {})[column] = ("desc",)
        try:
            checks = connection.exec_driver_sql(
                "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE "
                f"FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = {schema}"
            ).fetchall()
        except sa.exc.DBAPIError:
            checks = []  # MySQL 8 has no TABLE_NAME here, and a real JSON type
        for table, name, clause in checks:
            if table in by_name and not any(
                check.get("sqltext") == clause for check in by_name[table].check_constraints
            ):
                by_name[table].check_constraints.append({"name": name, "sqltext": clause})
        return infos

    def reflect_column_type(self, column: dict[str, Any], info: TableInfo) -> dict[str, Any]:
        attributes = super().reflect_column_type(column, info)
        column_type = column["type"]
        type_name = type(column_type).__name__.upper()
        if type_name == "TINYINT" and getattr(column_type, "display_width", None) == 1:
            # Prisma's Boolean: TINYINT(1)
            return {"kind": "boolean", "native": NativeType("TinyInt", ["1"])}
        if type_name == "BIT" and getattr(column_type, "length", None) in (None, 1):
            return {"kind": "boolean", "native": NativeType("Bit", ["1"])}
        if type_name == "TINYINT" and not getattr(column_type, "unsigned", False):
            return {**attributes, "kind": "smallint"}  # the model has no 8-bit kind
        if type_name == "YEAR":
            return {"kind": "int", "native": NativeType("Year")}
        if getattr(column_type, "unsigned", False) and type_name in self.UNSIGNED_KINDS:
            kind = self.UNSIGNED_KINDS[type_name]
            native = NativeType("Unsigned" + attributes["native"].name)
            if kind == "decimal":
                return {"kind": kind, "precision": 20, "scale": 0, "native": native}
            return {"kind": kind, "native": native}
        if attributes["kind"] == "string" and _json_checked(column["name"], info):
            # MariaDB's JSON is LONGTEXT plus CHECK (json_valid(`column`))
            return {"kind": "json", "native": NativeType("Json")}
        return attributes

    def enum_type(self, enum: Enum, field: Field) -> sa.types.TypeEngine:
        return mysql.ENUM(*enum.db_values())

    def now_sql(self, field: Field) -> str:
        # MySQL rejects DATETIME(3) DEFAULT CURRENT_TIMESTAMP: the precisions must agree
        if field.kind == "datetime":
            precision = datetime_precision(field)
            return f"CURRENT_TIMESTAMP({precision})" if precision else "CURRENT_TIMESTAMP"
        return "CURRENT_TIMESTAMP"

    def boolean_literal(self, value: bool) -> str:
        return "1" if value else "0"

    def literal_sql(self, value: Any, field: Field) -> str:
        sql = super().literal_sql(value, field)
        if field.list or field.kind == "json":
            # MySQL 8 only accepts JSON/TEXT defaults as parenthesised expressions
            return f"({sql})"
        return sql

    def autoincrement(
        self, entity: Entity, field: Field
    ) -> tuple[sa.types.TypeEngine | None, bool]:
        if field.name not in entity.primary_key and field.column not in entity.primary_key:
            raise self.unsupported(
                f"entity {entity.name}, field {field.name}: autoincrement() on a column outside "
                "the primary key",
                hint="make it the primary key, or drop the default and number rows on load",
            )
        return None, True

    def index_options(self, entity: Entity, index: Index) -> dict[str, Any]:
        options: dict[str, Any] = {}
        lengths = {
            entity.field(column.field).column: column.length
            for column in index.columns
            if column.length
        }
        if lengths:
            options["mysql_length"] = lengths
        if index.fulltext:
            options["mysql_prefix"] = "FULLTEXT"
        elif index.type and index.type.lower() == "hash":
            options["mysql_using"] = "hash"
        return options

    def table_options(self, entity: Entity) -> dict[str, Any]:
        return {"mysql_default_charset": self.charset, "mysql_collate": self.collation}

    def sqlalchemy_dialect(self) -> SQLAlchemyDialect:
        from sqlalchemy.dialects.mysql.pymysql import dialect

        return dialect(paramstyle="named")


def _unescape_backticks(info: TableInfo) -> None:
    """Undo the doubled backticks SQLAlchemy leaves in names read from SHOW CREATE TABLE."""

    def fix(name: str | None) -> str | None:
        return name.replace("``", "`") if isinstance(name, str) else name

    for column in info.columns:
        column["name"] = fix(column["name"])
    key = info.primary_key
    key["constrained_columns"] = [fix(c) for c in key.get("constrained_columns") or []]
    for entry in [*info.indexes, *info.unique_constraints]:
        entry["name"] = fix(entry.get("name"))
        entry["column_names"] = [fix(c) for c in entry.get("column_names") or []]
        if entry.get("duplicates_index"):
            entry["duplicates_index"] = fix(entry["duplicates_index"])


def _json_checked(column: str, info: TableInfo) -> bool:
    quoted = "`" + column.replace("`", "``") + "`"
    return any(
        re.sub(r"\s+", "", str(check.get("sqltext", ""))).lower() == f"json_valid({quoted.lower()})"
        for check in info.check_constraints
    )


DIALECT = MySQLDialect()
