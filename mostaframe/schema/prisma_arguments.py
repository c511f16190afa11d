"""Errors and attribute arguments for the Prisma importer (:mod:`mostaframe.schema.prisma`).

:class:`_AttributeReader` is the base of every part of the importer's builder: it declares the
state they share and turns attributes and their arguments (``@relation(fields: [a], map: "x")``,
``@default(uuid(7))``, …) into checked Python values, raising
:class:`~mostaframe.errors.PrismaSyntaxError` with ``file:line:column`` where Prisma would refuse
them.
"""

from __future__ import annotations

import difflib
import json

from ..errors import PrismaSyntaxError, UnsupportedError
from .model import Entity, Schema
from .prisma_parser import (
    Attribute,
    Block,
    CallValue,
    FieldDecl,
    NumberValue,
    PathValue,
    Source,
    StringValue,
    Value,
)


class _AttributeReader:
    """Error construction and argument reading, over the state one import builds up.

    The attributes are set by :class:`mostaframe.schema.prisma._Builder`; they are declared here
    so that every mixin of the builder can read them.
    """

    provider: str | None  # Schema.provider spelling, None without a datasource block
    datasource: str  # the datasource block's name: the prefix of native types (@db.VarChar)
    db_schemas: list[str] | None  # the datasource's schemas list, if given
    models: dict[str, Block]  # model and view blocks by name
    enum_blocks: dict[str, Block]
    schema: Schema
    entities: dict[str, Entity]  # by model name
    scalar_types: dict[tuple[str, str], str]  # (model, field) → Prisma scalar type name
    context: str  # "model User, field email: ": prefixes argument errors

    # -- errors
    def error(
        self, source: Source, offset: int, message: str, hint: str | None = None
    ) -> PrismaSyntaxError:
        return source.error(offset, message, hint)

    def unsupported(self, source: Source, offset: int, what: str) -> UnsupportedError:
        return UnsupportedError(
            f"{source.where(offset)}: {what} is not supported: mostaframe imports relational schemas "
            "(postgresql, mysql, sqlite, sqlserver, cockroachdb), MongoDB constructs have no table form"
        )

    def where(self, block: Block, decl: FieldDecl | None = None) -> str:
        return f"{block.keyword} {block.name}" + (f", field {decl.name}" if decl else "")

    def unique_attributes(
        self, source: Source, attributes: list[Attribute], where: str
    ) -> list[Attribute]:
        seen: set[str] = set()
        for attribute in attributes:
            repeatable = attribute.block and attribute.name in ("unique", "index", "fulltext")
            if attribute.name in seen and not repeatable:
                raise self.error(
                    source, attribute.offset, f"{where}: attribute {attribute.label} is given twice"
                )
            seen.add(attribute.name)
        return attributes

    def unknown_attribute(
        self, source: Source, attribute: Attribute, known: tuple[str, ...], where: str
    ) -> PrismaSyntaxError:
        prefix = "@@" if attribute.block else "@"
        if attribute.name in ("db.ObjectId", f"{self.datasource}.ObjectId"):
            raise self.unsupported(source, attribute.offset, "@db.ObjectId (a MongoDB type)")
        if "." in attribute.name and not attribute.block:
            hint = f"native types are written @{self.datasource}.<Type>, after the datasource name"
        else:
            hint = f"known here: {', '.join(prefix + name for name in known)}"
        return self.error(
            source,
            attribute.offset,
            f"{where}: unknown attribute {attribute.label}{_closest(attribute.name, list(known))}",
            hint=hint,
        )

    # -- arguments
    def arguments(
        self,
        source: Source,
        attribute: Attribute | CallValue,
        allowed: tuple[str, ...],
        positional: str | None = None,
        required: tuple[str, ...] = (),
    ) -> dict[str, Value]:
        """The arguments of an attribute or function call by name (an unnamed one is ``positional``)."""
        label = attribute.label if isinstance(attribute, Attribute) else f"{attribute.name}()"
        bound: dict[str, Value] = {}
        for argument in attribute.args or ():
            name = argument.name or positional
            if not allowed:
                raise self.error(
                    source, argument.offset, f"{self.context}{label} takes no argument"
                )
            if name is None:
                raise self.error(
                    source,
                    argument.offset,
                    f"{self.context}{label} takes named arguments only"
                    + (f" ({', '.join(a + ':' for a in allowed)})" if allowed else ""),
                )
            if name not in allowed:
                raise self.error(
                    source,
                    argument.offset,
                    f"{self.context}unknown argument {name!r} of {label}; expected one of {', '.join(allowed)}",
                )
            if name in bound:
                raise self.error(
                    source,
                    argument.offset,
                    f"{self.context}argument {name!r} of {label} is given twice",
                )
            if argument.value is None:
                raise self.error(
                    source,
                    argument.offset,
                    f"{self.context}expected a value after '{name}:' in {label}",
                )
            bound[name] = argument.value
        for name in required:
            if name not in bound:
                raise self.error(
                    source, attribute.offset, f"{self.context}{label} needs the argument {name!r}"
                )
        return bound

    def no_arguments(self, source: Source, attribute: Attribute | CallValue) -> None:
        self.arguments(source, attribute, ())

    def string(self, source: Source, value: Value, what: str) -> str:
        if not isinstance(value, StringValue):
            raise self.error(
                source,
                value.offset,
                f"{self.context}expected a string for {what}, found {_show(value)}",
            )
        return value.value

    def word(self, source: Source, value: Value, choices: tuple[str, ...], what: str) -> str:
        if not isinstance(value, PathValue) or value.name not in choices:
            found = _show(value)
            hint = _closest(value.name, list(choices)) if isinstance(value, PathValue) else ""
            raise self.error(
                source,
                value.offset,
                f"{self.context}expected {what} ({', '.join(choices)}), found {found}{hint}",
            )
        return value.name

    def integer(self, source: Source, value: Value, what: str, minimum: int = 0) -> int:
        if not isinstance(value, NumberValue) or "." in value.text or int(value.text) < minimum:
            raise self.error(
                source,
                value.offset,
                f"{self.context}expected an integer ≥ {minimum} for {what}, found {_show(value)}",
            )
        return int(value.text)

    def map_argument(self, source: Source, attribute: Attribute) -> str:
        args = self.arguments(source, attribute, ("name",), positional="name", required=("name",))
        name = self.string(source, args["name"], attribute.label)
        if not name:
            raise self.error(
                source,
                args["name"].offset,
                f"{self.context}{attribute.label} needs a non-empty name",
            )
        return name

    def schema_argument(self, source: Source, attribute: Attribute, where: str) -> str:
        args = self.arguments(source, attribute, ("name",), positional="name", required=("name",))
        name = self.string(source, args["name"], "@@schema")
        if self.db_schemas is None:
            raise self.error(
                source,
                attribute.offset,
                f"{where}: @@schema({name!r}) needs the schemas list in the datasource",
                hint=f'add schemas = ["{name}"] to the datasource block',
            )
        if name not in self.db_schemas:
            raise self.error(
                source,
                args["name"].offset,
                f"{where}: schema {name!r} is not in the datasource's schemas "
                f"({', '.join(self.db_schemas)})",
            )
        return name

    def check_scalar_field(
        self, source: Source, block: Block, name: str, offset: int, what: str
    ) -> None:
        if (block.name, name) in self.scalar_types:
            return
        if not any(f.name == name for f in block.fields):
            names = [f.name for f in block.fields]
            raise self.error(
                source,
                offset,
                f"{self.where(block)}: {what} names unknown field {name!r}{_closest(name, names)}",
            )
        raise self.error(
            source,
            offset,
            f"{self.where(block)}: {what} names relation field {name!r}; use its scalar fields",
        )


def _closest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _show(value: Value) -> str:
    if isinstance(value, StringValue):
        return json.dumps(value.value)
    if isinstance(value, NumberValue):
        return value.text
    if isinstance(value, PathValue):
        return value.name
    if isinstance(value, CallValue):
        return f"{value.name}(…)"
    return "a list"
