"""File sources (the restore direction): what the file destinations wrote goes back in.

=========  ==================================================================================
kind       reads
=========  ==================================================================================
json       a JSON archive ``{"entities": {"User": [{…}, …], …}}`` (the @mostajs shape the
           ``json`` destination writes), streamed row by row: the file is never loaded whole.
           Rows are keyed by field name or by column name; both are accepted.
ndjson     a folder of ``<table>.ndjson`` (or ``.jsonl``) files, one object per line.
csv        a folder of ``<table>.csv`` files with a header row (RFC 4180). An empty unquoted
           cell is NULL, ``""`` is the empty string — as the ``csv`` destination writes.
parquet    a folder of ``<table>.parquet`` files (or one ``.parquet`` file for one entity),
           read row group by row group.
sql        a SQL dump written by the ``sql-dump`` destination (see :mod:`.sqldump`).
=========  ==================================================================================

Values are read per the entity model, with the destinations' lossless conventions: decimals as
strings, bytes as base64, datetimes as ISO-8601 (``Z`` = UTC), JSON columns embedded as JSON,
lists as arrays, ``"NaN"``/``"Infinity"`` for non-finite floats. ``where`` filters rows with
DuckDB SQL over each batch (the column names are the database column names).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

from ..errors import SourceError
from . import Source, array_from_python, conform

if TYPE_CHECKING:
    import pyarrow as pa

    from ..schema.model import Entity, Schema


def open_file_source(kind: str, file: str, *, dialect: str | None = None) -> Source:
    """The file source of ``kind`` reading ``file`` (a file or a folder)."""
    path = Path(file)
    if kind == "sql":
        from .sqldump import SqlDumpSource

        return SqlDumpSource(path, dialect=dialect)
    if kind == "json" and path.is_dir():
        kind = "ndjson"
    classes: dict[str, type[FileSource]] = {
        "json": JsonArchiveSource,
        "ndjson": NdjsonSource,
        "csv": CsvSource,
        "parquet": ParquetSource,
    }
    return classes[kind](path)


class FileSource(Source):
    """Common part of the file sources: path checks and ``where`` filtering."""

    #: file name extensions of per-entity files, first one preferred
    extensions: ClassVar[tuple[str, ...]] = ()
    #: the source is one file (not a folder of per-entity files)
    single_file: ClassVar[bool] = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"{self.kind} {path}"

    def _check_exists(self) -> None:
        if not self.path.exists():
            raise SourceError(
                f"{self.description}: {self.path} does not exist",
                hint="check the path given as --source-file",
            )
        if self.single_file and self.path.is_dir():
            raise SourceError(f"{self.description}: {self.path} is a folder, expected a file")

    def entity_file(self, entity: Entity) -> Path:
        """The file holding ``entity``'s rows.

        Raises:
            SourceError: no such file (lists the files that are there).
        """
        if self.path.is_file():
            return self.path
        names = [entity.table, entity.name]
        for name in names:
            for extension in self.extensions:
                candidate = self.path / f"{name}.{extension}"
                if candidate.is_file():
                    return candidate
        present = sorted(p.name for p in self.path.iterdir()) if self.path.is_dir() else []
        expected = f"{entity.table}.{self.extensions[0]}"
        close = difflib.get_close_matches(expected, present, n=3)
        raise SourceError(
            f"entity {entity.name}: {self.path / expected} does not exist",
            hint=f"did you mean {', '.join(close)}?"
            if close
            else f"files there: {', '.join(present[:10]) or 'none'}",
        )

    def prepare(self, schema: Schema, entities: list[Entity]) -> None:
        self._check_exists()
        if not self.single_file:
            for entity in entities:
                self.entity_file(entity)

    def read(
        self, entity: Entity, *, batch_size: int = 20_000, where: str | None = None
    ) -> Iterator[pa.RecordBatch]:
        for batch in self._batches(entity, batch_size):
            batch = conform(batch, entity)
            if where:
                batch = filter_batch(batch, where, entity)
            if batch.num_rows:
                yield batch

    def _batches(self, entity: Entity, batch_size: int) -> Iterator[pa.RecordBatch]:
        raise NotImplementedError


def filter_batch(batch: pa.RecordBatch, where: str, entity: Entity) -> pa.RecordBatch:
    """Rows of ``batch`` matching the SQL predicate ``where`` (run by DuckDB)."""
    import duckdb
    import pyarrow as pa

    connection = duckdb.connect()
    try:
        connection.register("rows", pa.Table.from_batches([batch]))
        table = connection.sql(f"SELECT * FROM rows WHERE ({where})").to_arrow_table()
    except duckdb.Error as exc:
        raise SourceError(
            f"entity {entity.name}: --where {where!r} failed: {str(exc).splitlines()[0]}"
        ) from None
    finally:
        connection.close()
    return conform(table, entity)


# ---------------------------------------------------------------------------------------------
# JSON


def rows_to_batch(rows: list[dict[str, Any]], entity: Entity) -> pa.RecordBatch:
    """JSON objects (keyed by field or column name) → a batch of ``arrow_schema(entity)``."""
    import pyarrow as pa

    from ..schema.arrow import arrow_schema

    arrays = []
    for f in entity.fields:
        values = [row.get(f.name, row.get(f.column)) for row in rows]
        if f.kind == "json" and not f.list:
            # the document itself is embedded; NULL is SQL NULL (JSON null is not told apart)
            values = [None if v is None else json_text(v) for v in values]
        elif f.kind in ("float", "real"):
            values = [_float(v) for v in values]
        arrays.append(array_from_python(values, f, entity))
    return pa.RecordBatch.from_arrays(arrays, schema=arrow_schema(entity))


_NONFINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def _float(value: Any) -> Any:
    if isinstance(value, str):
        return _NONFINITE.get(value, value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def json_text(value: Any) -> str:
    """JSON text of a decoded document, numbers exactly as they were written (Decimal), with
    PostgreSQL jsonb's spacing (``{"a": 1, "b": [1, 2]}``) so a jsonb value reads back equal."""
    if isinstance(value, dict):
        items = (
            f"{json.dumps(str(k), ensure_ascii=False)}: {json_text(v)}" for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(json_text(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _loads(text: str) -> Any:
    # decimals exactly: a JSON number 0.1 is the decimal 0.1, not the nearest double
    return json.loads(text, parse_float=Decimal)


class JsonArchiveSource(FileSource):
    """A JSON archive ``{"entities": {name: [rows…]}}``, streamed.

    The archive is scanned once for where each entity's array starts (offsets only); reading an
    entity then decodes its rows one by one from that offset, so memory holds one batch.
    """

    kind = "json"
    single_file = True
    extensions = ("json",)
    CHUNK = 1 << 20

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._index: dict[str, int] | None = None

    def prepare(self, schema: Schema, entities: list[Entity]) -> None:
        self._check_exists()
        index = self.index()
        for entity in entities:
            if entity.name not in index and entity.table not in index:
                close = difflib.get_close_matches(entity.name, list(index), n=3)
                raise SourceError(
                    f"entity {entity.name}: not in the archive {self.path}",
                    hint=f"did you mean {', '.join(close)}?"
                    if close
                    else f"it holds: {', '.join(list(index)[:10]) or 'nothing'}",
                )

    def index(self) -> dict[str, int]:
        """Entity name → character offset of its row array in the file."""
        if self._index is None:
            with open(self.path, encoding="utf-8") as handle:
                self._index = _ArchiveScanner(handle, self.CHUNK).entity_offsets(self.path)
        return self._index

    def _batches(self, entity: Entity, batch_size: int) -> Iterator[pa.RecordBatch]:
        index = self.index()
        offset = index.get(entity.name, index.get(entity.table))
        if offset is None:
            raise SourceError(f"entity {entity.name}: not in the archive {self.path}")
        with open(self.path, encoding="utf-8") as handle:
            scanner = _ArchiveScanner(handle, self.CHUNK, start=offset)
            rows: list[dict[str, Any]] = []
            for row in scanner.array_items(self.path):
                rows.append(row)
                if len(rows) >= batch_size:
                    yield rows_to_batch(rows, entity)
                    rows = []
            if rows:
                yield rows_to_batch(rows, entity)


class _ArchiveScanner:
    """Incremental JSON reading over a text file: skip whitespace, decode one value at a time."""

    def __init__(self, handle: TextIO, chunk: int, start: int = 0) -> None:
        self.handle = handle
        self.chunk = chunk
        self.buffer = ""
        self.position = 0  # in buffer
        self.consumed = 0  # characters dropped from the front of buffer
        if start:
            self.handle.seek(0)
            skipped = 0
            while skipped < start:  # text files cannot seek to a character offset: read past
                piece = self.handle.read(min(self.chunk, start - skipped))
                if not piece:
                    break
                skipped += len(piece)
            self.consumed = skipped
        self.decoder = json.JSONDecoder(parse_float=Decimal)

    def _fill(self) -> bool:
        piece = self.handle.read(self.chunk)
        if not piece:
            return False
        self.buffer = self.buffer[self.position :] + piece
        self.consumed += self.position
        self.position = 0
        return True

    def _peek(self) -> str:
        while True:
            while self.position < len(self.buffer) and self.buffer[self.position] in " \t\r\n":
                self.position += 1
            if self.position < len(self.buffer):
                return self.buffer[self.position]
            if not self._fill():
                return ""

    def _expect(self, char: str, path: Path) -> None:
        found = self._peek()
        if found != char:
            raise SourceError(
                f"{path}: invalid JSON archive near character {self.consumed + self.position}: "
                f"expected {char!r}, found {found or 'end of file'!r}"
            )
        self.position += 1

    def _value(self, path: Path) -> Any:
        self._peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError as exc:
                # maybe the value continues past the buffer: read more and retry
                if self._fill():
                    continue
                raise SourceError(
                    f"{path}: invalid JSON: {exc.msg} near character {self.consumed + exc.pos}"
                ) from None
            if end == len(self.buffer) and self._fill():
                continue  # a number could go on in the next chunk
            self.position = end
            return value

    def _skip_value(self, path: Path) -> None:
        self._value(path)

    def entity_offsets(self, path: Path) -> dict[str, int]:
        offsets: dict[str, int] = {}
        self._expect("{", path)
        if self._peek() == "}":
            return offsets
        while True:
            key = self._value(path)
            self._expect(":", path)
            if key == "entities":
                self._expect("{", path)
                if self._peek() != "}":
                    while True:
                        name = self._value(path)
                        self._expect(":", path)
                        self._peek()
                        offsets[str(name)] = self.consumed + self.position
                        self._skip_array(path)
                        if self._peek() == ",":
                            self.position += 1
                            continue
                        break
                self._expect("}", path)
            else:
                self._skip_value(path)
            if self._peek() == ",":
                self.position += 1
                continue
            self._expect("}", path)
            return offsets

    def _skip_array(self, path: Path) -> None:
        for _ in self.array_items(path):
            pass

    def array_items(self, path: Path) -> Iterator[Any]:
        self._expect("[", path)
        if self._peek() == "]":
            self.position += 1
            return
        while True:
            yield self._value(path)
            char = self._peek()
            self.position += 1
            if char == "]":
                return
            if char != ",":
                raise SourceError(
                    f"{path}: invalid JSON archive: expected ',' or ']' near "
                    f"character {self.consumed + self.position}"
                )


class NdjsonSource(FileSource):
    """A folder of ``<table>.ndjson`` files: one JSON object per line."""

    kind = "ndjson"
    extensions = ("ndjson", "jsonl", "json")

    def _batches(self, entity: Entity, batch_size: int) -> Iterator[pa.RecordBatch]:
        file = self.entity_file(entity)
        rows: list[dict[str, Any]] = []
        with open(file, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(_loads(line))
                except json.JSONDecodeError as exc:
                    raise SourceError(f"{file}:{number}: invalid JSON: {exc.msg}") from None
                if len(rows) >= batch_size:
                    yield rows_to_batch(rows, entity)
                    rows = []
        if rows:
            yield rows_to_batch(rows, entity)


# ---------------------------------------------------------------------------------------------
# CSV and Parquet


class CsvSource(FileSource):
    """A folder of ``<table>.csv`` files, read as text and parsed per the model."""

    kind = "csv"
    extensions = ("csv",)

    def _batches(self, entity: Entity, batch_size: int) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        file = self.entity_file(entity)
        columns = {f.column: pa.string() for f in entity.fields}
        try:
            reader = pacsv.open_csv(
                file,
                read_options=pacsv.ReadOptions(block_size=max(1 << 20, batch_size * 64)),
                convert_options=pacsv.ConvertOptions(
                    column_types=columns,
                    strings_can_be_null=True,
                    null_values=[""],
                    # "" is the empty string; only an empty unquoted cell is NULL
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            raise SourceError(f"entity {entity.name}: cannot read {file}: {exc}") from None
        try:
            for batch in reader:
                for start in range(0, batch.num_rows, batch_size):
                    yield batch.slice(start, batch_size)
        except pa.ArrowInvalid as exc:
            raise SourceError(f"entity {entity.name}: {file}: {exc}") from None


class ParquetSource(FileSource):
    """A folder of ``<table>.parquet`` files, read in batches."""

    kind = "parquet"
    extensions = ("parquet",)

    def _batches(self, entity: Entity, batch_size: int) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        file = self.entity_file(entity)
        try:
            parquet = pq.ParquetFile(file)
            wanted = [f.column for f in entity.fields]
            present = set(parquet.schema_arrow.names)
            missing = [c for c in wanted if c not in present]
            if missing:
                raise SourceError(
                    f"entity {entity.name}: {file} has no column {missing[0]!r}",
                    hint=f"it has: {', '.join(parquet.schema_arrow.names)}",
                )
            yield from parquet.iter_batches(batch_size=batch_size, columns=wanted)
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceError(f"entity {entity.name}: cannot read {file}: {exc}") from None

    def estimate_rows(self, entity: Entity, where: str | None = None) -> int | None:
        import pyarrow.parquet as pq

        if where:
            return None
        return pq.ParquetFile(self.entity_file(entity)).metadata.num_rows


__all__ = [
    "CsvSource",
    "FileSource",
    "JsonArchiveSource",
    "NdjsonSource",
    "ParquetSource",
    "filter_batch",
    "open_file_source",
    "rows_to_batch",
]
