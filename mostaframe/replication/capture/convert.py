"""Text values → Arrow arrays through the entity model, one vectorised cast per column.

Both capture methods receive values as text: pgoutput sends every column in its PostgreSQL text
form, and the change-log triggers store row images as JSON objects whose values are strings in
the same canonical forms (see :mod:`.trigger_sql`). This module turns a column of such strings
into the Arrow type :func:`mostaframe.schema.arrow.arrow_type` gives the field.

Canonical text forms (what both producers emit, and what the reader accepts):

==========  ===============================================================================
kind        text
==========  ===============================================================================
integers    decimal digits
float/real  ``1.5``, ``1e+300``, ``NaN``, ``Infinity``, ``-Infinity`` (shortest exact form)
decimal     plain decimal text, exact (never a float)
boolean     ``t``/``f`` (``true``/``false``/``1``/``0`` accepted)
datetime    ``YYYY-MM-DD HH:MM:SS[.ffffff][±HH[:MM]|Z]`` (``T`` accepted); with time zone →
            UTC, without → as written
date        ``YYYY-MM-DD``
time        ``HH:MM:SS[.ffffff][±HH[:MM]]`` (an offset is applied → UTC)
bytes       ``\\x`` + lower-case hex
json, uuid, enum, string   the text itself
list of T   PostgreSQL array literal ``{1,2,"a b",NULL}`` or a JSON array ``[1, 2, "a b"]``
==========  ===============================================================================
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import ReplicationError
from ...schema.arrow import arrow_type

if TYPE_CHECKING:
    from ...schema.model import Entity, Field

_TRUE_TEXTS = pa.array(["t", "true", "1", "y", "yes", "on"], pa.large_string())
_BOOL_TEXTS = pa.array(
    ["t", "true", "1", "y", "yes", "on", "f", "false", "0", "n", "no", "off"], pa.large_string()
)


def text_to_arrow(values: pa.Array, field: Field, entity: Entity) -> pa.Array:
    """Convert a column of canonical texts (nulls allowed) to ``field``'s Arrow type.

    Args:
        values: string or large_string array.
        field: the model field (decides the kind).
        entity: the entity, named in error messages.

    Raises:
        ReplicationError: a value does not parse as the field's kind (names entity, column and
            the offending value).
    """
    target = arrow_type(field)
    if len(values) == 0:
        return pa.array([], target)
    values = values.cast(pa.large_string()) if values.type != pa.large_string() else values
    try:
        if field.list:
            return _list_to_arrow(values, field, entity, target)
        return _scalar_to_arrow(values, field.kind, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
        bad = _first_bad_value(values, field, entity)
        raise ReplicationError(
            f"entity {entity.name}, column {field.column}: cannot read captured value {bad!r} "
            f"as {field.kind}{'[]' if field.list else ''} ({str(exc).splitlines()[0]})"
        ) from exc


def _scalar_to_arrow(values: pa.Array, kind: str, target: pa.DataType) -> pa.Array:
    if kind in ("string", "json", "uuid", "enum"):
        return values.cast(target)
    if kind == "boolean":
        lowered = pc.utf8_lower(pc.utf8_trim_whitespace(values))
        if not pc.all(pc.or_kleene(pc.is_in(lowered, _BOOL_TEXTS), pc.is_null(lowered))).as_py():
            raise ValueError("not a boolean")
        return pc.if_else(
            pc.is_null(lowered), pa.scalar(None, pa.bool_()), pc.is_in(lowered, _TRUE_TEXTS)
        )
    if kind == "bytes":
        return hex_to_binary(values)
    if kind == "datetime":
        return _timestamp(values, target)
    if kind == "time":
        # no direct string → time cast: parse as a timestamp on 1970-01-01 (offset applied)
        dated = pc.binary_join_element_wise(_text("1970-01-01 "), values, _text(""))
        stamps = _timestamp(dated, pa.timestamp("us", tz="UTC")).cast(pa.int64())
        micros = pc.subtract(stamps, pc.multiply(pc.divide(stamps, 86_400_000_000), 86_400_000_000))
        return pc.if_else(pc.less(micros, 0), pc.add(micros, 86_400_000_000), micros).cast(target)
    return values.cast(target)


def _timestamp(values: pa.Array, target: pa.DataType) -> pa.Array:
    has_zone = pc.match_substring_regex(values, r"(Z|[+-]\d\d(:?\d\d)?)$")
    if target.tz is None:
        if pc.any(has_zone).as_py():
            # a zone on a "without time zone" field: keep the wall-clock time written
            values = pc.replace_substring_regex(values, r"(Z|[+-]\d\d(:?\d\d)?)$", "")
        return values.cast(target)
    if not pc.all(pc.or_kleene(has_zone, pc.is_null(values))).as_py():
        # naive texts for a time-zone-aware field (MySQL DATETIME, SQLite text) are UTC
        values = pc.if_else(
            has_zone, values, pc.binary_join_element_wise(values, _text("Z"), _text(""))
        )
    return values.cast(target)


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


def hex_to_binary(values: pa.Array) -> pa.Array:
    r"""``\x0102…`` texts → binary, decoded in one pass over the whole column.

    Raises:
        ValueError: a value lacks the ``\x`` prefix or is not hex.
    """
    values = values.cast(pa.large_string())
    if len(values) == 0:
        return pa.array([], pa.binary())
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    valid = values.is_valid()
    filled = pc.fill_null(values, "\\x")
    if not pc.all(pc.starts_with(filled, "\\x")).as_py():
        raise ValueError("bytes value without \\x prefix")
    stripped = pc.utf8_slice_codeunits(filled, 2)
    offsets = np.frombuffer(stripped.buffers()[1], np.int64)[
        stripped.offset : stripped.offset + len(stripped) + 1
    ]
    data = stripped.buffers()[2]
    raw = b"" if data is None else bytes(memoryview(data)[offsets[0] : offsets[-1]])
    if (np.diff(offsets) % 2).any():
        raise ValueError("odd number of hex digits")
    decoded = bytes.fromhex(raw.decode("ascii"))
    new_offsets = ((offsets - offsets[0]) // 2).astype(np.int64)
    out = pa.Array.from_buffers(
        pa.large_binary(),
        len(stripped),
        [None, pa.py_buffer(new_offsets.tobytes()), pa.py_buffer(decoded)],
    )
    out = pc.if_else(valid, out, pa.scalar(None, pa.large_binary()))
    return out.cast(pa.binary())


def _list_to_arrow(values: pa.Array, field: Field, entity: Entity, target: pa.DataType) -> pa.Array:
    """Array literals / JSON arrays → list<T>: split in Python, convert the elements at once."""
    offsets = [0]
    elements: list[str | None] = []
    for text in values.to_pylist():
        if text is None:
            offsets.append(offsets[-1])
            continue
        items = _parse_json_array(text) if text.startswith("[") else parse_pg_array(text)
        elements.extend(items)
        offsets.append(len(elements))
    element_values = _scalar_to_arrow(
        pa.array(elements, pa.large_string()), field.kind, target.value_type
    )
    mask = values.is_null()
    return pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()), element_values, type=target, mask=mask
    )


def _parse_json_array(text: str) -> list[str | None]:
    # numbers keep their text (a float would round a long decimal)
    items = json.loads(text, parse_float=str, parse_int=str, parse_constant=str)
    if not isinstance(items, list):
        raise ValueError(f"not a JSON array: {text[:40]}")
    out: list[str | None] = []
    for item in items:
        if item is None or isinstance(item, str):
            out.append(item)
        elif isinstance(item, bool):
            out.append("t" if item else "f")
        elif isinstance(item, (dict, list)):
            out.append(json.dumps(item, separators=(",", ":")))
        else:
            out.append(str(item))
    return out


def parse_pg_array(text: str) -> list[str | None]:
    """Elements of a one-dimensional PostgreSQL array literal, as texts (NULL → None).

    >>> parse_pg_array('{1,"a b",NULL,"say \\\\"hi\\\\""}')
    ['1', 'a b', None, 'say "hi"']

    Raises:
        ValueError: not an array literal, or a multi-dimensional one (not in the entity model).
    """
    if text.startswith("[") and "=" in text.split("{", 1)[0]:
        text = text.split("=", 1)[1]  # explicit bounds "[0:1]={…}"
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"not an array literal: {text[:40]}")
    body = text[1:-1]
    out: list[str | None] = []
    if not body:
        return out
    i, n = 0, len(body)
    while i <= n:
        if i < n and body[i] == "{":
            raise ValueError("multi-dimensional arrays are not supported")
        if i < n and body[i] == '"':
            i += 1
            chars: list[str] = []
            while body[i] != '"':
                if body[i] == "\\":
                    i += 1
                chars.append(body[i])
                i += 1
            out.append("".join(chars))
            i += 1  # closing quote
        else:
            end = body.find(",", i)
            end = n if end == -1 else end
            token = body[i:end].strip()
            out.append(None if token.upper() == "NULL" else token)
            i = end
        i += 1  # the comma
    return out


def _first_bad_value(values: pa.Array, field: Field, entity: Entity) -> str | None:
    """The first value that fails on its own (for the error message)."""
    kind_target = arrow_type(field)
    for text in values.to_pylist():
        if text is None:
            continue
        try:
            single = pa.array([text], pa.large_string())
            if field.list:
                _list_to_arrow(single, field, entity, kind_target)
            else:
                _scalar_to_arrow(single, field.kind, kind_target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError, IndexError):
            return text
    return None


__all__ = ["hex_to_binary", "parse_pg_array", "text_to_arrow"]
