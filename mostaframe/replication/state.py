"""Where replication remembers things: checkpoints in the target, history in a status store.

Two places, on purpose:

* **The checkpoint lives in the target** (table ``_mostaframe_replication_state``), written in
  the same transaction as the rows it describes. Whatever crashes, the replica's data and the
  position it is at can never disagree: after a restart, changes after the checkpoint are read
  again and applied again, which is harmless because applying is idempotent.
* **The status store** is a small SQLite file (``replicator-status.sqlite``) next to the topology
  file (``replicator-tree.json``). It keeps a bounded history of lag samples, one row per run and
  a log of events, so the replication manager and the monitoring dashboard can show how each rule
  is doing *without touching the databases*. It is written in WAL mode, so readers never block
  the writer and never see half a write.

Example::

    store = StatusStore("./replication")            # ./replication/replicator-status.sqlite
    store.record_lag("pg-to-sqlite", Lag(120, 48_000, 0.8))
    store.lag_history("pg-to-sqlite")               # polars DataFrame
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ReplicationError
from ..secrets import mask_text

if TYPE_CHECKING:
    import polars as pl

    from .apply import Target

#: Name of the checkpoint table created in every replication target.
STATE_TABLE = "_mostaframe_replication_state"
#: Name of the side table holding the per-row applied markers used by ``target-wins``.
MARKER_TABLE = "_mostaframe_replication_rows"
#: File name of the status store inside the status directory.
STATUS_FILE = "replicator-status.sqlite"
#: File name of the topology file the status store sits next to.
TOPOLOGY_FILE = "replicator-tree.json"
#: Rows of history kept per rule and table unless told otherwise.
DEFAULT_HISTORY = 10_000

LEVELS = ("debug", "info", "warning", "error")


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Fixed-width ISO 8601 UTC text, so that text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


# ---------------------------------------------------------------------------------------------
# checkpoints, in the target


@dataclass(frozen=True)
class Checkpoint:
    """What a target knows about one rule.

    Attributes:
        rule: rule name.
        position: last source position fully applied (LSN or change-log sequence), None before
            the first snapshot finished.
        snapshot_done: the initial copy finished; changes after ``position`` are what is left.
        updated_at: when the row was last written (UTC).
    """

    rule: str
    position: int | None
    snapshot_done: bool
    updated_at: datetime | None


def state_table_statements(target: Target) -> list[str]:
    """``CREATE TABLE IF NOT EXISTS`` statements for the checkpoint and marker tables.

    The column types (VARCHAR, BIGINT, INTEGER) mean the same on all four dialects, so the
    statements are written once; ``updated_at`` is ISO 8601 text for the same reason.
    """
    q = target.quote
    return [
        f"CREATE TABLE IF NOT EXISTS {q(STATE_TABLE)} ("
        f"{q('rule')} VARCHAR(200) NOT NULL PRIMARY KEY, "
        f"{q('position')} BIGINT, "
        f"{q('snapshot_done')} INTEGER NOT NULL, "
        f"{q('updated_at')} VARCHAR(40) NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {q(MARKER_TABLE)} ("
        f"{q('rule')} VARCHAR(200) NOT NULL, "
        f"{q('entity')} VARCHAR(200) NOT NULL, "
        f"{q('row_key')} CHAR(32) NOT NULL, "
        f"{q('row_hash')} CHAR(32) NOT NULL, "
        f"PRIMARY KEY ({q('rule')}, {q('entity')}, {q('row_key')}))",
    ]


def ensure_state_table(target: Target) -> None:
    """Create the checkpoint and marker tables in ``target`` if missing (and commit)."""
    if getattr(target, "_state_ready", False):
        return
    for statement in state_table_statements(target):
        target.execute(statement)
    target.commit()
    target._state_ready = True


def read_state(target: Target, rule: str) -> Checkpoint | None:
    """The checkpoint row of ``rule`` in ``target``, or None when there is none."""
    q, p = target.quote, target.placeholder
    rows = target.query(
        f"SELECT {q('position')}, {q('snapshot_done')}, {q('updated_at')} "
        f"FROM {q(STATE_TABLE)} WHERE {q('rule')} = {p}",
        (rule,),
    )
    if not rows:
        return None
    position, done, updated = rows[0]
    return Checkpoint(
        rule,
        None if position is None else int(position),
        bool(done),
        datetime.fromisoformat(updated) if updated else None,
    )


def read_checkpoint(target: Target, rule: str) -> int | None:
    """The position ``rule`` has applied up to in ``target`` (None: no snapshot finished yet)."""
    state = read_state(target, rule)
    return state.position if state is not None and state.snapshot_done else None


def write_checkpoint(
    target: Target, rule: str, position: int | None, *, snapshot_done: bool = True
) -> None:
    """Write ``rule``'s checkpoint row inside the caller's open transaction (no commit).

    Delete-then-insert instead of a dialect-specific upsert: both statements run in the same
    transaction as the data, so no reader ever sees the row missing.
    """
    q, p = target.quote, target.placeholder
    target.execute(f"DELETE FROM {q(STATE_TABLE)} WHERE {q('rule')} = {p}", (rule,))
    target.execute(
        f"INSERT INTO {q(STATE_TABLE)} "
        f"({q('rule')}, {q('position')}, {q('snapshot_done')}, {q('updated_at')}) "
        f"VALUES ({p}, {p}, {p}, {p})",
        (rule, position, 1 if snapshot_done else 0, iso(utc_now())),
    )


def delete_state(target: Target, rule: str) -> None:
    """Forget ``rule`` in ``target``: its checkpoint and its row markers (and commit)."""
    q, p = target.quote, target.placeholder
    target.execute(f"DELETE FROM {q(STATE_TABLE)} WHERE {q('rule')} = {p}", (rule,))
    target.execute(f"DELETE FROM {q(MARKER_TABLE)} WHERE {q('rule')} = {p}", (rule,))
    target.commit()


#: keys per ``IN (…)`` list when reading or deleting markers (under every driver's limit)
_MARKER_CHUNK = 500


def read_markers(target: Target, rule: str, entity: str, row_keys: list[str]) -> dict[str, str]:
    """``row_key → row_hash`` of the stored markers among ``row_keys`` (``target-wins``)."""
    q, p = target.quote, target.placeholder
    found: dict[str, str] = {}
    for start in range(0, len(row_keys), _MARKER_CHUNK):
        chunk = row_keys[start : start + _MARKER_CHUNK]
        marks = ", ".join([p] * len(chunk))
        rows = target.query(
            f"SELECT {q('row_key')}, {q('row_hash')} FROM {q(MARKER_TABLE)} "
            f"WHERE {q('rule')} = {p} AND {q('entity')} = {p} AND {q('row_key')} IN ({marks})",
            (rule, entity, *chunk),
        )
        found.update((str(key).strip(), str(digest).strip()) for key, digest in rows)
    return found


def delete_markers(
    target: Target, rule: str, entity: str, row_keys: list[str] | None = None
) -> None:
    """Delete the markers of ``row_keys`` (None: of the whole entity), in the open transaction."""
    q, p = target.quote, target.placeholder
    head = f"DELETE FROM {q(MARKER_TABLE)} WHERE {q('rule')} = {p} AND {q('entity')} = {p}"
    if row_keys is None:
        target.execute(head, (rule, entity))
        return
    for start in range(0, len(row_keys), _MARKER_CHUNK):
        chunk = row_keys[start : start + _MARKER_CHUNK]
        marks = ", ".join([p] * len(chunk))
        target.execute(f"{head} AND {q('row_key')} IN ({marks})", (rule, entity, *chunk))


def write_markers(target: Target, rule: str, entity: str, markers: list[tuple[str, str]]) -> None:
    """Store ``(row_key, row_hash)`` markers, replacing older ones, in the open transaction."""
    if not markers:
        return
    q, p = target.quote, target.placeholder
    delete_markers(target, rule, entity, [key for key, _ in markers])
    target.executemany(
        f"INSERT INTO {q(MARKER_TABLE)} ({q('rule')}, {q('entity')}, {q('row_key')}, "
        f"{q('row_hash')}) VALUES ({p}, {p}, {p}, {p})",
        [(rule, entity, key, digest) for key, digest in markers],
    )


# ---------------------------------------------------------------------------------------------
# the status store, next to the topology file

_STATUS_DDL = (
    """CREATE TABLE IF NOT EXISTS lag (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule TEXT NOT NULL,
        time TEXT NOT NULL,
        pending_changes INTEGER,
        pending_bytes INTEGER,
        seconds_behind REAL)""",
    "CREATE INDEX IF NOT EXISTS lag_rule ON lag (rule, id)",
    """CREATE TABLE IF NOT EXISTS runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule TEXT NOT NULL,
        started TEXT NOT NULL,
        seconds REAL NOT NULL,
        kind TEXT NOT NULL,
        changes_read INTEGER NOT NULL,
        rows_applied INTEGER NOT NULL,
        position INTEGER,
        applied TEXT NOT NULL,
        batches TEXT NOT NULL,
        error TEXT)""",
    "CREATE INDEX IF NOT EXISTS runs_rule ON runs (rule, id)",
    """CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time TEXT NOT NULL,
        rule TEXT,
        level TEXT NOT NULL,
        message TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS events_rule ON events (rule, id)",
)

_SCHEMAS: dict[str, dict[str, Any]] = {}


def _frame_schemas() -> dict[str, dict[str, Any]]:
    """polars dtypes of each table's frame (built lazily: polars is heavy to import)."""
    if not _SCHEMAS:
        import polars as pl

        when = pl.Datetime("us", "UTC")
        _SCHEMAS.update(
            lag={
                "rule": pl.String,
                "time": when,
                "pending_changes": pl.Int64,
                "pending_bytes": pl.Int64,
                "seconds_behind": pl.Float64,
            },
            runs={
                "rule": pl.String,
                "started": when,
                "seconds": pl.Float64,
                "kind": pl.String,
                "changes_read": pl.Int64,
                "rows_applied": pl.Int64,
                "position": pl.Int64,
                "applied": pl.String,
                "batches": pl.String,
                "error": pl.String,
            },
            events={"time": when, "rule": pl.String, "level": pl.String, "message": pl.String},
        )
    return _SCHEMAS


class StatusStore:
    """Lag history, run statistics and events of replication rules, in one SQLite file.

    Args:
        directory: directory of the topology file; the store is ``<directory>/
            replicator-status.sqlite``. A path ending in ``.sqlite`` is taken as the file itself.
            None: the current directory.
        history: rows kept per rule in each table (older rows are deleted as new ones come).

    Every call opens its own short-lived connection, so one store object can be shared by
    threads, and other processes (the dashboard) can read the file at the same time.

    Example:
        >>> store = StatusStore(tmp_dir)                                 # doctest: +SKIP
        >>> store.event("orders", "warning", "target locked, retrying in 2s")  # doctest: +SKIP
        >>> store.events("orders")                                       # doctest: +SKIP
    """

    def __init__(
        self, directory: str | os.PathLike[str] | None = None, *, history: int = DEFAULT_HISTORY
    ) -> None:
        base = Path(directory) if directory is not None else Path.cwd()
        self.path = base if base.suffix in (".sqlite", ".db") else base / STATUS_FILE
        if history < 1:
            raise ReplicationError(f"status store history must be at least 1 row, got {history}")
        self.history = history
        self._lock = threading.Lock()
        self._ready = False

    def __repr__(self) -> str:
        return f"<StatusStore {self.path} history={self.history}>"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self._create()
        connection = sqlite3.connect(self.path, timeout=10.0)
        # WAL + NORMAL: a commit does not wait for the disk; a power cut may lose the last
        # samples, never corrupt the file (the data itself is safe in the target)
        connection.execute("PRAGMA synchronous = NORMAL")
        try:
            yield connection
        finally:
            connection.close()

    def _create(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10.0)
        except (OSError, sqlite3.Error) as exc:
            raise ReplicationError(
                f"cannot open the status store {self.path}: {exc}",
                hint="give status_dir= a writable directory",
            ) from exc
        try:
            # WAL: the dashboard reads while a rule writes, neither waits for the other
            connection.execute("PRAGMA journal_mode=WAL")
            with connection:
                for statement in _STATUS_DDL:
                    connection.execute(statement)
        finally:
            connection.close()
        self._ready = True

    def _insert_bounded(
        self,
        table: str,
        rule: str | None,
        columns: str,
        values: tuple,
        connection: sqlite3.Connection | None = None,
    ) -> None:
        if connection is None:
            with self._connect() as connection, connection:
                self._insert_bounded(table, rule, columns, values, connection)
            return
        marks = ", ".join("?" * len(values))
        connection.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)
        # keep the newest `history` rows of this rule: one indexed range delete
        connection.execute(
            f"DELETE FROM {table} WHERE rule IS ? AND id <= (SELECT id FROM {table} "
            f"WHERE rule IS ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
            (rule, rule, self.history),
        )

    # -- writing ---------------------------------------------------------------------------

    def record_lag(
        self,
        rule: str,
        lag: Any,
        *,
        time: datetime | None = None,
        connection: sqlite3.Connection | None = None,
    ) -> None:
        """Append one lag sample (a :class:`~mostaframe.replication.capture.base.Lag`)."""
        self._insert_bounded(
            "lag",
            rule,
            "rule, time, pending_changes, pending_bytes, seconds_behind",
            (
                rule,
                iso(time or utc_now()),
                lag.pending_changes,
                lag.pending_bytes,
                lag.seconds_behind,
            ),
            connection,
        )

    def record_run(
        self,
        rule: str,
        *,
        started: datetime,
        seconds: float,
        kind: str,
        changes_read: int,
        rows_applied: int,
        position: int | None,
        applied: dict[str, dict[str, int]],
        batches: list[dict[str, Any]],
        error: str | None = None,
        lag: Any = None,
    ) -> None:
        """Append the statistics of one run (one ``sync()`` pass).

        Args:
            kind: ``snapshot``, ``changes`` or ``idle``.
            applied: entity → operation → count (source operations read and applied).
            batches: one dict per applied ChangeSet (changes, rows, seconds, position …).
            error: what went wrong (masked), None for a good run.
            lag: the lag after the run, also appended to the lag history (same transaction).
        """
        with self._connect() as connection, connection:
            if lag is not None:
                self.record_lag(rule, lag, connection=connection)
            self._insert_run(
                connection,
                rule,
                started,
                seconds,
                kind,
                changes_read,
                rows_applied,
                position,
                applied,
                batches,
                error,
            )

    def _insert_run(
        self,
        connection: sqlite3.Connection,
        rule: str,
        started: datetime,
        seconds: float,
        kind: str,
        changes_read: int,
        rows_applied: int,
        position: int | None,
        applied: dict[str, dict[str, int]],
        batches: list[dict[str, Any]],
        error: str | None,
    ) -> None:
        self._insert_bounded(
            "runs",
            rule,
            "rule, started, seconds, kind, changes_read, rows_applied, position, applied, "
            "batches, error",
            (
                rule,
                iso(started),
                seconds,
                kind,
                changes_read,
                rows_applied,
                position,
                json.dumps(applied, sort_keys=True),
                json.dumps(batches),
                mask_text(error) if error else None,
            ),
            connection,
        )

    def event(self, rule: str | None, level: str, message: str) -> None:
        """Append an event (passwords in ``message`` are masked before it is stored)."""
        if level not in LEVELS:
            raise ReplicationError(f"unknown event level {level!r}; known: {', '.join(LEVELS)}")
        self._insert_bounded(
            "events",
            rule,
            "time, rule, level, message",
            (iso(utc_now()), rule, level, mask_text(message)),
        )

    def forget(self, rule: str) -> None:
        """Delete every row of ``rule`` (when the rule is dropped)."""
        with self._connect() as connection, connection:
            for table in ("lag", "runs", "events"):
                connection.execute(f"DELETE FROM {table} WHERE rule = ?", (rule,))

    # -- reading ---------------------------------------------------------------------------

    def _frame(
        self,
        table: str,
        columns: list[str],
        time_column: str,
        rule: str | None,
        since: datetime | None,
        limit: int | None,
        extra: tuple[str, Any] | None = None,
    ) -> pl.DataFrame:
        import polars as pl

        where, params = [], []
        if rule is not None:
            where.append("rule = ?")
            params.append(rule)
        if since is not None:
            where.append(f"{time_column} >= ?")
            params.append(iso(since if since.tzinfo else since.replace(tzinfo=UTC)))
        if extra is not None:
            where.append(f"{extra[0]} = ?")
            params.append(extra[1])
        sql = f"SELECT {', '.join(columns)}, id FROM {table}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if limit is not None:
            # the newest `limit` rows, still returned oldest first
            sql += " ORDER BY id DESC LIMIT ?"
            params.append(limit)
        sql = f"SELECT {', '.join(columns)} FROM ({sql}) ORDER BY id"
        if not self.path.exists():
            rows: list[tuple] = []
        else:
            with self._connect() as connection:
                rows = connection.execute(sql, params).fetchall()
        dtypes = _frame_schemas()[table]
        data = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
        frame = pl.DataFrame(
            {name: data[name] for name in columns},
            schema={n: (pl.String if n == time_column else dtypes[n]) for n in columns},
        )
        return frame.with_columns(
            pl.col(time_column).str.to_datetime(time_unit="us", time_zone="UTC")
        )

    def lag_history(
        self, rule: str | None = None, since: datetime | None = None, limit: int | None = None
    ) -> pl.DataFrame:
        """Lag samples, oldest first: rule, time, pending_changes, pending_bytes, seconds_behind.

        Args:
            rule: only this rule (None: all rules).
            since: only samples at or after this time (naive times are taken as UTC).
            limit: only the newest ``limit`` samples.
        """
        columns = list(_frame_schemas()["lag"])
        return self._frame("lag", columns, "time", rule, since, limit)

    def runs(
        self, rule: str | None = None, since: datetime | None = None, limit: int | None = None
    ) -> pl.DataFrame:
        """One row per run, oldest first: rule, started, seconds, kind, changes_read,
        rows_applied, position, applied (JSON: entity → operation → count), batches (JSON list
        of per-batch timings), error."""
        columns = list(_frame_schemas()["runs"])
        return self._frame("runs", columns, "started", rule, since, limit)

    def events(
        self,
        rule: str | None = None,
        since: datetime | None = None,
        level: str | None = None,
        limit: int | None = None,
    ) -> pl.DataFrame:
        """Events, oldest first: time, rule, level, message (already masked)."""
        columns = list(_frame_schemas()["events"])
        extra = ("level", level) if level is not None else None
        return self._frame("events", columns, "time", rule, since, limit, extra)
