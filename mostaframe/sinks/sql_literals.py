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

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SinkError, UnsupportedError
from .text import (
    Cells,
    Location,
    apply_escapes,
    base64_encode,
    decimal_text,
    first_true,
    has_any_char,
    hex_encode,
    is_binary,
    rebuild_lists,
    replace_where,
    timestamp_text,
    wrap,
)


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
    "UPSERTS",
    "LiteralStyle",
    "json_cells",
    "json_strings",
    "json_values",
    "pg_array_text",
    "refuse_nul",
    "sql_cells",
    "sql_literals",
    "upsert_clause",
]
