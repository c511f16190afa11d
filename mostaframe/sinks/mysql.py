"""MySQL / MariaDB destination: large multi-row INSERT statements built vectorised.

Each batch is rendered to SQL literals column by column (:mod:`.sql_literals`, MySQL rules:
backslash escapes, ``\\0`` for NUL, ``X'…'`` for bytes), the rows are cut into statements of
at most ``statement_bytes`` (default: half of ``max_allowed_packet``, at most 16 MiB) and each
statement is sent as bytes in one round trip — no per-row Python, no client-side
``executemany`` rewriting.

Session during the load (restored afterwards): ``sql_mode`` without ``NO_BACKSLASH_ESCAPES``
(the escaping relies on it) and with ``STRICT_ALL_TABLES`` (a value that does not fit is an
error, never silently truncated) and ``NO_AUTO_VALUE_ON_ZERO`` (an id 0 stays 0),
``time_zone = '+00:00'``, ``FOREIGN_KEY_CHECKS = 0`` (MySQL does not re-check rows when the
checks are turned back on: orphans in the source stay orphans). DDL commits implicitly in
MySQL, so tables are created (or dropped, in mode replace) before the transaction starts and a
cancelled copy keeps them; the rows are rolled back. Upsert: ``ON DUPLICATE KEY UPDATE``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa

from .database import DatabaseSink
from .sql_literals import STYLES
from .sql_rows import sql_rows
from .text import concatenated, offsets_and_data, render_parts

if TYPE_CHECKING:
    from ..schema.model import Entity

#: session settings for the load (sql_mode: see the module docstring)
LOAD_SQL_MODE = "NO_AUTO_VALUE_ON_ZERO,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION"


def insert_statements(rows: pa.Array, head: bytes, tail: bytes, limit: int) -> list[bytes]:
    """Cut rendered rows (``"(…),\\n"`` each) into ``head + rows + tail`` statements of about
    ``limit`` bytes (a single row longer than ``limit`` gets a statement of its own)."""
    offsets, _ = offsets_and_data(rows)
    data = concatenated(rows)
    ends = offsets[1:]
    statements: list[bytes] = []
    start_row = 0
    start = 0
    count = len(rows)
    while start_row < count:
        # last row whose end stays within limit bytes of the statement start
        stop_row = int(np.searchsorted(ends, start + limit, side="right"))
        stop_row = max(stop_row, start_row + 1)
        stop = int(ends[stop_row - 1])
        statements.append(b"".join((head, data[start : stop - 2], tail)))  # drop the last ",\n"
        start_row, start = stop_row, stop
    return statements


class MySQLSink(DatabaseSink):
    """Writes into MySQL or MariaDB with multi-row INSERTs (see the module docstring).

    Options:
        statement_bytes: most bytes per INSERT statement (default: min(16 MiB,
            max_allowed_packet / 2)).
    """

    kind: ClassVar[str] = "mysql"
    dialect_name: ClassVar[str] = "mysql"
    OPTIONS: ClassVar[dict[str, Any]] = {"statement_bytes": None}

    def __init__(self, target: str, **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self._restore: str | None = None
        self._limit = 16 << 20

    def _connect(self) -> Any:
        import pymysql
        from sqlalchemy.engine import make_url

        url = make_url(self.uri.sqlalchemy_url())
        return pymysql.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 3306,
            user=url.username or "root",
            password=url.password or "",
            database=url.database,
            charset="utf8mb4",
            autocommit=True,
            connect_timeout=10,
            max_allowed_packet=1 << 30,
        )

    def _execute(self, sql: str | bytes) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)

    def _fetch(self, sql: str, params: Any = None) -> tuple[Any, ...] | None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()

    def _session_start(self) -> None:
        row = self._fetch(
            "SELECT @@SESSION.sql_mode, @@SESSION.time_zone, "
            "@@SESSION.foreign_key_checks, @@max_allowed_packet"
        )
        assert row is not None
        sql_mode, time_zone, foreign_key_checks, packet = row
        self._restore = (
            f"SET SESSION sql_mode = '{sql_mode}', time_zone = '{time_zone}', "
            f"foreign_key_checks = {int(foreign_key_checks)}"
        )
        self._execute(
            f"SET SESSION sql_mode = '{LOAD_SQL_MODE}', time_zone = '+00:00', "
            "foreign_key_checks = 0"
        )
        wanted = self.options["statement_bytes"]
        self._limit = int(wanted) if wanted else min(16 << 20, int(packet) // 2)

    def _session_end(self) -> None:
        if self._restore:
            self._execute(self._restore)
            self._restore = None

    def _table_exists(self, entity: Entity) -> bool:
        row = self._fetch(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() "
            "AND table_name = %s",
            (entity.table,),
        )
        return row is not None

    def _prepare_entity(self, entity: Entity) -> None:
        self._head = (
            f"INSERT INTO {self._table(entity)} ({self._columns(entity)}) VALUES\n".encode()
        )
        tail = ""
        if self.mode == "upsert":
            tail = "\n" + self._upsert(entity)
        self._tail = tail.encode()

    def render(self, batch: pa.RecordBatch, offset: int = 0) -> pa.Array:
        """The rows of ``batch`` as ``(v1, v2, …),\n`` SQL text (MySQL literals); ``offset``
        places the batch among the entity's rows, for error messages."""
        assert self.entity is not None and self.result is not None
        first = self.result.rows + offset
        return sql_rows(
            batch.columns,
            batch.schema.names,
            STYLES["mysql"],
            entity=self.entity.name,
            first_row=first,
            lead="(",
            tail="),\n",
        )

    def _write(self, batch: pa.RecordBatch) -> int:
        sent = 0
        for rows in render_parts(batch, self.render):
            for statement in insert_statements(rows, self._head, self._tail, self._limit):
                self._execute(statement)
                sent += len(statement)
        return sent
