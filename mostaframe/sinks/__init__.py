"""Destinations of a copy, one module each, looked up by the kind names ``mostajs-copy`` uses.

==========  ================================================  ===============================
kind        class                                             target
==========  ================================================  ===============================
db          the database sink of the URI's dialect            database URI (``--dest-uri``)
postgres    :class:`~.postgres.PostgresSink` (binary COPY)    ``postgresql://…``
mysql       :class:`~.mysql.MySQLSink` (multi-row INSERT)     ``mysql://…`` (MariaDB too)
sqlite      :class:`~.sqlite.SQLiteSink`                      file path or ``sqlite:///…``
duckdb      :class:`~.duckdb.DuckDBSink` (Arrow-native)       file path or ``duckdb:///…``
sql-dump    :class:`~.sqldump.SqlDumpSink`                    ``.sql`` file
json        :class:`~.jsonfile.JsonSink` (``ndjson=True``)    ``.json`` file / directory
parquet     :class:`~.parquet.ParquetSink`                    directory
csv         :class:`~.csvfile.CsvSink`                        directory
==========  ================================================  ===============================

A new destination is one new module plus one line in :data:`SINKS`.

Example:
    >>> from mostaframe.sinks import get_sink
    >>> get_sink("sqldump", "backup.sql", dialect="mysql").description
    'sql-dump (mysql) backup.sql'
"""

from __future__ import annotations

import difflib
import os
from typing import Any

from ..errors import SinkError
from .base import MODES, FileSink, Sink, SinkResult
from .csvfile import CsvSink
from .database import DatabaseSink
from .duckdb import DuckDBSink
from .jsonfile import JsonSink
from .mysql import MySQLSink
from .parquet import ParquetSink
from .postgres import PostgresSink
from .sqldump import SqlDumpSink
from .sqlite import SQLiteSink

#: every registered destination kind → its class. ``SINKS["db"](uri)`` returns the sink of the
#: URI's dialect (postgres, mysql, sqlite or duckdb). Database drivers are imported on use.
SINKS: dict[str, type[Sink]] = {
    "db": DatabaseSink,
    "postgres": PostgresSink,
    "mysql": MySQLSink,
    "sqlite": SQLiteSink,
    "duckdb": DuckDBSink,
    "sql-dump": SqlDumpSink,
    "json": JsonSink,
    "parquet": ParquetSink,
    "csv": CsvSink,
}

#: other spellings → (kind, options they imply)
_ALIASES: dict[str, tuple[str, dict[str, Any]]] = {
    "sqldump": ("sql-dump", {}),
    "sql_dump": ("sql-dump", {}),
    "dump": ("sql-dump", {}),
    "ndjson": ("json", {"ndjson": True}),
    "jsonl": ("json", {"ndjson": True}),
    "postgresql": ("postgres", {}),
    "pg": ("postgres", {}),
    "mariadb": ("mysql", {}),
    "sqlite3": ("sqlite", {}),
}

KINDS = tuple(SINKS)


def canonical_kind(kind: str) -> tuple[str, dict[str, Any]]:
    """``(kind, implied options)`` for ``kind`` or one of its aliases.

    Raises:
        SinkError: unknown kind, with the closest known one.
    """
    key = kind.strip().lower()
    if key in SINKS:
        return key, {}
    if key in _ALIASES:
        return _ALIASES[key]
    close = difflib.get_close_matches(key, [*SINKS, *_ALIASES], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise SinkError(f"unknown destination kind {kind!r}{hint} (known: {', '.join(KINDS)})")


def get_sink(kind: str, target: str | os.PathLike[str], **kwargs: Any) -> Sink:
    """A sink of ``kind`` writing to ``target``.

    Args:
        kind: a key of :data:`SINKS` or an alias (``sqldump``, ``ndjson``, ``mariadb``…).
        target: database URI, file or directory.
        **kwargs: ``dialect``, ``mode``, ``create_tables`` and sink options.

    Raises:
        SinkError: unknown kind, mode or option (with a did-you-mean).

    Example:
        >>> get_sink("ndjson", "./out").description
        'ndjson ./out'
    """
    name, implied = canonical_kind(kind)
    return SINKS[name](target, **{**implied, **kwargs})


__all__ = [
    "KINDS",
    "MODES",
    "SINKS",
    "CsvSink",
    "DatabaseSink",
    "DuckDBSink",
    "FileSink",
    "JsonSink",
    "MySQLSink",
    "ParquetSink",
    "PostgresSink",
    "SQLiteSink",
    "Sink",
    "SinkResult",
    "SqlDumpSink",
    "canonical_kind",
    "get_sink",
]
