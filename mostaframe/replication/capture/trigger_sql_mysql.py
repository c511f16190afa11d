"""Trigger capture SQL for MySQL / MariaDB sources (see :mod:`.trigger_sql`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import DatabaseConnectionError
from ...secrets import mask_uri
from .trigger_sql import TriggerSQL

if TYPE_CHECKING:
    from ...schema.model import Entity


class MySQLTriggers(TriggerSQL):
    """MySQL / MariaDB (InnoDB): three row triggers per table. TRUNCATE fires no trigger in
    MySQL: it is NOT captured (use DELETE, or re-snapshot after a TRUNCATE).

    Late commits: an AUTO_INCREMENT number is taken at insert time and the transaction may
    commit later, after a higher number. A read therefore ends with a *locking* read of the
    rows it returns (``LOCK IN SHARE MODE``, READ COMMITTED): InnoDB makes it wait for every
    uncommitted row in that range, so all rows up to the end of the read are final.
    """

    dialect = "mysql"
    max_name = 64
    #: seconds a read waits for a transaction that wrote the change log to end
    LOCK_WAIT = 2
    EXPRESSIONS: ClassVar[dict[str, str]] = {
        "*": "CAST({x} AS CHAR)",
        # FLOAT prints 6 digits; as DOUBLE it prints the exact single-precision value
        "real": "CAST(CAST({x} AS DOUBLE) AS CHAR)",
        "boolean": "CASE WHEN {x} IS NULL THEN NULL WHEN {x} THEN 't' ELSE 'f' END",
        "datetime": "DATE_FORMAT({x}, '%Y-%m-%d %H:%i:%s.%f')",
        "datetimetz": "DATE_FORMAT({x}, '%Y-%m-%d %H:%i:%s.%f')",
        "date": "DATE_FORMAT({x}, '%Y-%m-%d')",
        "time": "TIME_FORMAT({x}, '%H:%i:%s.%f')",
        "timetz": "TIME_FORMAT({x}, '%H:%i:%s.%f')",
        "bytes": "CONCAT('\\\\x', LOWER(HEX({x})))",
    }

    @staticmethod
    def quote(name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    @staticmethod
    def literal(text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"

    def json_call(self, pairs: str) -> str:
        return f"JSON_OBJECT({pairs})"

    def json_merge(self, calls: list[str]) -> str:
        if not calls:
            return "'{}'"
        return calls[0] if len(calls) == 1 else f"JSON_MERGE_PATCH({', '.join(calls)})"

    def create_log(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.log} (seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
            "rule VARCHAR(191) NOT NULL, entity VARCHAR(191) NOT NULL, op CHAR(1) NOT NULL, "
            "pk LONGTEXT NOT NULL, old_pk LONGTEXT NULL, image LONGTEXT NULL, txid BIGINT NULL, "
            "changed_at DATETIME(6) NOT NULL, KEY mostaframe_changes_rule_seq (rule, seq)) "
            "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
            f"CREATE TABLE IF NOT EXISTS {self.state} (rule VARCHAR(191) NOT NULL PRIMARY KEY, "
            "acknowledged BIGINT NOT NULL, created_at DATETIME(6) NOT NULL DEFAULT NOW(6)) "
            "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        ]

    def trigger_names(self, rule: str, entity: Entity) -> list[str]:
        return [self.trigger_name(rule, entity, s) for s in ("ins", "upd", "del")]

    def create_triggers(self, rule: str, entity: Entity) -> list[str]:
        keys = entity.primary_key_fields
        head = (
            f"INSERT INTO {self.log} (rule, entity, op, pk, old_pk, image, changed_at) "
            f"VALUES ({self.literal(rule)}, {self.literal(entity.name)}"
        )
        # BINARY: a case-only change of a string key is a key change (the collation says equal)
        same_key = " AND ".join(
            f"BINARY OLD.{self.quote(f.column)} <=> BINARY NEW.{self.quote(f.column)}" for f in keys
        )
        insert, update, delete = self.trigger_names(rule, entity)
        table = self.table(entity)
        return [
            *self.drop_triggers(rule, entity),
            f"CREATE TRIGGER {self.quote(insert)} AFTER INSERT ON {table} FOR EACH ROW "
            f"{head}, 'I', {self.json_object(keys, 'NEW')}, NULL, "
            f"{self.json_object(entity.fields, 'NEW')}, UTC_TIMESTAMP(6))",
            f"CREATE TRIGGER {self.quote(update)} AFTER UPDATE ON {table} FOR EACH ROW "
            f"{head}, 'U', {self.json_object(keys, 'NEW')}, "
            f"CASE WHEN NOT ({same_key}) THEN {self.json_object(keys, 'OLD')} END, "
            f"{self.json_object(entity.fields, 'NEW')}, UTC_TIMESTAMP(6))",
            f"CREATE TRIGGER {self.quote(delete)} AFTER DELETE ON {table} FOR EACH ROW "
            f"{head}, 'D', {self.json_object(keys, 'OLD')}, NULL, NULL, UTC_TIMESTAMP(6))",
        ]

    def drop_triggers(self, rule: str, entity: Entity) -> list[str]:
        return [f"DROP TRIGGER IF EXISTS {self.quote(n)}" for n in self.trigger_names(rule, entity)]

    def existing_triggers_sql(self) -> str:
        return (
            "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS "
            "WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE 'mostaframe\\_%%'"
        )

    def connect(self) -> Any:
        import pymysql
        from sqlalchemy.engine import make_url

        url = make_url(self.uri.sqlalchemy_url())
        try:
            conn = pymysql.connect(
                host=url.host or "127.0.0.1",
                port=url.port or 3306,
                user=url.username or "root",
                password=url.password or "",
                database=url.database,
                charset="utf8mb4",
                autocommit=True,
                connect_timeout=10,
            )
        except pymysql.err.OperationalError as exc:
            raise DatabaseConnectionError(
                f"cannot connect to the capture source {mask_uri(self.uri.raw)}: {exc.args[-1]}"
            ) from None
        with conn.cursor() as cursor:
            cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
            cursor.execute("SET SESSION time_zone = '+00:00'")
        return conn

    def table_info(self, conn: Any, entity: Entity) -> tuple[bool, bool]:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*), SUM(CONSTRAINT_TYPE = 'PRIMARY KEY') FROM ("
                "SELECT t.TABLE_NAME, c.CONSTRAINT_TYPE FROM information_schema.TABLES t "
                "LEFT JOIN information_schema.TABLE_CONSTRAINTS c ON c.TABLE_SCHEMA = t.TABLE_SCHEMA "
                "AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY' "
                "WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = %s) x",
                (entity.table,),
            )
            count, primary = cursor.fetchone()
        return bool(count), bool(primary)

    def current_position(self, conn: Any) -> int:
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {self.log}")
            return int(cursor.fetchone()[0])

    def _locked_until(
        self, cursor: Any, rule: str, after: int, upto: int, wait: str
    ) -> list[tuple] | None:
        """Rows ``after < seq <= upto`` read with share locks (waits for uncommitted ones), or
        None when a lock did not come in time."""
        import pymysql

        try:
            cursor.execute("START TRANSACTION")
            cursor.execute(
                f"SELECT {self.columns_sql()} FROM {self.log} WHERE rule = %s AND seq > %s "
                f"AND seq <= %s ORDER BY seq LOCK IN SHARE MODE {wait}",
                (rule, after, upto),
            )
            return list(cursor.fetchall())
        except pymysql.err.OperationalError as exc:
            if exc.args[0] in (1205, 3572):  # lock wait timeout / NOWAIT conflict
                return None
            raise
        finally:
            cursor.execute("COMMIT")

    def read(
        self, capture: Any, conn: Any, rule: str, after: int, limit: int
    ) -> tuple[list[tuple], int, bool]:
        with conn.cursor() as cursor:
            cursor.execute(
                f"SELECT seq FROM {self.log} WHERE rule = %s AND seq > %s ORDER BY seq LIMIT %s",
                (rule, after, limit),
            )
            committed = [r[0] for r in cursor.fetchall()]
            if not committed:
                return [], after, False
            rows = self._locked_until(cursor, rule, after, committed[-1], f"WAIT {self.LOCK_WAIT}")
            if rows is not None:
                return rows, committed[-1], False
            # a long transaction holds a number below: find the longest prefix free of it
            low, high, best = 0, len(committed) - 1, ([], after)
            while low <= high:
                middle = (low + high) // 2
                found = self._locked_until(cursor, rule, after, committed[middle], "NOWAIT")
                if found is None:
                    high = middle - 1
                else:
                    best, low = (found, committed[middle]), middle + 1
            return best[0], best[1], False

    def wait_for_writers(self, conn: Any, position: int, timeout: float) -> None:
        with conn.cursor() as cursor:
            cursor.execute(f"SET SESSION innodb_lock_wait_timeout = {max(1, int(timeout))}")
            try:
                cursor.execute("START TRANSACTION")
                cursor.execute(
                    f"SELECT COUNT(*) FROM {self.log} WHERE seq <= %s LOCK IN SHARE MODE",
                    (position,),
                )
            finally:
                cursor.execute("COMMIT")


__all__ = ["MySQLTriggers"]
