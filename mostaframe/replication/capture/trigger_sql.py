"""The SQL of trigger capture, one class per source dialect: DDL as data, plus the few reads
whose semantics differ (connecting, the current sequence, the safe upper bound of a read).

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

import time
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import DatabaseConnectionError, ReplicationError
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
        x = f"{alias}.{self.quote(field.column)}"
        kind = "list" if field.list else field.kind
        if kind in ("datetime", "time") and field.timezone:
            kind += "tz"
        return self.EXPRESSIONS.get(kind, self.EXPRESSIONS["*"]).format(x=x)

    def json_object(self, fields: list[Field], alias: str) -> str:
        """A JSON object text of the fields' canonical texts."""
        calls = []
        for i in range(0, len(fields), JSON_PAIRS_PER_CALL):
            pairs = ", ".join(
                f"{self.literal(f.column)}, {self.value(f, alias)}"
                for f in fields[i : i + JSON_PAIRS_PER_CALL]
            )
            calls.append(self.json_call(pairs))
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

    def columns_sql(self) -> str:
        return "seq, entity, op, pk, old_pk, image, changed_at, txid"


# ---------------------------------------------------------------------------------------------


class PostgresTriggers(TriggerSQL):
    """PostgreSQL: one PL/pgSQL function per table (SECURITY DEFINER, so writers need no grant
    on the change log), a row trigger for INSERT/UPDATE/DELETE and a statement trigger for
    TRUNCATE. Late commits: a read stops below any sequence number a running writer may hold
    (see :meth:`read`)."""

    dialect = "postgres"
    EXPRESSIONS: ClassVar[dict[str, str]] = {
        "*": "{x}::text",
        "boolean": "CASE WHEN {x} THEN 't' WHEN NOT {x} THEN 'f' END",
        "datetime": "to_char({x}, 'YYYY-MM-DD HH24:MI:SS.US')",
        "datetimetz": "to_char({x} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || 'Z'",
        "date": "to_char({x}, 'YYYY-MM-DD')",
        "time": "to_char({x}, 'HH24:MI:SS.US')",
        "timetz": "(({x}) AT TIME ZONE 'UTC')::time::text",
        "bytes": "'\\x' || encode({x}, 'hex')",
        "list": "array_to_json({x})::text",
    }

    def __init__(self, uri: DatabaseURI) -> None:
        super().__init__(uri)
        self.namespace = "public"
        self.samples: list[tuple[int, frozenset[str]]] = []

    def table(self, entity: Entity) -> str:
        name = self.quote(entity.table)
        return f"{self.quote(entity.db_schema)}.{name}" if entity.db_schema else name

    def json_call(self, pairs: str) -> str:
        return f"jsonb_build_object({pairs})"

    def json_merge(self, calls: list[str]) -> str:
        return "(" + " || ".join(calls) + ")::text" if calls else "'{}'"

    def create_log(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.log} (seq bigserial PRIMARY KEY, rule text NOT NULL, "
            "entity text NOT NULL, op char(1) NOT NULL, pk text NOT NULL, old_pk text, image text, "
            "txid bigint NOT NULL DEFAULT txid_current(), "
            "changed_at timestamptz NOT NULL DEFAULT clock_timestamp())",
            f"CREATE INDEX IF NOT EXISTS mostaframe_changes_rule_seq ON {self.log} (rule, seq)",
            f"CREATE TABLE IF NOT EXISTS {self.state} (rule text PRIMARY KEY, "
            "acknowledged bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
        ]

    def _function(self, rule: str, entity: Entity) -> str:
        return f"{self.quote(self.namespace)}.{self.quote(self.trigger_name(rule, entity, 'fn'))}"

    def create_triggers(self, rule: str, entity: Entity) -> list[str]:
        log = f"{self.quote(self.namespace)}.{self.log}"
        keys = entity.primary_key_fields
        head = f"INSERT INTO {log} (rule, entity, op, pk, old_pk, image) VALUES ({self.literal(rule)}, {self.literal(entity.name)}"
        old_key = ", ".join(f"OLD.{self.quote(f.column)}" for f in keys)
        new_key = ", ".join(f"NEW.{self.quote(f.column)}" for f in keys)
        function = self._function(rule, entity)
        body = (
            "BEGIN\n"
            "  IF TG_OP = 'INSERT' THEN\n"
            f"    {head}, 'I', {self.json_object(keys, 'NEW')}, NULL, "
            f"{self.json_object(entity.fields, 'NEW')});\n"
            "  ELSIF TG_OP = 'UPDATE' THEN\n"
            f"    {head}, 'U', {self.json_object(keys, 'NEW')}, "
            f"CASE WHEN ROW({old_key}) IS DISTINCT FROM ROW({new_key}) "
            f"THEN {self.json_object(keys, 'OLD')} END, {self.json_object(entity.fields, 'NEW')});\n"
            "  ELSIF TG_OP = 'DELETE' THEN\n"
            f"    {head}, 'D', {self.json_object(keys, 'OLD')}, NULL, NULL);\n"
            "  ELSE\n"
            f"    {head}, 'T', '{{}}', NULL, NULL);\n"
            "  END IF;\n"
            "  RETURN NULL;\n"
            "END"
        )
        row, truncate = self.trigger_names(rule, entity)
        table = self.table(entity)
        return [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql "
            "SECURITY DEFINER SET search_path = pg_catalog, pg_temp "
            f"AS $mostaframe$\n{body}\n$mostaframe$",
            f"DROP TRIGGER IF EXISTS {self.quote(row)} ON {table}",
            f"CREATE TRIGGER {self.quote(row)} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"DROP TRIGGER IF EXISTS {self.quote(truncate)} ON {table}",
            f"CREATE TRIGGER {self.quote(truncate)} AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]

    def trigger_names(self, rule: str, entity: Entity) -> list[str]:
        return [self.trigger_name(rule, entity, "row"), self.trigger_name(rule, entity, "truncate")]

    def drop_triggers(self, rule: str, entity: Entity) -> list[str]:
        table = self.table(entity)
        return [
            *(
                f"DROP TRIGGER IF EXISTS {self.quote(n)} ON {table}"
                for n in self.trigger_names(rule, entity)
            ),
            f"DROP FUNCTION IF EXISTS {self._function(rule, entity)}()",
        ]

    def existing_triggers_sql(self) -> str:
        return (
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'mostaframe\\_%%'"
        )

    def connect(self) -> Any:
        import psycopg

        try:
            conn = psycopg.connect(self.uri.libpq_url(), autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise DatabaseConnectionError(
                f"cannot connect to the capture source {mask_uri(self.uri.raw)}: "
                f"{str(exc).strip().splitlines()[0]}"
            ) from None
        (self.namespace,) = conn.execute("SELECT current_schema()").fetchone()
        return conn

    def table_info(self, conn: Any, entity: Entity) -> tuple[bool, bool]:
        row = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = to_regclass(%s) "
            "AND indisprimary), to_regclass(%s) IS NOT NULL",
            (self.table(entity), self.table(entity)),
        ).fetchone()
        return bool(row[1]), bool(row[0])

    def current_position(self, conn: Any) -> int:
        name = conn.execute(
            "SELECT pg_get_serial_sequence(%s, 'seq')",
            (f"{self.quote(self.namespace)}.{self.log}",),
        ).fetchone()[0]
        last, called = conn.execute(f"SELECT last_value, is_called FROM {name}").fetchone()
        return int(last) if called else int(last) - 1

    def _writers(self, conn: Any) -> frozenset[str]:
        """Transactions holding a write lock on the change log (other than ours)."""
        rows = conn.execute(
            "SELECT virtualtransaction FROM pg_locks WHERE locktype = 'relation' "
            "AND relation = to_regclass(%s) AND mode = 'RowExclusiveLock' AND granted "
            "AND pid IS DISTINCT FROM pg_backend_pid()",
            (f"{self.quote(self.namespace)}.{self.log}",),
        ).fetchall()
        return frozenset(r[0] for r in rows)

    def _sample(self, conn: Any) -> tuple[int, frozenset[str]]:
        # order matters: the sequence first, then the lock holders. A writer holding a number
        # <= position took its lock before that number, so it is listed unless it has ended.
        position = self.current_position(conn)
        return position, self._writers(conn)

    def safe_bound(self, conn: Any, attempts: int = 5) -> int:
        """The highest sequence number below which no running transaction holds a number.

        A sample ``(position, writers)`` proves every number <= position final once none of
        its writers is still running: a transaction holding such a number took its lock on the
        change log before the number, so it was listed — and one that started after the
        sample only holds numbers above its position. Samples are kept between reads; a read
        re-samples a few times, 10 ms apart, while writers are busy.

        Returns:
            The bound, or -1 when nothing is proven yet.
        """
        best = -1
        for attempt in range(attempts):
            position, writers = self._sample(conn)
            if not writers:
                # proves everything up to position for good: older samples add nothing
                self.samples = [(position, writers)]
                return position
            self.samples = [*self.samples[-31:], (position, writers)]
            proven = [p for p, w in self.samples if not (w & writers)]
            best = max(proven, default=-1)
            if attempt < attempts - 1:
                time.sleep(0.01)
        return best

    def wait_for_writers(self, conn: Any, position: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        writers = self._writers(conn)
        while writers:
            if time.monotonic() > deadline:
                raise ReplicationError(
                    f"transactions {', '.join(sorted(writers))} on {mask_uri(self.uri.raw)} keep "
                    f"writing the change log for more than {timeout:.0f} s; commit or end them "
                    "and run setup again"
                )
            time.sleep(0.01)
            writers &= self._writers(conn)

    def read(
        self, capture: Any, conn: Any, rule: str, after: int, limit: int
    ) -> tuple[list[tuple], int, bool]:
        bound = self.safe_bound(conn)
        if bound <= after:
            return [], after, False
        rows = conn.execute(
            f"SELECT {self.columns_sql()} FROM {self.log} WHERE rule = %s AND seq > %s "
            "AND seq <= %s ORDER BY seq LIMIT %s",
            (rule, after, bound, limit),
        ).fetchall()
        if len(rows) < limit:
            return rows, bound, True
        # keep the last transaction whole: its rows up to the bound come too
        last_seq, last_txid = rows[-1][0], rows[-1][7]
        rest = conn.execute(
            f"SELECT {self.columns_sql()} FROM {self.log} WHERE rule = %s AND seq > %s "
            "AND seq <= %s AND txid = %s ORDER BY seq",
            (rule, last_seq, bound, last_txid),
        ).fetchall()
        return rows + rest, (rows + rest)[-1][0], False


# ---------------------------------------------------------------------------------------------


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


TRIGGER_SQL: dict[str, type[TriggerSQL]] = {
    "postgres": PostgresTriggers,
    "mysql": MySQLTriggers,
    "sqlite": SQLiteTriggers,
}

__all__ = ["LOG_TABLE", "STATE_TABLE", "TRIGGER_SQL", "TriggerSQL"]
