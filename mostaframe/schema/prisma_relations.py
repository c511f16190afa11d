"""Relations for the Prisma importer (:mod:`mostaframe.schema.prisma`).

Relation fields are collected while models are read (:meth:`_Relations.relation_field`), then
paired by target and relation name once every model is known (:meth:`_Relations.pair_relations`):
each pair becomes a :class:`~mostaframe.schema.model.Relation` on both sides, checked the way
Prisma checks it (an opposite field, ``fields``/``references`` on exactly one side, matching
types, a unique criterion referenced, optionality), and an implicit many-to-many pair also gets
the join entity Prisma Migrate creates (:func:`_join_entity`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import PrismaSyntaxError
from .model import REFERENTIAL_ACTIONS, Entity, Field, Index, IndexColumn, NativeType, Relation
from .prisma_arguments import _AttributeReader, _show
from .prisma_parser import ArrayValue, Attribute, Block, FieldDecl, PathValue


@dataclass(slots=True)
class _RelationField:
    """A relation field while relations are being paired."""

    model: Block
    decl: FieldDecl
    entity: Entity
    attribute: Attribute | None  # its @relation, if any
    ignored: bool
    name: str | None = None  # explicit relation name
    fields: list[str] | None = None
    references: list[str] | None = None
    on_delete: str | None = None
    on_update: str | None = None
    map: str | None = None

    @property
    def target(self) -> str:
        return self.decl.type_name


class _Relations(_AttributeReader):
    """Relation fields: read, paired, turned into relations and join entities."""

    relation_fields: list[_RelationField]  # in file order, paired by pair_relations()

    def relation_field(self, block: Block, entity: Entity, decl: FieldDecl) -> None:
        source, where = block.source, self.where(block, decl)
        self.context = f"{where}: "
        if decl.is_list and decl.optional:
            raise self.error(
                source,
                decl.type_offset,
                f"{where}: optional lists are not supported: write {decl.type_name}[]",
            )
        relation_attribute = None
        ignored = False
        for attribute in self.unique_attributes(source, decl.attributes, where):
            if attribute.name == "relation":
                relation_attribute = attribute
            elif attribute.name == "ignore":
                self.no_arguments(source, attribute)
                ignored = True
            else:
                raise self.unknown_attribute(
                    source, attribute, ("relation", "ignore"), f"{where} (a relation field)"
                )
        info = _RelationField(block, decl, entity, relation_attribute, ignored)
        if relation_attribute is not None:
            args = self.arguments(
                source,
                relation_attribute,
                ("name", "fields", "references", "map", "onDelete", "onUpdate"),
                "name",
            )
            if "name" in args:
                info.name = self.string(source, args["name"], "the relation name")
                if not info.name:
                    raise self.error(
                        source, args["name"].offset, f"{where}: a relation name cannot be empty"
                    )
            for key in ("fields", "references"):
                if key in args:
                    value = args[key]
                    items = value.items if isinstance(value, ArrayValue) else [value]
                    names = []
                    for item in items:
                        if not isinstance(item, PathValue):
                            raise self.error(
                                source,
                                item.offset,
                                f"expected a field name in {key}, found {_show(item)}",
                            )
                        names.append(item.name)
                    setattr(info, key, names)
            if "map" in args:
                info.map = self.string(source, args["map"], "map")
            for key, attr in (("onDelete", "on_delete"), ("onUpdate", "on_update")):
                if key in args:
                    setattr(
                        info,
                        attr,
                        self.word(source, args[key], REFERENTIAL_ACTIONS, "a referential action"),
                    )
        self.relation_fields.append(info)

    def pair_relations(self) -> None:
        self.context = ""
        groups: dict[tuple[str, str, str | None], list[_RelationField]] = {}
        for info in self.relation_fields:
            key = (*sorted((info.model.name, info.target)), info.name)
            groups.setdefault(key, []).append(info)  # type: ignore[arg-type]
        joins: list[Entity] = []
        for (first, second, name), members in groups.items():
            one = members[0]
            if len(members) == 1 or (
                first != second and len({m.model.name for m in members}) == 1 and len(members) == 2
            ):
                if len(members) == 2:
                    raise self.ambiguous(members)
                raise self.error(
                    one.model.source,
                    one.decl.offset,
                    f"{self.where(one.model, one.decl)}: the relation to {one.target} has no opposite relation field "
                    f"on model {one.target}",
                    hint=f"add a field of type {one.model.name}{'' if one.decl.is_list else '[]'} to {one.target}"
                    + (f' with @relation("{name}")' if name else ""),
                )
            if len(members) > 2:
                raise self.ambiguous(members)
            relation_name = name or f"{first}To{second}"
            a, b = members
            self.check_ignored_target(a)
            self.check_ignored_target(b)
            if a.decl.is_list and b.decl.is_list:
                joins.append(self.many_to_many(a, b, relation_name))
            else:
                self.one_to_x(a, b, relation_name)
        self.schema.entities.extend(sorted(joins, key=lambda e: e.name))

    def ambiguous(self, members: list[_RelationField]) -> PrismaSyntaxError:
        first, second = members[0], members[1]
        return self.error(
            second.model.source,
            second.decl.offset,
            f"ambiguous relation: fields {first.decl.name} and {second.decl.name} of model {first.model.name} "
            f"both refer to {first.target}",
            hint='give each relation a name on both sides: @relation("name")',
        )

    def check_ignored_target(self, side: _RelationField) -> None:
        if self.entities[side.target].ignored and not side.ignored and not side.entity.ignored:
            raise self.relation_error(
                side,
                f"model {side.target} is @@ignore'd, so this relation field must be @ignore'd too",
                hint=f"add @ignore to {side.decl.name}",
            )

    def one_to_x(self, a: _RelationField, b: _RelationField, relation_name: str) -> None:
        for side in (a, b):
            if side.decl.is_list and (side.fields or side.references):
                raise self.relation_error(
                    side,
                    "a list relation field cannot hold fields/references; "
                    "put them on the opposite field",
                )
        owners = [side for side in (a, b) if side.fields is not None or side.references is not None]
        if len(owners) == 2:
            raise self.relation_error(
                b,
                f"both sides ({a.decl.name} and {b.decl.name}) give fields/references; "
                "only the side holding the foreign key does",
            )
        if not owners:
            single = a if not a.decl.is_list else b
            raise self.relation_error(
                single, "this side must give @relation(fields: [...], references: [...])"
            )
        owner = owners[0]
        back = b if owner is a else a
        if back.on_delete or back.on_update or back.map:
            raise self.relation_error(
                back,
                f"onDelete, onUpdate and map go on the side holding the foreign key "
                f"({owner.model.name}.{owner.decl.name})",
            )
        if owner.fields is None or owner.references is None:
            missing = "references" if owner.references is None else "fields"
            raise self.relation_error(
                owner,
                f"@relation needs {missing}: [...] along with "
                f"{'fields' if missing == 'references' else 'references'}",
            )
        if len(owner.fields) != len(owner.references) or not owner.fields:
            raise self.relation_error(
                owner, "fields and references must list the same, non-zero number of fields"
            )
        target_block = self.models[owner.target]
        target_entity = self.entities[owner.target]
        for local, remote in zip(owner.fields, owner.references, strict=True):
            self.check_scalar_field(
                owner.model.source, owner.model, local, owner.attribute.offset, "fields"
            )  # type: ignore[union-attr]
            self.check_scalar_field(
                owner.model.source, target_block, remote, owner.attribute.offset, "references"
            )  # type: ignore[union-attr]
            local_type = self.scalar_types[(owner.model.name, local)]
            remote_type = self.scalar_types[(owner.target, remote)]
            if local_type != remote_type:
                raise self.relation_error(
                    owner,
                    f"field {local} is {local_type} but references {owner.target}.{remote} "
                    f"of type {remote_type}",
                )
        if set(owner.references) not in _unique_sets(target_entity):
            raise self.relation_error(
                owner,
                f"references [{', '.join(owner.references)}] is not a unique criterion of "
                f"{owner.target} (its @id, an @unique field or an @@unique)",
                hint=f"add @unique to {owner.target}.{owner.references[0]}",
            )
        fk_fields = [owner.entity.field(name) for name in owner.fields]
        optional = [f.name for f in fk_fields if not f.required and not f.list]
        required = not optional
        if not owner.decl.optional and optional:
            raise self.relation_error(
                owner,
                f"foreign-key field {optional[0]} is "
                f"optional, so the relation field must be optional too: write {owner.target}?",
            )
        one_to_one = not back.decl.is_list
        if one_to_one:
            if not back.decl.optional:
                raise self.relation_error(
                    back,
                    f"the side without the foreign key of a one-to-one relation must be "
                    f"optional: write {back.target}?",
                )
            if set(owner.fields) not in _unique_sets(owner.entity):
                raise self.relation_error(
                    owner,
                    "a one-to-one relation needs unique foreign-key fields",
                    hint=f"add @unique to {owner.fields[0]} or @@unique over the foreign-key "
                    f"fields, or make {back.model.name}.{back.decl.name} a list",
                )
        owner.entity.relations.append(Relation(
            name=owner.decl.name, target=owner.target, type="one-to-one" if one_to_one else "many-to-one",
            fields=list(owner.fields), references=list(owner.references), relation_name=relation_name,
            on_delete=owner.on_delete, on_update=owner.on_update, constraint_name=owner.map, required=required,
            ignored=owner.ignored or self.entities[owner.target].ignored,
        ))  # fmt: skip
        back.entity.relations.append(Relation(
            name=back.decl.name, target=back.target, type="one-to-one" if one_to_one else "one-to-many",
            relation_name=relation_name, ignored=back.ignored or self.entities[back.target].ignored,
        ))  # fmt: skip

    def relation_error(
        self, side: _RelationField, message: str, hint: str | None = None
    ) -> PrismaSyntaxError:
        offset = side.attribute.offset if side.attribute is not None else side.decl.offset
        return self.error(
            side.model.source, offset, f"{self.where(side.model, side.decl)}: {message}", hint
        )

    def many_to_many(self, a: _RelationField, b: _RelationField, relation_name: str) -> Entity:
        for side in (a, b):
            if side.fields or side.references or side.on_delete or side.on_update or side.map:
                raise self.relation_error(
                    side,
                    "an implicit many-to-many relation takes only a name in @relation; "
                    "fields, references, onDelete, onUpdate and map are fixed by Prisma",
                )
            target = self.entities[side.target]
            if len(target.primary_key) != 1:
                raise self.relation_error(
                    side,
                    f"an implicit many-to-many relation needs a single-field @id on {side.target}",
                    hint="use an explicit join model instead",
                )
        join = _join_entity(
            relation_name, *sorted((a.target, b.target)), self.entities, self.provider
        )
        for side in (a, b):
            side.entity.relations.append(Relation(
                name=side.decl.name, target=side.target, type="many-to-many", relation_name=relation_name,
                through=join.name, ignored=side.ignored or self.entities[side.target].ignored,
            ))  # fmt: skip
        return join


def _join_entity(
    relation_name: str, first: str, second: str, entities: dict[str, Entity], provider: str | None
) -> Entity:
    """The table Prisma Migrate creates for an implicit many-to-many relation.

    Named ``_<relation name>`` (``_AToB`` by default: the two model names sorted), with columns
    ``A`` (referencing the id of the alphabetically first model) and ``B`` (the second), typed like
    those ids. Since Prisma 6, PostgreSQL gets the primary key ``_<name>_AB_pkey`` on (A, B); the
    other databases (and CockroachDB) keep the unique index ``_<name>_AB_unique``. Every database
    gets the index ``_<name>_B_index`` on B and the foreign keys ``_<name>_A_fkey`` /
    ``_<name>_B_fkey`` with ON DELETE CASCADE ON UPDATE CASCADE. The table lives in the database
    schema of the first model.
    """
    table = f"_{relation_name}"
    join = Entity(name=table, table=table, join_table=True, db_schema=entities[first].db_schema)
    names = [_lower_first(first), _lower_first(second)]
    if names[0] == names[1]:  # a self relation
        names = [names[0] + "A", names[1] + "B"]
    for column, model, relation in zip("AB", (first, second), names, strict=True):
        key = entities[model].primary_key_fields[0]
        join.fields.append(Field(
            name=column, kind=key.kind, required=True, length=key.length, precision=key.precision,
            scale=key.scale, timezone=key.timezone, enum=key.enum,
            native=NativeType(key.native.name, list(key.native.args)) if key.native else None,
        ))  # fmt: skip
        join.relations.append(Relation(
            name=relation, target=model, type="many-to-one", fields=[column], references=[key.name],
            on_delete="Cascade", on_update="Cascade", constraint_name=f"{table}_{column}_fkey", required=True,
        ))  # fmt: skip
    if provider in ("postgresql", None):
        join.primary_key, join.primary_key_name = ["A", "B"], f"{table}_AB_pkey"
    else:
        join.indexes.append(
            Index([IndexColumn("A"), IndexColumn("B")], unique=True, name=f"{table}_AB_unique")
        )
    join.indexes.append(Index([IndexColumn("B")], name=f"{table}_B_index"))
    return join


def _unique_sets(entity: Entity) -> list[set[str]]:
    """Field sets that identify a row: the primary key, unique fields, unique indexes."""
    sets = [set(entity.primary_key)] if entity.primary_key else []
    sets += [{f.name} for f in entity.fields if f.unique]
    sets += [set(i.fields) for i in entity.indexes if i.unique]
    return sets


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]
