"""The lifecycle every destination follows, and the pieces file destinations share.

A :class:`Sink` is driven by ONE thread (the copy pipeline gives each sink its own writer thread)::

    sink.begin(schema, entities)          # once: connect / open temp files / create tables
    for entity in entities:               # parents first
        sink.open(entity)
        for batch in batches:
            sink.write(batch)             # pyarrow.RecordBatch of arrow_schema(entity)
        result = sink.close()             # or sink.abort(error) when the entity failed
    sink.finish()                         # or sink.cancel() when the whole copy failed

Subclasses implement the ``_begin`` / ``_open`` / ``_write`` / ``_close`` / ``_abort`` /
``_finish`` / ``_cancel`` hooks; this module does the bookkeeping (row and byte counts, timing,
checking batches against the entity's Arrow schema, turning low-level exceptions into
:class:`~mostaframe.errors.SinkError` messages that name the destination and the entity).

File destinations (:class:`FileSink`) write every file under a temporary name in the same
directory and rename it into place only in :meth:`Sink.finish`: a crash or a cancel never
leaves a half-written file under its final name.
"""

from __future__ import annotations

import difflib
import html
import os
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar

from ..errors import MostaframeError, SinkError
from ..errors import first_line as error_first_line
from ..fileio import temporary_name
from ..secrets import mask_text, mask_uri

if TYPE_CHECKING:
    import pyarrow as pa

    from ..schema.model import Entity, Schema

#: Write modes a destination can be asked for (database sinks implement all four).
MODES = ("insert", "replace", "truncate", "upsert")


@dataclass
class SinkResult:
    """What happened to one entity on one destination.

    Attributes:
        entity: entity name.
        destination: masked description of the destination (never a password).
        rows: rows written.
        bytes: bytes written (file sinks: bytes in the file; database sinks: bytes of Arrow
            data handed to the database).
        seconds: time spent inside this sink for the entity.
        error: why the entity failed, or None.
    """

    entity: str
    destination: str
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def asdict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict."""
        return asdict(self)

    def __str__(self) -> str:
        status = "ok" if self.ok else f"FAILED: {self.error}"
        return (
            f"{self.entity} → {self.destination}: {self.rows:,} rows, {self.bytes:,} bytes "
            f"in {self.seconds:.2f}s ({status})"
        )

    def _repr_html_(self) -> str:
        cells = [
            self.entity,
            self.destination,
            f"{self.rows:,}",
            f"{self.bytes:,}",
            f"{self.seconds:.2f}s",
            "ok" if self.ok else f"FAILED: {self.error}",
        ]
        return (
            "<table><tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr></table>"
        )


class Sink(ABC):
    """One destination of a copy. See the module docstring for the lifecycle.

    Args:
        target: where to write: a database URI, a file or a directory (per sink).
        dialect: SQL dialect, for the sinks that have one.
        mode: insert (default), replace (drop + create), truncate (empty, then insert) or
            upsert (insert or update by primary key). File sinks always write whole files.
        create_tables: create missing tables (database sinks) / write CREATE TABLE (dumps).
        **options: sink-specific options, listed in each class's ``OPTIONS``.

    Raises:
        SinkError: unknown mode or option (with the closest known name).
    """

    kind: ClassVar[str]
    #: sink-specific options and their defaults; anything else passed is an error
    OPTIONS: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        target: str | os.PathLike[str],
        *,
        dialect: str | None = None,
        mode: str = "insert",
        create_tables: bool = True,
        **options: Any,
    ) -> None:
        self.target = str(target)
        self.dialect = dialect
        if mode not in MODES:
            close = difflib.get_close_matches(mode, MODES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SinkError(
                f"{self.kind} sink: unknown mode {mode!r}{hint} (known: {', '.join(MODES)})"
            )
        self.mode = mode
        self.create_tables = create_tables
        unknown = sorted(set(options) - set(self.OPTIONS))
        if unknown:
            close = difflib.get_close_matches(unknown[0], list(self.OPTIONS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(self.OPTIONS)) or "none"
            raise SinkError(
                f"{self.kind} sink: unknown option {unknown[0]!r}{hint} (options: {known})"
            )
        self.options: dict[str, Any] = {**self.OPTIONS, **options}
        self.schema: Schema | None = None
        self.entities: list[Entity] = []
        self.entity: Entity | None = None
        self.result: SinkResult | None = None
        self._expected: pa.Schema | None = None
        self._started = 0.0

    # -- description -----------------------------------------------------------------------

    @property
    def description(self) -> str:
        """``"<kind> <target>"`` with any password masked."""
        return f"{self.kind} {mask_uri(self.target)}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"

    # -- lifecycle (public, final) ---------------------------------------------------------

    def begin(self, schema: Schema, entities: list[Entity]) -> None:
        """Prepare the destination for ``entities`` (given parents first).

        Raises:
            SinkError: the destination cannot be written (nothing has been written then).
        """
        self.schema = schema
        self.entities = list(entities)
        with self._errors("begin"):
            self._begin()

    def open(self, entity: Entity) -> None:
        """Start writing ``entity``."""
        from ..schema.arrow import arrow_schema

        self.entity = entity
        self.result = SinkResult(entity.name, self.description)
        self._expected = arrow_schema(entity)
        self._started = time.perf_counter()
        with self._errors("open"):
            self._open(entity)
        self._lap()

    def write(self, batch: pa.RecordBatch) -> None:
        """Write one record batch of the open entity (schema: ``arrow_schema(entity)``)."""
        assert self.result is not None, "write() before open()"
        self._started = time.perf_counter()
        batch = self._conform(batch)
        if batch.num_rows:
            with self._errors("write"):
                written = self._write(batch)
            self.result.rows += batch.num_rows
            self.result.bytes += written
        self._lap()

    def close(self) -> SinkResult:
        """Finish the open entity; returns its result."""
        assert self.result is not None, "close() before open()"
        self._started = time.perf_counter()
        with self._errors("close"):
            self._close()
        self._lap()
        return self._done()

    def abort(self, error: BaseException) -> SinkResult:
        """The open entity failed: undo its partial writes where possible."""
        assert self.result is not None, "abort() before open()"
        self._started = time.perf_counter()
        message = error.message if isinstance(error, MostaframeError) else str(error)
        self.result.error = mask_text(message or type(error).__name__)
        try:
            self._abort(error)
        except Exception as exc:  # the entity already failed; keep the first error, note this one
            self.result.error += f" (and undoing it failed: {mask_text(str(exc))})"
        self._lap()
        return self._done()

    def finish(self) -> None:
        """The whole copy succeeded: commit, rename temporary files to their final names."""
        with self._errors("finish"):
            self._finish()

    def cancel(self) -> None:
        """The copy failed or was interrupted: roll back and delete temporary files."""
        self._cancel()

    # -- hooks -----------------------------------------------------------------------------

    @abstractmethod
    def _begin(self) -> None: ...

    def _open(self, entity: Entity) -> None:  # noqa: B027 - optional hook
        pass

    @abstractmethod
    def _write(self, batch: pa.RecordBatch) -> int:
        """Write ``batch``; return the bytes it added to the destination."""

    def _close(self) -> None:  # noqa: B027 - optional hook
        pass

    def _abort(self, error: BaseException) -> None:  # noqa: B027 - optional hook
        pass

    @abstractmethod
    def _finish(self) -> None: ...

    @abstractmethod
    def _cancel(self) -> None: ...

    # -- helpers ---------------------------------------------------------------------------

    def where(self, step: str) -> str:
        """``"<destination>, entity X"`` for messages."""
        entity = f", entity {self.entity.name}" if self.entity is not None else ""
        return f"{self.description}{entity} ({step})"

    def _errors(self, step: str) -> _ErrorContext:
        return _ErrorContext(self, step)

    def _lap(self) -> None:
        if self.result is not None:
            self.result.seconds += time.perf_counter() - self._started

    def _done(self) -> SinkResult:
        result = self.result
        assert result is not None
        self.entity = None
        self.result = None
        self._expected = None
        return result

    def _conform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Check ``batch`` against the entity's Arrow schema; cast losslessly when only types
        differ (e.g. int64 for an int32 column); raise naming the column otherwise."""
        expected = self._expected
        assert expected is not None and self.entity is not None
        if batch.schema.equals(expected, check_metadata=False):
            return batch
        if batch.schema.names != expected.names:
            raise SinkError(
                f"{self.where('write')}: batch columns {batch.schema.names} do not match the "
                f"entity's columns {expected.names}",
                hint="the source must produce arrow_schema(entity)",
            )
        columns = []
        for column, field in zip(batch.columns, expected, strict=True):
            if column.type == field.type:
                columns.append(column)
                continue
            try:
                columns.append(column.cast(field.type, safe=True))
            except Exception as exc:  # pyarrow raises ArrowInvalid / ArrowNotImplementedError
                raise SinkError(
                    f"{self.where('write')}, column {field.name}: got {column.type}, expected "
                    f"{field.type} and the cast failed: {exc}"
                ) from exc
        import pyarrow as pa

        return pa.RecordBatch.from_arrays(columns, schema=expected)


class _ErrorContext:
    """Re-raise anything but a SinkError as a SinkError naming destination, entity and step."""

    def __init__(self, sink: Sink, step: str) -> None:
        self.sink = sink
        self.step = step

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: Any
    ) -> bool:
        if error is None or not isinstance(error, Exception):
            return False
        if isinstance(error, SinkError) and not error.message.startswith(self.sink.description):
            # raised deep in a value renderer: say which destination it is about
            raise SinkError(
                f"{self.sink.where(self.step)}: {error.message}", hint=error.hint
            ) from error
        if isinstance(error, MostaframeError):
            return False
        first_line = error_first_line(error)
        raise SinkError(
            f"{self.sink.where(self.step)}: {type(error).__name__}: {mask_text(first_line)}"
        ) from error


# ---------------------------------------------------------------------------------------------
# file destinations


class FileSink(Sink):
    """A destination made of files written through temporary names.

    ``target`` is a file (``single_file = True``: one file for every entity) or a directory
    (one ``<table>.<extension>`` per entity). Temporary files live next to their final names
    (``.<name>.tmp-<pid>``) so the rename in :meth:`finish` is atomic.
    """

    #: one file for all entities (JSON archive, SQL dump) or one per entity in a directory
    single_file: ClassVar[bool] = False
    #: file name extension of the per-entity files
    extension: ClassVar[str] = ""

    def __init__(self, target: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        # final path → temporary path, for every file this sink has started
        self._pending: dict[Path, Path] = {}
        self._current: tuple[Path, Path] | None = None

    def entity_path(self, entity: Entity) -> Path:
        """Final path of ``entity``'s file (directory targets)."""
        return Path(self.target) / f"{entity.table}.{self.extension}"

    def _check_writable(self) -> None:
        """Create the directory if needed and prove a file can be created in it."""
        directory = Path(self.target).parent if self.single_file else Path(self.target)
        if self.single_file and Path(self.target).is_dir():
            raise SinkError(
                f"{self.description}: {self.target} is a directory, expected a file path",
                hint="give a file name such as backup.json",
            )
        if not self.single_file and Path(self.target).exists() and not Path(self.target).is_dir():
            raise SinkError(
                f"{self.description}: {self.target} exists and is not a directory",
                hint="give a directory; one file per entity is written inside it",
            )
        try:
            directory.mkdir(parents=True, exist_ok=True)
            probe = directory / f".mostaframe-probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise SinkError(
                f"{self.description}: cannot write into {directory}: {exc.strerror or exc}",
                hint="check the path exists and is writable",
            ) from exc

    def _reserve(self, final: Path) -> Path:
        """The temporary path for ``final``, remembered for :meth:`_publish` / :meth:`_discard`."""
        temp = temporary_name(final)
        self._pending[final] = temp
        self._current = (final, temp)
        return temp

    def _start_file(self, final: Path) -> BinaryIO:
        """Open a new temporary file for ``final`` (binary, buffered) and remember it."""
        return open(self._reserve(final), "wb", buffering=1 << 20)  # the caller closes it

    def _forget(self, final: Path) -> None:
        temp = self._pending.pop(final, None)
        if temp is not None:
            temp.unlink(missing_ok=True)

    def _publish(self) -> None:
        """Rename every temporary file to its final name."""
        for final, temp in list(self._pending.items()):
            os.replace(temp, final)
            del self._pending[final]

    def _discard(self) -> None:
        for final in list(self._pending):
            self._forget(final)
