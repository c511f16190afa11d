"""PostgreSQL destination: binary COPY built from Arrow columns with numpy, no per-row Python.

Every column of a batch becomes an array of COPY *cells* (4-byte big-endian length, then the
value in PostgreSQL's binary send format) in a few vectorised passes; the cells are joined
row-wise by pyarrow and the resulting buffer goes to ``COPY … FROM STDIN (FORMAT BINARY)``
unchanged. The encoder of each column is chosen from the *target* column's type in the
catalog (int2/4/8, float4/8, numeric, bool, text-like, enums, json, jsonb, bytea, uuid, date,
time, timetz, timestamp, timestamptz and arrays of those). An entity with any other column
type (money, inet, xml, interval…) is sent in COPY text format instead — still vectorised.

Transactions: the whole copy is one transaction, each entity a savepoint. Foreign keys of the
tables this copy creates are dropped after CREATE TABLE and added back (validated in one pass
each) just before COMMIT — like pg_restore — so load order, cycles and self references never
matter and a violation rolls the whole copy back with the constraint named. Into existing
tables, ``SET CONSTRAINTS ALL DEFERRED`` defers the DEFERRABLE ones; other foreign keys are
checked row by row, parents being loaded first.

Upsert: each batch is copied into a temporary table, then ``INSERT … SELECT … ON CONFLICT
(primary key) DO UPDATE``.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SinkError
from .database import DatabaseSink
from .sql_literals import STYLES, pg_array_text, refuse_nul, sql_cells
from .text import (
    Cells,
    Location,
    apply_escapes,
    assemble,
    concatenated,
    decimal_text,
    hex_encode,
    offsets_and_data,
    rebuild_lists,
    render_parts,
    timestamp_text,
    wrap,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..schema.model import Entity

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" * 2
TRAILER = b"\xff\xff"
NULL_CELL = b"\xff\xff\xff\xff"
#: PostgreSQL's epoch (2000-01-01) in Unix days and microseconds
PG_EPOCH_DAYS = 10_957
PG_EPOCH_US = PG_EPOCH_DAYS * 86_400_000_000

#: the postgres literal rules: NUL in text is refused, naming entity, column and row
_PG_TEXT = STYLES["postgres"]

# ---------------------------------------------------------------------------------------------
# binary cells


def _binary_from_matrix(matrix: np.ndarray) -> pa.Array:
    """A binary array whose value i is row i of a (n, width) uint8 matrix (zero copy)."""
    count, width = matrix.shape
    offsets = np.arange(count + 1, dtype=np.int32) * width
    data = np.ascontiguousarray(matrix).reshape(-1)
    return pa.Array.from_buffers(
        pa.binary(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _with_nulls(cells: pa.Array, source: pa.Array) -> pa.Array:
    """Replace the cells of ``source``'s null rows by the NULL cell."""
    if source.null_count == 0:
        return cells
    return pc.if_else(pc.is_valid(source), cells, pa.scalar(NULL_CELL, pa.binary()))


def _fixed_cells(values: np.ndarray, source: pa.Array) -> np.ndarray | pa.Array:
    """Cells of fixed-width big-endian values (one row of ``values`` per value)."""
    values = values.reshape(len(values), -1) if values.ndim == 1 else values
    raw = np.ascontiguousarray(values).view(np.uint8).reshape(len(values), -1)
    width = raw.shape[1]
    matrix = np.empty((len(values), 4 + width), dtype=np.uint8)
    matrix[:, :4] = np.frombuffer(struct.pack(">i", width), dtype=np.uint8)
    matrix[:, 4:] = raw
    if source.null_count == 0:
        return matrix
    return _with_nulls(_binary_from_matrix(matrix), source)


def as_binary(cells: np.ndarray | pa.Array) -> pa.Array:
    """Cells as a binary array, whatever form the encoder returned."""
    return _binary_from_matrix(cells) if isinstance(cells, np.ndarray) else cells


def _numbers(array: pa.Array, dtype: str) -> np.ndarray:
    """``array`` (nulls as 0) as a numpy array of big-endian ``dtype``."""
    filled = pc.fill_null(array, 0) if array.null_count else array
    return np.asarray(filled.to_numpy(zero_copy_only=False)).astype(dtype)


def _varlen_cells(
    payload: pa.Array, source: pa.Array, prefix: bytes = b""
) -> np.ndarray | pa.Array:
    """Cells of variable-length payloads (binary/string), each preceded by ``prefix``."""
    offsets, data = offsets_and_data(payload)
    sizes = np.diff(offsets)
    if source.null_count == 0 and len(sizes) and (sizes == sizes[0]).all():
        # one-letter codes, fixed-length keys: a matrix, joined with its neighbours by numpy
        width = int(sizes[0])
        matrix = np.empty((len(sizes), 4 + len(prefix) + width), dtype=np.uint8)
        matrix[:, :4] = np.frombuffer(struct.pack(">i", width + len(prefix)), dtype=np.uint8)
        matrix[:, 4 : 4 + len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
        matrix[:, 4 + len(prefix) :] = data.reshape(len(sizes), width)
        return matrix
    lengths = (sizes + len(prefix)).astype(">i4")
    header = np.empty((len(payload), 4 + len(prefix)), dtype=np.uint8)
    header[:, :4] = lengths.view(np.uint8).reshape(-1, 4)
    if prefix:
        header[:, 4:] = np.frombuffer(prefix, dtype=np.uint8)
    if not pa.types.is_binary(payload.type):
        payload = payload.cast(pa.binary())
    cells = pc.binary_join_element_wise(_binary_from_matrix(header), payload, b"")
    return pc.fill_null(cells, pa.scalar(NULL_CELL, pa.binary())) if source.null_count else cells


def _int_cells(width: int) -> Callable[[pa.Array, Location], pa.Array]:
    target = {2: pa.int16(), 4: pa.int32(), 8: pa.int64()}[width]

    def encode(array: pa.Array, where: Location) -> pa.Array:
        if array.type != target:
            try:
                array = array.cast(target)
            except pa.ArrowInvalid as exc:
                raise SinkError(f"{where.describe()}: value does not fit {target}: {exc}") from exc
        return _fixed_cells(_numbers(array, f">i{width}"), array)

    return encode


def _float_cells(width: int) -> Callable[[pa.Array, Location], pa.Array]:
    def encode(array: pa.Array, where: Location) -> pa.Array:
        return _fixed_cells(_numbers(array, f">f{width}"), array)

    return encode


def _bool_cells(array: pa.Array, where: Location) -> pa.Array:
    return _fixed_cells(_numbers(array.cast(pa.uint8()), "u1"), array)


def _text_cells(array: pa.Array, where: Location) -> pa.Array:
    refuse_nul(array, _PG_TEXT, where)
    return _varlen_cells(array, array)


def _jsonb_cells(array: pa.Array, where: Location) -> pa.Array:
    refuse_nul(array, _PG_TEXT, where)
    return _varlen_cells(array, array, prefix=b"\x01")  # jsonb binary format version 1


def _bytea_cells(array: pa.Array, where: Location) -> pa.Array:
    return _varlen_cells(array, array)


def _date_cells(array: pa.Array, where: Location) -> pa.Array:
    days = _numbers(array.cast(pa.int32()), "i8") - PG_EPOCH_DAYS
    return _fixed_cells(days.astype(">i4"), array)


def _timestamp_cells(array: pa.Array, where: Location) -> pa.Array:
    micros = array.cast(pa.timestamp("us", tz=array.type.tz)).cast(pa.int64())
    return _fixed_cells((_numbers(micros, "i8") - PG_EPOCH_US).astype(">i8"), array)


def _time_cells(array: pa.Array, where: Location) -> pa.Array:
    return _fixed_cells(_numbers(array.cast(pa.time64("us")).cast(pa.int64()), ">i8"), array)


def _timetz_cells(array: pa.Array, where: Location) -> pa.Array:
    micros = _numbers(array.cast(pa.time64("us")).cast(pa.int64()), ">i8")
    matrix = np.zeros((len(array), 12), dtype=np.uint8)  # zone offset 0: the model's times are UTC
    matrix[:, :8] = micros.view(np.uint8).reshape(-1, 8)
    return _fixed_cells(matrix, array)


_HEX_VALUE = np.full(256, -1, dtype=np.int16)
for _digit, _char in enumerate("0123456789abcdef"):
    _HEX_VALUE[ord(_char)] = _digit
    _HEX_VALUE[ord(_char.upper())] = _digit


def _uuid_cells(array: pa.Array, where: Location) -> pa.Array:
    text = pc.replace_substring(pc.fill_null(array, "0" * 32), "-", "")
    offsets, data = offsets_and_data(text)
    bad = np.flatnonzero(np.diff(offsets) != 32)
    if bad.size == 0:
        nibbles = _HEX_VALUE[data].reshape(-1, 32)
        bad = np.flatnonzero((nibbles < 0).any(axis=1))
    if bad.size:
        row = int(bad[0])
        raise SinkError(
            f"{where.describe(row)}: {array[row].as_py()!r} is not a UUID",
            hint="uuid columns hold 8-4-4-4-12 hexadecimal text",
        )
    raw = (nibbles[:, 0::2] * 16 + nibbles[:, 1::2]).astype(np.uint8)
    return _fixed_cells(raw, array)


def _numeric_cells(array: pa.Array, where: Location) -> pa.Array:
    """numeric binary format from the decimal's unscaled digits, fixed width per column:
    leading/trailing zero base-10000 digits are allowed (the server strips them)."""
    typ = array.type
    precision, scale = typ.precision, typ.scale
    if scale < 0:
        array = array.cast(pa.decimal256(precision - scale, 0))
        precision, scale = precision - scale, 0
    int_groups = -(-max(precision - scale, 0) // 4)
    frac_groups = -(-scale // 4)
    groups = int_groups + frac_groups
    pad = frac_groups * 4 - scale
    if pa.types.is_decimal128(array.type) and precision + pad <= 18:
        # the unscaled value fits an int64 (the low word of each 128-bit value): base-10000
        # digits by integer arithmetic, no text at all
        words = np.frombuffer(array.buffers()[1], dtype=np.int64)
        unscaled = words[2 * array.offset : 2 * (array.offset + len(array)) : 2]
        if array.null_count:
            unscaled = np.where(np.asarray(pc.is_valid(array)), unscaled, 0)
        negative = unscaled < 0
        magnitude = np.abs(unscaled) * (10**pad)
        numbers = np.empty((len(array), groups), dtype=np.int64)
        for index in range(groups - 1, -1, -1):
            magnitude, numbers[:, index] = np.divmod(magnitude, 10_000)
        return _numeric_body(numbers, negative, int_groups, scale, array)
    unscaled_type = (pa.decimal128 if pa.types.is_decimal128(array.type) else pa.decimal256)(
        array.type.precision, 0
    )
    digits = pc.cast(
        pa.Array.from_buffers(unscaled_type, len(array), array.buffers(), offset=array.offset),
        pa.string(),
    )
    digits = pc.fill_null(digits, "0")
    negative = np.asarray(pc.starts_with(digits, "-").to_numpy(zero_copy_only=False))
    magnitude = pc.utf8_lpad(pc.utf8_ltrim(digits, "-"), int_groups * 4 + scale, "0")
    if frac_groups * 4 > scale:
        magnitude = pc.binary_join_element_wise(magnitude, "0" * (frac_groups * 4 - scale), "")
    _, data = offsets_and_data(magnitude)
    numbers = (data.reshape(len(array), groups, 4).astype(np.int16) - 48) @ np.array(
        [1000, 100, 10, 1], dtype=np.int16
    )
    return _numeric_body(numbers, negative, int_groups, scale, array)


def _numeric_body(
    numbers: np.ndarray, negative: np.ndarray, int_groups: int, scale: int, array: pa.Array
) -> np.ndarray | pa.Array:
    """numeric cells from base-10000 digit groups (rows × groups)."""
    groups = numbers.shape[1]
    header = np.empty((len(array), 4), dtype=">i2")
    header[:, 0] = groups
    header[:, 1] = int_groups - 1  # weight of the first group
    header[:, 2] = np.where(negative, 0x4000, 0)
    header[:, 3] = scale
    body = np.concatenate([header.view(np.uint8), numbers.astype(">i2").view(np.uint8)], axis=1)
    return _fixed_cells(body, array)


#: PostgreSQL type name → binary encoder
ENCODERS: dict[str, Callable[[pa.Array, Location], pa.Array]] = {
    "int2": _int_cells(2),
    "int4": _int_cells(4),
    "int8": _int_cells(8),
    "float4": _float_cells(4),
    "float8": _float_cells(8),
    "numeric": _numeric_cells,
    "bool": _bool_cells,
    "text": _text_cells,
    "varchar": _text_cells,
    "bpchar": _text_cells,
    "name": _text_cells,
    "citext": _text_cells,
    "json": _text_cells,
    "jsonb": _jsonb_cells,
    "bytea": _bytea_cells,
    "uuid": _uuid_cells,
    "date": _date_cells,
    "time": _time_cells,
    "timetz": _timetz_cells,
    "timestamp": _timestamp_cells,
    "timestamptz": _timestamp_cells,
}

#: which Arrow types each encoder accepts
_ACCEPTS: dict[str, Callable[[pa.DataType], bool]] = {
    "int2": pa.types.is_integer,
    "int4": pa.types.is_integer,
    "int8": pa.types.is_integer,
    "float4": lambda t: pa.types.is_floating(t) or pa.types.is_integer(t),
    "float8": lambda t: pa.types.is_floating(t) or pa.types.is_integer(t),
    "numeric": pa.types.is_decimal,
    "bool": pa.types.is_boolean,
    "bytea": pa.types.is_binary,
    "date": pa.types.is_date32,
    "time": pa.types.is_time,
    "timetz": pa.types.is_time,
    "timestamp": pa.types.is_timestamp,
    "timestamptz": pa.types.is_timestamp,
}
_STRING_TYPES = ("text", "varchar", "bpchar", "name", "citext", "json", "jsonb", "uuid", "enum")


def _accepts(type_name: str, arrow_type: pa.DataType) -> bool:
    if type_name in _STRING_TYPES:
        return pa.types.is_string(arrow_type)
    check = _ACCEPTS.get(type_name)
    return bool(check and check(arrow_type))


def _array_cells(
    element: Callable[[pa.Array, Location], pa.Array], element_oid: int
) -> Callable[[pa.Array, Location], pa.Array]:
    """Encoder of one-dimensional arrays whose elements ``element`` encodes."""

    def encode(array: pa.Array, where: Location) -> pa.Array:
        values = array.values
        cells = as_binary(element(values, where))
        lists = rebuild_lists(array, cells)
        joined = pc.binary_join(lists, b"")
        offsets = np.asarray(array.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
        counts = np.diff(offsets)
        missing = np.concatenate(
            [[0], np.cumsum(~np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False)))]
        )
        has_null = (missing[offsets[1:]] - missing[offsets[:-1]]) > 0
        header = np.empty((len(array), 5), dtype=">i4")
        header[:, 0] = np.where(counts > 0, 1, 0)  # dimensions (0 for an empty array)
        header[:, 1] = has_null
        header[:, 2] = element_oid
        header[:, 3] = counts
        header[:, 4] = 1  # lower bound
        full = _binary_from_matrix(header.view(np.uint8))
        empty = _binary_from_matrix(header.view(np.uint8)[:, :12])
        heads = pc.if_else(pa.array(counts > 0), full, empty)
        payload = pc.binary_join_element_wise(heads, joined, b"")
        return _varlen_cells(payload, array)

    return encode


# ---------------------------------------------------------------------------------------------
# COPY text format (fallback for column types without a binary encoder)

_COPY_ESCAPES = (("\\", "\\\\"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def copy_text_values(array: pa.Array, where: Location) -> pa.Array:
    """COPY text-format field of every value (null stays null: the row builder writes ``\\N``)."""
    typ = array.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        refuse_nul(array, _PG_TEXT, where)
        text = array
    elif pa.types.is_decimal(typ):
        text = decimal_text(array)
    elif pa.types.is_boolean(typ):
        text = pc.if_else(array, "t", "f")
    elif pa.types.is_floating(typ):
        text = sql_cells(array, _PG_TEXT, where).text  # NaN, Infinity, -Infinity
    elif pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
        text = wrap(hex_encode(array), "\\x", "")
    elif pa.types.is_timestamp(typ):
        text = timestamp_text(array)
    elif pa.types.is_list(typ) or pa.types.is_large_list(typ):
        text = pg_array_text(array, where)
    else:
        text = pc.cast(array, pa.string())
    return apply_escapes(text, _COPY_ESCAPES)


# ---------------------------------------------------------------------------------------------
# the sink


class PostgresSink(DatabaseSink):
    """Writes into PostgreSQL with binary COPY (see the module docstring).

    Options:
        copy_format: ``"auto"`` (binary where every column has an encoder, else text),
            ``"binary"`` or ``"text"``.
    """

    kind: ClassVar[str] = "postgres"
    dialect_name: ClassVar[str] = "postgres"
    OPTIONS: ClassVar[dict[str, Any]] = {"copy_format": "auto"}

    def __init__(self, target: str, **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        if self.options["copy_format"] not in ("auto", "binary", "text"):
            raise SinkError(f"{self.description}: copy_format must be auto, binary or text")
        self._foreign_keys: list[tuple[str, str, str]] = []

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.uri.libpq_url(), autocommit=True, connect_timeout=10)

    def _execute(self, sql: str, params: Any = None) -> None:
        self.connection.execute(sql, params)

    def _session_start(self) -> None:
        self._execute("SET client_encoding = 'UTF8'")

    def _table_exists(self, entity: Entity) -> bool:
        row = self.connection.execute("SELECT to_regclass(%s)", (self._table(entity),)).fetchone()
        return row[0] is not None

    def _empty_statements(self, entities: list[Entity]) -> list[str]:
        # one TRUNCATE for all: foreign keys between the emptied tables are no obstacle
        return [f"TRUNCATE {', '.join(self._table(e) for e in entities)}"] if entities else []

    def _create_tables(self) -> None:
        super()._create_tables()
        self._execute("SET CONSTRAINTS ALL DEFERRED")
        created = [e for e in self.entities if e.name in self.created]
        if not created:
            return
        rows = self.connection.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
            "ORDER BY conrelid, conname",
            ([self._table(e) for e in created],),
        ).fetchall()
        self._foreign_keys = [(table, name, definition) for table, name, definition in rows]
        for table, name, _ in self._foreign_keys:
            self._execute(f"ALTER TABLE {table} DROP CONSTRAINT {self.quote(name)}")

    def _before_commit(self) -> None:
        import psycopg

        for table, name, definition in self._foreign_keys:
            try:
                self._execute(f"ALTER TABLE {table} ADD CONSTRAINT {self.quote(name)} {definition}")
            except psycopg.errors.ForeignKeyViolation as exc:
                detail = (exc.diag.message_detail or "").strip()
                raise SinkError(
                    f"{self.description}: foreign key {name} on {table} does not hold after the "
                    f"load: {detail}",
                    hint="copy the referenced entities too; the whole copy was rolled back",
                ) from exc
        self._advance_sequences()

    def _advance_sequences(self) -> None:
        """Move serial/identity sequences past the ids just loaded.

        The copy writes explicit ids; without this the application's next INSERT would draw
        ``1`` from the sequence and collide with a copied row (pg_dump does the same setval).
        """
        for entity in self.entities:
            for field in entity.fields:
                if not field.autoincrement:
                    continue
                # identifiers go into a statement with parameters: a '%' in a name must be doubled
                table = self._table(entity)
                column = self.quote(field.column).replace("%", "%%")
                self._execute(
                    f"SELECT setval(seq, greatest(coalesce(max_id, 0), 1), max_id IS NOT NULL) "
                    f"FROM pg_get_serial_sequence(%s, %s) AS seq, "
                    f"(SELECT max({column}) AS max_id FROM {table.replace('%', '%%')}) AS loaded "
                    f"WHERE seq IS NOT NULL",
                    (table, field.column),
                )

    # -- per entity ------------------------------------------------------------------------

    def _column_types(self, entity: Entity) -> list[tuple[str, int, str]]:
        """(type name, element oid, element type name) of every column, in model order;
        domains resolved to their base type, enums reported as ``enum``."""
        rows = self.connection.execute(
            """
            SELECT a.attname,
                   CASE WHEN bt.typtype = 'e' THEN 'enum' ELSE bt.typname END,
                   coalesce(et.oid, 0),
                   CASE WHEN et.typtype = 'e' THEN 'enum' ELSE coalesce(et.typname, '') END
            FROM pg_attribute a
            JOIN pg_type t ON t.oid = a.atttypid
            JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
            LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
            WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
            """,
            (self._table(entity),),
        ).fetchall()
        found = {name: (typ, elem_oid, elem) for name, typ, elem_oid, elem in rows}
        missing = [c for c in entity.columns if c not in found]
        if missing:
            raise SinkError(
                f"{self.where('open')}: table {self._table(entity)} has no column(s) "
                f"{', '.join(missing)}",
                hint="recreate it with mode='replace'",
            )
        return [found[column] for column in entity.columns]

    def _prepare_entity(self, entity: Entity) -> None:
        assert self._expected is not None
        types = self._column_types(entity)
        encoders: list[Callable[[pa.Array, Location], pa.Array]] = []
        for (typ, elem_oid, elem), field in zip(types, self._expected, strict=True):
            arrow_type = field.type
            if elem and (pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)):
                inner = "text" if elem == "enum" else elem
                if inner in ENCODERS and _accepts(elem, arrow_type.value_type):
                    encoders.append(_array_cells(ENCODERS[inner], elem_oid))
                    continue
            elif _accepts(typ, arrow_type):
                encoders.append(ENCODERS["text" if typ == "enum" else typ])
                continue
            break
        wanted = self.options["copy_format"]
        if wanted == "binary" and len(encoders) < len(types):
            column = entity.columns[len(encoders)]
            raise SinkError(
                f"{self.where('open')}, column {column}: no binary COPY encoder for "
                f"{types[len(encoders)][0]}",
                hint="use copy_format='auto'",
            )
        self._binary = wanted != "text" and len(encoders) == len(types)
        self._encoders = encoders
        target = self._table(entity)
        if self.mode == "upsert":
            stage = self.quote(f"mf_stage_{self.entities.index(entity)}")
            self._execute(f"CREATE TEMP TABLE {stage} (LIKE {target}) ON COMMIT DROP")
            self._stage: str | None = stage
            target = stage
        else:
            self._stage = None
        fmt = "BINARY" if self._binary else "TEXT"
        self._copy_sql = f"COPY {target} ({self._columns(entity)}) FROM STDIN (FORMAT {fmt})"

    def encode(self, batch: pa.RecordBatch, offset: int = 0) -> memoryview:
        """The COPY payload of ``batch`` for the open entity (binary or text format, no
        signature); ``offset`` places the batch among the entity's rows, for messages."""
        assert self.entity is not None and self.result is not None
        first = self.result.rows + offset
        where = [Location(self.entity.name, name, first) for name in batch.schema.names]
        if self._binary:
            count = np.empty((batch.num_rows, 2), dtype=np.uint8)
            count[:] = np.frombuffer(struct.pack(">h", batch.num_columns), dtype=np.uint8)
            # consecutive fixed-width cells become one matrix: one argument of the final join
            # instead of one per column (each argument costs a pass over the rows)
            parts: list[pa.Array] = []
            pending: list[np.ndarray] = [count]
            for encode, column, loc in zip(self._encoders, batch.columns, where, strict=True):
                cells = encode(column, loc)
                if isinstance(cells, np.ndarray):
                    pending.append(cells)
                    continue
                if pending:
                    parts.append(_binary_from_matrix(np.hstack(pending)))
                    pending = []
                parts.append(cells)
            if pending:
                parts.append(_binary_from_matrix(np.hstack(pending)))
            rows = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, b"")
            return concatenated(rows)
        fields = [
            Cells(copy_text_values(column, loc))
            for column, loc in zip(batch.columns, where, strict=True)
        ]
        return concatenated(assemble(fields, separator="\t", null="\\N", tail="\n"))

    def _write(self, batch: pa.RecordBatch) -> int:
        assert self.entity is not None
        payloads = render_parts(batch, self.encode)
        with self.connection.cursor() as cursor:
            with cursor.copy(self._copy_sql) as copy:
                if self._binary:
                    copy.write(SIGNATURE)
                for payload in payloads:
                    copy.write(payload)
                if self._binary:
                    copy.write(TRAILER)
            if self._stage:
                self._merge(cursor, self.entity)
        return sum(len(payload) for payload in payloads)

    def _merge(self, cursor: Any, entity: Entity) -> None:
        columns = self._columns(entity)
        cursor.execute(
            f"INSERT INTO {self._table(entity)} ({columns}) SELECT {columns} FROM {self._stage} "
            + self._upsert(entity)
        )
        cursor.execute(f"TRUNCATE {self._stage}")

    def _close(self) -> None:
        if self._stage:
            self._execute(f"DROP TABLE {self._stage}")
        super()._close()
