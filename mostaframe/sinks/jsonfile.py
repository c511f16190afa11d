"""JSON destinations: one archive file for every entity, or one NDJSON file per entity.

Archive (default) — the shape @mostajs/orm-copy-data writes and reads back (its JSON loader takes
``entities``), plus a ``tool`` key::

    {"tool": "mostaframe 0.1.0", "source": "postgres postgresql://u:***@h/db",
     "date": "2024-05-01T10:00:00Z", "entities": {
    "User": [
    {"id":1,"email":"a@b.c"},
    {"id":2,"email":"d@e.f"}
    ],
    "Post": [
    ]
    }}

Rows are objects keyed by field name (the model names, as the @mostajs ORM returns them), one
row per line. NDJSON (``ndjson=True``): the target is a directory, each entity goes to
``<table>.ndjson``, one object per line.

Values are lossless: decimals as strings (``"12.50"``), bytes as base64 strings, datetimes as
ISO-8601 strings (``"2024-01-31T12:00:00.000000"``; time-zone-aware ones in UTC with ``Z``),
dates ``"YYYY-MM-DD"``, times ``"HH:MM:SS.ffffff"``, JSON columns embedded as JSON (never a
quoted string), uuid and enum values as strings, lists as arrays, NaN / ±infinity floats as
the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` (JSON has no such numbers), NULL as
``null``. Integers are JSON numbers: JavaScript readers lose precision above 2**53.

Example:
    >>> from mostaframe.sinks import get_sink
    >>> get_sink("json", "./backup.json").description
    'json ./backup.json'
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SinkError
from ..secrets import mask_text
from .base import FileSink
from .sql_literals import json_cells
from .text import (
    Location,
    assemble,
    base64_encode,
    concatenated,
    decimal_text,
    is_binary,
    render_slices,
    timestamp_text,
)

if TYPE_CHECKING:
    from ..schema.model import Entity


#: rows rendered at a time (at least text.PARALLEL_MIN_ROWS, so that the CPUs share them)
RENDER_ROWS = 10_000
#: the ``engine`` option's values (auto = arrow)
ENGINES = ("auto", "arrow", "polars")


def _polars_ready(column: pa.Array, kind: str | None) -> pa.Array | None:
    """``column`` in a type polars writes as this module's JSON, or None when it cannot."""
    typ = column.type
    if kind == "json":
        return None  # polars would quote the JSON text
    if pa.types.is_floating(typ):
        return column if pc.all(pc.fill_null(pc.is_finite(column), True)).as_py() else None
    if pa.types.is_integer(typ) or pa.types.is_boolean(typ) or pa.types.is_string(typ):
        return column
    if pa.types.is_decimal(typ):
        return decimal_text(column)
    if pa.types.is_timestamp(typ):
        return timestamp_text(column, sep="T")
    if pa.types.is_date(typ) or pa.types.is_time(typ):
        return pc.cast(column, pa.string())
    if is_binary(typ):
        return base64_encode(column)
    if pa.types.is_list(typ):
        value = typ.value_type
        if pa.types.is_integer(value) or pa.types.is_boolean(value) or pa.types.is_string(value):
            return column
    return None


class JsonSink(FileSink):
    """Writes a JSON archive (one file) or NDJSON files (one per entity in a directory).

    Options:
        ndjson: write ``<target>/<table>.ndjson`` files instead of one archive.
        source: description of where the data comes from, for the archive's ``source`` key
            (masked; never a password).
        keys: ``"field"`` (model field names, default, as @mostajs) or ``"column"`` (database
            column names).
        engine: ``"auto"`` or ``"arrow"`` (pyarrow text assembly, the default), or
            ``"polars"`` (polars' NDJSON writer for batches it writes by the same rules, the
            pyarrow assembly for the others). The same bytes either way but for integral floats
            (polars ``1.0``, pyarrow ``1``: the same number to a JSON reader); pyarrow's assembly
            measured ≈ 25 % less CPU than polars' writer on TPC-H lineitem (polars then has to
            copy the batch into its own string format, and the archive's ``,\n`` separators
            into a third buffer), see docs/sinks.md.
    """

    kind: ClassVar[str] = "json"
    OPTIONS: ClassVar[dict[str, Any]] = {
        "ndjson": False,
        "source": None,
        "keys": "field",
        "engine": "auto",
    }

    def __init__(self, target: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self.ndjson = bool(self.options["ndjson"])
        if self.options["engine"] not in ENGINES:
            raise SinkError(
                f"json {self.target}: unknown engine {self.options['engine']!r}",
                hint=f"use one of {', '.join(ENGINES)}",
            )
        self._handle: BinaryIO | None = None
        self._entity_start = 0
        self._written_entities = 0

    @property
    def single_file(self) -> bool:  # type: ignore[override]
        return not self.ndjson

    @property
    def extension(self) -> str:  # type: ignore[override]
        return "ndjson"

    @property
    def description(self) -> str:
        kind = "ndjson" if self.ndjson else "json"
        return f"{kind} {self.target}"

    # -- lifecycle -------------------------------------------------------------------------

    def _begin(self) -> None:
        from .. import __version__

        self._check_writable()
        if self.ndjson:
            return
        self._handle = self._start_file(Path(self.target))
        source = mask_text(str(self.options["source"])) if self.options["source"] else None
        date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        head = {"tool": f"mostaframe {__version__}", "source": source, "date": date}
        self._handle.write((json.dumps(head, ensure_ascii=False)[:-1] + ', "entities": {').encode())

    def _open(self, entity: Entity) -> None:
        assert self._expected is not None
        fields = entity.fields
        names = [f.name if self.options["keys"] == "field" else f.column for f in fields]
        self._keys = [json.dumps(name, ensure_ascii=False) + ":" for name in names]
        self._names = names
        self._kinds = [f.kind for f in fields]
        if self.ndjson:
            self._handle = self._start_file(Path(self.target) / f"{entity.table}.ndjson")
            self._entity_start = 0
            return
        assert self._handle is not None
        self._entity_start = self._handle.tell()
        separator = "," if self._written_entities else ""
        self._handle.write(
            f"{separator}\n{json.dumps(entity.name, ensure_ascii=False)}: [".encode()
        )

    def _write(self, batch: pa.RecordBatch) -> int:
        assert self._handle is not None and self.result is not None
        written = 0
        # slices of RENDER_ROWS rows, each written and dropped before the next is rendered: a
        # row's JSON is ≈ 2× its Arrow size plus its cells, and the copy's other sinks are at
        # work at the same time (docs/benchmarks.md, run 7)
        first_of_entity = not self.ndjson and self.result.rows == 0
        for data in render_slices(batch, self.render, RENDER_ROWS):
            if first_of_entity:
                data = data[1:]  # the entity's first row has no comma before it
                first_of_entity = False
            self._handle.write(data)
            written += len(data)
            del data  # not alive while the next slice renders
        return written

    def render(self, batch: pa.RecordBatch, offset: int = 0) -> memoryview:
        """The rows of ``batch`` as JSON text: ``{"k":v,…}\n`` (NDJSON) or ``,\n{"k":v,…}``
        (archive). ``offset``: position of the batch's first row among the entity's rows
        already rendered in this write (for error messages)."""
        assert self.entity is not None and self.result is not None
        if self.options["engine"] == "polars":
            fast = self._render_with_polars(batch)
            if fast is not None:
                return fast
        first = self.result.rows + offset
        cells = [
            json_cells(column, Location(self.entity.name, name, first), kind=kind)
            for column, name, kind in zip(
                batch.columns, batch.schema.names, self._kinds, strict=True
            )
        ]
        lead, tail = ("{", "}\n") if self.ndjson else (",\n{", "}")
        rows = assemble(cells, separator=",", null="null", lead=lead, tail=tail, keys=self._keys)
        return concatenated(rows)

    def _render_with_polars(self, batch: pa.RecordBatch) -> memoryview | bytes | None:
        """The same text through polars' ``write_ndjson`` (multi-threaded Rust), for batches
        whose every column polars writes by this module's rules once prepared: decimals,
        dates, times, datetimes and bytes are turned into their JSON strings first. None
        (use the Arrow path) for embedded JSON columns, non-finite floats (polars writes
        null) and lists of anything but numbers, booleans and text."""
        import polars as pl

        columns = []
        for column, kind in zip(batch.columns, self._kinds, strict=True):
            prepared = _polars_ready(column, kind)
            if prepared is None:
                return None
            columns.append(prepared)
        frame = pl.from_arrow(pa.Table.from_arrays(columns, names=self._names))
        buffer = io.BytesIO()
        frame.write_ndjson(buffer)
        data = buffer.getvalue()
        if self.ndjson:
            return data
        # rows are separated by "\n" only (newlines inside strings are escaped)
        return b",\n" + data[:-1].replace(b"\n", b",\n")

    def _close(self) -> None:
        assert self._handle is not None
        if self.ndjson:
            self._handle.close()
            self._handle = None
            return
        self._handle.write(b"\n]")
        self._written_entities += 1

    def _abort(self, error: BaseException) -> None:
        if self.ndjson:
            if self._handle is not None:
                self._handle.close()
                self._handle = None
            if self._current is not None:
                self._forget(self._current[0])
                self._current = None
            return
        # the archive holds only complete entities: cut this one's partial rows off
        assert self._handle is not None
        self._handle.seek(self._entity_start)
        self._handle.truncate()

    def _finish(self) -> None:
        if not self.ndjson:
            assert self._handle is not None
            self._handle.write(b"\n}}\n")
            self._handle.close()
            self._handle = None
        self._publish()

    def _cancel(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._discard()
