"""Arrow columns → SQL and JSON literal text, vectorised (pyarrow.compute + numpy, no row loops).

Every function here takes a whole Arrow array and returns a ``pa.StringArray`` with one literal per
row, so a batch of a million rows becomes text in a handful of C passes. Dialect differences are
*data*: one :class:`LiteralStyle` per dialect name in :data:`STYLES`.

How each kind is written (see docs/sinks.md for the full table):

=============  ====================  ====================  ==============================
value          postgres              mysql                 sqlite
=============  ====================  ====================  ==============================
text           ``'it''s'``           ``'it\\'s'``          ``'it''s'``
NUL in text    error (cannot store)  ``'\\0'``             ``CAST(X'..' AS TEXT)``
bytes          ``'\\x0a'::bytea``    ``X'0a'``             ``X'0a'``
boolean        TRUE / FALSE          TRUE / FALSE          1 / 0
decimal        ``-12.50``            ``-12.50``            ``'-12.50'`` (TEXT, lossless)
float          ``'0.1'``, 'NaN'      ``0.1``; NaN/inf err  ``0.1``, 9e999; NaN error
timestamp      ``'… .ffffff'``       naive UTC             ``'YYYY-MM-DD HH:MM:SS.ffffff'``
timestamp tz   ``'… .ffffffZ'``      converted to UTC      ``'… .ffffffZ'`` (UTC)
list           ``'{1,2}'`` (array)   JSON text             JSON text
=============  ====================  ====================  ==============================
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SinkError, UnsupportedError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

T = TypeVar("T")


@dataclass(frozen=True)
class LiteralStyle:
    """How one SQL dialect spells literal values.

    Attributes:
        name: dialect name.
        escapes: ordered (needle, replacement) pairs applied to text inside single quotes.
        nul: what to do with U+0000 in text: ``"error"`` (the dialect cannot store it),
            ``"escape"`` (covered by ``escapes``) or ``"blob"`` (``CAST(X'…' AS TEXT)``).
        true / false: boolean literals.
        bytes_prefix / bytes_suffix: around the hex digits of a binary value.
        float_quoted: write floats as quoted strings (PostgreSQL reads '-0', 'NaN' exactly).
        nonfinite: literal for ``nan``, ``inf``, ``-inf``; a missing key is an error.
        decimal_quoted: write decimals as strings (SQLite: TEXT keeps every digit).
        tz_suffix: keep the ``Z`` of UTC timestamps (False: write naive UTC, e.g. MySQL DATETIME).
        list_style: ``"array"`` (PostgreSQL array literal) or ``"json"`` (JSON array text).
    """

    name: str
    escapes: tuple[tuple[str, str], ...] = (("'", "''"),)
    nul: str = "error"
    true: str = "TRUE"
    false: str = "FALSE"
    bytes_prefix: str = "X'"
    bytes_suffix: str = "'"
    float_quoted: bool = False
    nonfinite: dict[str, str] = field(default_factory=dict)
    decimal_quoted: bool = False
    tz_suffix: bool = True
    list_style: str = "json"


STYLES: dict[str, LiteralStyle] = {
    "postgres": LiteralStyle(
        "postgres",
        nul="error",
        bytes_prefix="'\\x",
        bytes_suffix="'::bytea",
        float_quoted=True,
        nonfinite={"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"},
        list_style="array",
    ),
    "mysql": LiteralStyle(
        "mysql",
        # backslash first: the later replacements insert backslashes of their own
        escapes=(
            ("\\", "\\\\"),
            ("'", "\\'"),
            ("\x00", "\\0"),
            ("\n", "\\n"),
            ("\r", "\\r"),
            ("\x1a", "\\Z"),
        ),
        nul="escape",
        tz_suffix=False,
    ),
    "sqlite": LiteralStyle(
        "sqlite",
        nul="blob",
        true="1",
        false="0",
        nonfinite={"inf": "9e999", "-inf": "-9e999"},
        decimal_quoted=True,
    ),
}


#: dialect → (upsert clause, one update item); ``{keys}`` / ``{updates}`` / ``{c}`` are quoted
UPSERTS: dict[str, tuple[str, str]] = {
    "postgres": ("ON CONFLICT ({keys}) DO UPDATE SET {updates}", "{c} = EXCLUDED.{c}"),
    "duckdb": ("ON CONFLICT ({keys}) DO UPDATE SET {updates}", "{c} = EXCLUDED.{c}"),
    "sqlite": ("ON CONFLICT ({keys}) DO UPDATE SET {updates}", "{c} = excluded.{c}"),
    # VALUES(c) is understood by MariaDB and MySQL alike (MySQL 8 also has row aliases)
    "mysql": ("ON DUPLICATE KEY UPDATE {updates}", "{c} = VALUES({c})"),
}


def upsert_clause(dialect: str, keys: list[str], others: list[str]) -> str:
    """The insert-or-update clause after ``INSERT … VALUES``/``SELECT`` for quoted ``keys``
    (the primary key) and ``others`` (the columns to update).

    >>> upsert_clause("postgres", ['"id"'], ['"name"'])
    'ON CONFLICT ("id") DO UPDATE SET "name" = EXCLUDED."name"'
    >>> upsert_clause("mysql", ["`id`"], [])
    'ON DUPLICATE KEY UPDATE `id` = VALUES(`id`)'
    """
    template, item = UPSERTS[dialect]
    if not others and "{keys}" in template:
        return template.split(" DO ", 1)[0].format(keys=", ".join(keys)) + " DO NOTHING"
    updates = ", ".join(item.format(c=column) for column in (others or keys[:1]))
    return template.format(keys=", ".join(keys), updates=updates)


def literal_style(dialect: str) -> LiteralStyle:
    """The :class:`LiteralStyle` of ``dialect`` (canonical names and aliases accepted).

    Raises:
        UnsupportedError: no literal style for that dialect.
    """
    from ..dialects import canonical_dialect

    name = canonical_dialect(dialect)
    if name not in STYLES:
        raise UnsupportedError(
            f"no SQL literal rendering for dialect {name!r}; supported: {', '.join(STYLES)}"
        )
    return STYLES[name]


@dataclass(frozen=True)
class Location:
    """Where a column comes from, for error messages (row numbers are 0-based in the entity)."""

    entity: str = ""
    column: str = ""
    first_row: int = 0

    def describe(self, index: int | None = None) -> str:
        row = f", row {self.first_row + index}" if index is not None else ""
        return f"entity {self.entity}, column {self.column}{row}"


# ---------------------------------------------------------------------------------------------
# building blocks shared by SQL and JSON rendering


def first_true(mask: pa.Array) -> int | None:
    """Index of the first true value of a boolean array, or None."""
    values = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False))
    hits = np.flatnonzero(values)
    return int(hits[0]) if hits.size else None


def offsets_and_data(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets rebased to 0, data bytes) of a binary/string array, honouring slices."""
    offset_type = (
        np.int64
        if pa.types.is_large_binary(array.type) or pa.types.is_large_string(array.type)
        else np.int32
    )
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[
        array.offset : array.offset + len(array) + 1
    ]
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if buffers[2] is not None
        else np.zeros(0, np.uint8)
    )
    data = data[offsets[0] : offsets[-1]] if len(offsets) else data[:0]
    return (offsets - offsets[0]).astype(np.int64), data


def _string_array(
    length: int, offsets: np.ndarray, data: np.ndarray, valid: pa.Array | None
) -> pa.Array:
    """A (large_)string array from numpy offsets/data and an optional validity array."""
    large = offsets[-1] > np.iinfo(np.int32).max if len(offsets) else False
    typ = pa.large_string() if large else pa.string()
    offsets = offsets.astype(np.int64 if large else np.int32)
    bitmap = None
    null_count = 0
    if valid is not None:
        null_count = len(valid) - (pc.sum(valid).as_py() or 0)
        if null_count:
            if valid.offset:  # compute results start at 0; be safe with slices anyway
                valid = pa.array(valid.to_numpy(zero_copy_only=False), pa.bool_())
            bitmap = valid.buffers()[1]
    return pa.Array.from_buffers(
        typ, length, [bitmap, pa.py_buffer(offsets), pa.py_buffer(data)], null_count=null_count
    )


_HEX = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype=np.uint8).reshape(
    256, 2
)


def hex_encode(array: pa.Array) -> pa.Array:
    """Lower-case hex digits of every binary value (nulls stay null)."""
    if pa.types.is_fixed_size_binary(array.type):
        array = array.cast(pa.binary())
    offsets, data = offsets_and_data(array)
    return _string_array(len(array), offsets * 2, _HEX[data].reshape(-1), pc.is_valid(array))


_B64 = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", np.uint8)


def base64_encode(array: pa.Array) -> pa.Array:
    """Standard base64 (RFC 4648, with ``=`` padding) of every binary value, vectorised."""
    if pa.types.is_fixed_size_binary(array.type):
        array = array.cast(pa.binary())
    offsets, data = offsets_and_data(array)
    lengths = np.diff(offsets)
    groups = (lengths + 2) // 3
    padded_offsets = np.concatenate([[0], np.cumsum(groups * 3)])
    padded = np.zeros(int(padded_offsets[-1]), dtype=np.uint8)
    if data.size:
        # byte j of value i goes to padded_offsets[i] + j
        shift = np.repeat(padded_offsets[:-1] - offsets[:-1], lengths)
        padded[np.arange(data.size) + shift] = data
    triples = padded.reshape(-1, 3).astype(np.uint32)
    word = (triples[:, 0] << 16) | (triples[:, 1] << 8) | triples[:, 2]
    sextets = np.stack([(word >> 18) & 63, (word >> 12) & 63, (word >> 6) & 63, word & 63], axis=1)
    out = _B64[sextets].reshape(-1)
    out_offsets = np.concatenate([[0], np.cumsum(groups * 4)]).astype(np.int64)
    ends = out_offsets[1:]
    rest = lengths % 3
    out[ends[rest == 1] - 1] = ord("=")
    out[ends[rest == 1] - 2] = ord("=")
    out[ends[rest == 2] - 1] = ord("=")
    return _string_array(len(array), out_offsets, out, pc.is_valid(array))


def decimal_text(array: pa.Array) -> pa.Array:
    """Plain decimal text with exactly ``scale`` fraction digits (``-0.000001``, never ``1E-6``).

    Arrow's cast is plain whenever the scale is at most 6 (its scientific notation starts at
    an adjusted exponent below -6); other values that came out in scientific notation are
    redone from the unscaled integer (the same buffers read as scale 0), digit for digit.
    """
    scale = array.type.scale
    text = pc.cast(array, pa.string())
    if 0 <= scale <= 6:
        return text
    scientific = pc.fill_null(pc.match_substring(text, "E"), False)
    if scale > 0 and not pc.any(scientific).as_py():
        return text
    if scale < 0:
        scientific = pc.is_valid(array)
    return pc.replace_with_mask(text, scientific, _plain_decimals(pc.filter(array, scientific)))


def _plain_decimals(array: pa.Array) -> pa.Array:
    typ = array.type
    scale = typ.scale
    make = pa.decimal128 if pa.types.is_decimal128(typ) else pa.decimal256
    unscaled = pa.Array.from_buffers(
        make(typ.precision, 0), len(array), array.buffers(), offset=array.offset
    )
    digits = pc.cast(unscaled, pa.string())
    if scale <= 0:
        return digits if scale == 0 else pc.binary_join_element_wise(digits, "0" * -scale, "")
    negative = pc.starts_with(digits, "-")
    magnitude = pc.utf8_lpad(pc.utf8_ltrim(digits, "-"), scale + 1, "0")
    integer = pc.utf8_slice_codeunits(magnitude, 0, -scale)
    fraction = pc.utf8_slice_codeunits(magnitude, -scale, None)
    text = pc.binary_join_element_wise(integer, fraction, ".")
    return pc.if_else(negative, pc.binary_join_element_wise("-", text, ""), text)


def timestamp_text(array: pa.Array, *, sep: str = " ", utc_suffix: bool = True) -> pa.Array:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` (``sep`` between date and time); time-zone-aware values
    are written in UTC, followed by ``Z`` when ``utc_suffix``."""
    typ = array.type
    aware = typ.tz is not None
    if aware:
        # the stored instants are UTC whatever the zone; drop the zone, keep the instant
        array = array.cast(pa.timestamp(typ.unit))
    text = pc.cast(array, pa.string())
    if sep != " ":
        text = pc.replace_substring(text, " ", sep, max_replacements=1)
    if aware and utc_suffix:
        text = pc.binary_join_element_wise(text, "Z", "")
    return text


def wrap(text: pa.Array, left: str, right: str) -> pa.Array:
    """``left + value + right`` for every value (nulls stay null).

    Values of one width (dates, timestamps, one-letter codes) are framed with numpy in one
    copy; others go through pyarrow's join.
    """
    if not left and not right:
        return text
    if text.null_count == 0 and len(text) and pa.types.is_string(text.type):
        offsets, data = offsets_and_data(text)
        width = int(offsets[1] - offsets[0])
        if data.size == width * len(text) and (np.diff(offsets) == width).all():
            head, tail = left.encode(), right.encode()
            matrix = np.empty((len(text), len(head) + width + len(tail)), dtype=np.uint8)
            matrix[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
            matrix[:, len(head) : len(head) + width] = data.reshape(len(text), width)
            matrix[:, len(head) + width :] = np.frombuffer(tail, dtype=np.uint8)
            step = matrix.shape[1]
            new_offsets = np.arange(len(text) + 1, dtype=np.int64) * step
            return _string_array(len(text), new_offsets, matrix.reshape(-1), None)
    args: list[object] = [piece for piece in (left,) if piece] + [text]
    args += [piece for piece in (right,) if piece]
    return pc.binary_join_element_wise(*args, "")


_BYTE_SETS: dict[str, np.ndarray] = {}


def has_any_char(text: pa.Array, chars: str) -> bool:
    """Whether any value of a string array may contain one of the ASCII ``chars`` — one numpy
    pass over the data buffer, much cheaper than a per-row match when the answer is no."""
    _, data = offsets_and_data(text)
    if data.size == 0:
        return False
    if len(chars) == 1:
        return bool((data == ord(chars)).any())
    table = _BYTE_SETS.get(chars)
    if table is None:
        table = np.zeros(256, dtype=bool)
        table[[ord(char) for char in chars]] = True
        _BYTE_SETS[chars] = table
    return bool(table[data].any())


def join_columns(columns: Sequence[pa.Array], pieces: Sequence[str]) -> pa.Array:
    """Row-wise ``pieces[0] + col0 + pieces[1] + col1 + … + pieces[n]`` (no nulls expected).

    When the inner pieces are all the same they go in as the join's separator: every scalar
    argument costs a pass over the rows, the separator does not.
    """
    inner = set(pieces[1 : len(columns)])
    if len(inner) <= 1:
        joined = pc.binary_join_element_wise(*columns, inner.pop() if inner else "")
        return wrap(joined, pieces[0], pieces[len(columns)])
    args: list[object] = []
    for piece, column in zip(pieces, columns, strict=False):
        if piece:
            args.append(piece)
        args.append(column)
    if pieces[len(columns)]:
        args.append(pieces[len(columns)])
    return pc.binary_join_element_wise(*args, "")


def concatenated(text: pa.Array) -> memoryview:
    """All values of a string array back to back, without copying (its data buffer)."""
    _, data = offsets_and_data(text)
    return memoryview(data)


def replace_where(text: pa.Array, mask: pa.Array, replacement: pa.Array) -> pa.Array:
    """``text`` with rows where ``mask`` replaced by the same rows of ``replacement``."""
    return pc.replace_with_mask(text, mask, pc.filter(replacement, mask))


def apply_escapes(text: pa.Array, escapes: tuple[tuple[str, str], ...]) -> pa.Array:
    """Apply ``escapes`` only to the rows that contain one of the needles (usually few)."""
    if not escapes or len(text) == 0:
        return text
    if all(len(needle) == 1 and ord(needle) < 128 for needle, _ in escapes) and not has_any_char(
        text, "".join(needle for needle, _ in escapes)
    ):
        return text
    if len(escapes) == 1:
        mask = pc.fill_null(pc.match_substring(text, escapes[0][0]), False)
    else:
        pattern = "[" + "".join(_regex_class_char(needle) for needle, _ in escapes) + "]"
        mask = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    if not pc.any(mask).as_py():
        return text
    subset = pc.filter(text, mask)
    for needle, replacement in escapes:
        subset = pc.replace_substring(subset, needle, replacement)
    return pc.replace_with_mask(text, mask, subset)


def _regex_class_char(char: str) -> str:
    code = ord(char)
    return f"\\x{{{code:x}}}" if code < 0x20 or char in "\\]^-[" else char


#: batches smaller than this are rendered in one piece (threads would cost more than they save)
PARALLEL_MIN_ROWS = 20_000
_POOL: ThreadPoolExecutor | None = None


def render_parts(batch: pa.RecordBatch, render: Callable[[pa.RecordBatch, int], T]) -> list[T]:
    """``render(part, offset)`` over consecutive slices of ``batch``, one per CPU (at most 4),
    in threads — pyarrow compute and numpy release the GIL — results in row order.

    Rendering text is CPU-bound and each pyarrow kernel runs on one core: slicing the batch is
    what puts the second core to work. Exceptions propagate from the first failing part.
    """
    global _POOL
    workers = min(4, os.cpu_count() or 1)
    if workers < 2 or batch.num_rows < PARALLEL_MIN_ROWS:
        return [render(batch, 0)]
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mostaframe-render")
    step = -(-batch.num_rows // workers)
    offsets = range(0, batch.num_rows, step)
    futures = [_POOL.submit(render, batch.slice(offset, step), offset) for offset in offsets]
    return [future.result() for future in futures]


# ---------------------------------------------------------------------------------------------
# cells: a column's values plus the constant text around each of them


@dataclass(frozen=True)
class Cells:
    """The rendered values of a column (null where the value is null) and the constant text
    that goes around every non-null one (quotes, ``X'…'``). Keeping that text apart lets
    :func:`assemble` fold it into the row-building pass instead of copying the column."""

    text: pa.Array
    left: str = ""
    right: str = ""

    def finish(self, null: str) -> pa.Array:
        """Complete literals, ``null`` for nulls."""
        return pc.fill_null(wrap(self.text, self.left, self.right), null)


def assemble(
    columns: Sequence[Cells],
    *,
    separator: str,
    null: str,
    lead: str | pa.Array = "",
    tail: str = "",
    keys: Sequence[str] | None = None,
) -> pa.Array:
    """Row texts ``lead + keys[0] + cell0 + separator + keys[1] + cell1 + … + tail``.

    Args:
        columns: the rendered columns.
        separator: between cells.
        null: literal of a null cell.
        lead: before each row: a constant, or one text per row (statement starts…).
        tail: after each row.
        keys: text before each cell (JSON object keys), or None.
    """
    last = len(columns) - 1
    args: list[pa.Array] = []
    for index, cells in enumerate(columns):
        before = (lead if index == 0 and isinstance(lead, str) else "") + (
            keys[index] if keys else ""
        )
        after = tail if index == last else ""
        text = wrap(cells.text, before + cells.left, cells.right + after)
        if text.null_count:
            text = pc.fill_null(text, before + null + after)
        args.append(text)
    if not isinstance(lead, str):
        args[0] = pc.binary_join_element_wise(lead, args[0], "")
    return pc.binary_join_element_wise(*args, separator)


# ---------------------------------------------------------------------------------------------
# SQL literals


def sql_literals(array: pa.Array, style: LiteralStyle, where: Location | None = None) -> pa.Array:
    """One SQL literal per value of ``array`` (``NULL`` for nulls), as a string array.

    Args:
        array: an Arrow column of any type the entity model produces.
        style: the dialect's :class:`LiteralStyle`.
        where: entity / column / first row, for error messages.

    Raises:
        SinkError: a value the dialect cannot store (NUL in PostgreSQL text, NaN in MySQL…),
            naming entity, column and row.
        UnsupportedError: an Arrow type no entity field produces (struct, map…).
    """
    return sql_cells(array, style, where).finish("NULL")


def sql_cells(array: pa.Array, style: LiteralStyle, where: Location | None = None) -> Cells:
    """Like :func:`sql_literals`, as :class:`Cells` for :func:`assemble`."""
    where = where or Location()
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    typ = array.type
    if pa.types.is_dictionary(typ):
        return sql_cells(array.dictionary_decode(), style, where)
    if pa.types.is_null(typ):
        return Cells(pa.nulls(len(array), pa.string()))
    if pa.types.is_integer(typ):
        return Cells(pc.cast(array, pa.string()))
    if pa.types.is_floating(typ):
        quote = "'" if style.float_quoted else ""
        return Cells(_sql_floats(array, style, where), quote, quote)
    if pa.types.is_decimal(typ):
        quote = "'" if style.decimal_quoted else ""
        return Cells(decimal_text(array), quote, quote)
    if pa.types.is_boolean(typ):
        return Cells(pc.if_else(array, style.true, style.false))
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return _sql_strings(array, style, where)
    if is_binary(typ):
        return Cells(hex_encode(array), style.bytes_prefix, style.bytes_suffix)
    if pa.types.is_timestamp(typ):
        return Cells(timestamp_text(array, utc_suffix=style.tz_suffix), "'", "'")
    if pa.types.is_date(typ) or pa.types.is_time(typ):
        return Cells(pc.cast(array, pa.string()), "'", "'")
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        if style.list_style == "array":
            text = pg_array_text(array, where)
        else:
            text = _json_cells(array, where, None).finish("null")
            text = pc.if_else(pc.is_valid(array), text, pa.scalar(None, pa.string()))
        return Cells(apply_escapes(text, style.escapes), "'", "'")
    raise UnsupportedError(f"{where.describe()}: no SQL literal for Arrow type {typ}")


def is_binary(typ: pa.DataType) -> bool:
    return (
        pa.types.is_binary(typ)
        or pa.types.is_large_binary(typ)
        or pa.types.is_fixed_size_binary(typ)
    )


def quote_text(text: pa.Array, style: LiteralStyle) -> pa.Array:
    """Escape and single-quote already validated text (nulls stay null)."""
    return wrap(apply_escapes(text, style.escapes), "'", "'")


def _sql_strings(array: pa.Array, style: LiteralStyle, where: Location) -> Cells:
    if array.type != pa.string():
        array = array.cast(pa.string())
    has_nul = refuse_nul(array, style, where)
    escaped = apply_escapes(array, style.escapes)
    if has_nul is None or style.nul != "blob":
        return Cells(escaped, "'", "'")
    # SQLite's shell reads the dump as C strings: a raw NUL would cut the statement short
    quoted = wrap(escaped, "'", "'")
    blob = wrap(hex_encode(array.cast(pa.binary())), "CAST(X'", "' AS TEXT)")
    return Cells(replace_where(quoted, has_nul, blob))


def refuse_nul(array: pa.Array, style: LiteralStyle, where: Location) -> pa.Array | None:
    """Mask of the values holding U+0000 (None when there is none); raise if the style cannot
    store it."""
    if not has_any_char(array, "\x00"):
        return None
    has_nul = pc.fill_null(pc.match_substring(array, "\x00"), False)
    if not pc.any(has_nul).as_py():
        return None
    if style.nul == "error":
        raise SinkError(
            f"{where.describe(first_true(has_nul))}: text contains a NUL character (\\x00), "
            f"which {style.name} text cannot store",
            hint="remove the NUL from the source value, or model the column as bytes",
        )
    return has_nul


def _sql_floats(array: pa.Array, style: LiteralStyle, where: Location) -> pa.Array:
    text = pc.cast(array, pa.string())
    finite = pc.fill_null(pc.is_finite(array), True)
    if pc.all(finite).as_py():
        return text
    nan = pc.fill_null(pc.is_nan(array), False)
    positive = pc.greater(array, 0)
    infinite = pc.invert(finite)
    masks = (
        ("nan", nan),
        ("inf", pc.and_(infinite, pc.and_not(positive, nan))),
        ("-inf", pc.and_(infinite, pc.invert(pc.or_(positive, nan)))),
    )
    for name, mask in masks:
        mask = pc.fill_null(mask, False)
        row = first_true(mask)
        if row is None:
            continue
        literal = style.nonfinite.get(name)
        if literal is None:
            raise SinkError(
                f"{where.describe(row)}: the float value {name} cannot be stored by {style.name}",
                hint="replace non-finite floats in the source, or copy to PostgreSQL / Parquet",
            )
        text = pc.if_else(mask, literal, text)
    return text


# ---------------------------------------------------------------------------------------------
# PostgreSQL array literals ('{1,2,NULL}')


def pg_array_text(array: pa.Array, where: Location) -> pa.Array:
    """PostgreSQL array input text (``{"a","b\\"c",NULL}``) of every list value."""
    values = array.values
    typ = values.type
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        raise UnsupportedError(f"{where.describe()}: nested lists are not supported")
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        refuse_nul(values, STYLES["postgres"], where)
        escaped = apply_escapes(values.cast(pa.string()), (("\\", "\\\\"), ('"', '\\"')))
        elements = wrap(escaped, '"', '"')
    elif pa.types.is_boolean(typ):
        elements = pc.if_else(values, "t", "f")
    elif pa.types.is_floating(typ):
        elements = _sql_floats(values, STYLES["postgres"], where)
    elif pa.types.is_decimal(typ):
        elements = decimal_text(values)
    elif pa.types.is_integer(typ):
        elements = pc.cast(values, pa.string())
    elif is_binary(typ):
        elements = wrap(hex_encode(values), '"\\\\x', '"')
    elif pa.types.is_timestamp(typ):
        elements = wrap(timestamp_text(values), '"', '"')
    elif pa.types.is_date(typ) or pa.types.is_time(typ):
        elements = wrap(pc.cast(values, pa.string()), '"', '"')
    else:
        raise UnsupportedError(f"{where.describe()}: no PostgreSQL array element for {typ}")
    lists = rebuild_lists(array, pc.fill_null(elements, "NULL"))
    return wrap(pc.binary_join(lists, ","), "{", "}")


def rebuild_lists(array: pa.Array, elements: pa.Array) -> pa.Array:
    """``array``'s list structure over new element values (same positions as ``array.values``)."""
    offsets = array.offsets
    mask = pc.is_null(array) if array.null_count else None
    if mask is not None and offsets.offset:
        offsets = pa.array(offsets.to_numpy(), offsets.type)  # from_arrays needs them unsliced
    if pa.types.is_large_list(array.type):
        return pa.LargeListArray.from_arrays(offsets, elements, mask=mask)
    return pa.ListArray.from_arrays(offsets, elements, mask=mask)


# ---------------------------------------------------------------------------------------------
# JSON values


_JSON_SPECIAL = '[\\x{0}-\\x{1f}"\\\\]'
_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
_JSON_RARE = tuple((chr(c), f"\\u{c:04x}") for c in range(0x20) if chr(c) not in "\n\r\t")


def json_strings(array: pa.Array) -> pa.Array:
    """JSON string contents (escaped per RFC 8259, without the quotes) of text values.

    One regular-expression pass finds the rows that need escaping (usually few); only those
    go through the replacements.
    """
    if array.type != pa.string():
        array = array.cast(pa.string())
    if not has_any_char(array, "".join(map(chr, range(0x20))) + '"\\'):
        return array
    mask = pc.fill_null(pc.match_substring_regex(array, _JSON_SPECIAL), False)
    if not pc.any(mask).as_py():
        return array
    subset = pc.filter(array, mask)
    escapes = _JSON_ESCAPES
    if pc.any(
        pc.match_substring_regex(subset, "[\\x{0}-\\x{8}\\x{b}\\x{c}\\x{e}-\\x{1f}]")
    ).as_py():
        escapes = escapes + _JSON_RARE
    for needle, replacement in escapes:
        subset = pc.replace_substring(subset, needle, replacement)
    return pc.replace_with_mask(array, mask, subset)


def json_values(
    array: pa.Array, where: Location | None = None, *, kind: str | None = None
) -> pa.Array:
    """One JSON value per row (``null`` for nulls), lossless.

    decimals → strings (``"12.50"``), bytes → base64 strings, datetimes → ISO-8601 strings (UTC
    ``Z`` for time-zone-aware), non-finite floats → ``"NaN"`` / ``"Infinity"`` / ``"-Infinity"``,
    ``kind == "json"`` → the JSON text itself, embedded, lists → JSON arrays.
    """
    return json_cells(array, where, kind=kind).finish("null")


def json_cells(array: pa.Array, where: Location | None = None, *, kind: str | None = None) -> Cells:
    """Like :func:`json_values`, as :class:`Cells` for :func:`assemble`."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return _json_cells(array, where or Location(), kind)


def _json_cells(array: pa.Array, where: Location, kind: str | None) -> Cells:
    typ = array.type
    if pa.types.is_dictionary(typ):
        return _json_cells(array.dictionary_decode(), where, kind)
    if pa.types.is_null(typ):
        return Cells(pa.nulls(len(array), pa.string()))
    if pa.types.is_integer(typ):
        return Cells(pc.cast(array, pa.string()))
    if pa.types.is_floating(typ):
        return Cells(_sql_floats(array, _JSON_FLOATS, where))
    if pa.types.is_decimal(typ):
        return Cells(decimal_text(array), '"', '"')
    if pa.types.is_boolean(typ):
        return Cells(pc.if_else(array, "true", "false"))
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        if kind == "json":
            return Cells(array.cast(pa.string()))
        return Cells(json_strings(array), '"', '"')
    if is_binary(typ):
        return Cells(base64_encode(array), '"', '"')
    if pa.types.is_timestamp(typ):
        return Cells(timestamp_text(array, sep="T"), '"', '"')
    if pa.types.is_date(typ) or pa.types.is_time(typ):
        return Cells(pc.cast(array, pa.string()), '"', '"')
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        elements = _json_cells(array.values, where, kind).finish("null")
        return Cells(pc.binary_join(rebuild_lists(array, elements), ","), "[", "]")
    raise UnsupportedError(f"{where.describe()}: no JSON rendering for Arrow type {typ}")


#: JSON has no NaN / infinity numbers: they are written as strings
_JSON_FLOATS = LiteralStyle(
    "json", nonfinite={"nan": '"NaN"', "inf": '"Infinity"', "-inf": '"-Infinity"'}
)


__all__ = [
    "STYLES",
    "Cells",
    "LiteralStyle",
    "Location",
    "apply_escapes",
    "assemble",
    "base64_encode",
    "concatenated",
    "decimal_text",
    "first_true",
    "has_any_char",
    "hex_encode",
    "is_binary",
    "join_columns",
    "json_cells",
    "json_strings",
    "json_values",
    "literal_style",
    "offsets_and_data",
    "pg_array_text",
    "quote_text",
    "rebuild_lists",
    "refuse_nul",
    "render_parts",
    "replace_where",
    "sql_cells",
    "sql_literals",
    "timestamp_text",
    "upsert_clause",
    "wrap",
]
