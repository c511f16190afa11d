"""CSV destination: one ``<dir>/<table>.csv`` per entity, RFC 4180, with a header row.

Dialect: comma separator; header names and every text field are enclosed in ``"`` (numbers,
booleans, dates and times are not), quotes doubled inside quoted fields, CRLF line ends (option
``line_terminator``), UTF-8 without BOM. Column headers are the database column names.

Values: an empty *unquoted* field is NULL, ``""`` is the empty string. Booleans are
``true``/``false``; decimals are plain text with every digit; floats use the shortest text that
reads back to the same double, with ``NaN``/``Infinity``/``-Infinity``; datetimes are ISO-8601
(``2024-01-31T12:00:00.000000``, time-zone-aware ones in UTC with ``Z``); bytes are base64;
JSON columns hold the JSON text; lists hold a JSON array.

Example:
    >>> from mostaframe.sinks import get_sink
    >>> get_sink("csv", "./export").description
    'csv ./export'
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from .base import FileSink
from .sql_literals import json_values
from .text import Location, base64_encode, decimal_text, timestamp_text

if TYPE_CHECKING:
    import pyarrow.csv as pacsv

    from ..schema.model import Entity


def csv_column(column: pa.Array, kind: str | None, where: Location) -> pa.Array:
    """``column`` in a type the CSV writer prints losslessly (see the module docstring)."""
    typ = column.type
    if pa.types.is_decimal(typ):
        return decimal_text(column)
    if pa.types.is_floating(typ):
        text = pc.cast(column, pa.string())
        if pc.all(pc.fill_null(pc.is_finite(column), True)).as_py():
            return text
        text = pc.if_else(pc.fill_null(pc.is_nan(column), False), "NaN", text)
        text = pc.if_else(pc.equal(text, "inf"), "Infinity", text)
        return pc.if_else(pc.equal(text, "-inf"), "-Infinity", text)
    if (
        pa.types.is_binary(typ)
        or pa.types.is_large_binary(typ)
        or pa.types.is_fixed_size_binary(typ)
    ):
        return base64_encode(column)
    if pa.types.is_timestamp(typ):
        return timestamp_text(column, sep="T")
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        # json_values writes "null" for a null list; keep NULL an empty field
        return pc.if_else(
            pc.is_valid(column), json_values(column, where, kind=kind), pa.scalar(None, pa.string())
        )
    return column


class CsvSink(FileSink):
    """Writes each entity to ``<target>/<table>.csv``.

    Options:
        line_terminator: end of record, ``"\\r\\n"`` (RFC 4180, default) or ``"\\n"``.
        delimiter: field separator (default ``","``).
    """

    kind: ClassVar[str] = "csv"
    extension: ClassVar[str] = "csv"
    OPTIONS: ClassVar[dict[str, Any]] = {"line_terminator": "\r\n", "delimiter": ","}

    def __init__(self, target: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self._writer: pacsv.CSVWriter | None = None
        self._file: pa.NativeFile | None = None
        self._text_schema: pa.Schema | None = None

    def _begin(self) -> None:
        self._check_writable()

    def _open(self, entity: Entity) -> None:
        import pyarrow.csv as pacsv

        from ..schema.arrow import field_kind

        assert self._expected is not None
        temp = self._reserve(self.entity_path(entity))
        self._kinds = [field_kind(f) for f in self._expected]
        empty = [pa.array([], f.type) for f in self._expected]
        self._text_schema = pa.schema(
            [
                pa.field(f.name, self._convert(a, k, i).type)
                for i, (f, a, k) in enumerate(zip(self._expected, empty, self._kinds, strict=True))
            ]
        )
        self._file = pa.OSFile(str(temp), "wb")
        self._writer = pacsv.CSVWriter(
            self._file,
            self._text_schema,
            write_options=pacsv.WriteOptions(
                include_header=True,
                batch_size=65_536,
                delimiter=self.options["delimiter"],
                quoting_style="needed",
                quoting_header="needed",
                eol=self.options["line_terminator"],
            ),
        )

    def _convert(self, column: pa.Array, kind: str | None, index: int) -> pa.Array:
        assert self.entity is not None and self.result is not None and self._expected is not None
        where = Location(self.entity.name, self._expected[index].name, self.result.rows)
        return csv_column(column, kind, where)

    def _write(self, batch: pa.RecordBatch) -> int:
        assert self._writer is not None and self._file is not None
        columns = [
            self._convert(c, k, i)
            for i, (c, k) in enumerate(zip(batch.columns, self._kinds, strict=True))
        ]
        before = self._file.tell()
        self._writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=self._text_schema))
        return self._file.tell() - before

    def _close(self) -> None:
        self._end_file()

    def _end_file(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._file is not None:
            if self.result is not None:
                self.result.bytes = self._file.tell()  # header included
            self._file.close()
            self._file = None

    def _abort(self, error: BaseException) -> None:
        self._end_file()
        if self._current is not None:
            self._forget(self._current[0])
            self._current = None

    def _finish(self) -> None:
        self._publish()

    def _cancel(self) -> None:
        self._end_file()
        self._discard()
