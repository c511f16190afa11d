"""Copy: read each entity ONCE and write it to every destination, in foreign-key order.

::

    source.read(entity) ──batch──┬──▶ queue (depth 4) ──▶ writer thread ──▶ sink 1
                                 ├──▶ queue (depth 4) ──▶ writer thread ──▶ sink 2
                                 └──▶ …

One reader (the calling thread) feeds one bounded queue per destination; each destination has
its own writer thread that does everything to its sink (begin, open, write, close, finish —
SQLite connections must stay on the thread that opened them). The reader blocks when any queue
is full, so memory stays around ``batch_size × depth`` batches whatever the table size, and the
slowest destination sets the pace. A destination failing on an entity aborts that entity there
(its partial writes undone), stops receiving that entity's batches, and the others go on; the
failure is in the :class:`~mostaframe.report.CopyReport`. Ctrl-C or an unexpected error cancels
every destination (rollback, temporary files deleted) and re-raises.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import resolve
from .errors import MostaframeError, SchemaError, SinkError
from .report import CopyReport, EntityReport
from .secrets import mask_text

if TYPE_CHECKING:
    from .schema.model import Entity, Schema
    from .sinks.base import Sink, SinkResult
    from .sources import Source

logger = logging.getLogger("mostaframe.copy")

#: where the schema is looked for when none is given (the @mostajs tools' order)
DEFAULT_SCHEMA_FILES = (".mostajs/generated/entities.json", "entities.json")


@dataclass
class PlannedEntity:
    """One step of a copy plan: an entity and its row filter."""

    entity: Entity
    where: str | None = None


def copy(
    source: str | os.PathLike[str] | Mapping[str, Any] | Source,
    dests: Any,
    schemas: str | os.PathLike[str] | Schema | None = None,
    entities: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    where: Mapping[str, str] | None = None,
    create_tables: bool = True,
    batch_size: int | None = None,
    mode: str = "insert",
    quiet: bool | None = None,
    dry_run: bool = False,
    queue_depth: int | None = None,
) -> CopyReport:
    """Copy entities from one source to several destinations, reading each entity once.

    Args:
        source: a database URI or SQLite/DuckDB path; a dict ``{"kind": "json", "file":
            "backup.json"}`` (keys ``kind``/``type``, ``uri``, ``file``, ``dialect``); or a
            :class:`~mostaframe.sources.Source`.
        dests: one destination or a list: a database URI / path (``.json`` → JSON archive,
            ``.sql`` → SQL dump, anything else → a database per :func:`~mostaframe.secrets.parse_uri`),
            a dict ``{"kind": "csv", "target": "./export"}`` (keys ``kind``/``type``,
            ``target``/``uri``/``file``, ``dialect`` and sink options), or a
            :class:`~mostaframe.sinks.base.Sink`.
        schemas: a :class:`~mostaframe.schema.Schema` or the path of an entities.json. None: the
            ``MOSTAFRAME_SCHEMAS`` file, else ``.mostajs/generated/entities.json``, else
            ``./entities.json``, else the source database is reflected.
        entities: entity (or table) names to copy; None = every entity but views.
        exclude: entity names to leave out.
        where: entity name → SQL predicate; only matching rows are copied.
        create_tables: create missing tables on database destinations.
        batch_size: rows per record batch (default ``MOSTAFRAME_BATCH_SIZE`` or 20,000).
        mode: insert, replace, truncate or upsert (database destinations).
        quiet: no progress bars (default ``MOSTAFRAME_QUIET``).
        dry_run: check the source and the plan, estimate rows, write nothing.
        queue_depth: batches buffered per destination (default ``MOSTAFRAME_QUEUE_DEPTH`` or 4).

    Returns:
        A :class:`~mostaframe.report.CopyReport`; ``report.ok`` says whether every row of every
        entity reached every destination.

    Raises:
        SchemaError: unknown entity (with the closest names), missing or invalid schema file.
        DatabaseConnectionError: the source database cannot be reached.
        SourceError: a table or column of the plan is missing in the source.
        SinkError: a destination cannot be written (nothing has been written then).

    Example:
        >>> import mostaframe
        >>> report = mostaframe.copy(  # doctest: +SKIP
        ...     "postgresql://devuser:${PGPASSWORD}@localhost/fitzonedb",
        ...     ["./backups/daily.sqlite", {"kind": "parquet", "target": "./backups/parquet"}],
        ...     schemas=".mostajs/generated/entities.json",
        ... )
        >>> report.ok  # doctest: +SKIP
        True
    """
    batch_size = int(resolve("batch_size", batch_size))
    depth = int(resolve("queue_depth", queue_depth))
    quiet = bool(resolve("quiet", quiet))
    if batch_size <= 0:
        raise MostaframeError(f"batch_size must be positive, got {batch_size}")
    if depth <= 0:
        raise MostaframeError(f"queue_depth must be positive, got {depth}")
    started = time.perf_counter()
    reader = _open_source(source)
    try:
        schema = load_schema(schemas, reader)
        plan = plan_copy(schema, entities=entities, exclude=exclude, where=where)
        reader.prepare(schema, [step.entity for step in plan])
        source_description = getattr(reader, "description", repr(reader))
        sinks = [_make_sink(d, mode, create_tables, source_description) for d in _as_list(dests)]
        if not sinks:
            raise SinkError("no destination given", hint="pass at least one --dest")
        report = CopyReport(source_description, [s.description for s in sinks], dry_run=dry_run)
        if dry_run:
            for step in plan:
                report.entities.append(
                    EntityReport(
                        step.entity.name,
                        step.entity.table,
                        where=step.where,
                        estimated_rows=reader.estimate_rows(step.entity, step.where),
                    )
                )
            report.seconds = time.perf_counter() - started
            return report
        with arrow_memory_pool():
            _Pipeline(reader, sinks, depth, batch_size, quiet).run(schema, plan, report)
        report.seconds = time.perf_counter() - started
        return report
    finally:
        reader.close()


# ---------------------------------------------------------------------------------------------
# the plan


def load_schema(schemas: Any, source: Source | None = None) -> Schema:
    """The entity model: a Schema as given, an entities.json path, the default files, or the
    source database reflected.

    Raises:
        SchemaError: the file is missing or invalid; nothing to reflect from.
    """
    from .schema import Schema, read_schema

    if isinstance(schemas, Schema):
        return schemas
    path = schemas if schemas is not None else resolve("schemas")
    if path is not None:
        if not Path(path).is_file():
            raise SchemaError(
                f"schema file {path} does not exist",
                hint="give the path of an entities.json (--schemas), or generate one with "
                "`mostaframe schema import schema.prisma`",
            )
        return read_schema(path)
    for candidate in DEFAULT_SCHEMA_FILES:
        if Path(candidate).is_file():
            return read_schema(candidate)
    uri = getattr(source, "uri", None)
    if uri is None:
        raise SchemaError(
            f"no entity model: none of {', '.join(DEFAULT_SCHEMA_FILES)} exists and a "
            f"{getattr(source, 'kind', 'file')} source cannot be reflected",
            hint="pass --schemas entities.json (schemas=...)",
        )
    try:
        from .schema.reflect import reflect
    except ImportError as exc:  # pragma: no cover - reflect ships with the package
        raise SchemaError(
            "cannot reflect the source: mostaframe.schema.reflect is missing"
        ) from exc
    return reflect(uri.raw)


def plan_copy(
    schema: Schema,
    *,
    entities: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    where: Mapping[str, str] | None = None,
) -> list[PlannedEntity]:
    """Selected entities in load order (parents before children), each with its row filter.

    Raises:
        SchemaError: an unknown entity in ``entities``, ``exclude`` or ``where`` (with the
            closest names), or a ``where`` for an entity that is not copied.
    """
    names = _names(entities)
    selected = schema.select(names or None, _names(exclude) or None)
    ordered, _deferred = schema.dependency_order(selected)
    filters: dict[str, str] = {}
    for name, predicate in (where or {}).items():
        entity = schema.entity(name)
        if entity not in ordered:
            raise SchemaError(
                f"--where {name}: entity {entity.name} is not part of this copy",
                hint="add it to --entities or remove the filter",
            )
        if not str(predicate).strip():
            raise SchemaError(f"--where {name}: empty predicate")
        filters[entity.name] = str(predicate)
    return [PlannedEntity(entity, filters.get(entity.name)) for entity in ordered]


def _names(value: Iterable[str] | str | None) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item and item.strip()]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | os.PathLike | Mapping) or hasattr(value, "begin"):
        return [value]
    return list(value)


def _open_source(spec: Any) -> Source:
    from .sources import Source, open_source

    if isinstance(spec, Source):
        return spec
    if isinstance(spec, Mapping):
        options = dict(spec)
        kind = options.pop("kind", None) or options.pop("type", None) or "db"
        unknown = set(options) - {"uri", "file", "dialect"}
        if unknown:
            raise MostaframeError(
                f"unknown source key(s) {', '.join(sorted(unknown))}; "
                "known: kind, uri, file, dialect"
            )
        return open_source(kind, **options)
    return open_source("db", uri=os.fspath(spec))


_EXTENSION_KINDS = {".json": "json", ".ndjson": "ndjson", ".sql": "sql-dump"}


def _make_sink(spec: Any, mode: str, create_tables: bool, source: str) -> Sink:
    from .sinks import SINKS, get_sink

    if hasattr(spec, "begin") and hasattr(spec, "write"):
        return spec
    if isinstance(spec, Mapping):
        options = dict(spec)
        kind = options.pop("kind", None) or options.pop("type", None) or "db"
        given = [options.pop(key, None) for key in ("target", "uri", "file")]
        target = next((value for value in given if value), None)
        if target is None:
            raise SinkError(
                f"destination {kind!r} has no target",
                hint="give target= (a URI, file or directory)",
            )
    else:
        target = os.fspath(spec)
        kind = (
            _EXTENSION_KINDS.get(Path(target).suffix.lower(), "db") if "://" not in target else "db"
        )
        options = {}
    options.setdefault("mode", mode)
    options.setdefault("create_tables", create_tables)
    sink_class = SINKS.get(kind)
    if sink_class is not None and "source" in getattr(sink_class, "OPTIONS", {}):
        options.setdefault("source", source)
    return get_sink(kind, target, **options)


# ---------------------------------------------------------------------------------------------
# the pipeline


@contextmanager
def arrow_memory_pool() -> Iterator[None]:
    """pyarrow's default pool for the copy's duration: jemalloc (else the C heap) instead of
    mimalloc, unless ``ARROW_DEFAULT_MEMORY_POOL`` chooses one.

    Why: a copy allocates Arrow memory in eight or more threads (the reader, one writer per
    destination, the render pool), and mimalloc keeps a heap per thread that holds on to what
    its thread freed — ≈ 85 MB resident in the pool for ≤ 22 MB allocated in the four-sink SF1
    copy, ≈ 110 MB at SF3, growing with the table. jemalloc (decay-based purging) and the C
    heap measured 297–298 MB peak RSS for that copy against 336 MB, for the same CPU
    (docs/benchmarks.md, run 7). Returning mimalloc's pages after each batch cost ≈ 10 % more
    CPU (the next batch faults them in again). Buffers remember their pool: what is allocated
    during the copy is freed correctly after it, and the previous pool is restored.
    """
    import pyarrow as pa

    previous = pa.default_memory_pool()
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL") or previous.backend_name != "mimalloc":
        yield
        return
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # pyarrow built without jemalloc (some platforms)
        pool = pa.system_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


class _Writer:
    """A sink, its bounded queue and the thread that does everything to it."""

    def __init__(self, sink: Sink, depth: int, number: int) -> None:
        self.sink = sink
        self.inbox: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
        self.replies: queue.Queue[Any] = queue.Queue()
        self.failed = threading.Event()  # the open entity failed here: stop feeding it
        self._result: SinkResult | None = None
        self.thread = threading.Thread(
            target=self._loop, name=f"mostaframe-copy-writer-{number}", daemon=True
        )

    # -- calling side ----------------------------------------------------------------------

    def send(self, command: str, payload: Any = None) -> None:
        """Queue a command; blocks while the queue is full (back-pressure)."""
        while True:
            try:
                self.inbox.put((command, payload), timeout=0.5)
                return
            except queue.Full:
                if not self.thread.is_alive():
                    raise SinkError(f"{self.sink.description}: writer thread died") from None

    def reply(self) -> Any:
        while True:
            try:
                return self.replies.get(timeout=0.5)
            except queue.Empty:
                if not self.thread.is_alive() and self.replies.empty():
                    raise SinkError(f"{self.sink.description}: writer thread died") from None

    def cancel(self) -> None:
        """Drop queued batches and have the thread cancel its sink (rollback, delete temps)."""
        while True:
            try:
                self.inbox.get_nowait()
            except queue.Empty:
                break
        if not self.thread.is_alive():
            return
        try:
            self.inbox.put(("cancel", None), timeout=5)
            self.thread.join(timeout=30)
        except queue.Full:  # pragma: no cover - the thread is stuck inside the sink
            logger.warning(
                "could not cancel %s: its writer does not respond", self.sink.description
            )

    # -- writer thread ---------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            command, payload = self.inbox.get()
            try:
                if command == "cancel":
                    self._on_cancel()
                    return
                if command == "stop":
                    return
                getattr(self, f"_on_{command}")(payload)
            except Exception as exc:  # any failure becomes a reply, the thread never dies
                self.replies.put(exc)
            finally:
                # not kept while waiting for the next command: a batch the others are done
                # with is freed now, not one batch later
                command = payload = None

    def _on_cancel(self) -> None:
        try:
            self.sink.cancel()
        except Exception as exc:  # the copy is failing already: report, do not mask it
            logger.warning("cancelling %s failed: %s", self.sink.description, mask_text(str(exc)))
        finally:
            self.replies.put(None)

    def _on_begin(self, payload: tuple[Schema, list[Entity]]) -> None:
        try:
            self.sink.begin(*payload)
        except Exception as exc:
            self.replies.put(exc)
            return
        self.replies.put(None)

    def _on_open(self, entity: Entity) -> None:
        self._result = None
        try:
            self.sink.open(entity)
        except Exception as exc:
            self._fail(exc)

    def _on_batch(self, batch: Any) -> None:
        if self.failed.is_set():
            return
        try:
            self.sink.write(batch)
        except Exception as exc:
            self._fail(exc)

    def _on_close(self, _payload: None) -> None:
        if not self.failed.is_set():
            try:
                self._result = self.sink.close()
            except Exception as exc:
                self._fail(exc)
        self.replies.put(self._result)

    def _on_abort(self, error: BaseException) -> None:
        if not self.failed.is_set():
            self._fail(error)
        self.replies.put(self._result)

    def _on_finish(self, _payload: None) -> None:
        try:
            self.sink.finish()
        except Exception as exc:
            self.replies.put(exc)
            return
        self.replies.put(None)

    def _fail(self, error: BaseException) -> None:
        self.failed.set()
        try:
            self._result = self.sink.abort(error)
        except Exception as exc:  # abort itself broke: still report the first error
            from .sinks.base import SinkResult

            entity = self.sink.entity.name if getattr(self.sink, "entity", None) else "?"
            self._result = SinkResult(
                entity,
                self.sink.description,
                error=f"{mask_text(str(error))} (abort failed: {exc})",
            )


class _Pipeline:
    """Runs a plan: begin every sink, stream each entity to all of them, finish or cancel."""

    def __init__(
        self, source: Source, sinks: list[Sink], depth: int, batch_size: int, quiet: bool
    ) -> None:
        self.source = source
        self.writers = [_Writer(sink, depth, i) for i, sink in enumerate(sinks)]
        self.batch_size = batch_size
        self.quiet = quiet

    def run(self, schema: Schema, plan: list[PlannedEntity], report: CopyReport) -> None:
        for writer in self.writers:
            writer.thread.start()
        try:
            self._begin(schema, [step.entity for step in plan])
            for step in plan:
                report.entities.append(self._copy_entity(step))
            for writer in self.writers:
                writer.send("finish")
            for writer in self.writers:
                error = writer.reply()
                if error is not None:
                    report.errors.append(mask_text(str(error)))
        except BaseException:
            for writer in self.writers:
                writer.cancel()
            raise
        for writer in self.writers:
            writer.send("stop")
            writer.thread.join(timeout=30)

    def _begin(self, schema: Schema, entities: list[Entity]) -> None:
        # one at a time: two destinations in one folder or one database must not race
        errors = []
        for writer in self.writers:
            writer.send("begin", (schema, entities))
            error = writer.reply()
            if error is not None:
                errors.append(error)
                break
        if errors:
            first = errors[0]
            if isinstance(first, MostaframeError):
                raise first
            raise SinkError(mask_text(str(first))) from first

    def _copy_entity(self, step: PlannedEntity) -> EntityReport:
        entity = step.entity
        try:
            estimate = self.source.estimate_rows(entity, step.where)
        except MostaframeError:
            estimate = None  # only for the progress bar; reading reports the real problem
        result = EntityReport(entity.name, entity.table, estimated_rows=estimate, where=step.where)
        started = time.perf_counter()
        for writer in self.writers:
            # cleared here, not on the writer thread: the batches queued right after "open"
            # must not see the previous entity's failure
            writer.failed.clear()
            writer.send("open", entity)
        error: MostaframeError | None = None
        bar = _progress(entity.name, estimate, self.quiet)
        try:
            for batch in self.source.read(entity, batch_size=self.batch_size, where=step.where):
                result.rows += batch.num_rows
                live = [w for w in self.writers if not w.failed.is_set()]
                for writer in live:
                    writer.send("batch", batch)
                bar.update(batch.num_rows)
                if not live:
                    break  # every destination failed this entity: stop reading it
        except MostaframeError as exc:
            error = exc
        finally:
            bar.close()
        for writer in self.writers:
            writer.send("abort", error) if error else writer.send("close")
        for writer in self.writers:
            sink_result = writer.reply()
            if isinstance(sink_result, BaseException):  # pragma: no cover - defensive
                raise sink_result
            result.results.append(sink_result)
        result.seconds = time.perf_counter() - started
        if error is not None:
            result.error = mask_text(str(error))
        _log(result)
        return result


def _progress(name: str, total: int | None, quiet: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        desc=name,
        unit=" rows",
        unit_scale=True,
        disable=quiet,
        leave=True,
        dynamic_ncols=True,
    )


def _log(result: EntityReport) -> None:
    for sink_result in result.results:
        error = sink_result.error or result.error
        seconds = max(sink_result.seconds, 1e-9)
        fields = {
            "entity": result.entity,
            "destination": sink_result.destination,
            "rows": sink_result.rows,
            "seconds": round(sink_result.seconds, 3),
            "rows_per_second": round(sink_result.rows / seconds),
            "error": error,
        }
        logger.log(
            logging.ERROR if error else logging.INFO,
            "entity=%s destination=%s rows=%d seconds=%.3f rows_per_second=%d error=%s",
            *fields.values(),
            extra={"copy": fields},
        )


__all__ = ["DEFAULT_SCHEMA_FILES", "PlannedEntity", "copy", "load_schema", "plan_copy"]
