"""Replication targets, one module per database, registered by dialect name in :data:`TARGETS`.

==========  ===================================================================================
dialect     how rows are written
==========  ===================================================================================
sqlite      ``executemany`` of ``INSERT … ON CONFLICT (pk) DO UPDATE`` / ``DELETE … WHERE pk=?``
postgres    COPY (text format, the PostgreSQL sink's encoding) into a temporary table, then
            ``INSERT … SELECT … ON CONFLICT`` / ``DELETE USING``
mysql       multi-row ``REPLACE`` literals (vectorised text); ``DELETE … JOIN`` a temp table
duckdb      the Arrow batch registered as a view, ``INSERT … ON CONFLICT`` / ``DELETE … USING``
==========  ===================================================================================
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ...errors import MostaframeError, ReplicationError
from ...secrets import parse_uri
from .base import INDEX, Target, unique_columns, with_index
from .duckdb import DuckDBTarget
from .mysql import MySQLTarget
from .postgres import PostgresTarget
from .sqlite import SQLiteTarget

if TYPE_CHECKING:
    from ...schema.model import Schema

__all__ = [
    "INDEX",
    "TARGETS",
    "DuckDBTarget",
    "MySQLTarget",
    "PostgresTarget",
    "SQLiteTarget",
    "Target",
    "connect_target",
    "replica_schema",
    "unique_columns",
    "with_index",
]


def replica_schema(schema: Schema, target: Target) -> Schema:
    """The model replica tables are created from in ``target``: ``schema`` itself, or a copy
    without foreign keys where the target cannot upsert referenced rows (DuckDB)."""
    if target.foreign_keys:
        return schema
    import copy

    stripped = copy.deepcopy(schema)
    for entity in stripped.entities:
        for relation in entity.relations:
            if relation.owning:
                relation.ignored = True
    return stripped


TARGETS: dict[str, type[Target]] = {
    "sqlite": SQLiteTarget,
    "postgres": PostgresTarget,
    "mysql": MySQLTarget,
    "duckdb": DuckDBTarget,
}


def connect_target(uri: str | os.PathLike[str], *, lock_timeout: float = 5.0) -> Target:
    """Open the replication target at ``uri`` (any dialect in :data:`TARGETS`).

    Raises:
        ReplicationError: unknown dialect or the database cannot be reached (``transient`` set
            when retrying may help); the URI is masked.
    """
    try:
        parsed = parse_uri(uri)
    except MostaframeError as exc:
        raise ReplicationError(exc.message, hint=exc.hint) from None
    cls = TARGETS.get(parsed.dialect)
    if cls is None:
        raise ReplicationError(f"cannot replicate into {parsed.dialect} ({parsed})")
    return cls(parsed.raw, lock_timeout=lock_timeout)
