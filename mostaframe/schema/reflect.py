"""Live database → :class:`~mostaframe.schema.model.Schema` (PostgreSQL, MySQL/MariaDB, SQLite, DuckDB).

Each dialect lists its tables through :meth:`Dialect.catalog
<mostaframe.dialects.base.Dialect.catalog>` — SQLAlchemy's inspector for PostgreSQL, MySQL and
SQLite, DuckDB's own ``duckdb_*()`` functions for DuckDB (duckdb_engine's inspector queries
PostgreSQL catalogs DuckDB does not have) — as :class:`TableInfo` records in the inspector's
shapes. This module turns them into the model:

* columns → :class:`Field` with exact kind, length, precision, scale, time zone, and ``native``
  = the database type (Prisma's ``@db.*`` spelling where Prisma has one);
* defaults → ``autoincrement`` (nextval / SERIAL / IDENTITY / AUTO_INCREMENT / SQLite's
  INTEGER PRIMARY KEY), ``now`` (now(), CURRENT_TIMESTAMP), literals, enum values, else
  ``dbgenerated(expression)``;
* primary keys, unique constraints and unique indexes (single column → ``Field.unique``),
  indexes with sort order, prefix length and method;
* foreign keys → an owning relation on the child (many-to-one, or one-to-one when the foreign
  key columns are unique) and the back relation on the parent (one-to-many / one-to-one);
* PostgreSQL and DuckDB enum types → :class:`Enum`; MySQL inline ``ENUM(...)`` columns → an enum
  named ``<table>_<column>`` (as Prisma's introspection names them).

Names stay as the database spells them (entity = table, field = column). Constraint names equal
to Prisma's convention for the dialect are left unset, so a model reflected from a database
created by :func:`mostaframe.ddl.apply` equals the model it was created from.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..dialects.base import NUMBER
from ..errors import DatabaseConnectionError, SchemaError
from ..secrets import mask_text, mask_uri, parse_uri
from .model import Default, Entity, Enum, Field, Index, IndexColumn, NativeType, Relation, Schema

if TYPE_CHECKING:
    from ..dialects.base import Dialect

#: Prisma provider name written on reflected schemas, by dialect
PROVIDERS = {"postgres": "postgresql", "mysql": "mysql", "sqlite": "sqlite", "duckdb": "duckdb"}


@dataclass
class TableInfo:
    """One table (or view) as the catalog describes it, in SQLAlchemy inspector shapes.

    Attributes:
        name: table name.
        columns: ``Inspector.get_columns`` dicts (name, type, nullable, default, autoincrement);
            a column may add ``native`` (a :class:`NativeType`) when the catalog knows the
            exact database spelling better than the SQLAlchemy type does.
        primary_key: ``{"constrained_columns": [...], "name": str | None}``.
        foreign_keys: ``Inspector.get_foreign_keys`` dicts.
        indexes: ``Inspector.get_indexes`` dicts.
        unique_constraints: ``Inspector.get_unique_constraints`` dicts.
        check_constraints: ``Inspector.get_check_constraints`` dicts.
        view: a view, not a table.
    """

    name: str
    columns: list[dict[str, Any]]
    primary_key: dict[str, Any] = field(default_factory=dict)
    foreign_keys: list[dict[str, Any]] = field(default_factory=list)
    indexes: list[dict[str, Any]] = field(default_factory=list)
    unique_constraints: list[dict[str, Any]] = field(default_factory=list)
    check_constraints: list[dict[str, Any]] = field(default_factory=list)
    view: bool = False


def inspector_catalog(
    connection: sa.Connection, schema_name: str | None, tables: list[str] | None
) -> list[TableInfo]:
    """Tables and views through SQLAlchemy's inspector (PostgreSQL, MySQL, SQLite)."""
    inspector = sa.inspect(connection)
    all_tables = inspector.get_table_names(schema=schema_name)
    all_views = inspector.get_view_names(schema=schema_name)
    if tables is not None:
        _check_requested(tables, all_tables + all_views)
    table_names = _filter(all_tables, tables)
    view_names = _filter(all_views, tables)
    infos = []
    for name in table_names:
        infos.append(
            TableInfo(
                name=name,
                columns=inspector.get_columns(name, schema=schema_name),
                primary_key=inspector.get_pk_constraint(name, schema=schema_name),
                foreign_keys=inspector.get_foreign_keys(name, schema=schema_name),
                indexes=inspector.get_indexes(name, schema=schema_name),
                unique_constraints=inspector.get_unique_constraints(name, schema=schema_name),
                check_constraints=_checks(inspector, name, schema_name),
            )
        )
    for name in view_names:
        columns = inspector.get_columns(name, schema=schema_name)
        infos.append(TableInfo(name=name, columns=columns, view=True))
    return infos


def _checks(inspector: sa.Inspector, name: str, schema_name: str | None) -> list[dict[str, Any]]:
    try:
        return inspector.get_check_constraints(name, schema=schema_name)
    except NotImplementedError:
        return []


def _filter(names: list[str], wanted: list[str] | None) -> list[str]:
    if wanted is None:
        # SQLite's bookkeeping table is not user data
        return [name for name in names if not name.startswith("sqlite_")]
    return [name for name in names if name in wanted]


def _check_requested(wanted: list[str], found: list[str]) -> None:
    for name in wanted:
        if name not in found:
            close = difflib.get_close_matches(name, found, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise SchemaError(f"table {name!r} not found in the database{hint}")


# ── types ─────────────────────────────────────────────────────────────────────────────────────


def generic_column_type(column_type: sa.types.TypeEngine) -> dict[str, Any]:
    """Model attributes of a SQLAlchemy column type, for any dialect.

    Returns:
        ``kind`` plus any of ``length``, ``precision``, ``scale``, ``timezone``, ``list``,
        ``enum_labels`` and ``enum_name`` that apply.
    """
    from ..dialects.base import NamedType

    if isinstance(column_type, NamedType):
        return {"kind": column_type.kind, **column_type.attributes}
    if isinstance(column_type, sa.ARRAY):
        attributes = generic_column_type(sa.types.to_instance(column_type.item_type))
        attributes["list"] = True
        return attributes
    if isinstance(column_type, sa.Enum):
        return {
            "kind": "enum",
            "enum_labels": list(column_type.enums),
            "enum_name": getattr(column_type, "name", None),
        }
    if isinstance(column_type, sa.Boolean):
        return {"kind": "boolean"}
    if isinstance(column_type, sa.SmallInteger):
        return {"kind": "smallint"}
    if isinstance(column_type, sa.BigInteger):
        return {"kind": "bigint"}
    if isinstance(column_type, sa.Integer):
        return {"kind": "int"}
    if isinstance(column_type, sa.Float):
        return {"kind": _float_kind(column_type)}
    if isinstance(column_type, sa.Numeric):
        return {"kind": "decimal", "precision": column_type.precision, "scale": column_type.scale}
    if isinstance(column_type, sa.DateTime):
        return {
            "kind": "datetime",
            "timezone": bool(getattr(column_type, "timezone", False)),
            "precision": _fractional_precision(column_type),
        }
    if isinstance(column_type, sa.Date):
        return {"kind": "date"}
    if isinstance(column_type, sa.Time):
        return {
            "kind": "time",
            "timezone": bool(getattr(column_type, "timezone", False)),
            "precision": _fractional_precision(column_type),
        }
    if isinstance(column_type, sa.JSON):
        return {"kind": "json"}
    if isinstance(column_type, sa.Uuid):
        return {"kind": "uuid"}
    if isinstance(column_type, sa.types._Binary):
        return {"kind": "bytes"}
    if isinstance(column_type, sa.String):
        return {"kind": "string", "length": column_type.length}
    # inet, interval, xml, money, …: no model kind; travels as text (native keeps the type)
    return {"kind": "string"}


def _float_kind(column_type: sa.Float) -> str:
    name = type(column_type).__name__.upper()
    if name in ("REAL", "FLOAT") and (column_type.precision is None or column_type.precision <= 24):
        return "real"
    return "float"


def _fractional_precision(column_type: sa.types.TypeEngine) -> int | None:
    for attribute in ("precision", "fsp"):
        value = getattr(column_type, attribute, None)
        if isinstance(value, int):
            return value
    return None


def native_type(
    column_type: sa.types.TypeEngine, names: dict[str, str], attributes: dict[str, Any]
) -> NativeType:
    """The database type as a :class:`NativeType`: ``names`` maps SQLAlchemy type class names
    (``"TIMESTAMP WITH TIME ZONE"`` for zoned ones) to Prisma's spelling; arguments come from
    the reflected length / precision / scale."""
    if isinstance(column_type, sa.ARRAY):
        column_type = sa.types.to_instance(column_type.item_type)
    from ..dialects.base import NamedType

    if isinstance(column_type, NamedType):
        return NativeType(column_type.spec)
    key = type(column_type).__name__.upper()
    if getattr(column_type, "timezone", False):
        key += " WITH TIME ZONE"
    name = names.get(key, key)
    args: list[str] = []
    kind = attributes["kind"]
    if kind == "string" and attributes.get("length"):
        args = [str(attributes["length"])]
    elif kind == "decimal" and attributes.get("precision") is not None:
        args = [str(attributes["precision"]), str(attributes.get("scale") or 0)]
    elif kind in ("datetime", "time") and attributes.get("precision") is not None:
        args = [str(attributes["precision"])]
    return NativeType(name, args)


# ── defaults ──────────────────────────────────────────────────────────────────────────────────

_NOW = re.compile(
    r"^\(?\s*(current_timestamp|now|localtimestamp|transaction_timestamp|get_current_timestamp)"
    r"\s*(\(\s*\d*\s*\))?\s*\)?(::[\w\s]+(\(\d+\))?)?$",
    re.IGNORECASE,
)
_CAST = re.compile(r"::[\w\s\"\.]+(\(\d+(,\s*\d+)?\))?(\[\])?$")


def strip_cast(text: str) -> str:
    """``'a'::character varying`` → ``'a'``; ``(-1)`` → ``-1``."""
    text = text.strip()
    while True:
        stripped = _CAST.sub("", text).strip()
        if stripped.startswith("(") and stripped.endswith(")") and _balanced(stripped[1:-1]):
            stripped = stripped[1:-1].strip()
        if stripped == text:
            return text
        text = stripped


def _balanced(text: str) -> bool:
    depth = 0
    quoted = False
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not quoted


def _unquote(text: str) -> str | None:
    """Content of a single-quoted SQL string literal, or None if ``text`` is not one."""
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        body = text[1:-1]
        if re.search(r"(?<!')'(?!')", body.replace("''", "")) is None:
            return body.replace("''", "'")
    return None


def parse_default(text: str | None, attributes: dict[str, Any]) -> Default | None:
    """The model default of a reflected default expression (see the module docstring)."""
    if text is None:
        return None
    raw = str(text).strip()
    if not raw or raw.upper() == "NULL":
        return None
    if raw.lower().startswith("nextval("):
        return Default("autoincrement")
    if _NOW.match(raw):
        return Default("now")
    value = strip_cast(raw)
    if value.upper() == "NULL":
        return None
    kind = attributes["kind"]
    literal = _unquote(value)
    if attributes.get("list"):
        items = _array_items(value)
        if items is not None:
            return Default("literal", [_coerce(item, kind) for item in items])
        return Default("dbgenerated", raw)
    if literal is not None:
        if kind == "enum":
            return Default("enum", literal)
        return Default("literal", _coerce(literal, kind))
    if kind == "boolean" and value.lower() in ("true", "false", "1", "0"):
        return Default("literal", value.lower() in ("true", "1"))
    if NUMBER.match(value):
        return Default("literal", _coerce(value, kind))
    return Default("dbgenerated", raw)


def _array_items(value: str) -> list[str] | None:
    """Items of ``ARRAY['a', 'b']`` or ``'{a,b}'`` (PostgreSQL), ``'[...]'`` (JSON text)."""
    match = re.match(r"^ARRAY\[(.*)\]$", value, re.IGNORECASE | re.DOTALL)
    if match:
        items = []
        for item in _split_top_level(match.group(1)):
            bare = strip_cast(item)
            quoted = _unquote(bare)
            items.append(quoted if quoted is not None else bare)
        return items
    literal = _unquote(value)
    if literal is None:
        return None
    if literal.startswith("{") and literal.endswith("}"):
        body = literal[1:-1]
        return [item.strip().strip('"') for item in body.split(",")] if body else []
    if literal.startswith("["):
        import json

        try:
            items = json.loads(literal)
        except ValueError:
            return None
        return [str(item) for item in items] if isinstance(items, list) else None
    return None


def _split_top_level(text: str) -> list[str]:
    """``'a, b'::text, 'c'`` → ``["'a, b'::text", "'c'"]`` (commas outside quotes/brackets)."""
    items, current, quoted, depth = [], "", False, 0
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "([":
            depth += 1
        elif not quoted and char in ")]":
            depth -= 1
        if char == "," and not quoted and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        items.append(current.strip())
    return items


def _coerce(text: str, kind: str) -> Any:
    if kind in ("int", "smallint", "bigint"):
        try:
            return int(float(text)) if "." in text else int(text)
        except ValueError:
            return text
    if kind == "decimal":
        return text  # exact, as the database spells it (the Prisma importer keeps text too)
    if kind in ("float", "real"):
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and "e" not in text.lower() else number
    if kind == "boolean":
        return text.lower() in ("true", "t", "1", "yes", "on")
    return text


# ── reflection ────────────────────────────────────────────────────────────────────────────────


def reflect(uri: str, *, schema_name: str | None = None, tables: list[str] | None = None) -> Schema:
    """Read a live database's tables into a :class:`Schema`.

    Args:
        uri: database URI or SQLite/DuckDB file path.
        schema_name: database schema / namespace to read (PostgreSQL; default: the search path).
        tables: only these tables (foreign keys to other tables are left out).

    Returns:
        The schema; ``provider`` is the dialect's Prisma provider name.

    Raises:
        DatabaseConnectionError: the database cannot be reached or the file does not exist
            (URI masked).
        SchemaError: a requested table does not exist (closest names suggested).

    Example:
        >>> schema = reflect("postgresql://postgres@127.0.0.1/shop")  # doctest: +SKIP
        >>> [entity.name for entity in schema]  # doctest: +SKIP
        ['orders', 'customers']
    """
    from ..dialects import get_dialect

    parsed = parse_uri(uri)
    dialect = get_dialect(parsed.dialect)
    if parsed.path is not None and parsed.path != ":memory:" and not Path(parsed.path).exists():
        raise DatabaseConnectionError(
            f"cannot reflect {mask_uri(uri)}: the database file does not exist"
        )
    engine = dialect.engine(uri)
    try:
        with connect(engine, uri) as connection:
            infos = dialect.catalog(connection, schema_name, tables)
            enum_types = dialect.enum_types(connection, schema_name)
    finally:
        engine.dispose()
    return build_schema(dialect, infos, enum_types, schema_name=schema_name)


def connect(engine: sa.Engine, uri: str) -> sa.Connection:
    """Open a connection, turning driver errors into :class:`DatabaseConnectionError`."""
    try:
        return engine.connect()
    except sa.exc.DBAPIError as exc:
        first = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
        reason = mask_text(first[0] if first else type(exc).__name__)
        raise DatabaseConnectionError(f"cannot connect to {mask_uri(uri)}: {reason}") from None


def build_schema(
    dialect: Dialect,
    infos: list[TableInfo],
    enum_types: dict[str, list[str]],
    *,
    schema_name: str | None = None,
) -> Schema:
    """Assemble the model from catalog records (the dialect-independent half of reflect)."""
    schema = Schema(provider=PROVIDERS.get(dialect.name, dialect.name))
    for name, labels in enum_types.items():
        schema.enums[name] = Enum(name, list(labels))
    for info in infos:
        schema.entities.append(_entity(dialect, info, schema, schema_name))
    _relations(dialect, infos, schema)
    return schema


def _entity(dialect: Dialect, info: TableInfo, schema: Schema, schema_name: str | None) -> Entity:
    entity = Entity(info.name, view=info.view)
    if schema_name and dialect.supports_schemas:
        entity.db_schema = schema_name
    pk_columns = list(info.primary_key.get("constrained_columns") or [])
    entity.primary_key = pk_columns
    for column in info.columns:
        entity.fields.append(_field(dialect, info, column, schema, pk_columns))
    pk_name = info.primary_key.get("name")
    if pk_columns and pk_name and dialect.named_primary_key:
        if pk_name != dialect.constraint_name(info.name, [], "pkey"):
            entity.primary_key_name = pk_name
    _uniques_and_indexes(dialect, info, entity)
    return entity


def _field(
    dialect: Dialect,
    info: TableInfo,
    column: dict[str, Any],
    schema: Schema,
    pk_columns: list[str],
) -> Field:
    attributes = dialect.reflect_column_type(column, info)
    kind = attributes["kind"]
    enum_name = None
    if kind == "enum":
        enum_name = _enum_for(info, column, attributes, schema)
    result = Field(
        name=column["name"],
        kind=kind,
        required=not column.get("nullable", True),
        list=bool(attributes.get("list")),
        length=attributes.get("length"),
        precision=attributes.get("precision"),
        scale=attributes.get("scale"),
        timezone=bool(attributes.get("timezone")),
        native=attributes.get("native"),
        enum=enum_name,
    )
    default = dialect.parse_default(column.get("default"), attributes)
    if default is None and dialect.is_autoincrement(column, info, attributes, pk_columns):
        default = Default("autoincrement")
    if default is not None and default.kind == "enum":
        enum = schema.enums[enum_name or ""]
        reverse = {value: name for name, value in enum.mapped.items()}
        default = Default("enum", reverse.get(default.value, default.value))
    result.default = default
    return result


def _enum_for(
    info: TableInfo, column: dict[str, Any], attributes: dict[str, Any], schema: Schema
) -> str:
    labels = list(attributes.get("enum_labels") or [])
    name = attributes.get("enum_name")
    if name and name in schema.enums:
        return name
    if name:
        schema.enums[name] = Enum(name, labels)
        return name
    # inline enum (MySQL): one enum per column, named like Prisma's introspection does
    name = f"{info.name}_{column['name']}"
    schema.enums[name] = Enum(name, labels)
    return name


def _uniques_and_indexes(dialect: Dialect, info: TableInfo, entity: Entity) -> None:
    seen: set[tuple[str, ...]] = set()
    uniques: list[tuple[str | None, list[str], dict[str, Any] | None]] = []
    for constraint in info.unique_constraints:
        uniques.append((constraint.get("name"), list(constraint["column_names"]), None))
    constraint_names = {name for name, _, _ in uniques}
    fk_names = {fk.get("name") for fk in info.foreign_keys}
    for index in info.indexes:
        if index.get("duplicates_constraint") or index.get("name") in constraint_names:
            continue
        columns = list(index.get("column_names") or [])
        if not columns or None in columns:
            continue  # expression index: not representable in the model
        if index.get("unique"):
            uniques.append((index.get("name"), columns, index))
            continue
        if dialect.foreign_keys_create_indexes and index.get("name") in fk_names:
            continue  # created implicitly by the foreign key (MySQL), not by the model
        entity.indexes.append(_index(dialect, info, entity, index, columns, unique=False))
    for name, columns, index in uniques:
        key = tuple(columns)
        if key in seen or columns == entity.primary_key:
            continue
        seen.add(key)
        convention = dialect.constraint_name(info.name, columns, "key")
        # index names always survive; DuckDB forgets constraint names
        kept = index is not None or dialect.keeps_constraint_names
        given = name if name and name != convention and kept else None
        if len(columns) == 1:
            target = entity.field(columns[0])
            target.unique = True
            target.unique_name = given
        elif index is not None:
            entity.indexes.append(_index(dialect, info, entity, index, columns, unique=True))
        else:
            entity.indexes.append(
                Index([IndexColumn(column) for column in columns], unique=True, name=given)
            )


def _index(
    dialect: Dialect,
    info: TableInfo,
    entity: Entity,
    index: dict[str, Any],
    columns: list[str],
    *,
    unique: bool,
) -> Index:
    sorting = index.get("column_sorting") or {}
    options = index.get("dialect_options") or {}
    lengths = options.get("mysql_length") or {}
    if isinstance(lengths, int):
        lengths = {column: lengths for column in columns}
    index_columns = [
        IndexColumn(
            column,
            order="desc" if "desc" in sorting.get(column, ()) else None,
            length=lengths.get(column),
        )
        for column in columns
    ]
    name = index.get("name")
    convention = dialect.constraint_name(info.name, columns, "key" if unique else "idx")
    method = options.get("postgresql_using")
    return Index(
        index_columns,
        unique=unique,
        name=name if name and name != convention else None,
        type=method.capitalize() if method and method != "btree" else None,
        fulltext=str(options.get("mysql_prefix") or "").upper() == "FULLTEXT",
    )


def _relations(dialect: Dialect, infos: list[TableInfo], schema: Schema) -> None:
    by_table = {entity.table: entity for entity in schema.entities}
    pairs: dict[tuple[str, str], int] = {}
    for info in infos:
        for fk in info.foreign_keys:
            key = tuple(sorted((info.name, fk["referred_table"])))
            pairs[key] = pairs.get(key, 0) + 1
    for info in infos:
        child = by_table[info.name]
        for fk in info.foreign_keys:
            parent = by_table.get(fk["referred_table"])
            if parent is None:
                continue  # target not reflected (``tables=`` subset or another schema)
            columns = list(fk["constrained_columns"])
            unique = _is_unique(child, columns)
            ambiguous = pairs[tuple(sorted((info.name, parent.table)))] > 1
            ambiguous = ambiguous or parent is child
            convention = dialect.constraint_name(info.name, columns, "fkey")
            name = fk.get("name")
            given = name if name and name != convention and dialect.keeps_constraint_names else None
            relation_name = (given or convention) if ambiguous else None
            options = fk.get("options") or {}
            child_side = _free_name(
                child, parent.table if not ambiguous else f"{parent.table}_{'_'.join(columns)}"
            )
            child.relations.append(
                Relation(
                    name=child_side,
                    target=parent.name,
                    type="one-to-one" if unique else "many-to-one",
                    fields=columns,
                    references=list(fk["referred_columns"]),
                    relation_name=relation_name,
                    # no action reported = the database's default, NO ACTION (None would read
                    # as Prisma's defaults, Restrict/SetNull and Cascade)
                    on_delete=_action(options.get("ondelete")) or "NoAction",
                    on_update=_action(options.get("onupdate")) or "NoAction",
                    constraint_name=given,
                    required=all(child.field(column).required for column in columns),
                )
            )
            back = child.table if not ambiguous else f"{child.table}_{'_'.join(columns)}"
            parent.relations.append(
                Relation(
                    name=_free_name(parent, back),
                    target=child.name,
                    type="one-to-one" if unique else "one-to-many",
                    relation_name=relation_name,
                )
            )


def _is_unique(entity: Entity, columns: list[str]) -> bool:
    if sorted(columns) == sorted(entity.primary_key):
        return True
    if len(columns) == 1 and entity.field(columns[0]).unique:
        return True
    return any(index.unique and sorted(index.fields) == sorted(columns) for index in entity.indexes)


def _free_name(entity: Entity, wanted: str) -> str:
    """``wanted``, or ``wanted_2``… when a field or relation already has that name."""
    taken = {f.name for f in entity.fields} | {r.name for r in entity.relations}
    name, counter = wanted, 1
    while name in taken:
        counter += 1
        name = f"{wanted}_{counter}"
    return name


def _action(sql: str | None) -> str | None:
    from ..dialects.base import PRISMA_ACTIONS

    if not sql:
        return None
    return PRISMA_ACTIONS.get(sql.upper().strip())


__all__ = [
    "TableInfo",
    "build_schema",
    "generic_column_type",
    "inspector_catalog",
    "native_type",
    "parse_default",
    "reflect",
]
