"""A replication rule: keep a target equal to a source for some entities, and say how far behind.

::

    rule = add_replication_rule("gym-to-sqlite", "postgresql://u:${PGPASSWORD}@db/fitzone",
                                "./replica.sqlite", collections=["Member", "Visit"])
    rule.sync()        # first pass: create tables, start capture, copy a snapshot
    rule.sync()        # later passes: apply the changes since the checkpoint
    rule.run(interval=1.0, stop=threading.Event())   # until stopped, backing off on errors

One pass (:meth:`ReplicationRule.sync`):

1. read the checkpoint from the target (``_mostaframe_replication_state``);
2. no finished snapshot yet (or ``mode="snapshot"``): create the target tables from the entity
   model, ``capture.setup()`` FIRST (changes from that position on are captured), then copy the
   current rows with :func:`mostaframe.copy` and mark the snapshot done at that position. Rows
   changed between setup and the copy are both in the snapshot and in the captured changes;
   applying them again is harmless (upsert / delete by key);
3. otherwise: ``capture.check()`` (a dropped slot or a trimmed change log is an error naming the
   remedy, never a silent gap), then read bounded ChangeSets after the checkpoint, apply each in
   one target transaction together with the new checkpoint, and acknowledge it to the source
   ONLY after that commit;
4. record the run's statistics and the lag in the status store.
"""

from __future__ import annotations

import contextlib
import html
import os
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import Future

from ..errors import MostaframeError, ReplicationError, SchemaError
from ..secrets import mask_text, mask_uri, parse_uri
from .apply import (
    ApplyStats,
    Target,
    apply_changes,
    check_conflict_resolution,
    connect_target,
    record_markers,
    replica_schema,
    timestamp_field,
)
from .changes import ChangeSet, Truncate, collapse
from .state import (
    DEFAULT_HISTORY,
    StatusStore,
    delete_state,
    ensure_state_table,
    iso,
    read_state,
    utc_now,
    write_checkpoint,
)

if TYPE_CHECKING:
    from ..schema.model import Entity, Schema
    from .capture.base import Capture, Lag

MODES = ("cdc", "snapshot")
#: changes read per ChangeSet (one target transaction each) unless told otherwise
DEFAULT_BATCH = 100_000
#: longest sleep between retries of a failing pass
MAX_BACKOFF = 60.0
#: words of a failed snapshot copy's report that make it worth retrying (lost connections,
#: servers restarting, locks)
TRANSIENT_WORDS = (
    "locked",
    "busy",
    "connection",
    "could not connect",
    "timeout",
    "timed out",
    "terminating",
    "shutting down",
    "starting up",
    "server closed",
    "gone away",
    "deadlock",
)


@dataclass
class SyncResult:
    """What one :meth:`ReplicationRule.sync` pass did.

    Attributes:
        rule: rule name.
        kind: ``snapshot`` (initial / full copy), ``changes`` (changes applied) or ``idle``
            (nothing new).
        started: when the pass started (UTC).
        seconds: wall time of the pass.
        position: the target's checkpoint after the pass.
        snapshot_rows: entity → rows copied (snapshot passes).
        changes_read: row changes read from the source.
        rows_applied: rows upserted or deleted in the target.
        applied: entity → source operation (insert/update/delete/truncate) → count.
        batches: one :class:`~mostaframe.replication.apply.ApplyStats` per ChangeSet applied.
        lag: how far behind the target is after the pass.
        error: why the pass failed (masked), None when it succeeded.
    """

    rule: str
    kind: str
    started: datetime
    seconds: float = 0.0
    position: int | None = None
    snapshot_rows: dict[str, int] = field(default_factory=dict)
    changes_read: int = 0
    rows_applied: int = 0
    applied: dict[str, dict[str, int]] = field(default_factory=dict)
    batches: list[ApplyStats] = field(default_factory=list)
    lag: Lag | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def changes_per_second(self) -> float:
        return self.changes_read / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (times as ISO 8601 text)."""
        lag = self.lag
        return {
            "rule": self.rule,
            "kind": self.kind,
            "started": iso(self.started),
            "seconds": self.seconds,
            "position": self.position,
            "snapshot_rows": dict(self.snapshot_rows),
            "changes_read": self.changes_read,
            "rows_applied": self.rows_applied,
            "applied": {e: dict(ops) for e, ops in self.applied.items()},
            "batches": [b.to_dict() for b in self.batches],
            "lag": None
            if lag is None
            else {
                "pending_changes": lag.pending_changes,
                "pending_bytes": lag.pending_bytes,
                "seconds_behind": lag.seconds_behind,
            },
            "error": self.error,
        }

    def _lag_text(self) -> str:
        lag = self.lag
        if lag is None:
            return "lag unknown"
        pending = "?" if lag.pending_changes is None else f"{lag.pending_changes:,}"
        behind = "?" if lag.seconds_behind is None else f"{lag.seconds_behind:.2f}s"
        return f"lag {pending} changes pending, {behind} behind"

    def _lines(self) -> list[str]:
        return [
            f"  {entity}: " + ", ".join(f"{op} {n:,}" for op, n in sorted(ops.items()))
            for entity, ops in sorted(self.applied.items())
        ]

    def __str__(self) -> str:
        if self.error:
            head = f"{self.rule}: {self.kind} FAILED after {self.seconds:.2f}s: {self.error}"
        elif self.kind == "snapshot":
            rows = sum(self.snapshot_rows.values())
            head = (
                f"{self.rule}: snapshot of {len(self.snapshot_rows)} entities, {rows:,} rows in "
                f"{self.seconds:.2f}s; checkpoint {self.position}"
            )
        else:
            rate = f" ({self.changes_per_second:,.0f} changes/s)" if self.changes_read else ""
            head = (
                f"{self.rule}: {self.changes_read:,} changes read, {self.rows_applied:,} rows "
                f"applied in {len(self.batches)} batches, {self.seconds:.2f}s{rate}; "
                f"checkpoint {self.position}; {self._lag_text()}"
            )
        return "\n".join([head, *self._lines()])

    def _repr_html_(self) -> str:
        status = "ok" if self.ok else f"FAILED: {self.error}"
        rows = "".join(
            f"<tr><td>{html.escape(entity)}</td><td>{html.escape(op)}</td>"
            f"<td style='text-align:right'>{n:,}</td></tr>"
            for entity, ops in sorted(self.applied.items())
            for op, n in sorted(ops.items())
        )
        rows += "".join(
            f"<tr><td>{html.escape(entity)}</td><td>snapshot</td>"
            f"<td style='text-align:right'>{n:,}</td></tr>"
            for entity, n in sorted(self.snapshot_rows.items())
        )
        return (
            f"<div><b>{html.escape(self.rule)}</b> — {html.escape(self.kind)}, "
            f"{self.seconds:.2f}s, checkpoint {self.position}, {html.escape(self._lag_text())}, "
            f"{html.escape(status)}<table><tr><th>entity</th><th>operation</th><th>rows</th></tr>"
            f"{rows}</table></div>"
        )


def is_transient(error: BaseException) -> bool:
    """Whether retrying the pass later can help: lost connections, locks, restarts."""
    if isinstance(error, MostaframeError):
        return bool(getattr(error, "transient", False))
    if isinstance(error, ConnectionError | TimeoutError):
        return True
    module = type(error).__module__.split(".")[0]
    name = type(error).__name__
    # by class name, so that no driver is imported here; psycopg's AdminShutdown (a server
    # restarting) and friends are OperationalError subclasses, pymysql's InterfaceError is a
    # connection that broke under it
    for cls in type(error).__mro__:
        family = cls.__module__.split(".")[0]
        if (family, cls.__name__) in (
            ("psycopg", "OperationalError"),
            ("pymysql", "OperationalError"),
            ("pymysql", "InterfaceError"),
        ):
            return True
    if module == "sqlite3" and name == "OperationalError":
        return any(word in str(error).lower() for word in ("locked", "busy"))
    return module in ("duckdb", "_duckdb") and name in ("IOException", "TransactionException")


def backoff(failures: int, interval: float, max_backoff: float = MAX_BACKOFF) -> float:
    """Seconds to wait after the ``failures``-th failed pass in a row: ``interval × 2^failures``
    with ±20 % jitter (rules failing together do not retry in step), never above
    ``max_backoff``.

    >>> [round(backoff(n, 1.0, 10.0)) for n in (1, 2, 3, 4)]  # doctest: +SKIP
    [2, 4, 8, 10]
    """
    exponent = min(failures, 60)  # 2**60 × interval is past any cap; keeps the float finite
    return min(max_backoff, interval * 2**exponent * random.uniform(0.8, 1.2))


class _CaptureThread:
    """Runs every call to a capture on ONE thread of its own.

    Two reasons: reading the next ChangeSet while the current one is applied (capture decode
    and target writes overlap: the second core does the other half), and drivers whose
    connections belong to the thread that opened them (sqlite3) see a single thread whatever
    thread calls the rule.
    """

    def __init__(self, capture: Capture) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.capture = capture
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mostaframe-capture")

    def submit(self, method: str, *args: Any, **kwargs: Any) -> Future[Any]:
        return self._pool.submit(getattr(self.capture, method), *args, **kwargs)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.submit(method, *args, **kwargs).result()

    def shutdown(self) -> None:
        close = getattr(self.capture, "close", None)
        if callable(close):
            self._pool.submit(close).result()
        self._pool.shutdown(wait=True)


class ReplicationRule:
    """Keeps ``target`` equal to ``source`` for the chosen entities (see the module docs).

    Create rules with :func:`add_replication_rule`, which checks the configuration.

    Attributes:
        name: rule name (also the checkpoint's key in the target and the capture's name).
        source / target: URIs (hold passwords: never printed; see :attr:`description`).
        mode: ``cdc`` (snapshot, then changes) or ``snapshot`` (a full copy every pass).
        schema: the entity model; ``entities`` the replicated ones, parents first.
        conflict_resolution: ``source-wins``, ``target-wins`` or ``timestamp``.
        capture: the change capture (None in snapshot mode).
        status: the :class:`~mostaframe.replication.state.StatusStore` runs are recorded in.
        batch_size: changes per ChangeSet / target transaction.
    """

    def __init__(
        self,
        name: str,
        source: str,
        target: str,
        *,
        schema: Schema,
        entities: list[Entity],
        mode: str,
        conflict_resolution: str,
        capture: Capture | None,
        status: StatusStore,
        batch_size: int,
        lock_timeout: float,
    ) -> None:
        self.name = name
        self.source = source
        self.target = target
        self.schema = schema
        self.entities = entities
        self.mode = mode
        self.conflict_resolution = conflict_resolution
        self.capture = capture
        self.status = status
        self.batch_size = batch_size
        self.lock_timeout = lock_timeout
        self._target: Target | None = None
        self._lock = threading.RLock()
        self._capture: _CaptureThread | None = None
        #: read the next ChangeSet while the current one is applied (the capture's default:
        #: off for pgoutput, whose server re-decodes what is not acknowledged yet)
        self.read_ahead = capture.read_ahead if capture is not None else False
        #: run() is driving the passes (it records transient failures itself)
        self._retrying = False

    def _source(self) -> _CaptureThread:
        """The capture, behind its own thread (started on first use)."""
        assert self.capture is not None
        if self._capture is None:
            self._capture = _CaptureThread(self.capture)
        return self._capture

    @property
    def description(self) -> str:
        """``name: source → target`` with passwords masked."""
        return f"{self.name}: {mask_uri(self.source)} → {mask_uri(self.target)}"

    def __repr__(self) -> str:
        method = self.capture.method if self.capture is not None else "snapshot"
        names = ", ".join(e.name for e in self.entities)
        return f"<ReplicationRule {self.description} ({self.mode}, {method}; {names})>"

    # -- connections -------------------------------------------------------------------------

    def _connection(self) -> Target:
        if self._target is None:
            self._target = connect_target(self.target, lock_timeout=self.lock_timeout)
        return self._target

    def close(self) -> None:
        """Close the target connection (reopened by the next pass)."""
        with self._lock:
            if self._target is not None:
                self._target.close()
                self._target = None
            if self._capture is not None:
                self._capture.shutdown()
                self._capture = None

    def _release(self) -> None:
        # DuckDB locks its file while a connection is open: let others read between passes
        if self._target is not None and self._target.exclusive_file:
            self._target.close()
            self._target = None

    # -- one pass ----------------------------------------------------------------------------

    def sync(self) -> SyncResult:
        """One pass: snapshot if none finished yet, else apply the changes since the checkpoint.

        Returns:
            What the pass did (renders itself in a terminal and in Jupyter).

        Raises:
            ReplicationError: the pass failed; nothing after the last committed ChangeSet is
                kept, the next pass resumes from the checkpoint. ``error.transient`` says
                whether retrying can help.
        """
        with self._lock:
            result = SyncResult(self.name, "idle", utc_now())
            started = time.perf_counter()
            try:
                target = self._connection()
                ensure_state_table(target)
                state = read_state(target, self.name)
                if self.mode == "snapshot" or state is None or not state.snapshot_done:
                    self._snapshot(target, result)
                else:
                    self._changes(target, state.position, result)
            except BaseException as exc:
                result.seconds = time.perf_counter() - started
                first = (str(exc).strip().splitlines() or [""])[0]
                result.error = mask_text(
                    str(exc)  # the message and its hint: the fix is part of what to report
                    if isinstance(exc, MostaframeError)
                    else f"{type(exc).__name__}: {first}"
                )
                transient = is_transient(exc)
                with contextlib.suppress(MostaframeError):
                    # the pass's own error matters more than this one
                    self._record(result, transient=transient)
                if self._target is not None:
                    # a broken connection must not be reused by the next pass
                    self._target.rollback()
                    self._target.close()
                    self._target = None
                if isinstance(exc, MostaframeError) or not isinstance(exc, Exception):
                    raise
                wrapped = ReplicationError(f"rule {self.name}: {result.error}")
                wrapped.transient = transient
                raise wrapped from exc
            result.seconds = time.perf_counter() - started
            self._record(result)
            self._release()
            return result

    def _create_tables(self, target: Target) -> None:
        from ..ddl import create_statements

        ddl_schema = replica_schema(self.schema, target)
        entities = [ddl_schema.entity(e.name) for e in self.entities]
        try:
            for statement in create_statements(
                ddl_schema, target.dialect, entities, if_not_exists=True
            ):
                target.execute(statement)
            target.commit()
        except MostaframeError:
            target.rollback()
            raise
        except Exception as exc:
            target.rollback()
            raise target.error("creating the target tables", exc) from exc

    def _snapshot(self, target: Target, result: SyncResult) -> None:
        from ..copy import copy as copy_data

        result.kind = "snapshot"
        self._create_tables(target)
        position = self._source().call("setup") if self.capture is not None else None
        # remember the start position before copying: a crash during the copy restarts it
        target.begin()
        write_checkpoint(target, self.name, position, snapshot_done=False)
        target.commit()
        self._release()
        report = copy_data(
            self.source,
            self.target,
            schemas=self.schema,
            entities=[e.name for e in self.entities],
            create_tables=False,
            mode="truncate",
            quiet=True,
        )
        if not report.ok:
            problems = "; ".join(report.problems())
            error = ReplicationError(
                f"rule {self.name}: the snapshot copy failed: {problems}",
                hint="fix the problem and run sync() again; the snapshot restarts from scratch",
            )
            # the copy reports text only: a lost connection or a lock is worth a retry
            error.transient = any(word in problems.lower() for word in TRANSIENT_WORDS)
            raise error
        result.snapshot_rows = {row.entity: row.rows for row in report.entities}
        target = self._connection()
        if self.conflict_resolution == "target-wins":
            record_markers(target, self.schema, self.entities, self.name)
        target.begin()
        write_checkpoint(target, self.name, position, snapshot_done=True)
        target.commit()
        result.position = position
        self.status.event(
            self.name,
            "info",
            f"snapshot done: {sum(result.snapshot_rows.values()):,} rows of "
            f"{len(self.entities)} entities; capturing from position {position}",
        )
        if self.capture is not None:
            result.lag = self._source().call("lag", position)

    def _changes(self, target: Target, position: int | None, result: SyncResult) -> None:
        assert position is not None
        source = self._source()
        source.call("check", position)
        result.position = position
        ahead = source.submit("read", position, max_changes=self.batch_size)
        while ahead is not None:
            changes = ahead.result()
            if changes.end_position <= position and changes.is_empty:
                break
            # a full ChangeSet means more is waiting: read it while this one is applied
            more = changes.changes >= self.batch_size
            ahead = (
                source.submit("read", changes.end_position, max_changes=self.batch_size)
                if more and self.read_ahead
                else None
            )
            stats = apply_changes(
                target,
                self.schema,
                self._collapsed(changes),
                rule=self.name,
                conflict_resolution=self.conflict_resolution,
            )
            # the source may forget these changes only now that the target has committed them
            source.call("acknowledge", changes.end_position)
            if more and ahead is None:
                ahead = source.submit("read", changes.end_position, max_changes=self.batch_size)
            position = result.position = changes.end_position
            if changes.changes:
                result.kind = "changes"
            result.changes_read += changes.changes
            result.rows_applied += stats.rows
            result.batches.append(stats)
            for (entity, operation), n in changes.counts.items():
                ops = result.applied.setdefault(entity, {})
                ops[operation] = ops.get(operation, 0) + n
        if ahead is not None:
            ahead.cancel()
        result.lag = source.call("lag", position)

    @staticmethod
    def _collapsed(changes: ChangeSet) -> ChangeSet:
        """``changes`` with one EntityChanges per entity and segment (captures normally deliver
        them collapsed; an entity listed twice in a segment is collapsed here)."""
        for segment in changes.segments:
            if not isinstance(segment, Truncate):
                names = [c.entity for c in segment]
                if len(names) != len(set(names)):
                    return collapse(changes)
        return changes

    def _record(self, result: SyncResult, *, transient: bool = False) -> None:
        """Write the pass to the status store; a failed pass also gets an event: ``error``, or
        ``warning`` when retrying can help (left to :meth:`run` while it drives the passes: its
        warning says when it retries)."""
        try:
            self.status.record_run(
                self.name,
                started=result.started,
                seconds=result.seconds,
                kind=result.kind,
                changes_read=result.changes_read,
                rows_applied=result.rows_applied,
                position=result.position,
                applied=result.applied,
                batches=[
                    {
                        "changes": b.changes,
                        "upserted": b.upserted,
                        "deleted": b.deleted,
                        "truncated": b.truncated,
                        "kept": b.kept,
                        "seconds": round(b.seconds, 6),
                        "seconds_behind": b.seconds_behind,
                        "end_position": b.end_position,
                        "timings": {k: round(v, 6) for k, v in b.timings.items()},
                    }
                    for b in result.batches
                ],
                error=result.error,
                lag=result.lag,
            )
            if result.error and not (transient and self._retrying):
                level = "warning" if transient else "error"
                retry = " (transient: sync again later)" if transient else ""
                self.status.event(
                    self.name, level, f"{result.kind} pass failed{retry}: {result.error}"
                )
        except MostaframeError:
            raise
        except Exception as exc:  # the status store must never hide what happened to the data
            raise ReplicationError(
                f"rule {self.name}: cannot write the status store {self.status.path}: {exc}"
            ) from exc

    # -- running ---------------------------------------------------------------------------

    def run(
        self,
        interval: float = 1.0,
        stop: threading.Event | None = None,
        max_runs: int | None = None,
        *,
        busy_interval: float | None = None,
        max_backoff: float = MAX_BACKOFF,
    ) -> SyncResult | None:
        """Sync every ``interval`` seconds until ``stop`` is set (or ``max_runs`` passes
        succeeded).

        Passes start on a fixed cadence (start to start), so a pass that took 0.3 s is followed
        by the next one 0.7 s later — while the source is quiet. A pass that found changes is
        followed after ``busy_interval`` (default ``interval / 5``) instead: under a steady
        stream of changes the replica then trails by a fraction of ``interval`` rather than by
        up to a whole one, and a quiet source costs one cheap pass per ``interval``.

        A pass failing with a transient error (target locked, source restarting, network, a
        replication slot held by another process) is recorded (the pass's ``runs`` row with its
        error, and a ``warning`` event "transient failure #n: …; retrying in …s") and retried
        after :func:`backoff` (``interval × 2^failures`` ±20 %, at most ``max_backoff``) with
        new connections; it resumes from the checkpoint in the target. Any other error is
        recorded as an ``error`` event and raised.

        Returns:
            The last successful pass's result (None if there was none).

        Raises:
            ReplicationError: a non-transient failure (bad configuration, dropped slot …).
        """
        stop = stop or threading.Event()
        busy = interval / 5 if busy_interval is None else busy_interval
        last: SyncResult | None = None
        succeeded = failures = 0
        while not stop.is_set() and (max_runs is None or succeeded < max_runs):
            started = time.monotonic()
            try:
                self._retrying = True
                try:
                    last = self.sync()
                finally:
                    self._retrying = False
            except Exception as exc:
                if not is_transient(exc):
                    self.status.event(self.name, "error", f"stopped: {exc}")
                    raise
                failures += 1
                delay = backoff(failures, interval, max_backoff)
                self.status.event(
                    self.name,
                    "warning",
                    f"transient failure #{failures}: {exc}; retrying in {delay:.1f}s from the "
                    "checkpoint",
                )
                self.close()
                stop.wait(delay)
                continue
            if failures:
                self.status.event(self.name, "info", f"recovered after {failures} failed passes")
            failures = 0
            succeeded += 1
            if max_runs is None or succeeded < max_runs:
                pause = busy if last.kind != "idle" else interval
                stop.wait(max(0.0, started + pause - time.monotonic()))
        return last

    # -- state -------------------------------------------------------------------------------

    def checkpoint(self) -> int | None:
        """The position the target has applied up to (None before the first snapshot)."""
        with self._lock:
            target = self._connection()
            ensure_state_table(target)
            state = read_state(target, self.name)
            self._release()
            return state.position if state is not None and state.snapshot_done else None

    def lag(self) -> Lag:
        """How far behind the target is now (pending changes / bytes, seconds behind); also
        recorded in the status store."""
        from .capture.base import Lag

        with self._lock:
            position = self.checkpoint()
            if self.capture is None or position is None:
                lag = Lag(None, None, None)
            else:
                lag = self._source().call("lag", position)
            self.status.record_lag(self.name, lag)
            return lag

    def resync(self) -> SyncResult:
        """Copy a fresh snapshot (after a dropped slot, a trimmed change log, or to reset a
        replica), then continue capturing from there."""
        with self._lock:
            target = self._connection()
            ensure_state_table(target)
            target.begin()
            write_checkpoint(target, self.name, None, snapshot_done=False)
            target.commit()
            self.status.event(self.name, "info", "re-snapshot requested")
            return self.sync()

    def drop(self, *, forget_history: bool = False) -> None:
        """Stop capturing (drop slot / triggers / change log) and delete the rule's checkpoint
        and row markers from the target. Replicated tables and rows are left in place."""
        with self._lock:
            if self.capture is not None:
                self._source().call("teardown")
            target = self._connection()
            ensure_state_table(target)
            delete_state(target, self.name)
            self.close()
            if forget_history:
                self.status.forget(self.name)
            else:
                self.status.event(self.name, "info", "rule dropped")


# ---------------------------------------------------------------------------------------------
# creating rules


def _load_schema(schema: Any, source: str) -> Schema:
    from ..schema import Schema, read_schema

    if isinstance(schema, Schema):
        return schema
    if schema is not None:
        return read_schema(schema)
    from ..schema.reflect import reflect

    return reflect(source)


def _entities(schema: Schema, collections: Any) -> list[Entity]:
    try:
        chosen = schema.select(collections)
    except SchemaError as exc:
        raise ReplicationError(
            f"collections: {exc.message}",
            hint="collections takes entity names or table names of the model, or '*'",
        ) from None
    if not chosen:
        raise ReplicationError("collections selects no entity", hint="name at least one entity")
    for entity in chosen:
        if entity.view:
            raise ReplicationError(
                f"entity {entity.name} is a view: views cannot be replicated by key",
                hint="replicate the tables it reads from instead",
            )
        if not entity.primary_key:
            raise ReplicationError(
                f"entity {entity.name} (table {entity.table}) has no primary key: changes are "
                "applied by key",
                hint="add a primary key (@id / @@id) or leave the entity out of collections",
            )
    ordered, _ = schema.dependency_order(chosen)
    return ordered


def add_replication_rule(
    name: str,
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    mode: str = "cdc",
    collections: str | list[str] = "*",
    conflict_resolution: str = "source-wins",
    schema: Schema | str | os.PathLike[str] | None = None,
    capture: Capture | str | None = None,
    status_dir: str | os.PathLike[str] | None = None,
    batch_size: int = DEFAULT_BATCH,
    history: int = DEFAULT_HISTORY,
    lock_timeout: float = 5.0,
) -> ReplicationRule:
    """Define a replication rule and check its configuration (nothing is written yet).

    Args:
        name: rule name: letters, digits, ``_`` and ``-`` (it names the replication slot or the
            triggers in the source and the checkpoint row in the target).
        source: database URI or SQLite path to replicate from (``${ENV}`` references allowed).
        target: database URI or SQLite/DuckDB path to replicate into.
        mode: ``cdc`` (snapshot, then stream changes) or ``snapshot`` (full copy each pass).
        collections: entity or table names, or ``"*"`` for every table of the model.
        conflict_resolution: ``source-wins``, ``target-wins`` or ``timestamp`` (see
            :mod:`mostaframe.replication.apply`).
        schema: the entity model, or the path of an ``entities.json``; None reflects the source.
        capture: ``"pgoutput"`` / ``"triggers"``, a Capture object, or None to choose
            (pgoutput on PostgreSQL with ``wal_level=logical``, else triggers).
        status_dir: directory of ``replicator-tree.json``; the status store
            ``replicator-status.sqlite`` is kept there (default: the current directory).
        batch_size: changes per ChangeSet (one target transaction each).
        history: rows kept per rule in each status store table.
        lock_timeout: seconds to wait for a locked target before failing the pass (the pass is
            then retried by :meth:`ReplicationRule.run`).

    Returns:
        The rule; call :meth:`~ReplicationRule.sync` or :meth:`~ReplicationRule.run`.

    Raises:
        ReplicationError: bad configuration, naming what to change (unknown entity with the
            closest names, a table without primary key, wal_level too low for pgoutput,
            missing privileges, unknown mode).

    Example:
        >>> rule = add_replication_rule(                                  # doctest: +SKIP
        ...     "gym", "postgresql://dev:${PGPASSWORD}@localhost/fitzone", "./gym.sqlite",
        ...     collections=["Member", "Visit"])
        >>> print(rule.sync())                                            # doctest: +SKIP
    """
    import re

    if not re.fullmatch(r"[A-Za-z0-9_\-]{1,60}", name or ""):
        raise ReplicationError(
            f"rule name {name!r} is not valid",
            hint="use 1 to 60 letters, digits, '_' or '-' (it names the slot / triggers)",
        )
    if mode not in MODES:
        raise ReplicationError(f"unknown mode {mode!r} for rule {name}; known: cdc, snapshot")
    check_conflict_resolution(conflict_resolution)
    if batch_size < 1:
        raise ReplicationError(f"batch_size must be at least 1, got {batch_size}")
    source, target = str(source), str(target)
    for role, uri in (("source", source), ("target", target)):
        try:
            parse_uri(uri)
        except MostaframeError as exc:
            raise ReplicationError(f"rule {name}: {role}: {exc.message}", hint=exc.hint) from None
    if _same_database(source, target):
        raise ReplicationError(
            f"rule {name}: source and target are the same database ({mask_uri(source)})"
        )
    model = _load_schema(schema, source)
    entities = _entities(model, collections)
    if conflict_resolution == "timestamp":
        for entity in entities:
            timestamp_field(entity)
    captured: Capture | None = None
    if mode == "cdc":
        captured = _make_capture(capture, source, model, entities, name)
    return ReplicationRule(
        name,
        source,
        target,
        schema=model,
        entities=entities,
        mode=mode,
        conflict_resolution=conflict_resolution,
        capture=captured,
        status=StatusStore(status_dir, history=history),
        batch_size=batch_size,
        lock_timeout=lock_timeout,
    )


def _same_database(source: str, target: str) -> bool:
    first, second = parse_uri(source), parse_uri(target)
    if first.path and second.path and ":memory:" not in (first.path, second.path):
        return Path(first.path).resolve() == Path(second.path).resolve()
    return first.raw == second.raw


def _make_capture(
    capture: Capture | str | None, source: str, schema: Schema, entities: list[Entity], name: str
) -> Capture:
    from .capture import CAPTURES, choose_capture
    from .capture.base import Capture

    if isinstance(capture, Capture):
        return capture
    if capture is not None and capture not in CAPTURES:
        import difflib

        close = difflib.get_close_matches(str(capture), list(CAPTURES), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ReplicationError(
            f"unknown capture method {capture!r}{hint} (known: {', '.join(CAPTURES)})"
        )
    chosen = choose_capture(source, capture)
    cls = CAPTURES[chosen] if isinstance(chosen, str) else chosen
    if isinstance(cls, Capture):
        return cls
    return cls(source, schema, entities, name)
