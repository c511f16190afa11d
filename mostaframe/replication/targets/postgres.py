"""PostgreSQL replication target: COPY into a temporary table, then ``INSERT … SELECT … ON
CONFLICT`` / ``DELETE USING``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .base import INDEX, Target

if TYPE_CHECKING:
    from ...schema.model import Entity, Field


class PostgresTarget(Target):
    """PostgreSQL: rows are COPYed into a temporary table, then merged with one statement."""

    dialect = "postgres"
    placeholder = "%s"

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(
            self.uri.libpq_url(), autocommit=False, connect_timeout=max(1, int(self.lock_timeout))
        )

    def _foreign_key_checks_off(self) -> bool:
        import psycopg

        try:
            # what PostgreSQL's logical replication workers do: no FK/user triggers on apply
            self.connection.execute("SET session_replication_role = replica")
            self.connection.commit()
            return True
        except psycopg.errors.InsufficientPrivilege:
            self.connection.rollback()
            return False

    def is_unique_violation(self, error: BaseException) -> bool:
        import psycopg

        return isinstance(error, psycopg.errors.UniqueViolation)

    def is_transient(self, error: BaseException) -> bool:
        import psycopg

        return isinstance(
            error,
            psycopg.OperationalError
            | psycopg.errors.SerializationFailure
            | psycopg.errors.DeadlockDetected
            | psycopg.errors.LockNotAvailable
            | psycopg.errors.AdminShutdown,
        )

    def advance_sequence(self, entity: Entity, field: Field, value: int) -> None:
        # the setval of the PostgreSQL sink's _advance_sequences (sinks/postgres.py), with the
        # batch's maximum instead of a max() scan, and only forward; setval is not undone by a
        # rollback, which is harmless (a gap in the ids)
        self.execute(
            "SELECT setval(seq, %s) FROM pg_get_serial_sequence(%s, %s) AS seq "
            "WHERE seq IS NOT NULL AND coalesce(pg_sequence_last_value(seq::regclass), 0) < %s",
            (value, self.table(entity), field.column, value),
        )

    def stage(self, entity: Entity, batch: pa.RecordBatch) -> str:
        name = self.quote(self.stage_name())
        names = batch.schema.names
        cols = ", ".join(self.quote(c) for c in names if c != INDEX)
        self.execute(f"DROP TABLE IF EXISTS {name}")
        # CREATE … AS SELECT copies the target's column types (enums, arrays, jsonb, uuid)
        index = f"0::bigint AS {self.quote(INDEX)}, " if INDEX in names else ""
        self.execute(
            f"CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT {index}{cols} "
            f"FROM {self.table(entity)} WHERE false"
        )
        ordered = ", ".join(self.quote(c) for c in names)
        # the PostgreSQL sink's COPY text encoding, vectorised: no Python object per value
        from ...sinks.postgres import copy_text_values
        from ...sinks.text import Cells, Location, assemble, concatenated

        fields = [
            Cells(copy_text_values(column, Location(entity.name, column_name)))
            for column_name, column in zip(names, batch.columns, strict=True)
        ]
        payload = concatenated(assemble(fields, separator="\t", null="\\N", tail="\n"))
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f"COPY {name} ({ordered}) FROM STDIN") as copy,
        ):
            copy.write(payload)
        return name

    def upsert(self, entity: Entity, rows: pa.RecordBatch) -> None:
        name = self.stage(entity, rows)
        cols = ", ".join(self.quote(c) for c in rows.schema.names)
        # OVERRIDING SYSTEM VALUE: the source's ids go into GENERATED ALWAYS identity columns too
        sql = self.upsert_sql(entity, rows.schema.names, f"SELECT {cols} FROM {name}")
        self.execute(sql.replace(f") SELECT {cols}", f") OVERRIDING SYSTEM VALUE SELECT {cols}", 1))
        self.unstage(name)

    def delete(self, entity: Entity, keys: pa.RecordBatch) -> None:
        name = self.stage(entity, keys)
        self.execute(
            f"DELETE FROM {self.table(entity)} t USING {name} s WHERE {self.join_on(entity, 't', 's')}"
        )
        self.unstage(name)
