"""PostgreSQL logical decoding with the built-in ``pgoutput`` plugin, read through SQL.

What :meth:`PgOutputCapture.setup` installs on the source (names from the rule name):

* publication ``mostaframe_<rule>`` ``FOR TABLE`` the captured tables (insert, update, delete,
  truncate); its comment records the tables whose REPLICA IDENTITY setup changed, so teardown
  can put them back;
* ``REPLICA IDENTITY FULL`` on every captured table: UPDATE and DELETE then carry the whole
  old row, which (1) fills the columns pgoutput leaves out of an UPDATE when a large TOASTed
  value did not change, (2) shows a primary-key change in every UPDATE, (3) keeps deletes
  working even for tables whose key is not their replica identity. It costs WAL volume on
  UPDATE/DELETE (the old row is logged) — measured in docs/cdc.md;
* logical replication slot ``mostaframe_<rule>`` with ``pgoutput``, created AFTER the
  publication and identity change so that every change it sees carries them.

Changes are read with ``pg_logical_slot_peek_binary_changes`` (never consuming) in chunks of
whole transactions, decoded by :mod:`.pgoutput_decode`, and acknowledged with
``pg_replication_slot_advance`` once the target committed them. Needed: ``wal_level=logical``,
a role with REPLICATION (or superuser) that owns the captured tables.
"""

from __future__ import annotations

import json
import time
from contextlib import suppress
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ...errors import DatabaseConnectionError, ReplicationError
from ..changes import ChangeSet
from .base import Capture, Lag, object_name
from .pgoutput_changes import build_changeset
from .pgoutput_decode import (
    _CHANGE_KINDS,
    KIND_BEGIN,
    KIND_COMMIT,
    KIND_RELATION,
    KIND_TRUNCATE,
    Messages,
    decode,
    pg_time,
    read_int64,
)

if TYPE_CHECKING:
    import psycopg

    from ...schema.model import Entity, Schema

#: session settings that fix the text form of every value pgoutput sends
SESSION_SETTINGS = {
    "DateStyle": "ISO, YMD",
    "TimeZone": "UTC",
    "IntervalStyle": "postgres",
    "bytea_output": "hex",
    "extra_float_digits": "3",
    "client_encoding": "UTF8",
    # the peek function materialises its result: keep a chunk in memory, and let the
    # decoder hold big transactions without spilling them to disk
    "work_mem": "128MB",
    "logical_decoding_work_mem": "256MB",
}


def lsn_text(position: int) -> str:
    """An LSN int as PostgreSQL's ``X/Y`` text."""
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


def lsn_int(text: str) -> int:
    """PostgreSQL's ``X/Y`` LSN text as an int."""
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PgOutputCapture(Capture):
    """Capture through a logical replication slot decoded with ``pgoutput`` (protocol 1).

    Example:
        >>> capture = PgOutputCapture(uri, schema, schema.select("*"), rule="gym")  # doctest: +SKIP
        >>> start = capture.setup()  # doctest: +SKIP
    """

    method: ClassVar[str] = "pgoutput"
    #: off: a peek before the slot is advanced makes the server decode the unacknowledged
    #: ChangeSet again to skip it, and the server's decode is what bounds a catch-up (measured
    #: 1.0–1.3× slower with read-ahead, docs/replication.md#benchmark)
    read_ahead: ClassVar[bool] = False
    dialects: ClassVar[tuple[str, ...]] = ("postgres",)
    #: most change messages counted by :meth:`lag` before it extrapolates
    LAG_PEEK_LIMIT: ClassVar[int] = 100_000
    #: seconds to wait for the slot while another server process holds it (still creating it
    #: for a client killed mid-setup, or reading it) before failing with a transient error
    slot_busy_timeout: float = 30.0
    #: seconds ``pg_create_logical_replication_slot`` may wait for the transactions running on
    #: the server to finish before setup fails with a transient error naming them
    slot_create_timeout: float = 30.0

    def __init__(self, source_uri: str, schema: Schema, entities: list[Entity], rule: str) -> None:
        super().__init__(source_uri, schema, entities, rule)
        self.slot = object_name(rule)
        self.publication = object_name(rule)
        self._connection: psycopg.Connection | None = None
        self._tables: dict[str, Entity] | None = None
        # end position of a read → (slot position then, messages from the slot through it)
        self._skips: dict[int, tuple[int, int]] = {}

    # --- connection -------------------------------------------------------------------------

    def _conn(self) -> psycopg.Connection:
        import psycopg

        if self._connection is not None and not self._connection.closed:
            return self._connection
        try:
            conn = psycopg.connect(self.source.libpq_url(), autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise DatabaseConnectionError(
                f"cannot connect to the capture source {self.source_text}: "
                f"{str(exc).strip().splitlines()[0]}"
            ) from None
        for name, value in SESSION_SETTINGS.items():
            conn.execute(f"SET {name} = '{value}'")
        self._connection = conn
        return conn

    def close(self) -> None:
        """Close the connection to the source (reopened on the next call)."""
        if self._connection is not None:
            with suppress(Exception):
                self._connection.close()
        self._connection = None

    def _query(self, sql: str, params: Any = None) -> list[tuple]:
        import psycopg

        try:
            cursor = self._conn().execute(sql, params)
            return cursor.fetchall() if cursor.description is not None else []
        except psycopg.errors.ObjectInUse:
            # another server process took the slot between our look and this statement
            raise self._busy_error(self._slot_info(), 0.0) from None
        except psycopg.OperationalError as exc:
            self.close()
            raise DatabaseConnectionError(
                f"capture source {self.source_text}: {str(exc).strip().splitlines()[0]}"
            ) from None

    # --- catalog ----------------------------------------------------------------------------

    def _resolve_tables(self) -> dict[str, tuple[Entity, int, str, bool, bool]]:
        """``qualified name → (entity, oid, replica identity, has primary key, owned)``."""
        found: dict[str, tuple[Entity, int, str, bool, bool]] = {}
        for entity in self.entities:
            name = _quote(entity.table)
            if entity.db_schema:
                name = f"{_quote(entity.db_schema)}.{name}"
            rows = self._query(
                "SELECT c.oid::int8, n.nspname, c.relname, c.relreplident::text, "
                "  EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), "
                "  pg_has_role(c.relowner, 'USAGE') "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.oid = to_regclass(%s)",
                (name,),
            )
            if not rows:
                raise ReplicationError(
                    f"entity {entity.name}: table {entity.table} not found on {self.source_text}; "
                    "create it (mostaframe.ddl) or exclude the entity"
                )
            oid, namespace, table, identity, has_pk, owned = rows[0]
            if not has_pk:
                raise ReplicationError(
                    f"entity {entity.name} (table {table}) has no primary key; "
                    "add one or exclude it"
                )
            found[f"{namespace}.{table}"] = (entity, oid, identity, has_pk, owned)
        return found

    @property
    def tables(self) -> dict[str, Entity]:
        """``"namespace.table" → entity`` of the captured tables (looked up once)."""
        if self._tables is None:
            self._tables = {name: spec[0] for name, spec in self._resolve_tables().items()}
        return self._tables

    def _slot_info(self) -> dict[str, Any] | None:
        """The slot as ``pg_replication_slots`` shows it now (None when there is none).

        ``confirmed`` is None while a server process is still creating the slot, and
        ``active_pid`` is the process holding it (creating or reading it) other than ours.
        """
        rows = self._query(
            "SELECT (confirmed_flush_lsn - '0/0')::int8, plugin, database = current_database(), "
            "  NULLIF(active_pid, pg_backend_pid()), wal_status, (restart_lsn - '0/0')::int8 "
            "FROM pg_replication_slots WHERE slot_name = %s",
            (self.slot,),
        )
        if not rows:
            return None
        confirmed, plugin, same_db, active_pid, wal_status, restart = rows[0]
        return {
            "confirmed": confirmed,
            "plugin": plugin,
            "same_database": same_db,
            "active_pid": active_pid,
            "wal_status": wal_status,
            "restart": restart,
        }

    def _free_slot(self, *, finished: bool = True) -> dict[str, Any] | None:
        """The slot once no other server process holds it (None when there is none).

        A client killed while ``pg_create_logical_replication_slot`` ran leaves its server
        process creating the slot: the slot is listed, with no confirmed position, held by that
        process, until every transaction that was running on the server when creation started
        has ended; then it is finished (and the process, finding its client gone, exits) or,
        if the process is terminated, removed. Likewise a killed reader's process holds the
        slot until its peek ends. Wait for either, at most :attr:`slot_busy_timeout` seconds.

        Args:
            finished: refuse a logical slot without a confirmed position (none exists unless
                something went wrong on the server; teardown drops it anyway).

        Raises:
            ReplicationError: (transient) the slot is still held after the wait; the message
                names the process, what it waits for, and how to end it.
        """
        started = time.monotonic()
        pause = 0.05
        while True:
            slot = self._slot_info()
            if slot is None or slot["active_pid"] is None:
                break
            waited = time.monotonic() - started
            if waited >= self.slot_busy_timeout:
                raise self._busy_error(slot, waited)
            time.sleep(min(pause, max(0.0, self.slot_busy_timeout - waited)))
            pause = min(pause * 2, 0.5)
        if finished and slot is not None and slot["plugin"] and slot["confirmed"] is None:
            raise ReplicationError(
                f"replication slot {self.slot} on {self.source_text} has no confirmed position "
                "and no process creating it; drop it (SELECT pg_drop_replication_slot("
                f"{_literal(self.slot)})) and re-snapshot with rule.resync()"
            )
        return slot

    def _busy_error(self, slot: dict[str, Any] | None, waited: float) -> ReplicationError:
        """The transient error for a slot another server process holds, naming that process."""
        pid = slot["active_pid"] if slot else None
        if pid is None:
            error = ReplicationError(
                f"replication slot {self.slot} on {self.source_text} is in use by another "
                "server process; retry when it is free"
            )
            error.transient = True
            return error
        rows = self._query(
            "SELECT state, wait_event_type || ':' || wait_event, "
            "  extract(epoch FROM clock_timestamp() - query_start)::float8, "
            "  pg_blocking_pids(pid), application_name, client_addr::text "
            "FROM pg_stat_activity WHERE pid = %s",
            (pid,),
        )
        creating = slot is not None and slot["confirmed"] is None
        doing = "creating it" if creating else "reading it"
        if rows:
            state, waiting, running, blockers, application, address = rows[0]
            details = [f"{state or 'unknown state'} for {running or 0:.0f}s"]
            if waiting:
                details.append(f"waiting on {waiting}")
            if blockers:
                details.append(
                    "behind the open transactions of process "
                    + ", ".join(str(b) for b in blockers)
                    + (
                        " (a logical slot is finished only once every transaction running on "
                        "the server when its creation started has ended)"
                        if creating
                        else ""
                    )
                )
            client = ", ".join(x for x in (application, address) if x)
            if client:
                details.append(f"client {client}")
            doing += " — " + "; ".join(details)
        else:
            doing += " (the process has just ended)"
        error = ReplicationError(
            f"replication slot {self.slot} on {self.source_text} is held by server process "
            f"{pid} ({doing})" + (f", still after waiting {waited:.1f}s" if waited else ""),
            hint=(
                f"if that process belongs to a client that is gone (a killed sync), end it with "
                f"SELECT pg_terminate_backend({pid}); otherwise let it finish and sync again"
            ),
        )
        error.transient = True
        return error

    def _check_server(self) -> None:
        (level,) = self._query("SHOW wal_level")[0]
        if level != "logical":
            raise ReplicationError(
                f"wal_level is {level} on {self.source_text}; set wal_level=logical "
                "(ALTER SYSTEM SET wal_level = logical; restart PostgreSQL) or use method='triggers'"
            )
        user, superuser, replication = self._query(
            "SELECT rolname, rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user"
        )[0]
        if not (superuser or replication):
            raise ReplicationError(
                f"role {user} on {self.source_text} lacks the REPLICATION attribute needed for a "
                f"logical replication slot; run ALTER ROLE {_quote(user)} REPLICATION as a "
                "superuser, or use method='triggers'"
            )

    # --- the Capture operations --------------------------------------------------------------

    def setup(self) -> int:
        """Create the publication, set REPLICA IDENTITY FULL, create the slot (idempotent).

        Returns:
            The slot's confirmed position (its consistent point when just created).

        Raises:
            ReplicationError: wal_level below logical, no REPLICATION privilege, a table that
                is missing, has no primary key or is not owned by the user.
        """
        import psycopg

        self._check_server()
        resolved = self._resolve_tables()
        (user,) = self._query("SELECT current_user")[0]
        for qualified, (entity, _, _, _, owned) in resolved.items():
            if not owned:
                raise ReplicationError(
                    f"role {user} does not own table {qualified} (entity {entity.name}); "
                    "CREATE PUBLICATION and REPLICA IDENTITY FULL need the owner: "
                    f"ALTER TABLE {qualified} OWNER TO {_quote(user)}, or run setup as the owner"
                )
        table_list = ", ".join(
            f"{_quote(q.split('.', 1)[0])}.{_quote(q.split('.', 1)[1])}" for q in resolved
        )
        try:
            existing = self._query(
                "SELECT obj_description(oid, 'pg_publication') FROM pg_publication "
                "WHERE pubname = %s",
                (self.publication,),
            )
            if existing:
                self._query(f"ALTER PUBLICATION {_quote(self.publication)} SET TABLE {table_list}")
                notes = json.loads(existing[0][0] or "{}")
            else:
                self._query(f"CREATE PUBLICATION {_quote(self.publication)} FOR TABLE {table_list}")
                notes = {}
            changed = dict(notes.get("replica_identity", {}))
            for qualified, (_, oid, identity, _, _) in resolved.items():
                if identity == "i":  # USING INDEX: remember which one
                    rows = self._query(
                        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                        "WHERE i.indrelid = %s AND i.indisreplident",
                        (oid,),
                    )
                    identity = f"i:{rows[0][0]}" if rows else "d"
                if identity != "f":
                    changed.setdefault(qualified, identity)
                    self._query(f"ALTER TABLE {self._quoted(qualified)} REPLICA IDENTITY FULL")
            notes = {"rule": self.rule, "replica_identity": changed}
            self._query(
                f"COMMENT ON PUBLICATION {_quote(self.publication)} IS "
                + _literal(json.dumps(notes, sort_keys=True))
            )
        except psycopg.errors.InsufficientPrivilege as exc:
            raise ReplicationError(
                f"setup of capture on {self.source_text} needs more privileges: "
                f"{str(exc).strip().splitlines()[0]}"
            ) from None
        self._tables = {name: spec[0] for name, spec in resolved.items()}
        slot = self._free_slot()
        if slot is not None:
            if slot["plugin"] != "pgoutput" or not slot["same_database"]:
                raise ReplicationError(
                    f"replication slot {self.slot} exists on {self.source_text} but is not a "
                    "pgoutput slot of this database; drop it or rename the rule"
                )
            return slot["confirmed"]
        return self._create_slot()

    def _create_slot(self) -> int:
        """Create the slot, waiting at most :attr:`slot_create_timeout` seconds for the
        transactions running on the server (creation waits until they have all ended)."""
        import psycopg

        started = time.monotonic()
        conn = self._conn()
        try:
            with conn.transaction():
                conn.execute(
                    f"SET LOCAL statement_timeout = {int(self.slot_create_timeout * 1000)}"
                )
                (position,) = conn.execute(
                    "SELECT (lsn - '0/0')::int8 "
                    "FROM pg_create_logical_replication_slot(%s, 'pgoutput')",
                    (self.slot,),
                ).fetchone()
        except psycopg.errors.QueryCanceled:
            # the half-made slot is dropped with the cancelled statement
            running = self._query(
                "SELECT pid, extract(epoch FROM clock_timestamp() - xact_start)::float8 "
                "FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() "
                "ORDER BY xact_start LIMIT 5"
            )
            listed = ", ".join(f"process {pid} (open {age:.0f}s)" for pid, age in running)
            error = ReplicationError(
                f"creating replication slot {self.slot} on {self.source_text} waited "
                f"{time.monotonic() - started:.1f}s for the transactions running on the server "
                f"to end{': ' + listed if listed else ''}",
                hint="a logical slot starts only once every transaction open when its creation "
                "started has ended; commit or end them (pg_stat_activity shows them) and sync again",
            )
            error.transient = True
            raise error from None
        except psycopg.errors.DuplicateObject:
            # another process created it in the meantime: use it once it is finished
            slot = self._free_slot()
            if slot is None:
                raise
            return slot["confirmed"]
        except psycopg.OperationalError as exc:
            self.close()
            raise DatabaseConnectionError(
                f"capture source {self.source_text}: {str(exc).strip().splitlines()[0]}"
            ) from None
        return position

    def _quoted(self, qualified: str) -> str:
        namespace, table = qualified.split(".", 1)
        return f"{_quote(namespace)}.{_quote(table)}"

    def _peek(self, upto_lsn: str | None, limit: int | None) -> str:
        return (
            "pg_logical_slot_peek_binary_changes("
            f"{_literal(self.slot)}, {_literal(upto_lsn) if upto_lsn else 'NULL'}::pg_lsn, "
            f"{limit if limit is not None else 'NULL'}, 'proto_version', '1', "
            f"'publication_names', {_literal(self.publication)})"
        )

    def _checked_slot(self, checkpoint: int) -> dict[str, Any]:
        slot = self._free_slot()
        if slot is None or slot["wal_status"] == "lost":
            raise ReplicationError(
                f"replication slot {self.slot} on {self.source_text} is gone"
                + (" (its WAL was removed)" if slot else "")
                + f": changes after checkpoint {lsn_text(checkpoint)} are lost; "
                "re-snapshot with rule.resync()"
            )
        if slot["confirmed"] > checkpoint:
            raise ReplicationError(
                f"replication slot {self.slot} on {self.source_text} is ahead of the checkpoint "
                f"(slot at {lsn_text(slot['confirmed'])}, checkpoint {lsn_text(checkpoint)}): "
                "someone consumed or advanced it; re-snapshot with rule.resync()"
            )
        return slot

    def read(self, after: int, *, max_changes: int = 100_000) -> ChangeSet:
        """Whole transactions committed after ``after``, at least ``max_changes`` messages when
        that many are pending (the last transaction is never cut).

        The peek always starts at the slot's confirmed position; when ``after`` is ahead of it
        (read again before acknowledging), the messages up to ``after`` are counted with a
        first peek bounded by ``after`` and skipped on the server.
        """
        slot = self._checked_slot(after)
        changes = self._read(after, slot["confirmed"], max_changes)
        if changes is None:  # the cached skip count was stale: count again, once
            self._skips.clear()
            changes = self._read(after, slot["confirmed"], max_changes)
        if changes is None:
            raise ReplicationError(
                f"slot {self.slot}: the changes after {lsn_text(after)} do not start at a "
                "transaction boundary (the slot moved during the read?); read again"
            )
        return changes

    def _read(self, after: int, confirmed: int, max_changes: int) -> ChangeSet | None:
        import psycopg

        skip = 0
        if after > confirmed:
            cached = self._skips.get(after)
            if cached is not None and cached[0] == confirmed:
                skip = cached[1]
            else:
                sql = f"SELECT count(*) FROM {self._peek(lsn_text(after), None)}"
                (skip,) = self._query(sql)[0]
        (flushed,) = self._query("SELECT (pg_current_wal_flush_lsn() - '0/0')::int8")[0]
        limit = skip + max(1, max_changes)
        # Relation messages are sent once per decoding session: keep those of the skipped part,
        # they describe the tables for the rest
        sql = f"SELECT data FROM {self._peek(None, limit)}"
        if skip:
            sql = (
                f"SELECT data, n > {skip} FROM {self._peek(None, limit)} "
                f"WITH ORDINALITY AS m(lsn, xid, data, n) "
                f"WHERE n > {skip} OR get_byte(data, 0) = {KIND_RELATION}"
            )
        try:
            cursor = self._conn().cursor(binary=True)
            rows = cursor.execute(sql).fetchall()
        except psycopg.errors.ObjectInUse:
            raise self._busy_error(self._slot_info(), 0.0) from None
        except psycopg.OperationalError as exc:
            self.close()
            raise DatabaseConnectionError(
                f"reading changes from {self.source_text}: {str(exc).strip().splitlines()[0]}"
            ) from None
        payloads = [row[0] for row in rows]
        read = sum(1 for row in rows if row[1]) if skip else len(rows)
        reached_end = read + skip < limit
        if not read:
            changes = ChangeSet.empty(after)
        else:
            messages = Messages.from_payloads(payloads)
            kinds = messages.kinds
            first = kinds[kinds != KIND_RELATION][:1]
            if not len(first) or first[0] != KIND_BEGIN:
                return None
            chunk = decode(messages, self._key_columns())
            if chunk.end_lsns[0] <= after:
                return None
            changes = build_changeset(chunk, self.tables, after)
        if reached_end and flushed > changes.end_position:
            # nothing else of ours was committed up to the flush position seen before the peek:
            # moving past it lets the slot release WAL written for other tables
            changes.end_position = flushed
        # a read-ahead from end_position (before acknowledging) skips these rows without
        # counting them again
        self._skips[changes.end_position] = (confirmed, skip + read)
        while len(self._skips) > 8:
            self._skips.pop(next(iter(self._skips)))
        return changes

    def _key_columns(self) -> dict[str, list[str]]:
        return {name: [e.field(k).column for k in e.primary_key] for name, e in self.tables.items()}

    def acknowledge(self, position: int) -> None:
        """Advance the slot to ``position`` (no-op when it is already there or beyond)."""
        slot = self._free_slot()
        if slot is None:
            raise ReplicationError(f"replication slot {self.slot} on {self.source_text} is gone")
        if position > slot["confirmed"]:
            self._query(
                "SELECT pg_replication_slot_advance(%s, %s::pg_lsn)",
                (self.slot, lsn_text(position)),
            )

    def lag(self, checkpoint: int) -> Lag:
        """Pending WAL bytes, pending change count (counted up to :attr:`LAG_PEEK_LIMIT`
        messages, extrapolated by bytes beyond) and the age of the oldest pending commit."""
        slot = self._free_slot()
        if slot is None:
            return Lag(None, None, None)
        base = max(checkpoint, slot["confirmed"])
        current, now = self._query(
            "SELECT (pg_current_wal_lsn() - '0/0')::int8, clock_timestamp()"
        )[0]
        pending_bytes = max(0, current - base)
        rows = self._query(
            "SELECT get_byte(data, 0), CASE WHEN get_byte(data, 0) IN (66, 67) "
            "THEN substring(data FROM 1 FOR 26) END "
            f"FROM {self._peek(None, self.LAG_PEEK_LIMIT)}"
        )
        if not rows:
            return Lag(0, pending_bytes, 0.0)
        kinds = np.array([r[0] for r in rows], dtype=np.uint8)
        fixed = [bytes(r[1]) for r in rows if r[1] is not None]
        heads = Messages.from_payloads(fixed)
        head_kinds = heads.kinds
        begins = heads.starts[head_kinds == KIND_BEGIN]
        commits = heads.starts[head_kinds == KIND_COMMIT]
        n = min(len(begins), len(commits))
        end_lsns = read_int64(heads.array, commits[:n] + 10)
        commit_times = read_int64(heads.array, begins[:n] + 9)
        txn = np.cumsum(kinds == KIND_BEGIN) - 1
        is_change = np.isin(kinds, [*_CHANGE_KINDS, KIND_TRUNCATE])
        pending_txn = np.flatnonzero(end_lsns > checkpoint)
        if not len(pending_txn):
            return Lag(0, pending_bytes, 0.0)
        first = int(pending_txn[0])
        counted = int((is_change & (txn >= first) & (txn < n)).sum())
        pending = counted
        if len(rows) >= self.LAG_PEEK_LIMIT and end_lsns[n - 1] > base:
            # the peek stopped early: extrapolate the rest by WAL bytes
            covered = int(end_lsns[n - 1]) - base
            pending = int(counted * pending_bytes / max(covered, 1))
        behind = (now - pg_time(commit_times[first])).total_seconds()
        return Lag(pending, pending_bytes, max(0.0, behind))

    def check(self, checkpoint: int) -> None:
        """Raise when the slot or publication is gone, or the slot is past ``checkpoint``."""
        self._checked_slot(checkpoint)
        if not self._query("SELECT 1 FROM pg_publication WHERE pubname = %s", (self.publication,)):
            raise ReplicationError(
                f"publication {self.publication} on {self.source_text} is gone: changes are no "
                "longer captured; re-snapshot with rule.resync()"
            )

    def teardown(self) -> None:
        """Drop the slot and the publication; put back the REPLICA IDENTITY setup changed
        (unless another mostaframe publication still captures the table)."""
        slot = self._free_slot(finished=False)
        if slot is not None:
            self._query("SELECT pg_drop_replication_slot(%s)", (self.slot,))
        rows = self._query(
            "SELECT obj_description(oid, 'pg_publication') FROM pg_publication WHERE pubname = %s",
            (self.publication,),
        )
        if rows:
            notes = json.loads(rows[0][0] or "{}")
            self._query(f"DROP PUBLICATION {_quote(self.publication)}")
            for qualified, identity in notes.get("replica_identity", {}).items():
                namespace, table = qualified.split(".", 1)
                still_captured = self._query(
                    "SELECT 1 FROM pg_publication_tables WHERE pubname LIKE 'mostaframe\\_%%' "
                    "AND schemaname = %s AND tablename = %s",
                    (namespace, table),
                )
                exists = self._query("SELECT to_regclass(%s)", (self._quoted(qualified),))[0][0]
                if still_captured or exists is None:
                    continue
                clause = {"d": "DEFAULT", "n": "NOTHING"}.get(identity)
                if identity.startswith("i:"):
                    clause = f"USING INDEX {_quote(identity[2:])}"
                if clause:
                    self._query(f"ALTER TABLE {self._quoted(qualified)} REPLICA IDENTITY {clause}")
        self.close()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


__all__ = ["SESSION_SETTINGS", "PgOutputCapture", "lsn_int", "lsn_text"]
