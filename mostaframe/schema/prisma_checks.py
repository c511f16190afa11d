"""Prisma's naming rules, for the Prisma importer (:mod:`mostaframe.schema.prisma`).

Identifiers Prisma refuses (a leading digit, a ``-``), names Prisma Client reserves, two fields on
one column, and, on PostgreSQL, two constraints of one name or a name over 63 bytes: a schema
Prisma rejects for these is rejected here too.
"""

from __future__ import annotations

from .model import Entity
from .prisma_arguments import _AttributeReader
from .prisma_parser import Block, Source


class _Checks(_AttributeReader):
    """Checks of names: identifiers, columns, constraint names."""

    def check_constraint_names(self) -> None:
        """Prisma refuses two constraints of one name. On PostgreSQL primary keys, unique
        constraints and indexes share a namespace per database schema; with foreign keys, one per
        table. Unnamed constraints get Prisma's conventional names (``<table>_<columns>_key``…)."""
        schema_wide: dict[tuple[str | None, str], str] = {}  # → who holds the name
        for block in self.models.values():
            entity = self.entities[block.name]
            if entity.view:
                continue
            table_wide: dict[str, int] = {}
            for number, (name, what, global_scope) in enumerate(_constraint_names(entity)):
                if len(name.encode()) > 63:
                    raise self.error(
                        block.source,
                        block.name_offset,
                        f"model {block.name}: constraint name {name!r} ({what}) is longer than "
                        "PostgreSQL's 63 bytes",
                    )
                me = f"{what} of model {block.name}"
                other = None
                if table_wide.setdefault(name, number) != number:
                    other = "another constraint or index of the same table"
                if global_scope and other is None:
                    holder = schema_wide.setdefault((entity.db_schema, name), me)
                    other = None if holder == me else f"the {holder}"  # same schema
                if other is not None:
                    raise self.error(
                        block.source,
                        block.name_offset,
                        f"model {block.name}: the {what} is named {name!r}, like {other}",
                        hint='name one of them with map: "…"',
                    )

    def check_name(self, source: Source, offset: int, name: str, what: str) -> None:
        """Prisma's identifier rules: no leading digit, no '-' (its grammar allows both)."""
        if name[0].isdigit() or "-" in name:
            problem = "starts with a digit" if name[0].isdigit() else "contains '-'"
            raise self.error(
                source, offset, f"{what} name {name!r} {problem}; Prisma does not allow it"
            )

    def check_columns(self, block: Block, entity: Entity) -> None:
        """Two fields cannot share a database column (a @map onto another field's name)."""
        seen: dict[str, str] = {}
        for field in entity.fields:
            other = seen.setdefault(field.column, field.name)
            if other != field.name:
                decl = next(d for d in block.fields if d.name == field.name)
                raise self.error(
                    block.source,
                    decl.offset,
                    f"{self.where(block, decl)}: column {field.column!r} is already the column of "
                    f"field {other}",
                    hint="give one of them another @map",
                )


def _constraint_names(entity: Entity) -> list[tuple[str, str, bool]]:
    """(name, description, shares the schema-wide namespace?) of every constraint and index of
    ``entity``, conventional names (Prisma's, cut to PostgreSQL's 63 bytes) where none is given."""
    table = entity.table
    columns = {f.name: f.column for f in entity.fields}
    names = []
    if entity.primary_key:
        names.append((entity.primary_key_name or _cut(table, 5) + "_pkey", "primary key", True))
    for f in entity.fields:
        if f.unique:
            names.append(
                (
                    f.unique_name or _cut(f"{table}_{f.column}", 4) + "_key",
                    f"unique constraint on {f.name}",
                    True,
                )
            )
    for index in entity.indexes:
        suffix, what = ("_key", "unique constraint") if index.unique else ("_idx", "index")
        default = (
            _cut(f"{table}_{'_'.join(columns[c] for c in index.fields)}", len(suffix)) + suffix
        )
        names.append((index.name or default, f"{what} on {', '.join(index.fields)}", True))
    for relation in entity.foreign_keys():
        default = _cut(f"{table}_{'_'.join(columns[c] for c in relation.fields)}", 5) + "_fkey"
        names.append((relation.constraint_name or default, f"foreign key {relation.name}", False))
    return names


def _cut(text: str, suffix: int, limit: int = 63) -> str:
    """``text`` cut so that with a suffix of ``suffix`` bytes it stays under ``limit`` bytes."""
    data = text.encode()
    if len(data) >= limit - suffix:
        return data[: limit - suffix].decode(errors="ignore")
    return text


#: model, view and enum names Prisma Client reserves: its own name and JavaScript's keywords
_RESERVED_NAMES = frozenset(
    "PrismaClient break case catch class const continue debugger default delete do else enum "
    "export extends false finally for function if implements import in instanceof interface let "
    "new null package private protected public return super switch this throw true try typeof "
    "var void while with yield".split()
)
