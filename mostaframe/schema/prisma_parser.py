"""Lexer and parser for the Prisma schema language: text → a small syntax tree.

This module knows the *syntax* only (what a line may look like); what the declarations mean —
types, attributes, relations — is decided in :mod:`mostaframe.schema.prisma`. It follows the
grammar of Prisma's own parser (prisma-engines ``psl/schema-ast``), which is line oriented:

* a declaration (``model``/``view``/``type``/``enum``/``datasource``/``generator``) opens with
  ``{`` at the end of its first line and closes with ``}`` at the start of a line;
* every field, enum value, block attribute and configuration property is exactly one line —
  an attribute's argument list cannot span lines;
* comments: ``///`` (documentation), ``//`` (ignored) and ``/* … */`` (documentation, may span
  lines) may fill whole lines or end a declaration line, never sit between two tokens.

Documentation is gathered the way Prisma gathers it: consecutive comment lines form a block; at
the top level a block documents the declaration that follows it directly (a blank line in between
makes it free-floating); inside a block the latest comment block documents the next field or enum
value (block attributes and blank lines in between do not reset it); a trailing ``///`` or
``/* */`` comment on the same line is appended.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ..errors import PrismaSyntaxError

# ----------------------------------------------------------------------------------------------
# source files and positions


class Source:
    """One schema file: its path (for messages) and text, with offset → line:column lookup."""

    __slots__ = ("_line_starts", "path", "text")

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based line and column of ``offset``."""
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def error(self, offset: int, message: str, hint: str | None = None) -> PrismaSyntaxError:
        """A :class:`PrismaSyntaxError` at ``offset`` in this file."""
        line, column = self.line_column(offset)
        return PrismaSyntaxError(message, path=self.path, line=line, column=column, hint=hint)

    def where(self, offset: int) -> str:
        """``path:line`` of ``offset``, for messages that are not syntax errors."""
        return f"{self.path}:{self.line_column(offset)[0]}"


# ----------------------------------------------------------------------------------------------
# syntax tree


@dataclass(slots=True)
class StringValue:
    value: str
    offset: int


@dataclass(slots=True)
class NumberValue:
    text: str  # as written: "-3", "1.5"
    offset: int


@dataclass(slots=True)
class PathValue:
    """A bare identifier or dotted path: ``Cascade``, ``true``, ``ADMIN``, ``db.VarChar``."""

    name: str
    offset: int


@dataclass(slots=True)
class CallValue:
    """``name(args)``: ``now()``, ``env("URL")``, ``title(sort: Desc)``."""

    name: str
    args: list[Argument]
    offset: int


@dataclass(slots=True)
class ArrayValue:
    items: list[Value]
    offset: int


Value = StringValue | NumberValue | PathValue | CallValue | ArrayValue


@dataclass(slots=True)
class Argument:
    """One argument: ``name: value``, a positional ``value`` (name None), or ``name:`` (value None)."""

    name: str | None
    value: Value | None
    offset: int


@dataclass(slots=True)
class Attribute:
    """``@name(args)`` on a field / enum value, or ``@@name(args)`` on a block."""

    name: str  # without the @ signs: "id", "db.VarChar", "relation"
    args: list[Argument] | None  # None = written without parentheses
    offset: int
    block: bool = False

    @property
    def label(self) -> str:
        return ("@@" if self.block else "@") + self.name


@dataclass(slots=True)
class FieldDecl:
    name: str
    type_name: str  # "String", a model / enum name, or "Unsupported"
    offset: int
    type_offset: int
    unsupported: str | None = None  # the database type of Unsupported("…")
    is_list: bool = False
    optional: bool = False
    attributes: list[Attribute] = field(default_factory=list)
    doc: str | None = None


@dataclass(slots=True)
class EnumValueDecl:
    name: str
    offset: int
    attributes: list[Attribute] = field(default_factory=list)
    doc: str | None = None


@dataclass(slots=True)
class Block:
    """A ``model``, ``view``, ``type`` (composite type), ``enum``, ``datasource`` or ``generator``."""

    keyword: str
    name: str
    source: Source
    offset: int
    name_offset: int
    fields: list[FieldDecl] = field(default_factory=list)  # model / view / type
    values: list[EnumValueDecl] = field(default_factory=list)  # enum
    properties: dict[str, tuple[Value | None, int]] = field(default_factory=dict)  # config
    attributes: list[Attribute] = field(default_factory=list)
    doc: str | None = None


# ----------------------------------------------------------------------------------------------
# lexer
#
# Tokens are kept in three parallel lists (kind, text, offset) rather than objects: the parser
# mostly compares kinds, and a 300-model schema has ~60 000 tokens. Punctuation is its own kind.

_TOKEN = re.compile(
    r"""
    [ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000\ufeff]*
    (?:
      (?P<nl>\r\n|\r|\n)
    | (?P<doc>///[^\r\n]*)
    | (?P<comment>//[^\r\n]*)
    | (?P<block>/\*.*?\*/)
    | (?P<string>"(?:[^"\\\x00-\x1f]|\\[^\x00-\x1f])*")
    | (?P<number>-?[0-9]+(?:\.[0-9]+)?(?![A-Za-z0-9_-]))
    | (?P<ident>[A-Za-z0-9][A-Za-z0-9_-]*)
    | (?P<punct>@@|\[\]|[@{}()\[\],:=?!.])
    | (?P<error>.)
    | (?P<end>$)
    )
    """,
    re.VERBOSE | re.DOTALL,
)

_GROUP_NAMES = {index: name for name, index in _TOKEN.groupindex.items()}
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_COMMENT_KINDS = frozenset(("doc", "comment", "block"))


def _tokenize(source: Source) -> tuple[list[str], list[str], list[int]]:
    kinds: list[str] = []
    texts: list[str] = []
    offsets: list[int] = []
    names = _GROUP_NAMES
    add_kind, add_text, add_offset = kinds.append, texts.append, offsets.append
    for found in _TOKEN.finditer(source.text):
        group = found.lastindex
        kind = names[group]  # type: ignore[index]
        if kind == "end":
            break
        text = found.group(group)  # type: ignore[arg-type]
        if kind == "error":
            raise _lex_error(source, found.start(group))  # type: ignore[arg-type]
        add_kind(text if kind == "punct" else kind)
        add_text(text)
        add_offset(found.end() - len(text))
    end = len(source.text)
    kinds += ["nl", "eof"]  # a last line without a newline still ends
    texts += ["", ""]
    offsets += [end, end]
    return kinds, texts, offsets


def _lex_error(source: Source, position: int) -> PrismaSyntaxError:
    char = source.text[position]
    if char == '"':
        stop = re.compile(r"\r|\n|$").search(source.text, position).start()  # type: ignore[union-attr]
        bad = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f]").search(source.text, position + 1, stop)
        if bad:
            return source.error(
                bad.start(), "control character in a string: write it as an escape (\\t, \\u0000)"
            )
        return source.error(
            position, "unterminated string: expected '\"' before the end of the line"
        )
    if source.text.startswith("/*", position):
        return source.error(position, "unterminated comment: expected '*/' to close '/*'")
    return source.error(position, f"unexpected character {char!r}")


def _unescape(source: Source, text: str, offset: int) -> str:
    raw = text[1:-1]
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        escaped = raw[i + 1]
        if escaped == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", raw[i + 2 : i + 6]):
            out.append(chr(int(raw[i + 2 : i + 6], 16)))
            i += 6
        elif escaped in _ESCAPES:
            out.append(_ESCAPES[escaped])
            i += 2
        else:
            raise source.error(
                offset + 1 + i,
                f"unknown escape sequence '\\{escaped}' in a string",
                hint="a Windows-style path needs '\\\\' for each backslash",
            )
    # JSON-style surrogate pairs written as two \u escapes become one character
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16")


def _doc_text(kind: str, text: str) -> str | None:
    if kind == "doc":
        return text[3:].lstrip()
    if kind == "block":
        return text[2:-2].strip()
    return None  # a plain // comment documents nothing


# ----------------------------------------------------------------------------------------------
# parser

_BLOCK_KEYWORDS = ("model", "view", "type", "enum", "datasource", "generator")
_DECLARATION = "a declaration (model, view, enum, type, datasource or generator)"


class _Parser:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.kinds, self.texts, self.offsets = _tokenize(source)
        self.index = 0
        self.in_arguments = False

    # -- helpers
    def describe(self, index: int) -> str:
        kind = self.kinds[index]
        if kind == "eof":
            return "end of file"
        if kind == "nl":
            return "end of line"
        if kind in _COMMENT_KINDS:
            return "a comment"
        return repr(self.texts[index])

    def fail(self, expected: str, hint: str | None = None) -> PrismaSyntaxError:
        index = self.index
        if hint is None and self.kinds[index] == "nl" and self.in_arguments:
            hint = "an attribute and its arguments must fit on one line"
        elif hint is None and index and self.kinds[index - 1] == "block":
            hint = "a /* */ comment cannot sit inside a line: it may only end it"
        return self.source.error(
            self.offsets[index], f"expected {expected}, found {self.describe(index)}", hint
        )

    def expect(self, kind: str, expected: str) -> int:
        """Consume a token of ``kind`` (or raise) and return its index."""
        index = self.index
        if self.kinds[index] != kind:
            raise self.fail(expected)
        self.index = index + 1
        return index

    def comments(self, lines: list[str]) -> None:
        """Consume the comment tokens at the current position, keeping their documentation."""
        kinds = self.kinds
        while kinds[self.index] in _COMMENT_KINDS:
            text = _doc_text(kinds[self.index], self.texts[self.index])
            if text is not None:
                lines.append(text)
            self.index += 1

    def end_of_line(self, what: str, doc: list[str] | None = None) -> None:
        """A declaration line ends: an optional trailing comment, then the newline."""
        kind = self.kinds[self.index]
        if kind in _COMMENT_KINDS:
            text = _doc_text(kind, self.texts[self.index])
            if doc is not None and text is not None:
                doc.append(text)
            self.index += 1
        if self.kinds[self.index] != "nl":
            raise self.fail(f"the end of the line after {what}")
        self.index += 1

    # -- top level
    def parse(self) -> list[Block]:
        kinds = self.kinds
        blocks: list[Block] = []
        pending: list[str] | None = None  # documentation waiting for the next declaration
        in_comment_block = False  # the lines just above were comment lines
        at_line_start = True
        while kinds[self.index] != "eof":
            kind = kinds[self.index]
            if kind == "nl":
                self.index += 1
                if at_line_start:  # a blank line: the comment block above floats free
                    pending, in_comment_block = None, False
                at_line_start = True
                continue
            if kind in _COMMENT_KINDS:
                if not in_comment_block or pending is None:
                    pending = []
                self.comments(pending)
                in_comment_block = True
                if kinds[self.index] == "nl":
                    self.index += 1
                    at_line_start = True
                continue
            blocks.append(self.block(pending))
            pending, in_comment_block, at_line_start = None, False, False
        return blocks

    def block(self, doc_lines: list[str] | None) -> Block:
        start = self.index
        if self.kinds[start] != "ident":
            raise self.fail(_DECLARATION)
        keyword = self.texts[start]
        if keyword not in _BLOCK_KEYWORDS:
            if "{" in (self.kinds[start + 1], self.kinds[start + 2]):
                raise self.source.error(
                    self.offsets[start],
                    f"unknown block type {keyword!r}: expected model, view, enum, type, datasource or generator",
                )
            raise self.fail(_DECLARATION)
        self.index += 1
        name = self.expect("ident", f"a name after '{keyword}'")
        self.expect("{", f"'{{' after {keyword} {self.texts[name]}")
        self.end_of_line("'{'")
        block = Block(
            keyword=keyword,
            name=self.texts[name],
            source=self.source,
            offset=self.offsets[start],
            name_offset=self.offsets[name],
            doc="\n".join(doc_lines) if doc_lines else None,
        )
        self.block_body(block)
        return block

    def block_body(self, block: Block) -> None:
        kinds = self.kinds
        pending: list[str] | None = None  # latest comment block: documents the next member
        in_comment_block = False
        keyword = block.keyword
        member = {
            "enum": "an enum value",
            "datasource": "a property",
            "generator": "a property",
        }.get(keyword, "a field")
        while True:
            kind = kinds[self.index]
            if kind == "ident":
                in_comment_block = False
                doc, pending = pending or None, None
                if keyword == "enum":
                    self.enum_value(block, doc)
                elif keyword in ("datasource", "generator"):
                    self.property(block)
                else:
                    self.field(block, doc)
            elif kind == "nl":
                self.index += 1  # a blank line (member and comment lines consume their own)
                in_comment_block = False
            elif kind in _COMMENT_KINDS:
                if not in_comment_block:
                    pending = []
                self.comments(pending)  # type: ignore[arg-type]
                in_comment_block = True
                # a comment followed by more on the same line: Prisma rejects the line too
                self.expect("nl", "the end of the line after a comment")
            elif kind == "}":
                self.index += 1
                return
            elif kind == "@@":
                in_comment_block = False
                attribute = self.attribute(block=True)
                block.attributes.append(attribute)
                self.end_of_line(attribute.label)
            elif kind == "eof":
                raise self.source.error(
                    self.offsets[self.index],
                    f"expected '}}' to close {keyword} {block.name} "
                    f"(opened at line {self.source.line_column(block.offset)[0]}), found end of file",
                )
            else:
                raise self.fail(f"{member}, a block attribute (@@…) or '}}'")

    def property(self, block: Block) -> None:
        name = self.index
        self.index += 1
        key = self.texts[name]
        self.expect("=", f"'=' after {key}")
        value = None if self.kinds[self.index] == "nl" else self.value()
        if key in block.properties:
            raise self.source.error(
                self.offsets[name],
                f"property {key!r} is defined twice in {block.keyword} {block.name}",
            )
        block.properties[key] = (value, self.offsets[name])
        self.end_of_line(f"the value of {key}")

    def enum_value(self, block: Block, doc: list[str] | None) -> None:
        name = self.index
        self.index += 1
        lines = list(doc or ())
        value = EnumValueDecl(name=self.texts[name], offset=self.offsets[name])
        while self.kinds[self.index] == "@":
            value.attributes.append(self.attribute(block=False))
        if self.kinds[self.index] == "@@":
            raise self.fail(
                "'@' (a value attribute); block attributes ('@@…') go on their own line"
            )
        self.end_of_line(f"enum value {value.name}", lines)
        value.doc = "\n".join(lines) if lines else None
        block.values.append(value)

    def field(self, block: Block, doc: list[str] | None) -> None:
        kinds, texts = self.kinds, self.texts
        name = self.index
        self.index += 1
        kind = kinds[self.index]
        if kind == ":":
            raise self.source.error(
                self.offsets[self.index],
                "field declarations take no ':' between the name and the type",
            )
        if kind == "[":
            raise self.source.error(
                self.offsets[self.index], "the list syntax [Type] is not supported: write Type[]"
            )
        type_index = self.expect("ident", "a field type after the field name")
        decl = FieldDecl(
            name=texts[name],
            type_name=texts[type_index],
            offset=self.offsets[name],
            type_offset=self.offsets[type_index],
        )
        if decl.type_name == "Unsupported" and kinds[self.index] == "(":
            self.index += 1
            raw = self.expect(
                "string", 'a string with the database type, as in Unsupported("circle")'
            )
            decl.unsupported = _unescape(self.source, texts[raw], self.offsets[raw])
            self.expect(")", "')' after the Unsupported type")
        kind = kinds[self.index]
        if kind == "[]" or (kind == "[" and kinds[self.index + 1] == "]"):
            self.index += 1 if kind == "[]" else 2
            decl.is_list = True
            kind = kinds[self.index]
        if kind == "?":
            self.index += 1
            decl.optional = True
            kind = kinds[self.index]
        if kind == "!":
            raise self.source.error(
                self.offsets[self.index],
                "the required marker '!' is not supported: fields are required unless marked '?'",
            )
        while kind == "@":
            decl.attributes.append(self.attribute(block=False))
            kind = kinds[self.index]
        if kind != "nl" and kind not in _COMMENT_KINDS:
            if kind == "@@":
                raise self.fail(
                    "a field attribute ('@…'); block attributes ('@@…') go on their own line"
                )
            if decl.attributes or decl.is_list or decl.optional or decl.unsupported is not None:
                raise self.fail(
                    f"an attribute ('@…') or the end of the line after field {decl.name}"
                )
            raise self.fail(
                f"'?', '[]', an attribute ('@…') or the end of the line after the type of field {decl.name}"
            )
        lines = list(doc or ())
        self.end_of_line(f"field {decl.name}", lines)
        decl.doc = "\n".join(lines) if lines else None
        block.fields.append(decl)

    # -- attributes and values
    def attribute(self, block: bool) -> Attribute:
        at = self.index  # '@' or '@@'
        self.index += 1
        name = self.path(f"an attribute name after '{self.texts[at]}'")
        args = self.arguments() if self.kinds[self.index] == "(" else None
        return Attribute(name=name, args=args, offset=self.offsets[at], block=block)

    def path(self, expected: str) -> str:
        kinds, texts = self.kinds, self.texts
        name = texts[self.expect("ident", expected)]
        while kinds[self.index] == ".":
            self.index += 1
            name += "." + texts[self.expect("ident", "a name after '.'")]
        return name

    def arguments(self) -> list[Argument]:
        kinds = self.kinds
        self.index += 1  # (
        self.in_arguments = True
        args: list[Argument] = []
        while kinds[self.index] != ")":
            offset = self.offsets[self.index]
            if kinds[self.index] == "ident" and kinds[self.index + 1] == ":":
                name = self.texts[self.index]
                self.index += 2
                value = None if kinds[self.index] in (",", ")") else self.value()
                args.append(Argument(name, value, offset))
            else:
                args.append(Argument(None, self.value(), offset))
            if kinds[self.index] == ",":
                self.index += 1
            elif kinds[self.index] != ")":
                raise self.fail("',' or ')' in the argument list")
        self.index += 1
        self.in_arguments = False
        return args

    def value(self) -> Value:
        index = self.index
        kind = self.kinds[index]
        offset = self.offsets[index]
        if kind == "string":
            self.index += 1
            return StringValue(_unescape(self.source, self.texts[index], offset), offset)
        if kind == "number":
            self.index += 1
            return NumberValue(self.texts[index], offset)
        if kind == "ident":
            name = self.path("a value")
            if self.kinds[self.index] == "(":
                return CallValue(name, self.arguments(), offset)
            return PathValue(name, offset)
        if kind == "[]":
            self.index += 1
            return ArrayValue([], offset)
        if kind == "[":
            self.index += 1
            items: list[Value] = []
            while self.kinds[self.index] != "]":
                items.append(self.value())
                if self.kinds[self.index] == ",":
                    self.index += 1
                elif self.kinds[self.index] != "]":
                    raise self.fail("',' or ']' in the list")
            self.index += 1
            return ArrayValue(items, offset)
        raise self.fail("a value (a string, a number, a list, a name or a function call)")


def parse_blocks(text: str, path: str = "schema.prisma") -> list[Block]:
    """Parse one schema file into its top-level blocks.

    Args:
        text: the file's content.
        path: the file name used in error messages.

    Returns:
        The declarations in file order.

    Raises:
        PrismaSyntaxError: the text does not follow the Prisma grammar (``path:line:col: …``).
    """
    return _Parser(Source(path, text)).parse()
