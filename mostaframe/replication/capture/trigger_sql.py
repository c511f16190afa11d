"""The SQL of trigger capture: the shared part and the registry; one module per source dialect
(trigger_sql_postgres, _mysql, _sqlite) holds its DDL as data plus the few reads that differ.

Every trigger writes one row per changed row into ``_mostaframe_changes``::

    seq         BIGINT autoincrement    the position (only grows, never reused)
    rule        text                    the rule whose triggers wrote the row
    entity      text                    entity name (model)
    op          'I' | 'U' | 'D' | 'T'   insert, update, delete, truncate (PostgreSQL only)
    pk          JSON object             key of the row (the new key for I/U, the old one for D)
    old_pk      JSON object | NULL      the old key when an UPDATE changed the primary key
    image       JSON object | NULL      the whole new row (I/U)
    txid        BIGINT | NULL           transaction id (PostgreSQL), to keep transactions whole
    changed_at  time of the change (UTC; µs on PostgreSQL/MySQL, ms on SQLite)

Every value in ``pk``/``old_pk``/``image`` is a JSON *string* in the canonical text form of
its kind (see :mod:`.convert`): decimals stay exact, bytes are ``\\x``-hex, times ISO.
``_mostaframe_capture`` keeps one row per rule: the position acknowledged (trimmed) so far.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import ReplicationError
from ...secrets import mask_uri
from .base import object_name

if TYPE_CHECKING:
    from ...schema.model import Entity, Field
    from ...secrets import DatabaseURI

LOG_TABLE = "_mostaframe_changes"
STATE_TABLE = "_mostaframe_capture"
#: pairs per JSON-building call (PostgreSQL functions take at most 100 arguments)
JSON_PAIRS_PER_CALL = 40


class TriggerSQL:
    """SQL of one dialect. Subclasses fill the class attributes and override what differs."""

    dialect: ClassVar[str]
    #: DB-API parameter marker
    param: ClassVar[str] = "%s"
    #: kind → expression template giving the canonical text of ``{x}`` (NULL stays NULL)
    EXPRESSIONS: ClassVar[dict[str, str]]
    #: longest trigger name
    max_name: ClassVar[int] = 63
    #: statement that opens a transaction
    begin: ClassVar[str] = "BEGIN"
    #: a failed statement aborts the open transaction, which must be rolled back before the
    #: connection can be used again (PostgreSQL)
    failed_statement_aborts: ClassVar[bool] = False

    def __init__(self, uri: DatabaseURI) -> None:
        self.uri = uri
        self.log = self.quote(LOG_TABLE)
        self.state = self.quote(STATE_TABLE)

    # --- text building ----------------------------------------------------------------------

    @staticmethod
    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    @staticmethod
    def literal(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def table(self, entity: Entity) -> str:
        return self.quote(entity.table)

    def value(self, field: Field, alias: str) -> str:
        """Canonical text of ``alias.column`` (list fields: a JSON array text)."""
        return self.expression(field, f"{alias}.{self.quote(field.column)}")

    def expression(self, field: Field, x: str) -> str:
        """Canonical text of the SQL expression ``x`` holding a value of ``field``'s kind."""
        kind = "list" if field.list else field.kind
        if kind in ("datetime", "time") and field.timezone:
            kind += "tz"
        return self.EXPRESSIONS.get(kind, self.EXPRESSIONS["*"]).format(x=x)

    def json_object(self, fields: list[Field], alias: str) -> str:
        """A JSON object text of the fields' canonical texts."""
        return self.json_pairs([(f.column, self.value(f, alias)) for f in fields])

    def json_pairs(self, pairs: list[tuple[str, str]]) -> str:
        """A JSON object text of ``(key, canonical text expression)`` pairs."""
        calls = []
        for i in range(0, len(pairs), JSON_PAIRS_PER_CALL):
            calls.append(
                self.json_call(
                    ", ".join(
                        f"{self.literal(key)}, {expression}"
                        for key, expression in pairs[i : i + JSON_PAIRS_PER_CALL]
                    )
                )
            )
        return self.json_merge(calls)

    def json_call(self, pairs: str) -> str:
        raise NotImplementedError

    def json_merge(self, calls: list[str]) -> str:
        raise NotImplementedError

    def trigger_name(self, rule: str, entity: Entity, suffix: str) -> str:
        return object_name(rule, entity.table, limit=self.max_name - len(suffix) - 1) + "_" + suffix

    # --- DDL --------------------------------------------------------------------------------

    def create_log(self) -> list[str]:
        raise NotImplementedError

    def create_triggers(self, rule: str, entity: Entity) -> list[str]:
        raise NotImplementedError

    def drop_triggers(self, rule: str, entity: Entity) -> list[str]:
        raise NotImplementedError

    def trigger_names(self, rule: str, entity: Entity) -> list[str]:
        raise NotImplementedError

    def existing_triggers_sql(self) -> str:
        """Query → names of the ``mostaframe_%`` triggers in the database."""
        raise NotImplementedError

    def drop_log(self) -> list[str]:
        return [f"DROP TABLE IF EXISTS {self.log}", f"DROP TABLE IF EXISTS {self.state}"]

    # --- connection and reads ---------------------------------------------------------------

    def connect(self) -> Any:
        raise NotImplementedError

    def table_info(self, conn: Any, entity: Entity) -> tuple[bool, bool]:
        """``(table exists, has a primary key)``."""
        raise NotImplementedError

    def current_position(self, conn: Any) -> int:
        """The highest sequence number allocated so far (0 when none)."""
        raise NotImplementedError

    def wait_for_writers(self, conn: Any, position: int, timeout: float) -> None:
        """Block until every transaction that may hold a sequence <= ``position`` is over."""

    def read(
        self, capture: Any, conn: Any, rule: str, after: int, limit: int
    ) -> tuple[list[tuple], int, bool]:
        """Rows of ``rule`` with ``after < seq <= bound``, in seq order, where every sequence
        number up to ``bound`` is final (its transaction committed or rolled back).

        Returns:
            ``(rows, bound, complete)``: ``complete`` when every row up to ``bound`` is there
            (the limit was not reached).
        """
        raise NotImplementedError

    # --- dialect extras (MySQL: cascaded changes and TRUNCATE detection) --------------------

    def install_extras(self, capture: Any) -> None:
        """Called by setup after the row triggers, before the snapshot: whatever else this
        dialect needs for complete capture (nothing by default)."""

    def verify_extras(self, capture: Any, *, full: bool) -> None:
        """Raise :class:`ReplicationError` when what :meth:`install_extras` relies on no longer
        holds. ``full`` on :meth:`check` (once per pass), not full on every read."""

    def remove_extras(self, capture: Any) -> None:
        """Called by teardown: remove what :meth:`install_extras` installed."""

    def columns_sql(self) -> str:
        return "seq, entity, op, pk, old_pk, image, changed_at, txid"


_MODULES = {
    "postgres": ("trigger_sql_postgres", "PostgresTriggers"),
    "mysql": ("trigger_sql_mysql", "MySQLTriggers"),
    "sqlite": ("trigger_sql_sqlite", "SQLiteTriggers"),
}


def trigger_sql_for(uri: DatabaseURI) -> TriggerSQL:
    """The trigger SQL of ``uri``'s dialect (one module per dialect, imported on first use).

    Raises:
        ReplicationError: a dialect trigger capture does not support.
    """
    if uri.dialect not in _MODULES:
        raise ReplicationError(
            f"trigger capture does not support {uri.dialect} sources ({mask_uri(uri.raw)}); "
            f"it supports {', '.join(_MODULES)}"
        )
    module, name = _MODULES[uri.dialect]
    return getattr(importlib.import_module(f".{module}", __package__), name)(uri)


__all__ = ["LOG_TABLE", "STATE_TABLE", "TriggerSQL", "trigger_sql_for"]
