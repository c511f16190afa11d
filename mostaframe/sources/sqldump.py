"""SQL dump source: read back the INSERT statements a ``sql-dump`` destination wrote.

Decision: the dump is *parsed*, not executed. Executing it needs a database of the dump's
dialect (a PostgreSQL dump's ``'\\x00ff'::bytea`` or ``'{1,2}'`` arrays mean nothing to SQLite,
and DuckDB reads ``'\\x0a0b'`` as other bytes), while the dump destination writes a small,
documented literal grammar (:mod:`mostaframe.sinks.sql_literals`) that a tokenizer reads exactly:

* statements ``INSERT INTO <table> (<columns>) VALUES (…), (…)[ ON CONFLICT …|ON DUPLICATE …];``
  (everything else — SET, CREATE, ALTER, comments — is skipped);
* values ``NULL``, ``TRUE``/``FALSE``, numbers (``9e999`` = infinity), ``'text'`` (``''``
  doubled quotes; MySQL dumps also backslash escapes), ``X'hex'`` and ``'\\xhex'::bytea``
  (bytes), ``CAST(X'hex' AS TEXT)`` (SQLite text holding NUL), ``'{…}'`` PostgreSQL arrays and
  JSON array text for list fields.

Every value is then parsed per the entity model, like any other text source. The file is
scanned once for where each table's statements are (byte offsets); reading an entity seeks to
them, so memory holds one statement and one batch. The dialect comes from the dump's first line
(``-- mostaframe … SQL dump, dialect postgres``) or ``--source-dialect``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import MostaframeError, SourceError
from . import array_from_python, list_from_python
from .files import FileSource

if TYPE_CHECKING:
    import pyarrow as pa

    from ..schema.model import Entity, Schema

CHUNK = 1 << 20
_DIALECT_LINE = re.compile(rb"SQL dump, dialect (\w+)")
#: dialects the ``sql-dump`` destination writes
DUMP_DIALECTS = ("postgres", "mysql", "sqlite")

# statement scanning: runs of plain characters, quoted strings/identifiers, comments, ';'
_PLAIN = rb"""[^'";`\-]+|"(?:[^"]|"")*"|`(?:[^`]|``)*`|--[^\n]*\n|-|;"""
_SCAN = {
    "standard": re.compile(rb"'(?:[^']|'')*'|" + _PLAIN),
    "backslash": re.compile(rb"'(?:[^'\\]|\\.|'')*'|" + _PLAIN, re.DOTALL),
}
_INSERT = re.compile(
    r"\s*INSERT\s+INTO\s+((?:(?:\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|\w+)\s*\.\s*)?"
    r"(?:\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|\w+))\s*\(([^)]*)\)\s*VALUES\s*",
    re.IGNORECASE | re.DOTALL,
)
# one value inside VALUES ( … )
_VALUE = {
    name: re.compile(
        r"\s*(?:(?P<null>NULL\b)|(?P<true>TRUE\b)|(?P<false>FALSE\b)"
        r"|CAST\(\s*X'(?P<casthex>[0-9A-Fa-f]*)'\s+AS\s+TEXT\s*\)"
        r"|[Xx]'(?P<hex>[0-9A-Fa-f]*)'"
        r"|(?P<str>" + string + r")(?:::(?P<cast>[\w ]+))?"
        r"|(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))\s*",
        re.IGNORECASE | re.DOTALL,
    )
    for name, string in (("standard", r"'(?:[^']|'')*'"), ("backslash", r"'(?:[^'\\]|\\.|'')*'"))
}
_MYSQL_ESCAPES = {"0": "\x00", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "b": "\b"}


def _dialect_name(name: str) -> str:
    from ..dialects import canonical_dialect

    try:
        return canonical_dialect(name)
    except MostaframeError:
        return name.lower()  # refused with the list of dump dialects when the dump is read


class SqlDumpSource(FileSource):
    """A SQL dump file written by the ``sql-dump`` destination (postgres, mysql or sqlite)."""

    kind = "sql"
    single_file = True
    extensions = ("sql",)

    def __init__(self, path: Path, *, dialect: str | None = None) -> None:
        super().__init__(path)
        self.dialect = _dialect_name(dialect) if dialect else None
        self._index: dict[str, list[int]] | None = None

    def _detect_dialect(self) -> str:
        with open(self.path, "rb") as handle:
            head = handle.read(4096)
        match = _DIALECT_LINE.search(head)
        found = _dialect_name(match.group(1).decode()) if match else None
        dialect = self.dialect or found
        if dialect not in DUMP_DIALECTS:
            raise SourceError(
                f"{self.description}: cannot tell the dump's dialect",
                hint="give --source-dialect postgres|mysql|sqlite",
            )
        return dialect

    def prepare(self, schema: Schema, entities: list[Entity]) -> None:
        self._check_exists()
        index = self.index()
        for entity in entities:
            if entity.table not in index:
                # an entity with no rows has no INSERT: that is not an error
                index.setdefault(entity.table, [])

    def index(self) -> dict[str, list[int]]:
        """Table name → byte offsets of its INSERT statements."""
        if self._index is None:
            self.dialect = self._detect_dialect()
            self._index = {}
            for offset, statement in self._statements(0):
                match = _INSERT.match(statement.decode("utf-8", errors="replace"))
                if match:
                    self._index.setdefault(_unquote_name(match.group(1)), []).append(offset)
        return self._index

    def _scanner(self) -> re.Pattern[bytes]:
        return _SCAN[self._literal_style]

    @functools.cached_property
    def _literal_style(self) -> str:
        """``backslash`` when the dump's strings use backslash escapes, else ``standard``."""
        from ..dialects import get_dialect

        return (
            "backslash"
            if get_dialect(self.dialect or self._detect_dialect()).backslash_escapes
            else "standard"
        )

    def _statements(self, start: int, limit: int | None = None) -> Iterator[tuple[int, bytes]]:
        """``(byte offset, statement)`` from ``start``; at most ``limit`` statements."""
        scanner = self._scanner()
        with open(self.path, "rb") as handle:
            handle.seek(start)
            buffer = b""
            base = start  # file offset of buffer[0]
            position = 0
            statement_start = 0
            at_eof = False
            count = 0
            while True:
                match = scanner.match(buffer, position)
                if match is None or (match.end() == len(buffer) and not at_eof):
                    if at_eof:
                        if buffer[statement_start:].strip():
                            raise SourceError(
                                f"{self.path}: the dump ends inside a statement "
                                f"(byte {base + statement_start})"
                            )
                        return
                    piece = handle.read(CHUNK)
                    at_eof = not piece
                    # keep only the unfinished statement
                    buffer = buffer[statement_start:] + piece
                    base += statement_start
                    position -= statement_start
                    statement_start = 0
                    continue
                position = match.end()
                if match.group() == b";":
                    text = buffer[statement_start:position]
                    stripped = text.lstrip()
                    lead = len(text) - len(stripped)
                    # skip leading comment lines so the offset points at the statement itself
                    while stripped.startswith(b"--"):
                        newline = stripped.find(b"\n")
                        cut = newline + 1 if newline >= 0 else len(stripped)
                        lead += cut + (len(stripped[cut:]) - len(stripped[cut:].lstrip()))
                        stripped = stripped[cut:].lstrip()
                    yield base + statement_start + lead, stripped
                    statement_start = position
                    count += 1
                    if limit is not None and count >= limit:
                        return

    def _batches(self, entity: Entity, batch_size: int) -> Iterator[pa.RecordBatch]:
        offsets = self.index().get(entity.table, [])
        rows: list[list[Any]] = []
        columns: list[str] | None = None
        for offset in offsets:
            for _, statement in self._statements(offset, limit=1):
                names, values = self._parse_insert(statement.decode("utf-8"), entity)
                if columns is not None and names != columns and rows:
                    yield self._batch(columns, rows, entity)
                    rows = []
                columns = names
                for row in values:
                    rows.append(row)
                    if len(rows) >= batch_size:
                        yield self._batch(columns, rows, entity)
                        rows = []
        if rows and columns is not None:
            yield self._batch(columns, rows, entity)

    def _parse_insert(self, statement: str, entity: Entity) -> tuple[list[str], list[list[Any]]]:
        match = _INSERT.match(statement)
        if match is None:  # pragma: no cover - the index only holds INSERT statements
            raise SourceError(f"{self.path}: expected an INSERT statement for {entity.table}")
        names = [_unquote_name(name) for name in _split_names(match.group(2))]
        pattern = _VALUE[self._literal_style]
        rows: list[list[Any]] = []
        position = match.end()
        text = statement
        while True:
            while position < len(text) and text[position].isspace():
                position += 1
            if position >= len(text) or text[position] != "(":
                break  # ON CONFLICT … / ON DUPLICATE KEY … / ';'
            position += 1
            row: list[Any] = []
            while True:
                value = pattern.match(text, position)
                if value is None:
                    raise SourceError(
                        f"{self.path}: entity {entity.name}: cannot read the value at "
                        f"{text[position : position + 40]!r}"
                    )
                row.append(self._literal(value))
                position = value.end()
                if text[position] == ",":
                    position += 1
                    continue
                if text[position] == ")":
                    position += 1
                    break
                raise SourceError(
                    f"{self.path}: entity {entity.name}: expected ',' or ')' at "
                    f"{text[position : position + 40]!r}"
                )
            if len(row) != len(names):
                raise SourceError(
                    f"{self.path}: entity {entity.name}: a row has {len(row)} "
                    f"values for {len(names)} columns"
                )
            rows.append(row)
            while position < len(text) and text[position].isspace():
                position += 1
            if position < len(text) and text[position] == ",":
                position += 1
        return names, rows

    def _literal(self, match: re.Match[str]) -> Any:
        if match.group("null"):
            return None
        if match.group("true"):
            return True
        if match.group("false"):
            return False
        if match.group("casthex") is not None:
            return bytes.fromhex(match.group("casthex")).decode("utf-8")
        if match.group("hex") is not None:
            return bytes.fromhex(match.group("hex"))
        if match.group("num") is not None:
            return _Number(match.group("num"))
        text = self._unquote(match.group("str"))
        if (match.group("cast") or "").strip().lower() == "bytea":
            return bytes.fromhex(text[2:]) if text.startswith("\\x") else text.encode()
        return text

    def _unquote(self, literal: str) -> str:
        body = literal[1:-1]
        if self._literal_style == "standard":
            return body.replace("''", "'")
        return re.sub(
            r"\\(.)|''",
            lambda m: "'" if m.group(1) is None else _MYSQL_ESCAPES.get(m.group(1), m.group(1)),
            body,
            flags=re.DOTALL,
        )

    def _batch(self, columns: list[str], rows: list[list[Any]], entity: Entity) -> pa.RecordBatch:
        import pyarrow as pa

        from ..schema.arrow import arrow_schema

        position = {name: index for index, name in enumerate(columns)}
        arrays = []
        for f in entity.fields:
            if f.column not in position:
                raise SourceError(
                    f"{self.path}: the INSERTs of {entity.table} have no column {f.column!r}"
                )
            index = position[f.column]
            values = [_plain(row[index]) for row in rows]
            if f.list:
                decoded = [None if v is None else _list_value(v) for v in values]
                arrays.append(list_from_python(decoded, f, entity))
            else:
                arrays.append(array_from_python(values, f, entity))
        return pa.RecordBatch.from_arrays(arrays, schema=arrow_schema(entity))

    def estimate_rows(self, entity: Entity, where: str | None = None) -> int | None:
        return None


class _Number(str):
    """A numeric literal, kept as its text so decimals stay exact."""


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, _Number) else value


def _list_value(text: Any) -> list[Any]:
    import json

    if not isinstance(text, str):
        raise SourceError(f"expected an array literal, got {text!r}")
    if text.startswith("{"):
        return parse_pg_array(text)
    return json.loads(text)


def parse_pg_array(text: str) -> list[str | None]:
    """A one-dimensional PostgreSQL array literal → its elements as text (``NULL`` → None).

    >>> parse_pg_array('{1,"a \\\\"b\\\\"",NULL,"NULL"}')
    ['1', 'a "b"', None, 'NULL']
    """
    if not (text.startswith("{") and text.endswith("}")):
        raise SourceError(f"not a PostgreSQL array literal: {text[:40]!r}")
    body = text[1:-1]
    elements: list[str | None] = []
    position = 0
    while position < len(body):
        if body[position] == '"':
            position += 1
            chars = []
            while body[position] != '"':
                if body[position] == "\\":
                    position += 1
                chars.append(body[position])
                position += 1
            elements.append("".join(chars))
            position += 1
        else:
            end = body.find(",", position)
            end = len(body) if end < 0 else end
            word = body[position:end].strip()
            elements.append(None if word.upper() == "NULL" else word)
            position = end
        if position < len(body) and body[position] == ",":
            position += 1
    return elements


def _split_names(text: str) -> list[str]:
    names = re.findall(r"\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|[^,\s]+", text)
    return [name for name in names if name.strip()]


def _unquote_name(name: str) -> str:
    """``"schema"."table"`` / `` `t` `` / ``t`` → the bare (last) name."""
    parts = re.findall(r"\"((?:[^\"]|\"\")*)\"|`((?:[^`]|``)*)`|(\w+)", name)
    double, back, bare = parts[-1]
    if double:
        return double.replace('""', '"')
    if back:
        return back.replace("``", "`")
    return bare


__all__ = ["SqlDumpSource", "parse_pg_array"]
