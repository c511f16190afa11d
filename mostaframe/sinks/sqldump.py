"""SQL dump destination: a ``.sql`` file the database's own client restores.

Layout (PostgreSQL shown; restore with ``psql -v ON_ERROR_STOP=1 -f dump.sql``)::

    -- mostaframe 0.1.0 SQL dump, dialect postgres
    -- created: 2024-05-01T10:00:00Z
    -- source: postgres postgresql://app:***@db/prod
    -- entities: User (users), Post (posts)
    SET client_encoding = 'UTF8';
    SET standard_conforming_strings = on;
    BEGIN;
    SET CONSTRAINTS ALL DEFERRED;
    CREATE TABLE … ;                       -- create_tables=True (mostaframe.ddl)

    -- User (table users)
    INSERT INTO "users" ("id", "email") VALUES
    (1, 'a@b.c'),
    (2, 'it''s');                          -- rows_per_statement rows per INSERT
    -- User: 2 rows

    ALTER TABLE … ADD CONSTRAINT … ;       -- foreign keys closing a cycle, after the data
    COMMIT;

MySQL dumps (``mysql db < dump.sql``) switch ``FOREIGN_KEY_CHECKS`` off, set ``sql_mode`` (no
``NO_BACKSLASH_ESCAPES``: strings use backslash escapes) and ``time_zone`` to UTC, create tables
first (DDL commits implicitly in MySQL), then ``START TRANSACTION`` … ``COMMIT``, and restore
the session. SQLite dumps (``sqlite3 db < dump.sql``) run ``PRAGMA foreign_keys = OFF`` then
``BEGIN`` … ``COMMIT``. Values follow :mod:`.sql_literals`; text with NUL is refused for
PostgreSQL (naming entity, column and row), escaped ``\\0`` for MySQL and written as
``CAST(X'…' AS TEXT)`` for SQLite, so every dump restores exactly.

The header never holds a password: the source description is masked.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SinkError
from ..secrets import mask_text
from .base import FileSink
from .sql_literals import STYLES, upsert_clause
from .sql_rows import sql_rows
from .text import concatenated, offsets_and_data, render_slices

if TYPE_CHECKING:
    from ..schema.model import Entity

#: what separates two rows of one INSERT; every rendered row ends with it (see _chunks)
ROW_BREAK = "),\n("
#: below this many rows per INSERT each row gets its own lead in the join instead of splicing
SPLICE_MIN_ROWS = 16

_LATE_FOREIGN_KEY = re.compile(r"^\s*ALTER\s+TABLE\b.*\bFOREIGN\s+KEY\b", re.IGNORECASE | re.DOTALL)

#: dialect → (lines before the DDL, lines between DDL and data, lines at the end)
FRAMES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "postgres": (
        [
            "SET client_encoding = 'UTF8';",
            "SET standard_conforming_strings = on;",
            "SET client_min_messages = warning;",
            "BEGIN;",
            "SET CONSTRAINTS ALL DEFERRED;",
        ],
        [],
        ["COMMIT;"],
    ),
    "mysql": (
        [
            "SET NAMES utf8mb4;",
            "SET @OLD_SQL_MODE = @@SQL_MODE, "
            "SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';",
            "SET @OLD_TIME_ZONE = @@TIME_ZONE, TIME_ZONE = '+00:00';",
            "SET @OLD_FOREIGN_KEY_CHECKS = @@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS = 0;",
        ],
        ["START TRANSACTION;"],
        [
            "COMMIT;",
            "SET FOREIGN_KEY_CHECKS = @OLD_FOREIGN_KEY_CHECKS;",
            "SET TIME_ZONE = @OLD_TIME_ZONE;",
            "SET SQL_MODE = @OLD_SQL_MODE;",
        ],
    ),
    "sqlite": (["PRAGMA foreign_keys = OFF;", "BEGIN;"], [], ["COMMIT;"]),
}

#: how to restore a dump, for the header
RESTORE = {
    "postgres": "psql -v ON_ERROR_STOP=1 -d DATABASE -f FILE",
    "mysql": "mysql DATABASE < FILE",
    "sqlite": "sqlite3 DATABASE.sqlite < FILE",
}


def _comment(text: str) -> str:
    """One comment line: no line breaks can escape it."""
    return "-- " + re.sub(r"[\r\n]+", " ", text)


class SqlDumpSink(FileSink):
    """Writes every entity as multi-row INSERT statements into one SQL file.

    Args:
        target: the ``.sql`` file.
        dialect: ``postgres`` (default), ``mysql`` or ``sqlite``.

    Options:
        rows_per_statement: rows per INSERT (default 1000).
        source: description of the data's origin for the header (masked).
        disable_triggers: PostgreSQL only: ``SET session_replication_role = replica`` for the
            load (needs a superuser to restore, like ``pg_dump --disable-triggers``).
    """

    kind: ClassVar[str] = "sql-dump"
    single_file: ClassVar[bool] = True
    OPTIONS: ClassVar[dict[str, Any]] = {
        "rows_per_statement": 1000,
        "source": None,
        "disable_triggers": False,
    }

    def __init__(
        self, target: str | os.PathLike[str], *, dialect: str | None = None, **kwargs: Any
    ) -> None:
        from ..dialects import canonical_dialect
        from ..errors import MostaframeError

        try:
            name = canonical_dialect(dialect or "postgres")
        except MostaframeError as exc:
            raise SinkError(f"sql-dump: {exc.message}") from exc
        if name not in STYLES:
            raise SinkError(
                f"sql-dump: no dump dialect {dialect!r} (supported: {', '.join(STYLES)})"
            )
        super().__init__(target, dialect=name, **kwargs)
        rows = self.options["rows_per_statement"]
        if not isinstance(rows, int) or rows < 1:
            raise SinkError(
                f"sql-dump: rows_per_statement must be a positive integer, got {rows!r}"
            )
        self.style = STYLES[name]
        self._handle: BinaryIO | None = None
        self._late: list[str] = []

    @property
    def description(self) -> str:
        return f"sql-dump ({self.dialect}) {self.target}"

    def quote(self, identifier: str) -> str:
        from ..dialects import get_dialect

        return get_dialect(self.dialect or "postgres").quote(identifier)

    def _table(self, entity: Entity) -> str:
        from ..dialects import get_dialect

        table = self.quote(entity.table)
        if entity.db_schema and get_dialect(self.dialect or "postgres").supports_schemas:
            return f"{self.quote(entity.db_schema)}.{table}"
        return table

    def _emit(self, lines: list[str]) -> None:
        assert self._handle is not None
        if lines:
            self._handle.write(("\n".join(lines) + "\n").encode())

    # -- lifecycle -------------------------------------------------------------------------

    def _begin(self) -> None:
        from .. import __version__

        self._check_writable()
        dialect = self.dialect or "postgres"
        self._handle = self._start_file(Path(self.target))
        entities = ", ".join(f"{e.name} ({e.table})" for e in self.entities) or "none"
        header = [
            _comment(f"mostaframe {__version__} SQL dump, dialect {dialect}, mode {self.mode}"),
            _comment(f"created: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"),
        ]
        if self.options["source"]:
            header.append(_comment(f"source: {mask_text(str(self.options['source']))}"))
        header += [_comment(f"entities: {entities}"), _comment(f"restore: {RESTORE[dialect]}"), ""]
        before, between, self._footer = (list(part) for part in FRAMES[dialect])
        if self.options["disable_triggers"] and dialect == "postgres":
            before.append("SET session_replication_role = replica;")
        self._emit(header + before)
        self._emit(self._ddl())
        self._emit(between)
        if self.mode == "truncate":
            self._emit([f"DELETE FROM {self._table(e)};" for e in reversed(self.entities)])

    def _ddl(self) -> list[str]:
        from ..ddl import create_statements, drop_statements

        assert self.schema is not None
        dialect = self.dialect or "postgres"
        lines: list[str] = []
        if self.mode == "replace":
            lines += [f"{s};" for s in drop_statements(self.schema, dialect, self.entities)]
        if self.create_tables or self.mode == "replace":
            statements = create_statements(
                self.schema, dialect, self.entities, if_not_exists=self.mode != "replace"
            )
            for statement in statements:
                if _LATE_FOREIGN_KEY.match(statement):
                    self._late.append(f"{statement};")  # after the data: cycles load freely
                else:
                    lines.append(f"{statement};\n")
            if dialect == "postgres":
                lines += self._postpone_foreign_keys()
        return lines

    def _postpone_foreign_keys(self) -> list[str]:
        """PostgreSQL checks foreign keys at the end of each INSERT and only a superuser can
        switch them off, so (like pg_dump) the dump drops the inline ones right after CREATE
        TABLE and adds them back after the data: rows load in any order, self references and
        all, and every constraint is validated once at the end."""
        from sqlalchemy.schema import AddConstraint

        from ..ddl import sqlalchemy_metadata
        from ..dialects import get_dialect

        assert self.schema is not None
        dialect = get_dialect("postgres")
        compiler = dialect.sqlalchemy_dialect()
        drops: list[str] = []
        adds: list[str] = []
        for table in sqlalchemy_metadata(self.schema, dialect, self.entities).sorted_tables:
            name = self.quote(table.name)
            qualified = f"{self.quote(table.schema)}.{name}" if table.schema else name
            for constraint in sorted(table.foreign_key_constraints, key=lambda c: str(c.name)):
                if constraint.use_alter:
                    continue  # already after the data (it closes a cycle)
                drops.append(
                    f"ALTER TABLE {qualified} DROP CONSTRAINT IF EXISTS {self.quote(str(constraint.name))};"
                )
                compiled = str(AddConstraint(constraint).compile(dialect=compiler)).strip()
                adds.append(" ".join(compiled.split()) + ";")
        if drops:
            drops.insert(
                0, _comment("foreign keys come back after the data (rows load in any order)")
            )
        self._late = adds + self._late
        return drops

    def _open(self, entity: Entity) -> None:
        assert self._handle is not None
        self._entity_start = self._handle.tell()
        self._emit(["", _comment(f"{entity.name} (table {entity.table})")])
        columns = ", ".join(self.quote(field.column) for field in entity.fields)
        self._head = f"INSERT INTO {self._table(entity)} ({columns}) VALUES\n"
        closing = ";\n"
        if self.mode == "upsert" and entity.primary_key:
            keys = [entity.field(name).column for name in entity.primary_key]
            others = [c for c in entity.columns if c not in keys]
            clause = upsert_clause(
                self.dialect or "postgres",
                [self.quote(k) for k in keys],
                [self.quote(c) for c in others],
            )
            closing = f"\n{clause};\n"
        self._closing = closing

    def _lead(self, position: int) -> str:
        """What comes before the row at ``position`` in the entity: the statement head, the
        previous statement's end plus a new head, or the break between two rows."""
        if position == 0:
            return self._head + "("
        if position % self.options["rows_per_statement"] == 0:
            return ")" + self._closing + self._head + "("
        return ROW_BREAK

    def render(self, batch: pa.RecordBatch, first_row: int) -> pa.Array:
        """One text per row: ``(v1, v2, …`` preceded by what its position in the entity
        (``first_row`` + index) calls for — the statement head, ``),\n(`` inside a statement,
        or the previous statement's end plus a new head. The last ``)`` is written by close."""
        assert self.entity is not None
        per_statement = self.options["rows_per_statement"]
        positions = np.arange(first_row, first_row + batch.num_rows)
        # 0: inside a statement, 1: a new statement after another, 2: the entity's first row
        kinds = np.where(positions % per_statement == 0, 1, 0).astype(np.int32)
        if first_row == 0:
            kinds[0] = 2
        choices = pa.array([ROW_BREAK, self._lead(per_statement), self._lead(0)])
        leads = pc.take(choices, pa.array(kinds))
        return self._rows(batch, first_row, lead=leads)

    def _rows(self, batch: pa.RecordBatch, first_row: int, **around: Any) -> pa.Array:
        assert self.entity is not None
        return sql_rows(
            batch.columns,
            batch.schema.names,
            self.style,
            entity=self.entity.name,
            first_row=first_row,
            **around,
        )

    def _chunks(self, batch: pa.RecordBatch, first_row: int) -> list[memoryview | bytes]:
        """The bytes of ``batch``'s rows, in pieces to write one after the other.

        Every row is rendered followed by ``ROW_BREAK`` (a constant folds into the row's last
        constant text: one argument fewer in the join than a lead per row). The break after
        the batch's last row is left out (the next batch starts with its own lead) and the
        few breaks before a new statement are swapped for the statement's end and next head
        here, as slices of the rendered buffer — no copy.
        """
        per_statement = self.options["rows_per_statement"]
        if per_statement < SPLICE_MIN_ROWS:  # many statements: per-row leads in the join
            return [concatenated(self.render(batch, first_row))]
        rows = self._rows(batch, first_row, tail=ROW_BREAK)
        offsets, data = offsets_and_data(rows)
        view = memoryview(data)
        cut = len(ROW_BREAK)  # ASCII: characters are bytes
        chunks: list[memoryview | bytes] = [self._lead(first_row).encode()]
        start = 0
        # rows whose next row starts a statement (index i: (first_row + i + 1) % per == 0)
        for index in range(-(first_row + 1) % per_statement, batch.num_rows - 1, per_statement):
            end = int(offsets[index + 1])
            chunks += [view[start : end - cut], self._lead(first_row + index + 1).encode()]
            start = end
        chunks.append(view[start : len(view) - cut])
        return chunks

    def _write(self, batch: pa.RecordBatch) -> int:
        assert self._handle is not None and self.result is not None
        first = self.result.rows
        written = 0
        # slices of text.RENDER_ROWS rows, each written and dropped before the next is rendered
        for chunks in render_slices(batch, lambda part, at: self._chunks(part, first + at)):
            written += sum(map(self._handle.write, chunks))
            del chunks  # not alive while the next slice renders
        return written

    def _close(self) -> None:
        assert self.result is not None and self.entity is not None
        if self.result.rows:
            self._emit([")" + self._closing.rstrip("\n")])
        self._emit([_comment(f"{self.entity.name}: {self.result.rows} rows")])

    def _abort(self, error: BaseException) -> None:
        # the dump keeps only complete entities: cut this one's partial statements off
        assert self._handle is not None
        self._handle.seek(self._entity_start)
        self._handle.truncate()

    def _finish(self) -> None:
        assert self._handle is not None
        self._emit(["", *self._late, *self._footer])
        self._handle.close()
        self._handle = None
        self._publish()

    def _cancel(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._discard()
