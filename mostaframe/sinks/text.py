"""Arrow columns → text, vectorised: the building blocks every text-writing sink shares.

Encoders (hex, base64, plain decimals, timestamps), cheap checks (:func:`has_any_char`),
escaping of the few rows that need it (:func:`apply_escapes`), and row assembly: each column
is rendered to :class:`Cells` (values plus the constant text around them) and :func:`assemble`
joins a batch's cells into one text per row in a single pass. :func:`render_parts` spreads a
large batch over the CPUs. Nothing here loops over rows in Python.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

T = TypeVar("T")


@dataclass(frozen=True)
class Location:
    """Where a column comes from, for error messages (row numbers are 0-based in the entity)."""

    entity: str = ""
    column: str = ""
    first_row: int = 0

    def describe(self, index: int | None = None) -> str:
        row = f", row {self.first_row + index}" if index is not None else ""
        return f"entity {self.entity}, column {self.column}{row}"


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


#: batches smaller than this are rendered in one piece (threads would cost more than they save;
#: 10,000-row slices in two threads measured the same CPU as 25,000-row ones, 5,000: +10 %)
PARALLEL_MIN_ROWS = 10_000
#: rows rendered at a time by :func:`render_slices`
RENDER_ROWS = 10_000
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


def render_slices(
    batch: pa.RecordBatch, render: Callable[[pa.RecordBatch, int], T], rows: int = RENDER_ROWS
) -> Iterator[T]:
    """``render(part, offset)`` over ``batch`` in slices of ``rows`` rows, each slice spread
    over the CPUs by :func:`render_parts`; yields the results in row order.

    Memory: a slice's text (and the cells it was joined from) is all a sink holds while it
    writes, whatever the batch size — the caller writes each result and drops it before asking
    for the next, and the next slice is rendered only then (SF1 lineitem to JSON: 253 → 227 MB
    peak RSS together with the copy's other changes of run 7, docs/benchmarks.md).
    """
    for start in range(0, batch.num_rows, rows):
        parts = render_parts(
            batch.slice(start, rows), lambda part, at, first=start: render(part, first + at)
        )
        parts.reverse()
        while parts:  # hand each part over and forget it: the caller holds the only reference
            yield parts.pop()


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
    # one pass: the constant text (keys, separators, quotes, lead, tail) goes between the
    # columns as scalars of a single join, so each value is copied once, straight into its row
    # (wrapping every column first and joining after copied each value twice: measured 1.7×
    # the CPU on TPC-H lineitem). Only columns with nulls are finished first ("null" unquoted).
    last = len(columns) - 1
    args: list[pa.Array | str] = []
    pending = lead if isinstance(lead, str) else ""
    if not isinstance(lead, str):
        args.append(lead)
    for index, cells in enumerate(columns):
        pending += (separator if index else "") + (keys[index] if keys else "")
        text, left, right = cells.text, cells.left, cells.right
        if text.null_count:
            text, left, right = cells.finish(null), "", ""
        if pending + left:
            args.append(pending + left)
        args.append(text)
        pending = right + (tail if index == last else "")
    if pending:
        args.append(pending)
    return pc.binary_join_element_wise(*args, "")


def is_binary(typ: pa.DataType) -> bool:
    return (
        pa.types.is_binary(typ)
        or pa.types.is_large_binary(typ)
        or pa.types.is_fixed_size_binary(typ)
    )


def rebuild_lists(array: pa.Array, elements: pa.Array) -> pa.Array:
    """``array``'s list structure over new element values (same positions as ``array.values``)."""
    offsets = array.offsets
    mask = pc.is_null(array) if array.null_count else None
    if mask is not None and offsets.offset:
        offsets = pa.array(offsets.to_numpy(), offsets.type)  # from_arrays needs them unsliced
    if pa.types.is_large_list(array.type):
        return pa.LargeListArray.from_arrays(offsets, elements, mask=mask)
    return pa.ListArray.from_arrays(offsets, elements, mask=mask)


__all__ = [
    "PARALLEL_MIN_ROWS",
    "RENDER_ROWS",
    "Cells",
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
    "offsets_and_data",
    "rebuild_lists",
    "render_parts",
    "render_slices",
    "replace_where",
    "timestamp_text",
    "wrap",
]
