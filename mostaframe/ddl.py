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

import dataclasses
import html
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable, DropTable
from sqlalchemy.sql import quoted_name

from .dialects import get_dialect
from .errors import SchemaError

if TYPE_CHECKING:
    from .dialects.base import Dialect
    from .schema.model import Entity, Enum, Field, Relation, Schema


def _name(text: str, dialect: Dialect) -> quoted_name:
    dialect.quote(text)  # rejects empty names and NUL with a clear error
    return quoted_name(text, quote=True)


def _dialect(dialect: str | Dialect) -> Dialect:
    return get_dialect(dialect) if isinstance(dialect, str) else dialect


def _column(entity: Entity, field: Field, schema: Schema, dialect: Dialect) -> sa.Column:
    column_type = dialect.column_type(field, schema, entity)
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


def _enums_for(schema: Schema, entities: list[Entity], everything: bool) -> list[Enum]:
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
    enums = _enums_for(schema, chosen, entities is None)
    return _statements(schema, dialect, chosen, existing, enums, if_not_exists=if_not_exists)


def _statements(
    schema: Schema,
    dialect: Dialect,
    chosen: list[Entity],
    existing: Iterable[Entity],
    enums: list[Enum],
    *,
    if_not_exists: bool,
) -> list[str]:
    schema.validate()
    compiler = dialect.sqlalchemy_dialect()
    metadata, ordered, late = _tables(schema, dialect, chosen, existing)
    namespaces = sorted({e.db_schema for e in ordered if e.db_schema and dialect.supports_schemas})
    statements: list[str] = []
    for namespace in namespaces:
        statements.append(f"CREATE SCHEMA IF NOT EXISTS {dialect.quote(namespace)}")
    for enum in enums:
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


# ── apply ────────────────────────────────────────────────────────────────────────────────────


@dataclasses.dataclass
class ApplyResult:
    """What :func:`apply` did. Renders itself in a terminal, in Jupyter and as JSON.

    Attributes:
        uri: the database, password masked.
        dialect: canonical dialect name.
        created: tables created by this run, in creation order.
        existing: tables that were already there and match the model (left alone).
        statements: the statements executed.
        seconds: wall time.
    """

    uri: str
    dialect: str
    created: list[str] = dataclasses.field(default_factory=list)
    existing: list[str] = dataclasses.field(default_factory=list)
    statements: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return dataclasses.asdict(self)

    def __str__(self) -> str:
        created = f"created {len(self.created)} table{'s' if len(self.created) != 1 else ''}"
        if self.created:
            created += f" ({', '.join(self.created)})"
        existing = f"{len(self.existing)} already existed"
        if self.existing:
            existing += f" ({', '.join(self.existing)})"
        return (
            f"{self.dialect} {self.uri}: {created}; {existing}; "
            f"{len(self.statements)} statements in {self.seconds:.2f} s"
        )

    def _repr_html_(self) -> str:
        rows = [(name, "created") for name in self.created]
        rows += [(name, "already existed") for name in self.existing]
        body = "".join(
            f"<tr><td><code>{html.escape(name)}</code></td><td>{state}</td></tr>"
            for name, state in rows
        )
        return (
            f"<div><b>apply</b> → {html.escape(self.dialect)} "
            f"<code>{html.escape(self.uri)}</code>: {len(self.created)} created, "
            f"{len(self.existing)} already existed, {len(self.statements)} statements in "
            f"{self.seconds:.2f} s<table><tr><th>table</th><th>state</th></tr>{body}</table></div>"
        )


#: kinds whose values a column of the other kind in the same family stores without surprise
_FAMILIES = {
    "int": "integer",
    "smallint": "integer",
    "bigint": "integer",
    "float": "floating point",
    "real": "floating point",
}


def apply(schema: Schema, uri: str, entities: list[Entity] | None = None) -> ApplyResult:
    """Create the model's tables in a database, leaving tables that already exist alone.

    Idempotent: a second run creates nothing and reports every table as existing. A table that
    exists but differs from the model (a missing column, another type family, other
    nullability) stops the run before anything is created. PostgreSQL, SQLite and DuckDB
    apply all statements in one transaction; MySQL commits each CREATE itself, so a failure
    there drops the tables this run created.

    Args:
        schema: the model.
        uri: database URI or SQLite/DuckDB file path (the file and its folder are created).
        entities: a subset (default: every entity but views).

    Returns:
        :class:`ApplyResult` listing created and already existing tables.

    Raises:
        DatabaseConnectionError: the database cannot be reached (URI masked).
        SchemaError: an existing table differs from the model (names table and columns), or
            the database rejected a statement (names it).
        UnsupportedError: the dialect cannot express part of the model.

    Example:
        >>> result = apply(schema, "shop.sqlite")  # doctest: +SKIP
        >>> print(result)  # doctest: +SKIP
        sqlite shop.sqlite: created 2 tables (users, orders); 0 already existed; 3 statements …
    """
    from .schema.reflect import connect
    from .secrets import mask_text, mask_uri, parse_uri

    started = time.perf_counter()
    parsed = parse_uri(uri)
    dialect = get_dialect(parsed.dialect)
    chosen = [entity for entity in _chosen(schema, entities) if not entity.view]
    schema.validate()
    if parsed.path is not None and parsed.path != ":memory:":
        Path(parsed.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    result = ApplyResult(uri=mask_uri(uri), dialect=dialect.name)
    engine = dialect.engine(uri)
    try:
        with connect(engine, uri) as connection:
            present = _present(connection, dialect, chosen)
            already = [entity for entity in chosen if _key(entity, dialect) in present]
            _check_existing(connection, dialect, schema, already, result.uri)
            to_create = [entity for entity in chosen if _key(entity, dialect) not in present]
            enums = _missing_enums(connection, dialect, schema, to_create, entities is None)
            statements = _statements(
                schema, dialect, to_create, already, enums, if_not_exists=False
            )
            connection.rollback()  # end the inspection's implicit transaction
            created = [entity.table for entity in schema.dependency_order(to_create)[0]]
            _execute(connection, dialect, schema, statements, to_create, result.uri, mask_text)
    finally:
        engine.dispose()
    result.created = created
    result.existing = [entity.table for entity in already]
    result.statements = statements
    result.seconds = time.perf_counter() - started
    return result


def _key(entity: Entity, dialect: Dialect) -> tuple[str | None, str]:
    return (entity.db_schema if dialect.supports_schemas else None, entity.table)


def _present(
    connection: sa.Connection, dialect: Dialect, entities: list[Entity]
) -> set[tuple[str | None, str]]:
    present: set[tuple[str | None, str]] = set()
    for namespace in {_key(entity, dialect)[0] for entity in entities}:
        try:
            names = dialect.table_names(connection, namespace)
        except sa.exc.NoSuchTableError:
            names = set()
        present |= {(namespace, name) for name in names}
    return present


def _check_existing(
    connection: sa.Connection,
    dialect: Dialect,
    schema: Schema,
    entities: list[Entity],
    masked_uri: str,
) -> None:
    problems = []
    for entity in entities:
        namespace = _key(entity, dialect)[0]
        info = dialect.catalog(connection, namespace, [entity.table])[0]
        differences = _differences(dialect, schema, entity, info)
        if differences:
            problems.append(
                f"table {entity.table} (entity {entity.name}): {'; '.join(differences)}"
            )
    if problems:
        raise SchemaError(
            f"existing tables in {masked_uri} differ from the model: " + " | ".join(problems),
            hint="migrate or drop those tables, or leave their entities out of apply()",
        )


def _differences(dialect: Dialect, schema: Schema, entity: Entity, info: Any) -> list[str]:
    columns = {column["name"]: column for column in info.columns}
    differences = []
    for model_field in entity.fields:
        column = columns.get(model_field.column)
        if column is None:
            differences.append(f"column {model_field.column} is missing")
            continue
        expected = dialect.reflect_column_type(
            {"name": model_field.column, "type": dialect.column_type(model_field, schema, entity)},
            info,
        )
        actual = dialect.reflect_column_type(column, info)
        want, have = _family(expected), _family(actual)
        if want != have:
            differences.append(
                f"column {model_field.column} is {have} in the database, {want} in the model"
            )
        if column.get("nullable", True) == model_field.required:
            state = "nullable" if column.get("nullable", True) else "NOT NULL"
            wanted = "required" if model_field.required else "optional"
            differences.append(
                f"column {model_field.column} is {state} in the database, {wanted} in the model"
            )
    return differences


def _family(attributes: dict[str, Any]) -> str:
    family = _FAMILIES.get(attributes["kind"], attributes["kind"])
    return f"{family} list" if attributes.get("list") else family


def _missing_enums(
    connection: sa.Connection,
    dialect: Dialect,
    schema: Schema,
    entities: list[Entity],
    everything: bool,
) -> list[Enum]:
    wanted = _enums_for(schema, entities, everything)
    if not wanted or dialect.enum_style != "type":
        return wanted
    present = dialect.enum_types(connection, None)
    missing = []
    for enum in wanted:
        labels = present.get(enum.type_name)
        if labels is None:
            missing.append(enum)
        elif labels != enum.db_values():
            raise SchemaError(
                f"enum type {enum.type_name} exists with values {', '.join(labels)}; the model "
                f"(enum {enum.name}) has {', '.join(enum.db_values())}",
                hint="alter or drop the type, or rename the model's enum (@@map)",
            )
    return missing


def _execute(
    connection: sa.Connection,
    dialect: Dialect,
    schema: Schema,
    statements: list[str],
    created: list[Entity],
    masked_uri: str,
    mask_text: Any,
) -> None:
    if not statements:
        return
    position = 0

    def run_all() -> None:
        nonlocal position
        for position, statement in enumerate(statements):  # noqa: B007 (read after a failure)
            execute_ddl(connection, statement)

    try:
        if dialect.transactional_ddl:
            with connection.begin():
                run_all()
        else:
            run_all()
            connection.commit()
    except sa.exc.DBAPIError as exc:
        if not dialect.transactional_ddl:
            _undo(connection, dialect, schema, created)
        reason = mask_text(str(exc.orig if exc.orig is not None else exc).strip().splitlines()[0])
        first_line = statements[position].splitlines()[0]
        raise SchemaError(
            f"{dialect.name} {masked_uri} rejected statement {position + 1} of {len(statements)} "
            f"({first_line} …): {reason}",
            hint="nothing was created"
            if dialect.transactional_ddl
            else "the tables this run created were dropped again",
        ) from None


def execute_ddl(connection: sa.Connection, statement: str) -> None:
    """Run one DDL statement as written.

    Goes to the driver's cursor without a parameter argument: psycopg and PyMySQL apply
    ``%`` formatting whenever parameters are passed (even empty ones), which would break an
    identifier such as ``"100% done"``. Driver errors come back as SQLAlchemy's DBAPIError.
    """
    cursor = connection.connection.cursor()
    try:
        cursor.execute(statement)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(
            statement, None, exc, connection.dialect.loaded_dbapi.Error
        ) from exc
    finally:
        cursor.close()


def _undo(
    connection: sa.Connection, dialect: Dialect, schema: Schema, created: list[Entity]
) -> None:
    """Best-effort cleanup where DDL is not transactional (MySQL)."""
    present = _present(connection, dialect, created)
    made = [entity for entity in created if _key(entity, dialect) in present]
    for statement in drop_statements(schema, dialect, made) if made else []:
        try:
            execute_ddl(connection, statement)
        except sa.exc.DBAPIError:
            pass  # a later table may already be gone; keep cleaning
    connection.commit()


__all__ = [
    "ApplyResult",
    "apply",
    "create_statements",
    "drop_statements",
    "execute_ddl",
    "sqlalchemy_metadata",
    "table_for",
]
