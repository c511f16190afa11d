"""Trigger capture SQL for MySQL / MariaDB sources (see :mod:`.trigger_sql`)."""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import DatabaseConnectionError, ReplicationError
from ...secrets import mask_uri
from .trigger_sql import TriggerSQL

#: per rule and table: the InnoDB table id seen at setup and the cascade triggers installed
TABLES_TABLE = "_mostaframe_capture_tables"

if TYPE_CHECKING:
    from ...schema.model import Entity


class MySQLTriggers(TriggerSQL):
    """MySQL / MariaDB (InnoDB): three row triggers per table, plus the cascade triggers of
    :mod:`.mysql_cascade` (InnoDB fires no trigger for rows a foreign-key action changes).

    TRUNCATE fires no trigger either: setup records each captured table's InnoDB table id (a
    TRUNCATE, a DROP + CREATE or a RENAME-away gives the name a new id) in
    ``_mostaframe_capture_tables``, and every read compares it; a change is an error naming the
    table and the remedy (``rule.resync()``), never a silent gap.

    Late commits: an AUTO_INCREMENT number is taken at insert time and the transaction may
    commit later, after a higher number. A read therefore ends with a *locking* read of the
    rows it returns (``LOCK IN SHARE MODE``, READ COMMITTED): InnoDB makes it wait for every
    uncommitted row in that range, so all rows up to the end of the read are final.
    """

    dialect = "mysql"
    max_name = 64
    begin = "START TRANSACTION"
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
            f"CREATE TABLE IF NOT EXISTS {self.quote(TABLES_TABLE)} (rule VARCHAR(191) NOT NULL, "
            "table_name VARCHAR(191) NOT NULL, table_id BIGINT NULL, triggers TEXT NOT NULL, "
            "plan CHAR(40) NOT NULL, PRIMARY KEY (rule, table_name)) "
            "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        ]

    def drop_log(self) -> list[str]:
        return [*super().drop_log(), f"DROP TABLE IF EXISTS {self.quote(TABLES_TABLE)}"]

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

    # --- cascaded changes and TRUNCATE detection ------------------------------------------------

    def install_extras(self, capture: Any) -> None:
        from .mysql_cascade import plan_cascades

        conn = capture._conn()
        with conn.cursor() as cursor:
            plan = plan_cascades(self, cursor, capture.rule, capture.entities)
        stored = self._stored(capture)
        wanted = {name for triggers in plan.triggers.values() for name, _ in triggers}
        for _, triggers in stored.values():
            for name in triggers:
                if name not in wanted:
                    capture._execute(f"DROP TRIGGER IF EXISTS {self.quote(name)}")
        for triggers in plan.triggers.values():
            for name, statement in triggers:
                capture._execute(f"DROP TRIGGER IF EXISTS {self.quote(name)}")
                capture._execute(statement)
        captured = {e.table for e in capture.entities}
        identities = self._identities(capture, sorted(captured), required=True)
        rows = [
            (
                capture.rule,
                table,
                identities.get(table),
                ",".join(n for n, _ in plan.triggers.get(table, [])),
                plan.fingerprint,
            )
            for table in sorted(captured | set(plan.triggers))
        ]
        table = self.quote(TABLES_TABLE)
        capture._execute(f"DELETE FROM {table} WHERE rule = %s", (capture.rule,))
        for row in rows:
            capture._execute(
                f"INSERT INTO {table} (rule, table_name, table_id, triggers, plan) "
                "VALUES (%s, %s, %s, %s, %s)",
                row,
            )
        capture.dialect_state["tables"] = {
            r[1]: (r[2], r[3].split(",") if r[3] else []) for r in rows
        }
        capture.dialect_state["plan"] = plan.fingerprint

    def _stored(self, capture: Any) -> dict[str, tuple[int | None, list[str]]]:
        """``table → (table id at setup, cascade trigger names)`` recorded for the rule."""
        try:
            rows = capture._execute(
                f"SELECT table_name, table_id, triggers, plan FROM {self.quote(TABLES_TABLE)} "
                "WHERE rule = %s",
                (capture.rule,),
            )
        except pymysql_missing_table():  # set up by an older version
            return {}
        if rows:
            capture.dialect_state["plan"] = rows[0][3]
        return {
            r[0]: (None if r[1] is None else int(r[1]), r[2].split(",") if r[2] else [])
            for r in rows
        }

    def _identities(self, capture: Any, tables: list[str], *, required: bool) -> dict[str, int]:
        """InnoDB table id of each table (absent: no such InnoDB table now).

        Raises:
            ReplicationError: the server hides InnoDB's dictionary (PROCESS privilege), or
                ``required`` and a table has no id (not InnoDB).
        """
        import pymysql

        if "dictionary" not in capture.dialect_state:
            (version,) = capture._execute("SELECT VERSION()")[0]
            capture.dialect_state["dictionary"] = (
                "information_schema.INNODB_SYS_TABLES"
                if "mariadb" in str(version).lower()
                else "information_schema.INNODB_TABLES"
            )
            (database,) = capture._execute("SELECT DATABASE()")[0]
            capture.dialect_state["database"] = str(database)
        database = capture.dialect_state["database"]
        names = {_innodb_name(database, t): t for t in tables}
        marks = ", ".join(["%s"] * len(names))
        try:
            rows = capture._execute(
                f"SELECT NAME, TABLE_ID FROM {capture.dialect_state['dictionary']} "
                f"WHERE NAME IN ({marks})",
                tuple(names),
            )
        except pymysql.err.OperationalError as exc:
            if exc.args[0] in (1227, 1044, 1142):
                raise ReplicationError(
                    f"trigger capture on {capture.source_text} reads InnoDB table ids (to detect "
                    f"TRUNCATE, which fires no trigger) and the user may not: {exc.args[-1]}",
                    hint="GRANT PROCESS ON *.* TO the capture user",
                ) from None
            raise
        found = {names[name]: int(table_id) for name, table_id in rows}
        if required:
            for table in tables:
                if table not in found:
                    entity = next(e for e in capture.entities if e.table == table)
                    raise ReplicationError(
                        f"entity {entity.name}: table {table} on {capture.source_text} has no "
                        "InnoDB table id (not an InnoDB table, or a name with characters outside "
                        "ASCII): trigger capture could not detect a TRUNCATE of it",
                        hint=f"ALTER TABLE {self.quote(table)} ENGINE=InnoDB, or exclude the entity",
                    )
        return found

    def verify_extras(self, capture: Any, *, full: bool) -> None:
        if full or "tables" not in capture.dialect_state:
            stored = self._stored(capture)
            if not stored:
                raise ReplicationError(
                    f"rule {capture.rule}: no table identities recorded on {capture.source_text} "
                    f"({TABLES_TABLE}): the capture was set up by an older version, which did not "
                    "capture cascaded deletes nor detect TRUNCATE; re-snapshot with rule.resync()"
                )
            capture.dialect_state["tables"] = stored
        stored = capture.dialect_state["tables"]
        captured = {e.table: e for e in capture.entities}
        expected = {t: ident for t, (ident, _) in stored.items() if t in captured}
        now = self._identities(capture, sorted(expected), required=False)
        changed = [t for t in sorted(expected) if now.get(t) != expected[t]]
        installed = capture._installed_triggers() if (changed or full) else set()
        for table in changed:
            entity = captured[table]
            names = self.trigger_names(capture.rule, entity)
            if table not in now:
                happened = "was dropped or renamed away"
            elif not set(names) <= installed:
                happened = "was dropped and re-created (its capture triggers are gone)"
            else:
                happened = (
                    "was truncated or re-created after the checkpoint; TRUNCATE fires no trigger "
                    "in MariaDB/MySQL, so the rows it removed are not in the change log"
                )
            raise ReplicationError(
                f"table {table} (entity {entity.name}) on {capture.source_text} {happened} "
                f"(InnoDB table id {expected[table]} at setup, "
                f"{now.get(table, 'none')} now): re-snapshot with rule.resync()",
                hint="a rebuild (OPTIMIZE TABLE, ALTER TABLE … FORCE) also gives a new table id; "
                "rule.resync() is the safe remedy in every case",
            )
        if not full:
            return
        for table, (_, names) in sorted(stored.items()):
            missing = [n for n in names if n not in installed]
            if missing:
                raise ReplicationError(
                    f"cascade trigger {missing[0]} on table {table} is gone from "
                    f"{capture.source_text}: rows its foreign keys delete or change are no longer "
                    "captured; re-snapshot with rule.resync()"
                )
        from .mysql_cascade import plan_cascades

        with capture._conn().cursor() as cursor:
            plan = plan_cascades(self, cursor, capture.rule, capture.entities)
        if plan.fingerprint != capture.dialect_state.get("plan"):
            raise ReplicationError(
                f"rule {capture.rule}: the foreign keys acting on the captured tables of "
                f"{capture.source_text} changed since setup: the cascade triggers no longer match "
                "them; re-snapshot with rule.resync() (it installs them anew)"
            )

    def remove_extras(self, capture: Any) -> None:
        for _, names in self._stored(capture).values():
            for name in names:
                capture._execute(f"DROP TRIGGER IF EXISTS {self.quote(name)}")
        with suppress(pymysql_missing_table()):
            capture._execute(
                f"DELETE FROM {self.quote(TABLES_TABLE)} WHERE rule = %s", (capture.rule,)
            )
        capture.dialect_state.pop("tables", None)


def pymysql_missing_table() -> type[Exception]:
    """The error pymysql raises for a missing table (1146), to catch it narrowly."""
    import pymysql

    return pymysql.err.ProgrammingError


def _innodb_name(database: str, table: str) -> str:
    """``database/table`` as InnoDB's dictionary spells it: characters outside ``[A-Za-z0-9_]``
    as ``@`` + 4 hex digits (MySQL's file-name encoding; its shorter codes for some non-ASCII
    letters are not reproduced: such names are reported, see :meth:`MySQLTriggers._identities`)."""

    def encode(name: str) -> str:
        return "".join(
            c if c.isascii() and (c.isalnum() or c == "_") else f"@{ord(c):04x}" for c in name
        )

    return f"{encode(database)}/{encode(table)}"


__all__ = ["TABLES_TABLE", "MySQLTriggers"]
