"""Trigger capture SQL for SQLite sources (see :mod:`.trigger_sql`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import DatabaseConnectionError
from ...secrets import mask_uri
from .trigger_sql import LOG_TABLE, TriggerSQL

if TYPE_CHECKING:
    from ...schema.model import Entity
    from ...secrets import DatabaseURI


class SQLiteTriggers(TriggerSQL):
    """SQLite: three row triggers per table. One writer at a time means a sequence number is
    taken and committed before the next writer starts: no late commit can leave a gap.
    ``DELETE FROM t`` without WHERE fires the row triggers (SQLite disables its truncate
    optimisation on tables with triggers)."""

    dialect = "sqlite"
    param = "?"
    EXPRESSIONS: ClassVar[dict[str, str]] = {
        "*": "CAST({x} AS TEXT)",
        "boolean": "CASE WHEN {x} IS NULL THEN NULL WHEN {x} THEN 't' ELSE 'f' END",
        "float": (
            "CASE WHEN {x} IS NULL THEN NULL WHEN typeof({x}) = 'text' THEN {x} "
            "WHEN {x} > 1.7976931348623157e308 THEN 'Infinity' "
            "WHEN {x} < -1.7976931348623157e308 THEN '-Infinity' ELSE printf('%!.17g', {x}) END"
        ),
        # Prisma's SQLite connector stores DateTime as integer milliseconds since the epoch
        "datetime": (
            "CASE WHEN typeof({x}) IN ('integer', 'real') "
            "THEN strftime('%Y-%m-%d %H:%M:%f', {x} / 1000.0, 'unixepoch') ELSE CAST({x} AS TEXT) END"
        ),
        "bytes": "CASE WHEN {x} IS NULL THEN NULL ELSE '\\x' || lower(hex({x})) END",
    }

    def __init__(self, uri: DatabaseURI) -> None:
        super().__init__(uri)
        self.EXPRESSIONS = {
            **type(self).EXPRESSIONS,
            "real": type(self).EXPRESSIONS["float"],
            "datetimetz": type(self).EXPRESSIONS["datetime"],
        }

    def json_call(self, pairs: str) -> str:
        return f"json_object({pairs})"

    def json_merge(self, calls: list[str]) -> str:
        if not calls:
            return "'{}'"
        merged = calls[0]
        for call in calls[1:]:
            merged = f"json_patch({merged}, {call})"
        return merged

    def create_log(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.log} (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "rule TEXT NOT NULL, entity TEXT NOT NULL, op TEXT NOT NULL, pk TEXT NOT NULL, "
            "old_pk TEXT, image TEXT, txid INTEGER, changed_at TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS mostaframe_changes_rule_seq ON {self.log} (rule, seq)",
            f"CREATE TABLE IF NOT EXISTS {self.state} (rule TEXT PRIMARY KEY, "
            "acknowledged INTEGER NOT NULL, created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)",
        ]

    def trigger_names(self, rule: str, entity: Entity) -> list[str]:
        return [self.trigger_name(rule, entity, s) for s in ("ins", "upd", "del")]

    def create_triggers(self, rule: str, entity: Entity) -> list[str]:
        keys = entity.primary_key_fields
        now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
        head = (
            f"INSERT INTO {self.log} (rule, entity, op, pk, old_pk, image, changed_at) "
            f"VALUES ({self.literal(rule)}, {self.literal(entity.name)}"
        )
        changed = " OR ".join(
            f"OLD.{self.quote(f.column)} IS NOT NEW.{self.quote(f.column)}" for f in keys
        )
        insert, update, delete = self.trigger_names(rule, entity)
        table = self.table(entity)
        return [
            *self.drop_triggers(rule, entity),
            f"CREATE TRIGGER {self.quote(insert)} AFTER INSERT ON {table} BEGIN "
            f"{head}, 'I', {self.json_object(keys, 'NEW')}, NULL, "
            f"{self.json_object(entity.fields, 'NEW')}, {now}); END",
            f"CREATE TRIGGER {self.quote(update)} AFTER UPDATE ON {table} BEGIN "
            f"{head}, 'U', {self.json_object(keys, 'NEW')}, "
            f"CASE WHEN {changed} THEN {self.json_object(keys, 'OLD')} END, "
            f"{self.json_object(entity.fields, 'NEW')}, {now}); END",
            f"CREATE TRIGGER {self.quote(delete)} AFTER DELETE ON {table} BEGIN "
            f"{head}, 'D', {self.json_object(keys, 'OLD')}, NULL, NULL, {now}); END",
        ]

    def drop_triggers(self, rule: str, entity: Entity) -> list[str]:
        return [f"DROP TRIGGER IF EXISTS {self.quote(n)}" for n in self.trigger_names(rule, entity)]

    def existing_triggers_sql(self) -> str:
        return "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'mostaframe\\_%' ESCAPE '\\'"

    def connect(self) -> Any:
        import sqlite3

        try:
            conn = sqlite3.connect(self.uri.path or ":memory:", isolation_level=None, timeout=30)
        except sqlite3.Error as exc:
            raise DatabaseConnectionError(
                f"cannot open the capture source {mask_uri(self.uri.raw)}: {exc}"
            ) from None
        return conn

    def table_info(self, conn: Any, entity: Entity) -> tuple[bool, bool]:
        rows = conn.execute(f"PRAGMA table_info({self.quote(entity.table)})").fetchall()
        return bool(rows), any(r[5] for r in rows)

    def current_position(self, conn: Any) -> int:
        row = conn.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = ?", (LOG_TABLE,)
        ).fetchone()
        return int(row[0]) if row else 0

    def read(
        self, capture: Any, conn: Any, rule: str, after: int, limit: int
    ) -> tuple[list[tuple], int, bool]:
        # one read transaction: the high-water mark and the rows come from the same snapshot
        conn.execute("BEGIN")
        try:
            bound = self.current_position(conn)
            rows = conn.execute(
                f"SELECT {self.columns_sql()} FROM {self.log} WHERE rule = ? AND seq > ? "
                "ORDER BY seq LIMIT ?",
                (rule, after, limit),
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        if len(rows) < limit:
            return rows, max(bound, after), True
        return rows, rows[-1][0], False


__all__ = ["SQLiteTriggers"]
