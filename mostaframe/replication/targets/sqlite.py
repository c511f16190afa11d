"""SQLite replication target: ``executemany`` of ``INSERT … ON CONFLICT`` / ``DELETE … WHERE pk=?``.

Why ``sqlite3`` and not ADBC, which the SQLite *sink* uses for new files: binding the same
Arrow batch through ``adbc-driver-sqlite`` makes the upsert statement ≈ 2.2× cheaper (two
upserts of 90,000 TPC-H ``orders`` rows: 0.49 s → 0.22 s of CPU, measured 2026-11-26), but a
replica is a file other connections open while the rule's connection stays open: the rule's
own snapshot copy (the sink writes an existing file through ``sqlite3``, bulk rows via private
scratch files that ADBC fills and ``sqlite3`` attaches — ADBC never opens the replica), the
user's readers.
ADBC embeds a second copy of the SQLite library, and two copies in one process do not see
each other's POSIX locks (https://www.sqlite.org/howtocorrupt.html §2.2): a concurrent write
or a lost WAL would be possible. The checkpoint must also commit in the same transaction as
the rows, so the data cannot go through a second connection either. Apply is not what bounds
a catch-up anyway (decoding is: ``tests/benchmarks/bench_cdc_catchup.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .base import Target

if TYPE_CHECKING:
    from ...schema.model import Entity


class SQLiteTarget(Target):
    """SQLite: ``executemany`` straight from Arrow columns (no staging for plain writes)."""

    dialect = "sqlite"

    def _connect(self) -> Any:
        import sqlite3

        # autocommit mode: transactions are begun explicitly (BEGIN IMMEDIATE below); any
        # thread may drive the target, one at a time (a rule serialises its passes)
        return sqlite3.connect(
            self.uri.path or ":memory:",
            timeout=self.lock_timeout,
            isolation_level=None,
            check_same_thread=False,
        )

    def _foreign_key_checks_off(self) -> bool:
        self.connection.execute("PRAGMA foreign_keys = OFF")
        # connection-local settings (the file is not changed): a bigger page cache keeps the
        # key indexes of a catch-up in memory; staged tables live in memory
        self.connection.execute("PRAGMA cache_size = -65536")
        self.connection.execute("PRAGMA temp_store = MEMORY")
        return True

    def begin(self) -> None:
        # IMMEDIATE takes the write lock now: a locked target fails here, before any work
        self.connection.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("COMMIT")

    def rollback(self) -> None:
        try:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
        except Exception:
            pass

    def is_unique_violation(self, error: BaseException) -> bool:
        import sqlite3

        return isinstance(error, sqlite3.IntegrityError) and "UNIQUE constraint" in str(error)

    def is_transient(self, error: BaseException) -> bool:
        import sqlite3

        return isinstance(error, sqlite3.OperationalError) and any(
            word in str(error).lower() for word in ("locked", "busy", "disk i/o")
        )

    @staticmethod
    def _rows(batch: pa.RecordBatch, entity: Entity) -> Iterator[tuple]:
        # the SQLite sink's own conversion: snapshot rows and applied rows are identical
        from ...sinks.sqlite import sqlite_values
        from ...sinks.text import Location

        columns = [
            sqlite_values(column, Location(entity.name, name))
            for name, column in zip(batch.schema.names, batch.columns, strict=True)
        ]
        # an iterator: sqlite3 binds row by row, no list of a million tuples is built
        return zip(*columns, strict=True)

    def stage(self, entity: Entity, batch: pa.RecordBatch) -> str:
        name = self.quote(self.stage_name())
        # untyped columns: values are kept exactly as given (no affinity conversion)
        cols = ", ".join(self.quote(c) for c in batch.schema.names)
        self.execute(f"DROP TABLE IF EXISTS temp.{name}")
        self.execute(f"CREATE TEMP TABLE {name} ({cols})")
        marks = ", ".join("?" * batch.num_columns)
        self.executemany(f"INSERT INTO temp.{name} VALUES ({marks})", self._rows(batch, entity))
        return f"temp.{name}"

    def upsert(self, entity: Entity, rows: pa.RecordBatch) -> None:
        marks = ", ".join("?" * rows.num_columns)
        # "VALUES" needs no WHERE true: the ON CONFLICT parsing ambiguity is for SELECT only
        sql = self.upsert_sql(entity, rows.schema.names, f"VALUES ({marks})")
        self.executemany(sql, self._rows(rows, entity))

    def delete(self, entity: Entity, keys: pa.RecordBatch) -> None:
        where = " AND ".join(f"{self.quote(c)} = ?" for c in keys.schema.names)
        self.executemany(
            f"DELETE FROM {self.table(entity)} WHERE {where}", self._rows(keys, entity)
        )
