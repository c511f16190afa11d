"""Vectorised value makers for the FitZoneGym generator: numpy in, Arrow arrays out.

Every helper works on whole columns (no Python loop per row), takes the random generator it
draws from explicitly (so the caller decides the stream and the data stays reproducible), and
returns Arrow arrays of *generic* types (``timestamp[s]``, ``date32``, ``time32[s]``,
``decimal128(18, 2)``, ``string``, ``binary``); :mod:`mostaframe.datasets.fitzone` casts them to
the exact types of the entity model at the end.

Times are plain ``int64`` seconds since 1970-01-01 UTC and dates ``int64`` days since then
while a builder computes with them; :func:`timestamps`, :func:`dates` and :func:`times` turn them
into Arrow values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY = 86_400
HOUR = 3_600
MINUTE = 60

#: The data's "today": every generated instant is before it except class sessions (and their
#: bookings) scheduled in the two weeks after. Fixed, so the data never depends on the clock.
NOW = int(np.datetime64("2025-06-30T00:00:00", "s").astype(np.int64))
TODAY = NOW // DAY

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_BASE36 = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_ALNUM = np.frombuffer(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8
)
_BCRYPT = np.frombuffer(
    b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8
)


# --- choosing -----------------------------------------------------------------------------------


def weighted(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    """``n`` indices into ``weights`` drawn with those (unnormalised) weights."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum())


def pick(
    rng: np.random.Generator, words: Sequence[str], n: int, weights: Sequence[float] | None = None
) -> pa.Array:
    """``n`` strings drawn from ``words`` (uniformly, or with ``weights``)."""
    index = weighted(rng, n, weights) if weights is not None else rng.integers(0, len(words), n)
    return take(words, index)


def take(words: Sequence[str] | pa.Array, index: np.ndarray) -> pa.Array:
    """``words[index]`` as an Arrow string array."""
    source = words if isinstance(words, pa.Array) else pa.array(list(words), pa.string())
    return source.take(pa.array(index, pa.int64()))


def enum_values(
    rng: np.random.Generator, n: int, choices: dict[str, float]
) -> tuple[pa.Array, np.ndarray]:
    """Enum value *names* drawn with the given weights, plus the chosen indices.

    The names are model names (``"ACTIVE"``); the assembler maps them to database values.
    """
    names = list(choices)
    index = weighted(rng, n, list(choices.values()))
    return take(names, index), index


def spread(rng: np.random.Generator, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    """One integer per row, uniform in ``[low, high]`` (``high < low`` gives ``low``)."""
    width = np.maximum(np.asarray(highs) - np.asarray(lows), 0) + 1
    return np.asarray(lows) + np.floor(rng.random(len(width)) * width).astype(np.int64)


def segment_pick(
    rng: np.random.Generator, starts: np.ndarray, counts: np.ndarray, segment: np.ndarray
) -> np.ndarray:
    """For each row, a random position inside its segment: ``starts[s] + U[0, counts[s])``.

    Used to draw, say, a staff member of the row's club from staff sorted by club. Rows whose
    segment is empty get -1.
    """
    count = counts[segment]
    offset = np.floor(rng.random(len(segment)) * np.maximum(count, 1)).astype(np.int64)
    return np.where(count > 0, starts[segment] + offset, -1)


def segments(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group row positions by an integer key in ``[0, size)``.

    Returns:
        ``(order, starts, counts)``: ``order`` lists row positions sorted by key (stable),
        ``starts[k]``/``counts[k]`` locate key ``k``'s rows inside ``order``.
    """
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=size)
    starts = np.cumsum(counts) - counts
    return order, starts, counts


def repeat_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expand ``counts`` into (parent position, rank within parent) for every child row."""
    counts = np.asarray(counts, dtype=np.int64)
    parent = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    rank = np.arange(len(parent)) - np.repeat(first, counts)
    return parent, rank


def distinct_pairs(left: np.ndarray, right: np.ndarray, right_size: int) -> np.ndarray:
    """Positions of the first occurrence of each (left, right) pair, in original order."""
    key = left.astype(np.int64) * (int(right_size) + 1) + right.astype(np.int64)
    _, first = np.unique(key, return_index=True)
    return np.sort(first)


# --- strings ------------------------------------------------------------------------------------


def concat(*parts: pa.Array | str) -> pa.Array:
    """Row-wise concatenation of string arrays and constant strings."""
    return pc.binary_join_element_wise(*parts, "")


def number_text(values: np.ndarray | pa.Array, width: int = 0) -> pa.Array:
    """Integers as decimal text, left-padded with zeros to ``width``."""
    text = pc.cast(pa.array(values) if isinstance(values, np.ndarray) else values, pa.string())
    return pc.utf8_lpad(text, width, "0") if width else text


def fixed_width_text(chars: np.ndarray) -> pa.Array:
    """An ``(n, width)`` uint8 matrix of ASCII codes → ``n`` strings of ``width`` characters."""
    n, width = chars.shape
    offsets = np.arange(n + 1, dtype=np.int32) * width
    data = np.ascontiguousarray(chars, dtype=np.uint8)
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data.tobytes())]
    )


def hex_text(rng: np.random.Generator, n: int, nbytes: int) -> pa.Array:
    """``n`` random lower-case hex strings of ``2 * nbytes`` characters."""
    raw = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
    return fixed_width_text(_hex_matrix(raw))


def _hex_matrix(raw: np.ndarray) -> np.ndarray:
    out = np.empty((raw.shape[0], raw.shape[1] * 2), dtype=np.uint8)
    out[:, 0::2] = _HEX[raw >> 4]
    out[:, 1::2] = _HEX[raw & 0x0F]
    return out


def alphabet_text(
    rng: np.random.Generator, n: int, width: int, alphabet: str = "alnum"
) -> pa.Array:
    """``n`` random strings of ``width`` characters from a named alphabet (alnum, base36, bcrypt)."""
    table = {"alnum": _ALNUM, "base36": _BASE36, "bcrypt": _BCRYPT}[alphabet]
    return fixed_width_text(table[rng.integers(0, len(table), size=(n, width))])


def base36_text(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative integers in base 36, ``width`` digits (higher digits dropped)."""
    values = np.asarray(values, dtype=np.int64).copy()
    chars = np.empty((len(values), width), dtype=np.uint8)
    for position in range(width - 1, -1, -1):  # one pass per digit, not per row
        chars[:, position] = _BASE36[values % 36]
        values //= 36
    return fixed_width_text(chars)


def uuid4_text(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` random version-4 UUIDs in canonical 8-4-4-4-12 lower-case form."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    hexed = _hex_matrix(raw)
    dash = np.full((n, 1), ord("-"), dtype=np.uint8)
    parts = [hexed[:, 0:8], dash, hexed[:, 8:12], dash, hexed[:, 12:16], dash]
    parts += [hexed[:, 16:20], dash, hexed[:, 20:32]]
    return fixed_width_text(np.hstack(parts))


def cuid_text(rng: np.random.Generator, created: np.ndarray, sequence: np.ndarray) -> pa.Array:
    """cuid (version 1) ids: ``c`` + time (8) + counter (4) + fingerprint (4) + random (8).

    The counter is the row's sequence number, so two rows created in the same millisecond
    still differ — the same guarantee the real cuid's per-process counter gives.
    """
    n = len(created)
    millis = np.asarray(created, dtype=np.int64) * 1000 + rng.integers(0, 1000, n)
    fingerprint = np.full(n, 0x5F1A, dtype=np.int64)  # one "host" produced every id
    return concat(
        "c",
        base36_text(millis, 8),
        base36_text(np.asarray(sequence) % 36**4, 4),
        base36_text(fingerprint, 4),
        alphabet_text(rng, n, 8, "base36"),
    )


def ipv4_text(rng: np.random.Generator, n: int) -> pa.Array:
    """Public-looking IPv4 addresses (first octet 2–223, never 10/127)."""
    first = rng.choice(np.setdiff1d(np.arange(2, 224), [10, 127]), n)
    octets = [first, *(rng.integers(0, 256, n) for _ in range(2)), rng.integers(1, 255, n)]
    text = [number_text(o) for o in octets]
    return concat(text[0], ".", text[1], ".", text[2], ".", text[3])


def ipv6_text(rng: np.random.Generator, n: int) -> pa.Array:
    """Documentation-range IPv6 addresses (2001:db8::/32)."""
    groups = [pc.utf8_lpad(hex_text(rng, n, 2), 4, "0") for _ in range(4)]
    return concat("2001:db8:", groups[0], ":", groups[1], "::", groups[2], ":", groups[3])


def phone_text(rng: np.random.Generator, prefixes: pa.Array) -> pa.Array:
    """Mobile numbers in international notation, e.g. ``+33 6 12 34 56 78``.

    ``prefixes`` holds each row's country prefix with the mobile lead digit (``"+33 6"``).
    """
    n = len(prefixes)
    pairs = [number_text(rng.integers(0, 100, n), 2) for _ in range(4)]
    return concat(prefixes, " ", pairs[0], " ", pairs[1], " ", pairs[2], " ", pairs[3])


def ean13_text(numbers: np.ndarray, prefix: int = 376) -> pa.Array:
    """EAN-13 barcodes ``prefix`` + 9-digit number + the correct check digit."""
    body = prefix * 10**9 + np.asarray(numbers, dtype=np.int64) % 10**9
    digits = np.stack([(body // 10**k) % 10 for k in range(11, -1, -1)], axis=1)
    weights = np.tile([1, 3], 6)
    check = (10 - (digits * weights).sum(axis=1) % 10) % 10
    return number_text(body * 10 + check, 13)


def json_object(items: dict[str, pa.Array | str], raw: Sequence[str] = ()) -> pa.Array:
    """JSON object text per row from columns: ``{"key": "value", ...}``.

    Values of keys listed in ``raw`` are written as they are (numbers, booleans, arrays already
    JSON text); the others are quoted strings. Null values become JSON ``null``. The
    vocabularies fed here contain no quote or backslash (checked by the tests).
    """
    parts: list[pa.Array | str] = ["{"]
    for position, (key, value) in enumerate(items.items()):
        if isinstance(value, str):
            text: pa.Array | str = value if key in raw else f'"{value}"'
        else:
            text = value if key in raw else concat('"', value, '"')
            if text.null_count:  # a null value makes the joined piece null
                text = pc.fill_null(text, "null")
        parts += [", " if position else "", f'"{key}": ', text]
    parts.append("}")
    return concat(*parts)


def json_array(values: pa.Array, offsets: np.ndarray) -> pa.Array:
    """JSON array text per row: the strings ``values[offsets[i]:offsets[i + 1]]`` quoted."""
    quoted = concat('"', values, '"')
    listed = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), quoted)
    joined = pc.binary_join(listed, ", ")
    return concat("[", joined, "]")


# --- binary -------------------------------------------------------------------------------------


def blobs(rng: np.random.Generator, lengths: np.ndarray, header: bytes = b"") -> pa.Array:
    """Random binary values of the given lengths (each starting with ``header``)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    data = rng.integers(0, 256, size=total, dtype=np.uint8)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int32)
    for k, byte in enumerate(header):  # one pass per header byte, not per row
        data[offsets[:-1][lengths > k] + k] = byte
    return pa.Array.from_buffers(
        pa.binary(), len(lengths), [None, pa.py_buffer(offsets), pa.py_buffer(data.tobytes())]
    )


# --- numbers, times -----------------------------------------------------------------------------


def money(cents: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Exact amounts with two decimals from integer cents (``1990`` → ``19.90``).

    Built straight from the 128-bit two's complement representation, so no float ever
    touches a price.
    """
    cents = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # sign extension into the high 64 bits
    validity = None
    if mask is not None and mask.any():
        validity = pa.array(~mask).buffers()[1]
    return pa.Array.from_buffers(
        pa.decimal128(18, 2), len(cents), [validity, pa.py_buffer(words.tobytes())]
    )


def nullable(values: np.ndarray, mask: np.ndarray | None) -> pa.Array:
    """An Arrow array of ``values`` with nulls where ``mask`` is true."""
    return pa.array(values, mask=mask if mask is not None and mask.any() else None)


def with_nulls(values: pa.Array, mask: np.ndarray | None) -> pa.Array:
    """``values`` with nulls where ``mask`` is true (any Arrow type)."""
    if mask is None or not mask.any():
        return values
    return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)


def timestamps(seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Seconds since the epoch (UTC) → ``timestamp[s]``."""
    return nullable(np.asarray(seconds, dtype=np.int64), mask).cast(pa.timestamp("s"))


def dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Days since the epoch → ``date32``."""
    return nullable(np.asarray(days, dtype=np.int32), mask).cast(pa.date32())


def times(seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Seconds after midnight → ``time32[s]``."""
    return nullable(np.asarray(seconds, dtype=np.int32), mask).cast(pa.time32("s"))


def updated_after(
    rng: np.random.Generator, created: np.ndarray, share_updated: float, until: int = NOW
) -> np.ndarray:
    """``updatedAt`` values: for ``share_updated`` of the rows a later instant before ``until``,
    else equal to ``created``."""
    created = np.asarray(created, dtype=np.int64)
    later = created + (rng.random(len(created)) * np.maximum(until - created, 0)).astype(np.int64)
    return np.where(rng.random(len(created)) < share_updated, later, created)


def weekday_of(days: np.ndarray) -> np.ndarray:
    """Monday = 0 … Sunday = 6 for days since the epoch (1970-01-01 was a Thursday)."""
    return (np.asarray(days) + 3) % 7


def add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Calendar month arithmetic on day numbers: 31 January + 1 month = 28/29 February."""
    day = np.asarray(days, dtype="datetime64[D]")
    month_start = day.astype("datetime64[M]")
    day_of_month = (day - month_start.astype("datetime64[D]")).astype(np.int64)
    target = month_start + np.asarray(months, dtype=np.int64).astype("timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    result = target.astype("datetime64[D]") + np.minimum(day_of_month, length - 1)
    return result.astype(np.int64)


def lists(offsets: np.ndarray, values: pa.Array) -> pa.Array:
    """A list array: row ``i`` holds ``values[offsets[i]:offsets[i + 1]]``."""
    return pa.ListArray.from_arrays(pa.array(np.asarray(offsets), pa.int32()), values)
