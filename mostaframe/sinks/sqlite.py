"""SQLite destination: Arrow batches bound in C through ADBC, one big transaction, tables from
mostaframe.ddl.

How values are stored (the SQLite *source* reads them back from these representations):

==============  =================================================================================
kind            stored as
==============  =================================================================================
int, bigint…    INTEGER
float, real     REAL; ±infinity as ±Inf; NaN is refused (SQLite would store NULL)
decimal         TEXT ``-12.50`` with exactly ``scale`` digits; kept as text by the
                ``DECIMAL_TEXT(p, s)`` columns the dialect declares for p > 15, turned into
                REAL (exact up to 15 digits) by the NUMERIC affinity of ``DECIMAL(p, s)``
boolean         INTEGER 1 / 0
datetime        TEXT ``YYYY-MM-DD HH:MM:SS.ffffff`` (microseconds, lossless, sorts as time)
datetime tz     TEXT ``YYYY-MM-DD HH:MM:SS.ffffffZ`` — the instant in UTC
date            TEXT ``YYYY-MM-DD``
time            TEXT ``HH:MM:SS.ffffff``
json            TEXT: the JSON text
bytes           BLOB
uuid, enum      TEXT
list of T       TEXT: a JSON array (same value rules as the JSON destination)
==============  =================================================================================

How rows reach SQLite. :func:`sqlite_array` turns each column into the Arrow type that
binds that way (vectorised), then one of two paths binds the batch:

* **a new file** (built under its temporary name, which no other connection can know): the
  batch goes to ``adbc-driver-sqlite``, which binds it row by row in C without the GIL
  (``int*`` → INTEGER, ``float*`` → REAL, ``bool`` → INTEGER 0/1, ``(large_)string`` → TEXT,
  ``(large_)binary`` → BLOB, null → NULL), about twice as fast;
* **an existing file**: never opened by ADBC. ADBC carries its own copy of the SQLite
  library, and two copies in one process do not see each other's POSIX locks: a ``sqlite3``
  connection open on the same file (a replication target, a notebook) could then write
  concurrently, or lose its WAL when the ADBC connection closes
  (https://www.sqlite.org/howtocorrupt.html §2.2). So the first :data:`SCRATCH_AFTER_ROWS`
  rows of each entity are bound by Python's ``sqlite3`` (``executemany`` of the Python values
  of the same arrays, :func:`sqlite_values`), and the rest go to a **scratch file**: ADBC binds
  them into a private SQLite file next to the target (``.<name>.scratch-<pid>-<n>``, same
  disk; one untyped table, no index, no journal), commits and CLOSES it; then the sink's
  ``sqlite3`` connection ``ATTACH``-es it and runs ``INSERT INTO t (cols) SELECT cols FROM
  scratch.rows`` (+ the upsert clause) inside the entity's savepoint, and deletes its name.
  The untyped scratch columns keep each value's storage class, so the target's column
  affinity is the only conversion, as with ``executemany``: the same values and ``typeof()``
  on every path, proven by ``tests/test_sqlite_fast_path.py`` (except the last bit of a few
  REALs that SQLite 3.40 derives from decimal text less exactly than ADBC's 3.53, for a new
  file: docs/sinks.md, known gaps). Measured on 600k lineitem-like rows into an existing
  file: docs/sinks.md.

  Granularity is one scratch file per entity, because SQLite cannot ``DETACH`` a database
  read inside the open transaction ("database is locked"): each stays attached, and keeps
  its disk blocks, until ``COMMIT`` / ``ROLLBACK`` (its name is gone right after the copy, so
  even a killed process leaves nothing behind once it has been copied). The extra disk is
  about one untyped copy of the rows loaded, freed at the end. A connection attaches at most
  ``SQLITE_LIMIT_ATTACHED`` (10) files, so a copy's 11th big entity and later ones are bound
  by ``executemany``. Below :data:`SCRATCH_AFTER_ROWS` an entity never makes a scratch file.
  A key the target refuses among the scratch rows fails :meth:`close` (the ``INSERT …
  SELECT``) rather than :meth:`write`; the entity's savepoint is rolled back all the same.

The ADBC connection runs in autocommit mode, so the driver issues no transaction statement of
its own: the base class's explicit ``BEGIN`` / ``SAVEPOINT`` / ``RELEASE`` / ``ROLLBACK TO`` /
``COMMIT`` are plain statements on the one connection, exactly as with ``sqlite3`` in
``isolation_level=None`` mode.

A new database file is built under a temporary name next to the target and renamed into place
by :meth:`finish`, so readers never see a half-loaded file and a cancelled copy leaves nothing
behind. Pragmas during the load: ``foreign_keys=OFF`` (parents-first order is not enough for
cycles), ``synchronous=OFF``, and for a new file ``journal_mode=MEMORY`` (not OFF: an entity
that fails is rolled back to its savepoint, which needs a journal). Settings are restored at
the end and ``PRAGMA foreign_key_check`` reports orphans (warnings, or an error with
``strict_foreign_keys=True``).
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SinkError, first_line
from ..fileio import temporary_name
from .database import DatabaseSink
from .sql_literals import json_values
from .text import Location, decimal_text, timestamp_text

if TYPE_CHECKING:
    from ..schema.model import Entity

#: how long a statement waits for another connection's lock (ms), as ``sqlite3``'s default 5 s
BUSY_TIMEOUT_MS = 5000

#: rows of an entity bound by ``executemany`` into an existing file before the rest of the entity
#: goes through a scratch file. The scratch path's fixed cost (connect, create, attach) is ~2 ms,
#: so it wins from ~1-2k rows; 20k keeps the few attach slots of a copy (SQLITE_LIMIT_ATTACHED,
#: 10) for big tables and costs a big table ~30 ms of CPU (module docstring, docs/sinks.md).
SCRATCH_AFTER_ROWS = 20_000

#: numbers scratch files apart within this process (two sinks on one target must not share one)
_scratch_numbers = itertools.count(1)


def sqlite_array(column: pa.Array, where: Location) -> pa.Array:
    """``column`` as the Arrow type that binds the way the module docstring describes:
    decimals, datetimes, dates, times and lists become text; NaN is refused.

    Raises:
        SinkError: a NaN float (SQLite would store NULL), naming entity, column and row.
    """
    typ = column.type
    if pa.types.is_decimal(typ):
        return decimal_text(column)
    if pa.types.is_timestamp(typ):
        return timestamp_text(column)
    if pa.types.is_date(typ) or pa.types.is_time(typ):
        return pc.cast(column, pa.string())
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        return pc.if_else(
            pc.is_valid(column), json_values(column, where), pa.scalar(None, pa.string())
        )
    if pa.types.is_floating(typ):
        nan = pc.fill_null(pc.is_nan(column), False)
        if pc.any(nan).as_py():
            row = pc.index(nan, True).as_py()
            raise SinkError(
                f"{where.describe(row)}: NaN cannot be stored by SQLite (it would become NULL)",
                hint="replace NaN in the source, or copy to PostgreSQL / Parquet",
            )
    return column


def sqlite_values(column: pa.Array, where: Location) -> list[Any]:
    """Python values ``sqlite3`` binds the way the module docstring describes (the
    :func:`sqlite_array` of ``column`` as Python objects)."""
    return python_values(sqlite_array(column, where))


def python_values(array: pa.Array) -> list[Any]:
    """The values of an array :func:`sqlite_array` returned, as Python objects."""
    typ = array.type
    if array.null_count == 0 and (
        pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_boolean(typ)
    ):
        return array.to_numpy(zero_copy_only=False).tolist()  # 3× faster than to_pylist
    return array.to_pylist()


def sqlite_batch(batch: pa.RecordBatch, entity: str, first_row: int = 0) -> pa.RecordBatch:
    """``batch`` with every column converted by :func:`sqlite_array` (names kept)."""
    return pa.RecordBatch.from_arrays(
        [
            sqlite_array(column, Location(entity, name, first_row))
            for column, name in zip(batch.columns, batch.schema.names, strict=True)
        ],
        names=batch.schema.names,
    )


def remove_database_files(path: Path, *, ignore_errors: bool = False) -> None:
    """Delete a SQLite database file and its journal / WAL / shared-memory companions."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        except OSError:
            if not ignore_errors:
                raise


def _adbc_sqlite(description: str) -> Any:
    """``adbc_driver_sqlite.dbapi``, imported when a new file is written."""
    try:
        from adbc_driver_sqlite import dbapi
    except ImportError as exc:
        raise SinkError(
            f"{description}: writing a new SQLite file needs the adbc-driver-sqlite package",
            hint="pip install adbc-driver-sqlite",
        ) from exc
    return dbapi


class _Scratch:
    """A private SQLite file that ADBC fills with rows of one entity, for the sink's ``sqlite3``
    connection to copy with ``INSERT … SELECT`` (the module docstring says why).

    The table ``rows`` has the entity's column names and NO declared types: it stores each value
    with the storage class it was bound with, so the target column's affinity is the only
    conversion, as when ``sqlite3`` binds into the target directly. No key, no index: the target
    checks its own keys during the ``INSERT … SELECT``.

    Raises:
        SinkError: the file cannot be created or written (unwritable directory, disk full),
            naming it.
    """

    TABLE = "rows"

    def __init__(self, path: Path, columns: str, count: int) -> None:
        self.path = path
        self._dbapi = _adbc_sqlite(f"scratch file {path}")
        self._connection: Any = None
        self._cursor: Any = None
        marks = ", ".join("?" for _ in range(count))
        self._insert = f"INSERT INTO {self.TABLE} ({columns}) VALUES ({marks})"
        with self._errors("cannot create"):
            path.unlink(missing_ok=True)  # a leftover of a crashed run with the same pid
            # autocommit: the driver starts no transaction; ours is the explicit BEGIN below
            self._connection = self._dbapi.connect(str(path), autocommit=True)
            self._cursor = self._connection.cursor()
            # a file nobody else reads, deleted whatever happens: no journal, no fsync
            for statement in (
                "PRAGMA journal_mode=OFF",
                "PRAGMA synchronous=OFF",
                "BEGIN",
                f"CREATE TABLE {self.TABLE} ({columns})",
            ):
                self._cursor.execute(statement)
                self._cursor.fetchall()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except (self._dbapi.Error, OSError) as error:
            self.discard()
            first = first_line(error)
            raise SinkError(
                f"{doing} the scratch file {self.path}: {first}",
                hint=f"free disk space or make {self.path.parent} writable: an existing SQLite "
                "file is loaded through a scratch copy of each large entity in its directory",
            ) from error

    def write(self, batch: pa.RecordBatch) -> None:
        """Bind ``batch`` (already :func:`sqlite_batch`-converted) into the scratch table."""
        with self._errors("cannot write"):
            self._cursor.executemany(self._insert, batch)

    def seal(self) -> None:
        """Commit and CLOSE the ADBC connection: a second SQLite library may then open the file.
        (Closing, not only committing: closing any descriptor of a file drops every POSIX lock
        the process holds on it, which would strip the reader's locks later.)"""
        with self._errors("cannot write"):
            self._cursor.execute("COMMIT")
            self._cursor.fetchall()
            self._close_connection()

    def _close_connection(self) -> None:
        cursor, connection = self._cursor, self._connection
        self._cursor = self._connection = None
        try:
            if cursor is not None:
                cursor.close()
        finally:
            if connection is not None:
                connection.close()

    def discard(self) -> None:
        """Close the ADBC connection if still open and delete the file (never raises)."""
        try:
            self._close_connection()
        except Exception:  # already failed; deleting the file is what matters
            pass
        # a file we cannot delete is not ours (a directory in the way): the error names it
        remove_database_files(self.path, ignore_errors=True)


class SQLiteSink(DatabaseSink):
    """Writes into a SQLite database file.

    Options:
        strict_foreign_keys: fail :meth:`finish` (and roll back) when ``PRAGMA
            foreign_key_check`` finds orphan rows, instead of recording warnings.

    Attributes:
        arrow_binding: after :meth:`begin`, True when batches go through ADBC (a new file),
            False for an existing file (``sqlite3``, and scratch files for big entities; see
            the module docstring).
        scratch_rows: rows per entity that reached an existing file through a scratch file
            (the rest of each entity was bound by ``executemany``).
    """

    kind: ClassVar[str] = "sqlite"
    dialect_name: ClassVar[str] = "sqlite"
    OPTIONS: ClassVar[dict[str, Any]] = {"strict_foreign_keys": False}

    def __init__(self, target: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self.path = Path(self.uri.path or "")
        self.arrow_binding = False
        self._temp: Path | None = None
        self._restore: list[str] = []
        self._cursor: Any = None  # statements and pragmas
        self._bulk: Any = None  # the entity's INSERT, prepared once, bound batch after batch
        self._insert = ""
        self.scratch_rows: dict[str, int] = {}
        self._scratch: _Scratch | None = None  # the open entity's, while ADBC fills it
        self._scratch_slots = 0  # scratch files the connection can still attach
        self._adbc_installed: bool | None = None  # checked when a scratch file is first due

    @property
    def description(self) -> str:
        return f"sqlite {self.path}"

    def _connect(self) -> Any:
        if str(self.path) == ":memory:":
            raise SinkError(
                "sqlite destination: an in-memory database would be lost at the end",
                hint="give a file path",
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SinkError(f"{self.description}: cannot create {self.path.parent}: {exc}") from exc
        errors: tuple[type[Exception], ...] = (sqlite3.Error,)
        connection: Any = None
        try:
            if self.path.exists():
                connection = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False
                )
                # a database read in a transaction stays attached until it ends (DETACH says
                # "database is locked"): one slot per scratch file, for the whole copy
                self._scratch_slots = connection.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED)
            else:
                dbapi = _adbc_sqlite(self.description)
                errors += (dbapi.Error,)
                self._temp = temporary_name(self.path)
                self._temp.unlink(missing_ok=True)
                # autocommit: the driver starts no transaction; ours are explicit statements
                connection = dbapi.connect(str(self._temp), autocommit=True)
                self.arrow_binding = True
            self._cursor = connection.cursor()
            self._bulk = connection.cursor()
            self._execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._query("SELECT count(*) FROM sqlite_master")
        except errors as exc:
            if connection is not None:
                connection.close()
            self._cursor = self._bulk = None
            first = first_line(exc)
            raise SinkError(f"{self.description}: not a usable SQLite database: {first}") from exc
        return connection

    def _execute(self, sql: str) -> None:
        self._cursor.execute(sql)
        # read to the end: a statement left half-read would keep its read transaction open
        self._cursor.fetchall()

    def _query(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if parameters:
            self._cursor.execute(sql, parameters)
        else:
            self._cursor.execute(sql)
        return self._cursor.fetchall()

    def _pragma(self, name: str) -> Any:
        return self._query(f"PRAGMA {name}")[0][0]

    def _session_start(self) -> None:
        foreign_keys = self._pragma("foreign_keys")
        synchronous = self._pragma("synchronous")
        self._restore = [f"PRAGMA foreign_keys={foreign_keys}", f"PRAGMA synchronous={synchronous}"]
        self._execute("PRAGMA foreign_keys=OFF")
        self._execute("PRAGMA synchronous=OFF")
        self._execute("PRAGMA temp_store=MEMORY")
        # 8 MiB: loads append to the primary key, a bigger cache buys no speed and costs RSS
        # (SF1 lineitem: 256 → 32 MiB same CPU; 32 → 8 MiB 22.3–22.9 vs 22.0–22.4 CPU-s and
        # 23 MB less peak RSS, docs/benchmarks.md run 7)
        self._execute("PRAGMA cache_size=-8192")
        if self._temp is not None:
            self._execute("PRAGMA journal_mode=MEMORY")
            self._restore.append("PRAGMA journal_mode=DELETE")

    def _session_end(self) -> None:
        for statement in self._restore:
            self._execute(statement)
        self._restore = []

    def _table_exists(self, entity: Entity) -> bool:
        rows = self._query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (entity.table,)
        )
        return bool(rows)

    def _prepare_entity(self, entity: Entity) -> None:
        table = self._table(entity)
        marks = ", ".join("?" for _ in entity.fields)
        sql = f"INSERT INTO {table} ({self._columns(entity)}) VALUES ({marks})"
        if self.mode == "upsert":
            sql += " " + self._upsert(entity)
        self._insert = sql

    def _write(self, batch: pa.RecordBatch) -> int:
        assert self.entity is not None and self.result is not None
        converted = sqlite_batch(batch, self.entity.name, self.result.rows)
        if self.arrow_binding:  # binds every row in C and releases the GIL meanwhile
            self._bulk.executemany(self._insert, converted)
            return batch.nbytes
        if self._scratch is None:
            room = SCRATCH_AFTER_ROWS - self.result.rows
            if room >= converted.num_rows or not self._scratch_possible():
                self._bind(converted)
                return batch.nbytes
            if room > 0:
                self._bind(converted.slice(0, room))
                converted = converted.slice(room)
            name = f".{self.path.name}.scratch-{os.getpid()}-{next(_scratch_numbers)}"
            self._scratch = _Scratch(
                self.path.with_name(name),
                self._columns(self.entity),
                len(self.entity.fields),
            )
        self._scratch.write(converted)
        self.scratch_rows[self.entity.name] = (
            self.scratch_rows.get(self.entity.name, 0) + converted.num_rows
        )
        return batch.nbytes

    def _bind(self, converted: pa.RecordBatch) -> None:
        """``sqlite3.executemany`` of the Python values of ``converted``."""
        self._bulk.executemany(
            self._insert, zip(*map(python_values, converted.columns), strict=True)
        )

    def _scratch_possible(self) -> bool:
        if self._scratch_slots <= 0:
            return False
        if self._adbc_installed is None:
            try:
                _adbc_sqlite(self.description)
                self._adbc_installed = True
            except SinkError:
                self._adbc_installed = False
                self.warnings.append(
                    "adbc-driver-sqlite is not installed: big entities are bound by sqlite3 "
                    "executemany, about 1.8x more CPU (pip install adbc-driver-sqlite)"
                )
        return self._adbc_installed

    def _close(self) -> None:
        assert self.entity is not None
        scratch, self._scratch = self._scratch, None
        if scratch is not None:
            try:
                scratch.seal()
                schema = self.quote(f"mf_scratch_{self._scratch_slots}")
                self._query(f"ATTACH DATABASE ? AS {schema}", (str(scratch.path),))
                self._scratch_slots -= 1
                # WHERE true: without it "ON CONFLICT" would parse as a join constraint
                sql = (
                    f"INSERT INTO {self._table(self.entity)} ({self._columns(self.entity)}) "
                    f"SELECT {self._columns(self.entity)} FROM {schema}.{scratch.TABLE} "
                    "WHERE true ORDER BY _rowid_"
                )
                if self.mode == "upsert":
                    sql += " " + self._upsert(self.entity)
                self._execute(sql)
            finally:
                # attached until the transaction ends, but its name can go now: the blocks
                # are freed when the connection lets go, even if this process is killed
                scratch.discard()
        super()._close()

    def _before_commit(self) -> None:
        rows = self._query("PRAGMA foreign_key_check")
        if not rows:
            return
        counts: dict[tuple[str, str], int] = {}
        for table, _rowid, parent, _fk in rows:
            counts[(table, parent)] = counts.get((table, parent), 0) + 1
        message = "; ".join(
            f"{n} row(s) of {t} reference missing {p} rows" for (t, p), n in sorted(counts.items())
        )
        if self.options["strict_foreign_keys"]:
            raise SinkError(
                f"{self.description}: foreign key check failed: {message}",
                hint="copy the parent entities too, or pass strict_foreign_keys=False",
            )
        self.warnings.append(f"foreign key check: {message}")

    def _finish(self) -> None:
        super()._finish()
        if self._temp is not None:
            os.replace(self._temp, self.path)
            self._temp = None

    def _disconnect(self) -> None:
        self._cursor = self._bulk = None  # closed with the connection
        super()._disconnect()

    def _abort(self, error: BaseException) -> None:
        self._drop_scratch()
        super()._abort(error)

    def _drop_scratch(self) -> None:
        if self._scratch is not None:
            self._scratch.discard()
            self._scratch = None

    def _cancel(self) -> None:
        self._drop_scratch()
        super()._cancel()
        if self._temp is not None:
            remove_database_files(self._temp)
            self._temp = None
