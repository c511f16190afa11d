"""The entity model: one in-memory description of the data that drives DDL, copy and replication.

A :class:`Schema` holds :class:`Entity` objects (tables) and :class:`Enum` definitions. An entity
has ordered scalar :class:`Field` objects (columns), a primary key, :class:`Relation` objects and
:class:`Index` objects. Field types are *exact* (``kind``: int, bigint, decimal(p,s), timestamp
with or without time zone, …); the coarse @mostajs type (string|text|number|…) is derived from
them when the model is written to ``entities.json``.

Names: ``Entity.name`` and ``Field.name`` are the model names (Prisma model / field names);
``Entity.table`` and ``Field.column`` are the database names (``@@map`` / ``@map``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import SchemaError

#: Exact scalar kinds a field can have.
FIELD_KINDS = (
    "string",  # variable-length text (length optional: varchar(n))
    "int",  # 32-bit integer
    "smallint",  # 16-bit integer (reflected databases)
    "bigint",  # 64-bit integer
    "float",  # double precision
    "real",  # single precision (reflected databases, @db.Real)
    "decimal",  # exact numeric(precision, scale)
    "boolean",
    "datetime",  # timestamp; ``timezone`` says with or without time zone
    "date",
    "time",  # ``timezone`` says timetz
    "json",
    "bytes",
    "uuid",
    "enum",  # values from Schema.enums[Field.enum]
)

RelationType = Literal["one-to-one", "many-to-one", "one-to-many", "many-to-many"]
RELATION_TYPES = ("one-to-one", "many-to-one", "one-to-many", "many-to-many")

#: Referential actions, spelled as Prisma spells them.
REFERENTIAL_ACTIONS = ("Cascade", "Restrict", "NoAction", "SetNull", "SetDefault")

#: Kinds of column defaults.
DEFAULT_KINDS = (
    "literal",  # value: str | int | float | bool | list (scalar lists)
    "enum",  # value: the enum value name
    "autoincrement",
    "sequence",  # value: sequence name or None (CockroachDB / reflected nextval())
    "now",
    "uuid",  # value: 4 or 7
    "cuid",  # value: 1 or 2
    "nanoid",  # value: length or None
    "ulid",
    "dbgenerated",  # value: SQL expression text, or None for "generated, expression unknown"
)


@dataclass
class Default:
    """A column default.

    Attributes:
        kind: one of :data:`DEFAULT_KINDS`.
        value: literal value, enum value, SQL expression or generator argument.
    """

    kind: str
    value: Any = None

    def __post_init__(self) -> None:
        if self.kind not in DEFAULT_KINDS:
            raise SchemaError(
                f"unknown default kind {self.kind!r}; known: {', '.join(DEFAULT_KINDS)}"
            )

    @property
    def is_generated_by_application(self) -> bool:
        """True for defaults Prisma computes in the client (uuid, cuid, …), not the database."""
        return self.kind in ("uuid", "cuid", "nanoid", "ulid")


@dataclass
class NativeType:
    """A native database type annotation, e.g. ``@db.VarChar(255)`` → ``NativeType("VarChar", ["255"])``."""

    name: str
    args: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.name}({', '.join(self.args)})" if self.args else self.name


@dataclass
class Field:
    """A scalar column.

    Attributes:
        name: model name of the field.
        kind: exact type, one of :data:`FIELD_KINDS`.
        column: database column name (defaults to ``name``).
        required: NOT NULL.
        unique: single-column unique constraint.
        list: scalar list (PostgreSQL array).
        length: character length for strings (varchar(n)), when known.
        precision: decimal precision / fractional-second precision for datetime and time.
        scale: decimal scale.
        timezone: for datetime/time: with time zone.
        native: native type annotation (``@db.*``) or reflected database type name.
        enum: enum name when ``kind == "enum"``.
        default: column default.
        updated_at: set to now() by the application on every update (Prisma ``@updatedAt``).
        ignored: present in the database but ignored by the app (Prisma ``@ignore``).
        doc: documentation comment.
        unique_name: constraint name of the single-column unique, when given (``map:``).
        extra: keys of the file this field was loaded from that mostaframe does not know; kept.
    """

    name: str
    kind: str
    column: str = ""
    required: bool = True
    unique: bool = False
    list: bool = False
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    timezone: bool = False
    native: NativeType | None = None
    enum: str | None = None
    default: Default | None = None
    updated_at: bool = False
    ignored: bool = False
    doc: str | None = None
    unique_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.column:
            self.column = self.name
        if self.kind not in FIELD_KINDS:
            hint = difflib.get_close_matches(self.kind, FIELD_KINDS, n=1)
            raise SchemaError(
                f"field {self.name!r}: unknown type {self.kind!r}"
                + (f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(FIELD_KINDS)}")
            )

    @property
    def autoincrement(self) -> bool:
        return self.default is not None and self.default.kind == "autoincrement"


@dataclass
class Relation:
    """A relation field.

    The *owning* side of a one-to-one / many-to-one relation holds the foreign key: ``fields``
    are its local fields, ``references`` the target's fields. The other side (one-to-many, or the
    back side of a one-to-one) has empty ``fields``. Many-to-many relations go through the join
    entity named in ``through``.

    Attributes:
        name: relation field name on this entity.
        target: target entity name.
        type: one of :data:`RELATION_TYPES`.
        fields: local foreign-key field names (owning side only).
        references: referenced field names on the target (owning side only).
        relation_name: Prisma relation name (disambiguates several relations between two models).
        on_delete / on_update: referential action (:data:`REFERENTIAL_ACTIONS`) or None (default).
        constraint_name: foreign-key constraint name (Prisma ``map:``).
        through: join entity name for many-to-many.
        required: the relation must be set (owning side: every FK field is required).
        extra: unknown keys, kept.
    """

    name: str
    target: str
    type: str
    fields: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    relation_name: str | None = None
    on_delete: str | None = None
    on_update: str | None = None
    constraint_name: str | None = None
    through: str | None = None
    required: bool = False
    ignored: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in RELATION_TYPES:
            raise SchemaError(
                f"relation {self.name!r}: unknown type {self.type!r}; known: {', '.join(RELATION_TYPES)}"
            )
        for action in (self.on_delete, self.on_update):
            if action is not None and action not in REFERENTIAL_ACTIONS:
                raise SchemaError(
                    f"relation {self.name!r}: unknown referential action {action!r}; "
                    f"known: {', '.join(REFERENTIAL_ACTIONS)}"
                )

    @property
    def owning(self) -> bool:
        """True when this side holds the foreign key."""
        return bool(self.fields)


@dataclass
class IndexColumn:
    """One column of an index: field name plus optional sort order and prefix length."""

    field: str
    order: str | None = None  # "asc" | "desc" | None (database default)
    length: int | None = None  # MySQL prefix length
    ops: str | None = None  # PostgreSQL operator class


@dataclass
class Index:
    """A (possibly unique) index over one or more fields.

    Attributes:
        columns: indexed fields in order.
        unique: unique index / constraint.
        name: database name of the index (Prisma ``map:``); None = derived by convention.
        model_name: Prisma ``name:`` of a compound unique (client-side only), kept for round trips.
        type: index method (BTree, Hash, Gist, Gin, SpGist, Brin) or None for the default.
        fulltext: MySQL full-text index.
        clustered: SQL Server clustered flag, kept for round trips.
    """

    columns: list[IndexColumn]
    unique: bool = False
    name: str | None = None
    model_name: str | None = None
    type: str | None = None
    fulltext: bool = False
    clustered: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fields(self) -> list[str]:
        return [column.field for column in self.columns]


@dataclass
class Enum:
    """An enum type.

    Attributes:
        name: model name of the enum.
        values: value names in declaration order.
        db_name: database type name (``@@map``), None = same as ``name``.
        mapped: value name → database value for values with ``@map``.
    """

    name: str
    values: list[str]
    db_name: str | None = None
    mapped: dict[str, str] = field(default_factory=dict)
    doc: str | None = None

    def db_values(self) -> list[str]:
        """Values as stored in the database (``@map`` applied)."""
        return [self.mapped.get(value, value) for value in self.values]

    @property
    def type_name(self) -> str:
        return self.db_name or self.name


@dataclass
class Entity:
    """A table (or a read-only view).

    Attributes:
        name: model name.
        table: database table name (``@@map``), defaults to ``name``.
        fields: scalar fields in declaration order.
        primary_key: field names of the primary key (empty = none).
        primary_key_name: constraint name of the primary key (``map:``), None = convention.
        relations: relation fields.
        indexes: indexes and multi-column unique constraints (single-column uniques live on
            the field).
        timestamps: the entity has createdAt/updatedAt (the @mostajs ``timestamps`` flag).
        view: a read-only database view.
        ignored: the whole entity is ignored by the app (Prisma ``@@ignore``).
        db_schema: database schema (PostgreSQL namespace, ``@@schema``), None = default.
        join_table: an implicit many-to-many join table synthesised from two list relations.
        doc: documentation comment.
        extra: unknown keys, kept.
    """

    name: str
    table: str = ""
    fields: list[Field] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    primary_key_name: str | None = None
    relations: list[Relation] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    timestamps: bool = False
    view: bool = False
    ignored: bool = False
    db_schema: str | None = None
    join_table: bool = False
    doc: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.table:
            self.table = self.name

    def field(self, name: str) -> Field:
        """The field called ``name`` (model name or column name).

        Raises:
            SchemaError: no such field; the message suggests the closest names.
        """
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        for candidate in self.fields:
            if candidate.column == name:
                return candidate
        names = [f.name for f in self.fields]
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; fields: {', '.join(names)}"
        raise SchemaError(f"entity {self.name}: no field {name!r}{hint}")

    def has_field(self, name: str) -> bool:
        return any(f.name == name or f.column == name for f in self.fields)

    @property
    def primary_key_fields(self) -> list[Field]:
        return [self.field(name) for name in self.primary_key]

    @property
    def columns(self) -> list[str]:
        """Database column names in order."""
        return [f.column for f in self.fields]

    def foreign_keys(self) -> Iterator[Relation]:
        """Relations that hold a foreign key in this table."""
        return (r for r in self.relations if r.owning and not r.ignored)

    @property
    def updated_at_field(self) -> Field | None:
        for candidate in self.fields:
            if candidate.updated_at:
                return candidate
        return None


@dataclass
class Schema:
    """A set of entities and enums: the whole model of one database.

    Attributes:
        entities: entities in file order.
        enums: enums by name.
        provider: datasource provider the model came from (postgresql, mysql, sqlite, …), if known.
    """

    entities: list[Entity] = field(default_factory=list)
    enums: dict[str, Enum] = field(default_factory=dict)
    provider: str | None = None

    def __iter__(self) -> Iterator[Entity]:
        return iter(self.entities)

    def __len__(self) -> int:
        return len(self.entities)

    def entity(self, name: str) -> Entity:
        """The entity named ``name`` (entity name or table name, case-insensitive fallback).

        Raises:
            SchemaError: unknown entity, with the closest names.
        """
        for candidate in self.entities:
            if candidate.name == name or candidate.table == name:
                return candidate
        lowered = name.lower()
        for candidate in self.entities:
            if candidate.name.lower() == lowered or candidate.table.lower() == lowered:
                return candidate
        names = [e.name for e in self.entities]
        close = difflib.get_close_matches(name, names + [e.table for e in self.entities], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise SchemaError(f"unknown entity {name!r}{hint}")

    def select(
        self, names: list[str] | str | None = None, exclude: list[str] | None = None
    ) -> list[Entity]:
        """Entities named in ``names`` (entity or table names; None or ``"*"`` = all but views),
        minus ``exclude``, in file order."""
        if names is None or names == "*" or names == ["*"]:
            chosen = [e for e in self.entities if not e.view and not e.ignored]
        else:
            wanted = [names] if isinstance(names, str) else names
            chosen_ids = {id(self.entity(n)) for n in wanted}
            chosen = [e for e in self.entities if id(e) in chosen_ids]
        if exclude:
            dropped = {id(self.entity(n)) for n in exclude}
            chosen = [e for e in chosen if id(e) not in dropped]
        return chosen

    def dependency_order(
        self, entities: list[Entity] | None = None
    ) -> tuple[list[Entity], list[tuple[Entity, Relation]]]:
        """Entities sorted parents first.

        Returns:
            ``(ordered, deferred)``: ``ordered`` lists every entity so that the target of each
            foreign key comes before the table holding it, except for the foreign keys in
            ``deferred`` — the fewest edges that had to be cut to break cycles (self relations
            are never a problem for table creation and are not listed). Callers add the
            deferred foreign keys after the tables (ALTER TABLE) or load in two passes.
        """
        chosen = entities if entities is not None else self.entities
        by_name = {e.name: e for e in chosen}
        position = {e.name: i for i, e in enumerate(chosen)}
        edges: dict[str, list[tuple[str, Relation]]] = {e.name: [] for e in chosen}
        for entity in chosen:
            for relation in entity.foreign_keys():
                if relation.target in by_name and relation.target != entity.name:
                    edges[entity.name].append((relation.target, relation))
        ordered: list[Entity] = []
        deferred: list[tuple[Entity, Relation]] = []
        state: dict[str, int] = {}  # 1 = visiting, 2 = done

        def visit(name: str) -> None:
            state[name] = 1
            for target, relation in sorted(edges[name], key=lambda item: position[item[0]]):
                if state.get(target) == 1:
                    deferred.append((by_name[name], relation))
                elif state.get(target) is None:
                    visit(target)
            state[name] = 2
            ordered.append(by_name[name])

        for entity in chosen:
            if entity.name not in state:
                visit(entity.name)
        return ordered, deferred

    def validate(self) -> None:
        """Check cross references: relation targets, key fields, enum names, index fields.

        Raises:
            SchemaError: the first problem found, naming entity and field.
        """
        names = {e.name for e in self.entities}
        for entity in self.entities:
            for key in entity.primary_key:
                if not entity.has_field(key):
                    raise SchemaError(
                        f"entity {entity.name}: primary key field {key!r} does not exist"
                    )
            for f in entity.fields:
                if f.kind == "enum" and f.enum not in self.enums:
                    raise SchemaError(
                        f"entity {entity.name}, field {f.name}: unknown enum {f.enum!r}"
                    )
            for relation in entity.relations:
                if relation.target not in names:
                    close = difflib.get_close_matches(relation.target, sorted(names), n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise SchemaError(
                        f"entity {entity.name}, relation {relation.name}: unknown target entity "
                        f"{relation.target!r}{hint}"
                    )
                for name in relation.fields:
                    entity.field(name)
                target = self.entity(relation.target)
                for name in relation.references:
                    target.field(name)
            for index in entity.indexes:
                for name in index.fields:
                    entity.field(name)
