"""SQLite destination: bulk ``executemany`` in one big transaction, tables from mostaframe.ddl.

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

A new database file is built under a temporary name next to the target and renamed into place
by :meth:`finish`, so readers never see a half-loaded file and a cancelled copy leaves nothing
behind. Pragmas during the load: ``foreign_keys=OFF`` (parents-first order is not enough for
cycles), ``synchronous=OFF``, and for a new file ``journal_mode=MEMORY`` (not OFF: an entity
that fails is rolled back to its savepoint, which needs a journal). Settings are restored at
the end and ``PRAGMA foreign_key_check`` reports orphans (warnings, or an error with
``strict_foreign_keys=True``).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SinkError
from ..fileio import temporary_name
from .database import DatabaseSink
from .sql_literals import json_values
from .text import Location, decimal_text, timestamp_text

if TYPE_CHECKING:
    from ..schema.model import Entity


def sqlite_values(column: pa.Array, where: Location) -> list[Any]:
    """Python values sqlite3 binds the way the module docstring describes."""
    typ = column.type
    if pa.types.is_decimal(typ):
        column = decimal_text(column)
    elif pa.types.is_timestamp(typ):
        column = timestamp_text(column)
    elif pa.types.is_date(typ) or pa.types.is_time(typ):
        column = pc.cast(column, pa.string())
    elif pa.types.is_list(typ) or pa.types.is_large_list(typ):
        column = pc.if_else(
            pc.is_valid(column), json_values(column, where), pa.scalar(None, pa.string())
        )
    elif pa.types.is_floating(typ):
        nan = pc.fill_null(pc.is_nan(column), False)
        if pc.any(nan).as_py():
            row = pc.index(nan, True).as_py()
            raise SinkError(
                f"{where.describe(row)}: NaN cannot be stored by SQLite (it would become NULL)",
                hint="replace NaN in the source, or copy to PostgreSQL / Parquet",
            )
    if column.null_count == 0 and (
        pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_boolean(typ)
    ):
        return column.to_numpy(zero_copy_only=False).tolist()  # 3× faster than to_pylist
    return column.to_pylist()


class SQLiteSink(DatabaseSink):
    """Writes into a SQLite database file.

    Options:
        strict_foreign_keys: fail :meth:`finish` (and roll back) when ``PRAGMA
            foreign_key_check`` finds orphan rows, instead of recording warnings.
    """

    kind: ClassVar[str] = "sqlite"
    dialect_name: ClassVar[str] = "sqlite"
    OPTIONS: ClassVar[dict[str, Any]] = {"strict_foreign_keys": False}

    def __init__(self, target: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self.path = Path(self.uri.path or "")
        self._temp: Path | None = None
        self._restore: list[str] = []

    @property
    def description(self) -> str:
        return f"sqlite {self.path}"

    def _connect(self) -> sqlite3.Connection:
        if str(self.path) == ":memory:":
            raise SinkError(
                "sqlite destination: an in-memory database would be lost at the end",
                hint="give a file path",
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SinkError(f"{self.description}: cannot create {self.path.parent}: {exc}") from exc
        if not self.path.exists():
            self._temp = temporary_name(self.path)
            self._temp.unlink(missing_ok=True)
        try:
            connection = sqlite3.connect(
                self._temp or self.path, isolation_level=None, check_same_thread=False
            )
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise SinkError(f"{self.description}: not a usable SQLite database: {exc}") from exc
        return connection

    def _execute(self, sql: str) -> None:
        self.connection.execute(sql)

    def _pragma(self, name: str) -> Any:
        return self.connection.execute(f"PRAGMA {name}").fetchone()[0]

    def _session_start(self) -> None:
        foreign_keys = self._pragma("foreign_keys")
        synchronous = self._pragma("synchronous")
        self._restore = [f"PRAGMA foreign_keys={foreign_keys}", f"PRAGMA synchronous={synchronous}"]
        self._execute("PRAGMA foreign_keys=OFF")
        self._execute("PRAGMA synchronous=OFF")
        self._execute("PRAGMA temp_store=MEMORY")
        # 32 MiB: loads append to the primary key, a bigger cache buys no speed and costs RSS
        self._execute("PRAGMA cache_size=-32768")
        if self._temp is not None:
            self._execute("PRAGMA journal_mode=MEMORY")
            self._restore.append("PRAGMA journal_mode=DELETE")

    def _session_end(self) -> None:
        for statement in self._restore:
            self._execute(statement)
        self._restore = []

    def _table_exists(self, entity: Entity) -> bool:
        row = self.connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (entity.table,)
        ).fetchone()
        return row is not None

    def _prepare_entity(self, entity: Entity) -> None:
        table = self._table(entity)
        marks = ", ".join("?" for _ in entity.fields)
        sql = f"INSERT INTO {table} ({self._columns(entity)}) VALUES ({marks})"
        if self.mode == "upsert":
            sql += " " + self._upsert(entity)
        self._insert = sql

    def _write(self, batch: pa.RecordBatch) -> int:
        assert self.entity is not None and self.result is not None
        columns = [
            sqlite_values(column, Location(self.entity.name, name, self.result.rows))
            for column, name in zip(batch.columns, batch.schema.names, strict=True)
        ]
        self.connection.executemany(self._insert, zip(*columns, strict=True))
        return batch.nbytes

    def _before_commit(self) -> None:
        rows = self.connection.execute("PRAGMA foreign_key_check").fetchall()
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

    def _cancel(self) -> None:
        super()._cancel()
        if self._temp is not None:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self._temp}{suffix}").unlink(missing_ok=True)
            self._temp = None
