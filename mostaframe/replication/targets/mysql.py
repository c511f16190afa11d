"""MySQL/MariaDB replication target: multi-row ``REPLACE`` literals; ``DELETE … JOIN`` a temp table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from .base import INDEX, Target

if TYPE_CHECKING:
    from ...schema.model import Entity


class MySQLTarget(Target):
    """MySQL/MariaDB: multi-row literal REPLACE statements (vectorised text)."""

    dialect = "mysql"
    placeholder = "%s"
    #: bytes of SQL per statement, well under the 16 MiB default max_allowed_packet
    statement_bytes: ClassVar[int] = 4 << 20

    def _connect(self) -> Any:
        import pymysql
        from sqlalchemy.engine import make_url

        url = make_url(self.uri.sqlalchemy_url())
        connection = pymysql.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 3306,
            user=url.username or "root",
            password=url.password or "",
            database=url.database,
            autocommit=False,
            charset="utf8mb4",
            connect_timeout=max(1, int(self.lock_timeout)),
        )
        with connection.cursor() as cursor:
            # the sinks write UTC; TIMESTAMP columns must not shift it
            cursor.execute("SET time_zone = '+00:00'")
            cursor.execute(
                f"SET SESSION innodb_lock_wait_timeout = {max(1, int(self.lock_timeout))}"
            )
        return connection

    def _foreign_key_checks_off(self) -> bool:
        self.execute("SET SESSION foreign_key_checks = 0")
        return True

    def begin(self) -> None:
        self.connection.begin()

    def is_unique_violation(self, error: BaseException) -> bool:
        import pymysql

        return isinstance(error, pymysql.IntegrityError) and error.args[:1] == (1062,)

    def is_transient(self, error: BaseException) -> bool:
        import pymysql

        # 1205 lock wait timeout, 1213 deadlock, 2003/2006/2013 connection lost / gone away
        code = error.args[0] if isinstance(error, pymysql.MySQLError) and error.args else None
        return code in (1205, 1213, 2003, 2006, 2013) or isinstance(error, pymysql.OperationalError)

    def _literal_rows(self, entity: Entity, batch: pa.RecordBatch) -> pa.Array:
        """``(v1, v2, …),\n`` per row, rendered by the MySQL sink's own literal rules."""
        from ...sinks.sql_literals import STYLES
        from ...sinks.sql_rows import sql_rows

        return sql_rows(
            batch.columns,
            batch.schema.names,
            STYLES["mysql"],
            entity=entity.name,
            lead="(",
            tail="),\n",
        )

    def _insert(self, head: str, tail: str, rows: pa.Array) -> None:
        from ...sinks.mysql import insert_statements

        for statement in insert_statements(
            rows, f"{head}\n".encode(), tail.encode(), self.statement_bytes
        ):
            self.execute(statement)

    def stage(self, entity: Entity, batch: pa.RecordBatch) -> str:
        name = self.quote(self.stage_name())
        names = batch.schema.names
        cols = ", ".join(self.quote(c) for c in names if c != INDEX)
        index = f"CAST(0 AS SIGNED) AS {self.quote(INDEX)}, " if INDEX in names else ""
        self.execute(f"DROP TEMPORARY TABLE IF EXISTS {name}")
        self.execute(
            f"CREATE TEMPORARY TABLE {name} AS SELECT {index}{cols} "
            f"FROM {self.table(entity)} WHERE 1 = 0"
        )
        ordered = ", ".join(self.quote(c) for c in names)
        self._insert(
            f"INSERT INTO {name} ({ordered}) VALUES", "", self._literal_rows(entity, batch)
        )
        return name

    def unstage(self, name: str) -> None:
        self.execute(f"DROP TEMPORARY TABLE IF EXISTS {name}")

    def upsert(self, entity: Entity, rows: pa.RecordBatch) -> None:
        # REPLACE, not INSERT … ON DUPLICATE KEY UPDATE: ODKU fires on ANY unique key and would
        # update the wrong row when a unique value moved between rows; REPLACE deletes every
        # row the new one conflicts with (see Target.displace for why that is right) and
        # inserts it. Foreign-key actions do not run: checks are off for this session.
        cols = ", ".join(self.quote(c) for c in rows.schema.names)
        self._insert(
            f"REPLACE INTO {self.table(entity)} ({cols}) VALUES",
            "",
            self._literal_rows(entity, rows),
        )

    def delete(self, entity: Entity, keys: pa.RecordBatch) -> None:
        name = self.stage(entity, keys)
        table = self.table(entity)
        self.execute(f"DELETE t FROM {table} t JOIN {name} s ON {self.join_on(entity, 't', 's')}")
        self.unstage(name)
