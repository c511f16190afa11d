"""Entity model + dialect → ordered DDL statements, and ``apply`` to a live database.

Statements are built as SQLAlchemy ``MetaData``/``Table`` objects and compiled with each dialect's
own compiler, so quoting and type spelling come from SQLAlchemy; names and defaults follow Prisma's
conventions (``<table>_pkey``, ``<table>_<cols>_key`` / ``_idx`` / ``_fkey``; ON DELETE RESTRICT
for required and SET NULL for optional relations, ON UPDATE CASCADE).

Order: enum types, then tables parents first (:meth:`Schema.dependency_order`), each followed by
its indexes, then the foreign keys that close a cycle (``ALTER TABLE … ADD CONSTRAINT``). SQLite
declares every foreign key inline (it cannot add one later, and checks them only on writes).

>>> from mostaframe.schema import Entity, Field, Schema
>>> schema = Schema([Entity("User", fields=[Field("id", "int")], primary_key=["id"])])
>>> print(create_statements(schema, "postgres")[0])
CREATE TABLE "User" (
    "id" INTEGER NOT NULL,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
)

The copy engine's SQL sinks reuse :func:`table_for` / :func:`sqlalchemy_metadata` for their
insert and upsert statements, so every writer sees the same column types.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable, DropTable
from sqlalchemy.sql import quoted_name

from .dialects import get_dialect
from .errors import SchemaError

if TYPE_CHECKING:
    from .dialects.base import Dialect
    from .schema.model import Entity, Field, Relation, Schema


def _name(text: str, dialect: Dialect) -> quoted_name:
    dialect.quote(text)  # rejects empty names and NUL with a clear error
    return quoted_name(text, quote=True)


def _dialect(dialect: str | Dialect) -> Dialect:
    return get_dialect(dialect) if isinstance(dialect, str) else dialect


def _column(entity: Entity, field: Field, schema: Schema, dialect: Dialect) -> sa.Column:
    column_type = dialect.column_type(field, schema)
    autoincrement = False
    if field.autoincrement:
        replacement, autoincrement = dialect.autoincrement(entity, field)
        column_type = replacement if replacement is not None else column_type
    default = dialect.default_sql(entity, field, schema)
    if default is None and field.default is not None and field.default.kind == "dbgenerated":
        warnings.warn(
            f"entity {entity.name}, field {field.name}: default dbgenerated("
            f"{field.default.value!r}) was written for {schema.provider} and has no {dialect.name} "
            "equivalent: the column is created without a default",
            stacklevel=4,
        )
    return sa.Column(
        _name(field.column, dialect),
        column_type,
        key=field.column,
        nullable=not field.required,
        autoincrement=autoincrement,
        # literal_column: the SQL is used as written (no bind-parameter parsing of ':' in it)
        server_default=sa.literal_column(default) if default is not None else None,
        comment=None,
    )


def _unique_specs(entity: Entity, dialect: Dialect) -> Iterable[tuple[str, list[str], object]]:
    """(name, columns, index or None) of every unique: single-field ones, then @@unique."""
    for field in entity.fields:
        if field.unique and [field.name] != entity.primary_key:
            name = field.unique_name or dialect.constraint_name(entity.table, [field.column], "key")
            yield name, [field.column], None
    for index in entity.indexes:
        if index.unique:
            columns = [entity.field(name).column for name in index.fields]
            yield (
                index.name or dialect.constraint_name(entity.table, columns, "key"),
                columns,
                index,
            )


def table_for(
    entity: Entity,
    schema: Schema,
    dialect: str | Dialect,
    metadata: sa.MetaData | None = None,
) -> sa.Table:
    """The SQLAlchemy ``Table`` of one entity: columns, types, defaults, primary key, uniques
    and indexes — without foreign keys, which need the other tables (see
    :func:`sqlalchemy_metadata`).

    Args:
        entity: the entity.
        schema: the schema it belongs to (enums, provider).
        dialect: dialect name or object.
        metadata: collection to add the table to (a new one by default).

    Raises:
        SchemaError: unknown field in a key or index, unknown enum, NUL in a name.
        UnsupportedError: a construct the dialect cannot express (named).
    """
    dialect = _dialect(dialect)
    metadata = metadata if metadata is not None else sa.MetaData()
    columns = [_column(entity, field, schema, dialect) for field in entity.fields]
    constraints: list[sa.schema.SchemaItem] = []
    if entity.primary_key:
        keys = [entity.field(name).column for name in entity.primary_key]
        pk_name = dialect.primary_key_name(entity)
        constraints.append(
            sa.PrimaryKeyConstraint(*keys, name=_name(pk_name, dialect) if pk_name else None)
        )
    db_schema = entity.db_schema if dialect.supports_schemas else None
    table = sa.Table(
        _name(entity.table, dialect),
        metadata,
        *columns,
        *constraints,
        schema=quoted_name(db_schema, quote=True) if db_schema else None,
        **dialect.table_options(entity),
    )
    for name, keys, index in _unique_specs(entity, dialect):
        if dialect.unique_as_constraint:
            table.append_constraint(sa.UniqueConstraint(*keys, name=_name(name, dialect)))
        else:
            _add_index(table, entity, dialect, name, index, keys, unique=True)
    for index in entity.indexes:
        if not index.unique:
            keys = [entity.field(name).column for name in index.fields]
            name = index.name or dialect.constraint_name(entity.table, keys, "idx")
            _add_index(table, entity, dialect, name, index, keys, unique=False)
    return table


def _add_index(table, entity, dialect, name, index, keys, *, unique) -> None:
    expressions = []
    orders = [column.order for column in index.columns] if index is not None else []
    for position, key in enumerate(keys):
        column = table.c[key]
        order = orders[position] if position < len(orders) else None
        expressions.append(column.desc() if order == "desc" else column)
    options = dialect.index_options(entity, index) if index is not None else {}
    sa.Index(_name(name, dialect), *expressions, unique=unique, _table=table, **options)


def _foreign_key(
    entity: Entity,
    relation: Relation,
    table: sa.Table,
    target_table: sa.Table,
    schema: Schema,
    dialect: Dialect,
    *,
    deferred: bool,
) -> sa.ForeignKeyConstraint:
    target = schema.entity(relation.target)
    local = [entity.field(name).column for name in relation.fields]
    remote = [target_table.c[target.field(name).column] for name in relation.references]
    required = all(entity.field(name).required for name in relation.fields)
    # Prisma's defaults: a required relation restricts deletes, an optional one sets NULL
    on_delete = relation.on_delete or ("Restrict" if required else "SetNull")
    on_update = relation.on_update or "Cascade"
    name = relation.constraint_name or dialect.constraint_name(entity.table, local, "fkey")
    constraint = sa.ForeignKeyConstraint(
        local,
        remote,
        name=_name(name, dialect),
        ondelete=dialect.referential_action(on_delete),
        onupdate=dialect.referential_action(on_update),
        use_alter=deferred,
    )
    table.append_constraint(constraint)
    return constraint


def _tables(
    schema: Schema,
    dialect: Dialect,
    entities: list[Entity],
    existing: Iterable[Entity] = (),
) -> tuple[sa.MetaData, list[Entity], list[sa.ForeignKeyConstraint]]:
    """MetaData for ``entities`` (plus ``existing`` tables they may reference), the creation
    order, and the foreign keys to add after all tables."""
    metadata = sa.MetaData()
    created = [entity for entity in entities if not entity.view]
    already = [entity for entity in existing if not entity.view]
    ordered, cycles = schema.dependency_order(created)
    cycle_edges = {(id(entity), id(relation)) for entity, relation in cycles}
    tables = {entity.name: table_for(entity, schema, dialect, metadata) for entity in ordered}
    for entity in already:
        if entity.name not in tables:
            tables[entity.name] = table_for(entity, schema, dialect, metadata)
    late: list[sa.ForeignKeyConstraint] = []
    for entity in ordered:
        for relation in entity.foreign_keys():
            if relation.target not in tables:
                continue  # target neither created now nor present: no constraint possible
            deferred = (id(entity), id(relation)) in cycle_edges
            if deferred and not dialect.alter_add_foreign_key:
                if dialect.inline_cyclic_foreign_keys:
                    deferred = False
                else:
                    warnings.warn(
                        f"entity {entity.name}, relation {relation.name}: {dialect.name} cannot "
                        "add a foreign key after CREATE TABLE and this one closes a cycle: it "
                        "is left out",
                        stacklevel=3,
                    )
                    continue
            constraint = _foreign_key(
                entity,
                relation,
                tables[entity.name],
                tables[relation.target],
                schema,
                dialect,
                deferred=deferred,
            )
            if deferred:
                late.append(constraint)
    return metadata, ordered, late


def sqlalchemy_metadata(
    schema: Schema, dialect: str | Dialect, entities: list[Entity] | None = None
) -> sa.MetaData:
    """SQLAlchemy ``MetaData`` of the whole schema (or ``entities``) in ``dialect``, with
    foreign keys between the tables it holds.

    Raises:
        SchemaError: broken references (unknown field, enum or target).
    """
    dialect = _dialect(dialect)
    return _tables(schema, dialect, _chosen(schema, entities))[0]


def _chosen(schema: Schema, entities: list[Entity] | None) -> list[Entity]:
    return schema.select() if entities is None else list(entities)


def _text(compiled: object) -> str:
    """Compiled DDL as clean text: no trailing spaces, four-space indents."""
    lines = [line.rstrip() for line in str(compiled).strip().splitlines()]
    return "\n".join("    " + line[1:] if line.startswith("\t") else line for line in lines)


def _enums_for(schema: Schema, entities: list[Entity], everything: bool) -> list:
    if everything:
        return list(schema.enums.values())
    used = {f.enum for entity in entities for f in entity.fields if f.kind == "enum"}
    return [enum for name, enum in schema.enums.items() if name in used]


def create_statements(
    schema: Schema,
    dialect: str | Dialect,
    entities: list[Entity] | None = None,
    *,
    if_not_exists: bool = False,
    existing: Iterable[Entity] = (),
) -> list[str]:
    """CREATE statements for ``entities`` (default: every entity but views), in order.

    Args:
        schema: the model.
        dialect: ``postgres``, ``mysql``, ``sqlite``, ``duckdb`` (or a Dialect object).
        entities: a subset; foreign keys to entities outside it are left out unless the
            target is in ``existing``.
        if_not_exists: ``IF NOT EXISTS`` on types, tables, indexes and sequences.
        existing: entities whose tables already exist (foreign keys may point at them).

    Returns:
        Statements without trailing semicolons: enum types, then per table its sequences,
        CREATE TABLE and CREATE INDEX, then ``ALTER TABLE … ADD CONSTRAINT`` for foreign
        keys that close a cycle.

    Raises:
        SchemaError: broken references in the model.
        UnsupportedError: a construct the dialect cannot express.
    """
    dialect = _dialect(dialect)
    chosen = _chosen(schema, entities)
    schema.validate()
    compiler = dialect.sqlalchemy_dialect()
    metadata, ordered, late = _tables(schema, dialect, chosen, existing)
    statements: list[str] = []
    for enum in _enums_for(schema, ordered, entities is None):
        statements.extend(dialect.enum_statements(enum, if_not_exists=if_not_exists))
    for entity in ordered:
        table = _lookup(metadata, entity, dialect)
        statements.extend(dialect.pre_table_statements(entity, if_not_exists=if_not_exists))
        statements.append(
            _text(CreateTable(table, if_not_exists=if_not_exists).compile(dialect=compiler))
        )
        for index in sorted(table.indexes, key=_index_position(entity, dialect)):
            statements.append(
                _text(CreateIndex(index, if_not_exists=if_not_exists).compile(dialect=compiler))
            )
    for constraint in late:
        statements.append(_text(AddConstraint(constraint).compile(dialect=compiler)))
    return statements


def _index_position(entity: Entity, dialect: Dialect):
    """Sort key putting indexes in model order: single-field uniques, then @@unique / @@index
    as declared (SQLAlchemy keeps them in a set)."""
    names = [name for name, _, _ in _unique_specs(entity, dialect)]
    for index in entity.indexes:
        if not index.unique:
            keys = [entity.field(name).column for name in index.fields]
            names.append(index.name or dialect.constraint_name(entity.table, keys, "idx"))
    order = {name: position for position, name in enumerate(names)}
    return lambda index: (order.get(str(index.name), len(order)), str(index.name))


def _lookup(metadata: sa.MetaData, entity: Entity, dialect: Dialect) -> sa.Table:
    for table in metadata.tables.values():
        if table.name == entity.table and (
            not dialect.supports_schemas or table.schema == entity.db_schema
        ):
            return table
    raise SchemaError(f"entity {entity.name}: table {entity.table!r} was not built")


def drop_statements(
    schema: Schema, dialect: str | Dialect, entities: list[Entity] | None = None
) -> list[str]:
    """DROP statements for ``entities``, children first, then their sequences and enum types.

    Foreign keys inside a cycle are dropped with their tables (``DROP TABLE … CASCADE`` is not
    used: only the listed tables go).
    """
    dialect = _dialect(dialect)
    chosen = _chosen(schema, entities)
    compiler = dialect.sqlalchemy_dialect()
    metadata, ordered, late = _tables(schema, dialect, chosen)
    statements: list[str] = []
    for constraint in late:
        table = constraint.table
        statements.append(
            f"ALTER TABLE {_qualified(table, dialect)} DROP "
            f"{dialect.drop_foreign_key_keyword} {dialect.quote(str(constraint.name))}"
        )
    for entity in reversed(ordered):
        table = _lookup(metadata, entity, dialect)
        statements.append(_text(DropTable(table, if_exists=True).compile(dialect=compiler)))
        statements.extend(dialect.post_drop_statements(entity))
    for enum in _enums_for(schema, ordered, entities is None):
        statements.extend(dialect.drop_enum_statements(enum))
    return statements


def _qualified(table: sa.Table, dialect: Dialect) -> str:
    if table.schema:
        return f"{dialect.quote(table.schema)}.{dialect.quote(table.name)}"
    return dialect.quote(table.name)


__all__ = [
    "create_statements",
    "drop_statements",
    "sqlalchemy_metadata",
    "table_for",
]
