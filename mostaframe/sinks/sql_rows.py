"""SQL ``VALUES`` rows from Arrow columns in one join, for the SQL dump.

:func:`sql_rows` returns exactly what ``assemble([sql_cells(c) …], separator=", ", null="NULL",
lead=…, tail=…)`` returns, byte for byte, for less CPU per row. Where that time goes (TPC-H
lineitem, 16 columns, measured with ``perf`` and per step): Arrow's ``binary_join_element_wise``
costs about the same per *argument* per row whether the argument is a column or a constant, and
the decimal and date casts cost 25–45 ns per value. So:

* **Fixed-width runs become one argument.** A column whose every literal has the same width and
  no null (dates, ``char(1)`` flags, a ``0.04`` discount, a one-digit line number) is viewed as
  an ``n × width`` byte matrix without copying; runs of such columns, with the quotes and
  ``", "`` between them, are laid side by side with numpy into a single matrix, which the join
  takes as one argument. Constant text between two variable-width columns is one scalar
  argument; quotes of a column without nulls go into that constant instead of a wrapping pass.
* **Low-cardinality values by lookup.** Integers, dates and decimals of precision ≤ 18 whose
  values span at most ``SPAN_PER_ROW`` × the rows (quantities, codes, a batch's dates) are
  rendered by casting their span once and gathering (numpy for one-width texts).
* **Decimals up to 18 digits through int64.** Their 128-bit values fit in the low 64 bits: the
  magnitude is cast as an integer, padded to ``scale + 1`` digits and the point inserted with
  one slice kernel (Arrow's decimal cast formats every value through a ``std::string``).

Everything else (strings, escapes, floats, bytes, lists, timestamps…) goes through
:func:`~mostaframe.sinks.sql_literals.sql_cells` unchanged, with its checks and errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .sql_literals import sql_cells
from .text import Cells, Location, offsets_and_data, wrap

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .sql_literals import LiteralStyle

#: integers, dates and small decimals are gathered from the texts of their span of values when
#: that span is at most this share of the batch's rows (rendering the span costs one cast each)
SPAN_PER_ROW = 0.125
#: below this many rows a column is simply cast
SPAN_MIN_ROWS = 1_000
_INT32_MAX = np.iinfo(np.int32).max


def sql_rows(
    columns: Sequence[pa.Array],
    names: Sequence[str],
    style: LiteralStyle,
    *,
    entity: str = "",
    first_row: int = 0,
    lead: str | pa.Array = "",
    tail: str = "",
    separator: str = ", ",
    null: str = "NULL",
) -> pa.Array:
    """One ``lead + literal, literal, … + tail`` text per row (nulls written ``null``).

    Args:
        columns: the batch's columns, one Arrow array each (same length).
        names: their column names, for error messages.
        style: the dialect's :class:`~mostaframe.sinks.sql_literals.LiteralStyle`.
        entity: entity name, for error messages.
        first_row: the first row's number in the entity, for error messages.
        lead: before each row: a constant, or one text per row.
        tail: after each row.
        separator: between literals.
        null: literal of a null value.

    Returns:
        A string array, the same as :func:`~mostaframe.sinks.text.assemble` over
        :func:`~mostaframe.sinks.sql_literals.sql_cells` of every column.

    Raises:
        SinkError / UnsupportedError: as :func:`~mostaframe.sinks.sql_literals.sql_cells`.

    >>> import pyarrow as pa
    >>> from mostaframe.sinks.sql_literals import STYLES
    >>> sql_rows([pa.array([1, None]), pa.array(["it's", "b"])], ["id", "name"],
    ...          STYLES["postgres"], lead="(", tail=")").to_pylist()
    ["(1, 'it''s')", "(NULL, 'b')"]
    """
    cells = [
        literal_cells(column, style, Location(entity, name, first_row))
        for column, name in zip(columns, names, strict=True)
    ]
    return join_rows(cells, separator=separator, null=null, lead=lead, tail=tail)


def literal_cells(array: pa.Array, style: LiteralStyle, where: Location) -> Cells:
    """:func:`~mostaframe.sinks.sql_literals.sql_cells`, with the cheaper integer, date and
    decimal paths where they apply (same text)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    typ = array.type
    if pa.types.is_integer(typ):
        values = _integer_values(array)
        text = by_span(values, array, lambda span: pc.cast(pa.array(span, typ), pa.string()))
        if text is not None:
            return Cells(text)
    elif pa.types.is_date32(typ):
        values = _integer_values(array.view(pa.int32()))
        text = by_span(values, array, lambda span: pc.cast(pa.array(span, typ), pa.string()))
        if text is not None:
            return Cells(text, "'", "'")
    elif pa.types.is_decimal128(typ) and typ.precision <= 18 and typ.scale >= 0:
        quote = "'" if style.decimal_quoted else ""
        return Cells(small_decimal_text(array), quote, quote)
    return sql_cells(array, style, where)


# ---------------------------------------------------------------------------------------------
# values


def _integer_values(array: pa.Array) -> np.ndarray:
    """The numbers of an integer array as numpy (any number under a null)."""
    return np.frombuffer(array.buffers()[1], dtype=array.type.to_pandas_dtype())[
        array.offset : array.offset + len(array)
    ]


def by_span(
    values: np.ndarray, array: pa.Array, render: Callable[[np.ndarray], pa.Array]
) -> pa.Array | None:
    """The texts of ``values`` (integers; ``array``'s nulls stay null) gathered from
    ``render(every integer from their minimum to their maximum)``, or None when that span is
    wider than ``SPAN_PER_ROW`` × the rows (rendering the span would then cost too much).

    Low-cardinality columns — quantities, status codes, line numbers, a batch's dates — cost
    one gather per row instead of one formatting per row.
    """
    length = len(values)
    if length < SPAN_MIN_ROWS or array.null_count == length:
        return None
    valid = pc.is_valid(array).to_numpy(zero_copy_only=False) if array.null_count else None
    present = values if valid is None else values[valid]
    low, high = int(present.min()), int(present.max())
    if high - low + 1 > length * SPAN_PER_ROW:
        return None
    kind = values.dtype.type
    if values.dtype == np.uint64:  # above int64: count in the column's own type
        table = render(np.arange(high - low + 1, dtype=np.uint64) + kind(low))
        index = (values - kind(low)).astype(np.int64)  # null slots hold any number
    else:
        table = render(np.arange(low, high + 1, dtype=np.int64).astype(values.dtype))
        index = values.astype(np.int64) - low
    if valid is not None:
        index = np.where(valid, index, 0)
    offsets, data = offsets_and_data(table)
    width = int(offsets[1])
    if width and data.size == width * len(table) and (np.diff(offsets) == width).all():
        # one width (dates, one-digit codes): gather whole rows as numpy items, no offsets
        rows = np.take(data.view(f"V{width}"), index).view(np.uint8)
        bitmap = None if valid is None else pc.is_valid(array).buffers()[1]
        return pa.Array.from_buffers(
            pa.string(),
            length,
            [
                bitmap,
                pa.py_buffer(np.arange(length + 1, dtype=np.int32) * width),
                pa.py_buffer(rows),
            ],
            null_count=array.null_count,
        )
    indices = pa.array(index, mask=None if valid is None else ~valid)
    return pc.take(table, indices)


def small_decimal_text(array: pa.Array) -> pa.Array:
    """Plain text of a ``decimal128`` array of precision ≤ 18 (``-0.05``, ``17.00``, ``3``),
    equal to :func:`~mostaframe.sinks.text.decimal_text`: the values fit in int64."""
    scale = array.type.scale
    words = np.frombuffer(array.buffers()[1], dtype=np.int64)
    unscaled = words[2 * array.offset : 2 * (array.offset + len(array)) : 2]  # low halves
    text = by_span(unscaled, array, lambda span: unscaled_text(span, scale))
    if text is not None:
        return text
    if array.null_count:  # the bytes under a null are anything: keep them out of the arithmetic
        unscaled = np.where(pc.is_valid(array).to_numpy(zero_copy_only=False), unscaled, 0)
    text = unscaled_text(unscaled, scale)
    if array.null_count:
        text = pc.if_else(pc.is_valid(array), text, pa.scalar(None, pa.string()))
    return text


def unscaled_text(unscaled: np.ndarray, scale: int) -> pa.Array:
    """Plain decimal text of int64 ``unscaled`` values with ``scale`` fraction digits."""
    length = len(unscaled)
    negative = unscaled < 0
    magnitude = np.abs(unscaled)
    unit = 10**scale
    short = magnitude < unit  # needs leading zeros: "5" → "0.05"
    padded = bool(scale) and bool(np.any(short))
    if padded:
        # cast magnitude + 10**scale ("105") and turn that leading "1" into "0" ("005")
        magnitude = np.where(short, magnitude + unit, magnitude)
    digits = pc.cast(pa.array(magnitude, pa.int64()), pa.string())
    if padded:
        offsets, data = offsets_and_data(digits)
        data = data.copy()
        data[offsets[:-1][short]] = ord("0")
        digits = pa.Array.from_buffers(
            pa.string(), length, [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)]
        )
    text = pc.binary_replace_slice(digits, -scale, -scale, ".") if scale else digits
    if np.any(negative):
        minus = pa.array(negative)
        signed = pc.binary_join_element_wise("-", pc.filter(text, minus), "")
        text = pc.replace_with_mask(text, minus, signed)
    return text


# ---------------------------------------------------------------------------------------------
# rows


def join_rows(
    columns: Sequence[Cells],
    *,
    separator: str,
    null: str,
    lead: str | pa.Array = "",
    tail: str = "",
) -> pa.Array:
    """Row texts ``lead + cell0 + separator + cell1 + … + tail`` (nulls written ``null``), in
    one ``binary_join_element_wise`` whose arguments are: each variable-width column, each
    run of fixed-width columns and constant text merged into one byte matrix, and the constant
    text between two variable-width columns. Same result as
    :func:`~mostaframe.sinks.text.assemble` without ``keys``."""
    length = len(columns[0].text) if columns else len(lead) if not isinstance(lead, str) else 0
    # the row as a sequence of constants (str), fixed-width matrices and variable columns
    tokens: list[str | np.ndarray | pa.Array] = []
    if isinstance(lead, str):
        tokens.append(lead)
    else:
        matrix = _fixed_matrix(lead) if lead.null_count == 0 else None
        tokens.append(lead if matrix is None else matrix)
    for index, cells in enumerate(columns):
        if index:
            tokens.append(separator)
        text, left, right = cells.text, cells.left, cells.right
        if text.null_count:
            # the constant around a value must not surround the null literal
            text, left, right = wrap(text, left, right), "", ""
        tokens.append(left)
        matrix = _fixed_matrix(text) if text.null_count == 0 else None
        tokens.append(text if matrix is None else matrix)
        tokens.append(right)
    tokens.append(tail)
    arguments = _merge(tokens, length)
    if len(arguments) == 1 and isinstance(arguments[0], pa.Array):
        return arguments[0]
    if not any(isinstance(argument, pa.Array) for argument in arguments):
        # nothing varies: every row is the same constant
        return pa.array(["".join(arguments)] * length, pa.string())  # type: ignore[arg-type]
    return pc.binary_join_element_wise(
        *arguments, "", null_handling="replace", null_replacement=null
    )


def _fixed_matrix(text: pa.Array) -> np.ndarray | None:
    """The ``n × width`` bytes of a string array whose values all have one width (no nulls),
    as a view; None otherwise."""
    if not pa.types.is_string(text.type) or len(text) == 0:
        return None
    offsets, data = offsets_and_data(text)
    width = int(offsets[1])
    if data.size != width * len(text) or not (np.diff(offsets) == width).all():
        return None
    return data.reshape(len(text), width)


def _merge(tokens: list[str | np.ndarray | pa.Array], length: int) -> list[str | pa.Array]:
    """Join arguments: every run of constants and matrices between two variable-width columns
    becomes one scalar (constants only) or one fixed-width string array."""
    arguments: list[str | pa.Array] = []
    run: list[str | np.ndarray] = []

    def flush() -> None:
        pieces = [piece for piece in run if not isinstance(piece, str) or piece]
        run.clear()
        if not pieces:
            return
        if all(isinstance(piece, str) for piece in pieces):
            arguments.append("".join(pieces))  # type: ignore[arg-type]
            return
        arguments.append(_side_by_side(pieces, length))

    for token in tokens:
        if isinstance(token, pa.Array):
            flush()
            arguments.append(token)
        else:
            run.append(token)
    flush()
    return arguments


def _side_by_side(pieces: list[str | np.ndarray], length: int) -> pa.Array:
    """One string array whose row i is every piece's row i (constants repeated), from numpy."""
    blocks = [
        np.frombuffer(piece.encode(), dtype=np.uint8) if isinstance(piece, str) else piece
        for piece in pieces
    ]
    widths = [block.shape[-1] for block in blocks]
    width = sum(widths)
    if width * length > _INT32_MAX:
        raise OverflowError("row texts over 2 GiB in one batch")  # pragma: no cover
    matrix = np.empty((length, width), dtype=np.uint8)
    at = 0
    for block, size in zip(blocks, widths, strict=True):
        matrix[:, at : at + size] = block
        at += size
    offsets = (np.arange(length + 1, dtype=np.int64) * width).astype(np.int32)
    return pa.Array.from_buffers(
        pa.string(), length, [None, pa.py_buffer(offsets), pa.py_buffer(matrix)]
    )


__all__ = [
    "SPAN_MIN_ROWS",
    "SPAN_PER_ROW",
    "by_span",
    "join_rows",
    "literal_cells",
    "small_decimal_text",
    "sql_rows",
    "unscaled_text",
]
