"""What every SQL dialect knows: type map, quoting, defaults, naming — differences kept as data.

A dialect is one small class in one module (``postgres.py``, ``mysql.py``, …) that overrides
:attr:`Dialect.TYPE_MAP` / :attr:`Dialect.NATIVE_TYPES` entries and a few documented flags, and a
method only where its SQL truly differs. :mod:`mostaframe.ddl` builds SQLAlchemy ``Table`` objects
from the entity model through these hooks and compiles them with :meth:`Dialect.sqlalchemy_dialect`;
:mod:`mostaframe.schema.reflect` goes the other way through :meth:`Dialect.kind_of_type` and
:meth:`Dialect.parse_default`.

Type factories take the :class:`~mostaframe.schema.model.Field` and return a SQLAlchemy type;
native factories take the integer arguments of a Prisma ``@db.*`` annotation (``VarChar(255)`` →
``(255,)``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import Dialect as SQLAlchemyDialect

from ..errors import SchemaError, UnsupportedError

if TYPE_CHECKING:
    from ..schema.model import Default, Entity, Enum, Field, Index, Schema
    from ..schema.reflect import TableInfo

TypeFactory = Callable[["Field"], sa.types.TypeEngine]
NativeFactory = Callable[[tuple[int, ...]], sa.types.TypeEngine]

#: Prisma's default precision of DateTime columns (``TIMESTAMP(3)``, ``DATETIME(3)``).
DEFAULT_DATETIME_PRECISION = 3
#: Prisma's default Decimal: ``DECIMAL(65,30)``.
DEFAULT_DECIMAL = (65, 30)

#: Prisma spells referential actions in CamelCase, SQL in words.
SQL_ACTIONS = {
    "Cascade": "CASCADE",
    "Restrict": "RESTRICT",
    "NoAction": "NO ACTION",
    "SetNull": "SET NULL",
    "SetDefault": "SET DEFAULT",
}
PRISMA_ACTIONS = {sql: prisma for prisma, sql in SQL_ACTIONS.items()}

NUMERIC_KINDS = frozenset({"int", "smallint", "bigint", "float", "real", "decimal"})
#: a plain SQL number literal
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def native_args(field: Field) -> tuple[int, ...]:
    """Integer arguments of ``field.native`` (``Decimal(10, 2)`` → ``(10, 2)``).

    Raises:
        SchemaError: an argument is not an integer (names the field and the annotation).
    """
    if field.native is None:
        return ()
    try:
        return tuple(int(str(arg).strip()) for arg in field.native.args)
    except ValueError:
        raise SchemaError(
            f"field {field.name}: native type @db.{field.native} has a non-integer argument",
            hint="native type arguments are lengths or precisions, e.g. @db.VarChar(255)",
        ) from None


def field_length(field: Field) -> int | None:
    """Character length: ``Field.length``, else the argument of a ``VarChar(n)``/``Char(n)``."""
    if field.length is not None:
        return field.length
    if field.native is not None and field.native.name.lower() in ("varchar", "char"):
        args = native_args(field)
        return args[0] if args else None
    return None


def field_precision(field: Field) -> int | None:
    """Precision: ``Field.precision``, else the first argument of the native type."""
    if field.precision is not None:
        return field.precision
    args = native_args(field) if field.kind in ("decimal", "datetime", "time") else ()
    return args[0] if args else None


def decimal_args(field: Field) -> tuple[int, int]:
    """Precision and scale of a decimal field, Prisma's (65, 30) when none is given."""
    precision = field_precision(field)
    if precision is None:
        return DEFAULT_DECIMAL
    scale = field.scale
    if scale is None:
        args = native_args(field)
        scale = args[1] if len(args) > 1 else 0
    return precision, scale


def datetime_precision(field: Field) -> int:
    """Fractional-second precision of a datetime, Prisma's 3 when none is given."""
    precision = field_precision(field)
    return DEFAULT_DATETIME_PRECISION if precision is None else precision


class NamedType(sa.types.UserDefinedType):
    """A column type SQLAlchemy has no class for, written as given (``XML``, ``SERIAL``, …).

    Args:
        spec: the type as written in DDL.
        kind: the model kind its values have (reflection and apply's comparison read it).
        attributes: further model attributes (``timezone=True``, ``precision=3``).
    """

    cache_ok = True

    def __init__(self, spec: str, kind: str = "string", **attributes: Any) -> None:
        self.spec = spec
        self.kind = kind
        self.attributes = attributes

    def get_col_spec(self, **kw: Any) -> str:
        return self.spec

    def __repr__(self) -> str:
        return f"NamedType({self.spec!r})"


class Dialect:
    """One SQL dialect. Subclasses override data first, methods only where SQL differs.

    Flags (class attributes):
        name: canonical lower-case name (the registry key).
        quote_char: identifier quote character; embedded ones are doubled.
        max_identifier_length: longest identifier in bytes (Prisma truncates generated names
            to it).
        enum_style: ``"type"`` (CREATE TYPE … AS ENUM, then a named column type), ``"inline"``
            (``ENUM('a','b')`` column type) or ``"text"`` (plain text column).
        transactional_ddl: CREATE/DROP can run inside a transaction and roll back.
        alter_add_foreign_key: foreign keys can be added after CREATE TABLE (cycles need it).
        unique_as_constraint: uniques are UNIQUE constraints inside CREATE TABLE (needed when
            foreign keys may only reference constraints) instead of Prisma's unique indexes.
        referential_actions: the ON DELETE / ON UPDATE actions the database enforces.
        supports_arrays: scalar lists become native arrays (else JSON text).
        supports_schemas: entities may live in a database schema (namespace).
        named_primary_key: the primary key constraint takes the ``<table>_pkey`` name.
        inline_cyclic_foreign_keys: foreign keys are checked only when rows are written, so
            those closing a cycle can be declared inside CREATE TABLE.
        drop_foreign_key_keyword: ``ALTER TABLE … DROP <keyword> name`` for a foreign key.
        foreign_keys_create_indexes: the database adds an index named after each foreign key
            (reflection leaves those out of the model).
        keeps_constraint_names: constraint and index names survive in the catalog.
        reflected_time_precision: fractional-second precision of a timestamp/time column
            declared without one.
        backslash_escapes: a backslash in a string literal escapes the next character
            (``'it\\'s'``), as in MySQL's default SQL mode; otherwise only ``''`` escapes.
    """

    name: ClassVar[str] = "base"
    quote_char: ClassVar[str] = '"'
    max_identifier_length: ClassVar[int] = 10_000
    enum_style: ClassVar[str] = "text"
    transactional_ddl: ClassVar[bool] = True
    alter_add_foreign_key: ClassVar[bool] = True
    unique_as_constraint: ClassVar[bool] = False
    referential_actions: ClassVar[frozenset[str]] = frozenset(SQL_ACTIONS)
    supports_arrays: ClassVar[bool] = False
    supports_schemas: ClassVar[bool] = False
    named_primary_key: ClassVar[bool] = True
    inline_cyclic_foreign_keys: ClassVar[bool] = False
    drop_foreign_key_keyword: ClassVar[str] = "CONSTRAINT"
    foreign_keys_create_indexes: ClassVar[bool] = False
    keeps_constraint_names: ClassVar[bool] = True
    reflected_time_precision: ClassVar[int | None] = None
    backslash_escapes: ClassVar[bool] = False

    #: SQLAlchemy type class name (``"… WITH TIME ZONE"`` for zoned types) → native type name
    #: written on reflected fields; unlisted types keep the class name.
    REFLECTED_NATIVE: ClassVar[dict[str, str]] = {}

    #: model kind → column type factory
    TYPE_MAP: ClassVar[dict[str, TypeFactory]] = {
        "string": lambda f: sa.VARCHAR(field_length(f)) if field_length(f) else sa.TEXT(),
        "int": lambda f: sa.INTEGER(),
        "smallint": lambda f: sa.SMALLINT(),
        "bigint": lambda f: sa.BIGINT(),
        "float": lambda f: sa.DOUBLE_PRECISION(),
        "real": lambda f: sa.REAL(),
        "decimal": lambda f: sa.DECIMAL(*decimal_args(f)),
        "boolean": lambda f: sa.BOOLEAN(),
        "datetime": lambda f: sa.TIMESTAMP(timezone=f.timezone),
        "date": lambda f: sa.DATE(),
        "time": lambda f: sa.TIME(timezone=f.timezone),
        "json": lambda f: sa.JSON(),
        "bytes": lambda f: sa.BLOB(),
        "uuid": lambda f: sa.UUID(),
        "enum": lambda f: sa.TEXT(),
    }

    #: Prisma native type name (``@db.<Name>``, lower-cased) → column type factory. A native
    #: type the dialect does not know falls back to :attr:`TYPE_MAP` for the field's kind.
    NATIVE_TYPES: ClassVar[dict[str, NativeFactory]] = {}

    #: ``dbgenerated`` expressions written for another database → this dialect's spelling
    #: (lower-cased, spaces removed, as keys). Unknown foreign expressions are dropped with a
    #: warning rather than emitted as SQL the database would reject.
    EXPRESSIONS: ClassVar[dict[str, str]] = {}

    #: Prisma datasource providers whose native types and ``dbgenerated`` expressions this
    #: dialect uses as written.
    PROVIDERS: ClassVar[tuple[str, ...]] = ()

    #: native type names (lower case) that another provider uses with another meaning: not
    #: trusted when a model does not name its provider
    AMBIGUOUS_NATIVES: ClassVar[frozenset[str]] = frozenset()

    # ── identifiers ────────────────────────────────────────────────────────────────────────

    def quote(self, identifier: str) -> str:
        """Quote an identifier, doubling embedded quote characters.

        >>> from mostaframe.dialects import get_dialect
        >>> get_dialect("mysql").quote("odd`name")
        '`odd``name`'

        Raises:
            SchemaError: empty identifier, or one containing NUL (no database accepts it).
        """
        if not identifier:
            raise SchemaError("empty identifier: every table, column and index needs a name")
        if "\x00" in identifier:
            raise SchemaError(
                f"identifier {identifier!r} contains a NUL character, which {self.name} does not "
                "accept in names",
                hint="rename it in the model (@map / @@map)",
            )
        q = self.quote_char
        return f"{q}{identifier.replace(q, q + q)}{q}"

    def constraint_name(self, table: str, columns: list[str], suffix: str) -> str:
        """Prisma's generated constraint / index name: ``<table>_<col>_<col>_<suffix>``.

        Like Prisma, the ``<table>_<cols>`` part is cut so the whole name fits in
        :attr:`max_identifier_length` bytes (at a character boundary).
        """
        stem = "_".join([table, *columns])
        limit = self.max_identifier_length - len(suffix) - 1
        encoded = stem.encode()
        if len(encoded) > limit:
            stem = encoded[:limit].decode(errors="ignore")
        return f"{stem}_{suffix}"

    def primary_key_name(self, entity: Entity) -> str | None:
        """Name of the primary key constraint (None where the database ignores names)."""
        if not self.named_primary_key:
            return None
        return entity.primary_key_name or self.constraint_name(entity.table, [], "pkey")

    # ── types ──────────────────────────────────────────────────────────────────────────────

    def column_type(
        self, field: Field, schema: Schema, entity: Entity | None = None
    ) -> sa.types.TypeEngine:
        """The SQLAlchemy column type of ``field`` in this dialect.

        Order: enum → native ``@db.*`` type when this dialect knows it → :attr:`TYPE_MAP`;
        scalar lists wrap the result with :meth:`list_type`. ``entity`` (the field's owner,
        looked up in ``schema`` when not given) lets a dialect treat key columns apart.

        Raises:
            SchemaError: unknown enum, or a malformed native type.
        """
        if field.kind == "enum":
            enum = schema.enums.get(field.enum or "")
            if enum is None:
                raise SchemaError(f"field {field.name}: unknown enum {field.enum!r}")
            base = self.enum_type(enum, field)
        else:
            base = self._native_type(field, schema) or self.TYPE_MAP[field.kind](field)
        return self.list_type(base, field) if field.list else base

    @staticmethod
    def is_key_column(entity: Entity, field: Field) -> bool:
        """True when ``field`` is in the primary key, a unique constraint, an index or a
        foreign key of ``entity`` (a column the database has to index)."""
        names = {field.name, field.column}
        return bool(
            field.unique
            or names & set(entity.primary_key)
            or any(names & set(index.fields) for index in entity.indexes)
            or any(names & set(relation.fields) for relation in entity.relations)
        )

    @staticmethod
    def owner(schema: Schema, field: Field) -> Entity | None:
        """The entity ``field`` belongs to."""
        return next((e for e in schema.entities if any(f is field for f in e.fields)), None)

    def _native_type(self, field: Field, schema: Schema) -> sa.types.TypeEngine | None:
        if field.native is None or not self.honours_native(field.native.name, schema):
            return None
        factory = self.NATIVE_TYPES.get(field.native.name.lower())
        return factory(native_args(field)) if factory else None

    def honours_native(self, name: str, schema: Schema) -> bool:
        """True when the native type ``name`` of a field of ``schema`` is used as written.

        A native type is trusted when the model was written for this database: @db.Timestamp
        means "without time zone" on PostgreSQL but a 2038-limited type on MySQL. When the
        model does not say (``provider`` None, e.g. loaded from entities.json), names another
        database spells the same way with another meaning (:attr:`AMBIGUOUS_NATIVES`) are not.
        """
        if schema.provider is None:
            return name.lower() not in self.AMBIGUOUS_NATIVES
        return schema.provider.lower() in self.PROVIDERS

    def accepts_natives_of(self, schema: Schema) -> bool:
        """True when ``schema`` was written for this dialect (or does not say)."""
        return schema.provider is None or schema.provider.lower() in self.PROVIDERS

    def enum_type(self, enum: Enum, field: Field) -> sa.types.TypeEngine:
        """Column type of an enum field (text unless the dialect has enums)."""
        return self.TYPE_MAP["enum"](field)

    def enum_statements(self, enum: Enum, *, if_not_exists: bool = False) -> list[str]:
        """Statements that create the enum type (none unless :attr:`enum_style` is ``type``)."""
        return []

    def drop_enum_statements(self, enum: Enum) -> list[str]:
        """Statements that drop the enum type."""
        return []

    def list_type(self, base: sa.types.TypeEngine, field: Field) -> sa.types.TypeEngine:
        """Column type of a scalar list: an array, or JSON where the dialect has no arrays."""
        if self.supports_arrays:
            from sqlalchemy.dialects.postgresql import ARRAY

            return ARRAY(base)
        return self.TYPE_MAP["json"](field)

    # ── defaults and autoincrement ────────────────────────────────────────────────────────

    def autoincrement(
        self, entity: Entity, field: Field
    ) -> tuple[sa.types.TypeEngine | None, bool]:
        """How an ``autoincrement()`` field is declared.

        Returns:
            ``(type, flag)``: a replacement column type (None = keep) and the value for
            SQLAlchemy's ``Column(autoincrement=…)``, which makes the compiler write SERIAL /
            AUTO_INCREMENT / AUTOINCREMENT for the primary key column.

        Raises:
            UnsupportedError: the dialect cannot generate values for this column.
        """
        return None, True

    def pre_table_statements(self, entity: Entity, *, if_not_exists: bool = False) -> list[str]:
        """Statements that must run before the entity's CREATE TABLE (e.g. sequences)."""
        return []

    def post_drop_statements(self, entity: Entity) -> list[str]:
        """Statements that clean up after the entity's DROP TABLE (e.g. sequences)."""
        return []

    def default_sql(self, entity: Entity, field: Field, schema: Schema) -> str | None:
        """SQL text of the column default, or None for no database default.

        uuid/cuid/nanoid/ulid defaults are computed by the application (as in Prisma): no
        database default. ``autoincrement`` is declared by :meth:`autoincrement`.
        """
        default = field.default
        if default is None or default.is_generated_by_application:
            return None
        if default.kind in ("autoincrement", "sequence"):
            return None
        if default.kind == "now":
            return self.now_sql(field)
        if default.kind == "enum":
            enum = schema.enums[field.enum or ""]
            return self.string_literal(enum.mapped.get(default.value, default.value))
        if default.kind == "literal":
            return self.literal_sql(default.value, field)
        if default.kind == "dbgenerated":
            return self.expression_sql(default, entity, field, schema)
        return None

    def now_sql(self, field: Field) -> str:
        """Default expression for ``now()``."""
        return "CURRENT_TIMESTAMP"

    def string_literal(self, value: str) -> str:
        """A SQL string literal (single quotes doubled)."""
        return "'" + str(value).replace("'", "''") + "'"

    def boolean_literal(self, value: bool) -> str:
        return "true" if value else "false"

    def literal_sql(self, value: Any, field: Field) -> str:
        """SQL text of a literal default for ``field``."""
        if field.list or isinstance(value, (list, dict)):
            return self.string_literal(json.dumps(value))
        if isinstance(value, bool):
            if field.kind == "boolean":
                return self.boolean_literal(value)
            return self.string_literal(str(value).lower())
        if field.kind in NUMERIC_KINDS:
            if isinstance(value, (int, float)):
                return repr(value)
            if isinstance(value, str) and NUMBER.match(value.strip()):
                return value.strip()  # decimals travel as exact text ("0.055")
        return self.string_literal(value)

    def expression_sql(
        self, default: Default, entity: Entity, field: Field, schema: Schema
    ) -> str | None:
        """A ``dbgenerated`` default: as written when the model comes from this database,
        translated through :attr:`EXPRESSIONS` otherwise, else None (the caller warns)."""
        expression = str(default.value or "").strip()
        if not expression:
            return None
        if self.accepts_natives_of(schema):
            return expression
        return self.EXPRESSIONS.get(re.sub(r"\s+", "", expression.lower()))

    # ── foreign keys and indexes ──────────────────────────────────────────────────────────

    def referential_action(self, action: str | None) -> str | None:
        """SQL spelling of a Prisma referential action, None when the database cannot
        enforce it (the foreign key is then declared without it — see docs/type-map.md)."""
        if action is None or action not in self.referential_actions:
            return None
        return SQL_ACTIONS[action]

    def index_options(self, entity: Entity, index: Index) -> dict[str, Any]:
        """Dialect keyword arguments for ``sqlalchemy.Index`` (method, prefix lengths, …)."""
        return {}

    def table_options(self, entity: Entity) -> dict[str, Any]:
        """Dialect keyword arguments for ``sqlalchemy.Table`` (engine, charset, …)."""
        return {}

    # ── SQLAlchemy and connections ────────────────────────────────────────────────────────

    def sqlalchemy_dialect(self) -> SQLAlchemyDialect:
        """The SQLAlchemy dialect that compiles this dialect's DDL (named paramstyle, so
        that ``%`` in identifiers is not doubled in the statement text)."""
        raise NotImplementedError

    def sqlalchemy_url(self, uri: str) -> str:
        """URL for :func:`sqlalchemy.create_engine` (driver chosen by mostaframe)."""
        from ..secrets import parse_uri

        return parse_uri(uri, self.name).sqlalchemy_url()

    # ── reflection (see mostaframe.schema.reflect) ───────────────────────────────────────

    def engine(self, uri: str) -> sa.Engine:
        """A SQLAlchemy engine for ``uri`` with mostaframe's driver."""
        return sa.create_engine(self.sqlalchemy_url(uri))

    def catalog(
        self, connection: sa.Connection, schema_name: str | None, tables: list[str] | None
    ) -> list[TableInfo]:
        """Tables and views of the database as :class:`~mostaframe.schema.reflect.TableInfo`
        records (SQLAlchemy's inspector unless the dialect reads its own catalog)."""
        from ..schema.reflect import inspector_catalog

        return inspector_catalog(connection, schema_name, tables)

    def table_names(self, connection: sa.Connection, schema_name: str | None) -> set[str]:
        """Names of the tables that exist (used by apply to skip them)."""
        return set(sa.inspect(connection).get_table_names(schema=schema_name))

    def enum_types(
        self, connection: sa.Connection, schema_name: str | None
    ) -> dict[str, list[str]]:
        """Named enum types: type name → labels (none unless the dialect has enum types)."""
        return {}

    def reflect_column_type(self, column: dict[str, Any], info: TableInfo) -> dict[str, Any]:
        """Model attributes (kind, length, precision, scale, timezone, list, enum labels and
        ``native``) of a column returned by the catalog."""
        from ..schema.reflect import generic_column_type, native_type

        attributes = generic_column_type(column["type"])
        if attributes["kind"] in ("datetime", "time") and attributes.get("precision") is None:
            attributes["precision"] = self.reflected_time_precision
        if attributes["kind"] == "enum":
            attributes["native"] = None
        elif column.get("native") is not None:
            attributes["native"] = column["native"]
        else:
            attributes["native"] = native_type(column["type"], self.REFLECTED_NATIVE, attributes)
        return attributes

    def parse_default(self, text: str | None, attributes: dict[str, Any]) -> Default | None:
        """The model default of a reflected column default expression."""
        from ..schema.reflect import parse_default

        return parse_default(text, attributes)

    def is_autoincrement(
        self,
        column: dict[str, Any],
        info: TableInfo,
        attributes: dict[str, Any],
        primary_key: list[str],
    ) -> bool:
        """True when the database numbers the column itself (IDENTITY, AUTO_INCREMENT, …) and
        its default did not already say so."""
        integer = attributes["kind"] in ("int", "smallint", "bigint")
        return integer and (column.get("autoincrement") is True or bool(column.get("identity")))

    def unsupported(self, what: str, hint: str | None = None) -> UnsupportedError:
        """An :class:`UnsupportedError` naming this dialect."""
        return UnsupportedError(f"{self.name}: {what}", hint=hint)

    def __repr__(self) -> str:
        return f"<Dialect {self.name}>"


__all__ = [
    "DEFAULT_DATETIME_PRECISION",
    "DEFAULT_DECIMAL",
    "PRISMA_ACTIONS",
    "SQL_ACTIONS",
    "Dialect",
    "NamedType",
    "datetime_precision",
    "decimal_args",
    "field_length",
    "field_precision",
    "native_args",
]
