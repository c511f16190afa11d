"""Change capture methods, one module each, registered by name.

``CAPTURES`` maps a method name to its :class:`~.base.Capture` class; :func:`choose_capture`
picks one for a source: ``pgoutput`` for PostgreSQL with ``wal_level=logical``, ``triggers``
otherwise. A new method is one new module plus one line in ``CAPTURES``.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from ...errors import DatabaseConnectionError, ReplicationError
from ...secrets import mask_uri, parse_uri
from .base import Capture, Lag, object_name
from .pgoutput import PgOutputCapture
from .triggers import TriggerCapture

if TYPE_CHECKING:
    from ...schema.model import Entity, Schema

#: capture method name → Capture class
CAPTURES: dict[str, type[Capture]] = {
    PgOutputCapture.method: PgOutputCapture,
    TriggerCapture.method: TriggerCapture,
}


def wal_level(source_uri: str) -> str:
    """``SHOW wal_level`` of a PostgreSQL source.

    Raises:
        DatabaseConnectionError: the source cannot be reached (URI masked).
    """
    import psycopg

    uri = parse_uri(source_uri)
    try:
        with psycopg.connect(uri.libpq_url(), connect_timeout=10) as conn:
            return conn.execute("SHOW wal_level").fetchone()[0]
    except psycopg.OperationalError as exc:
        raise DatabaseConnectionError(
            f"cannot connect to {mask_uri(source_uri)}: {str(exc).strip().splitlines()[0]}"
        ) from None


def choose_capture(source_uri: str, method: str | None = None) -> type[Capture]:
    """The capture class for ``source_uri``: ``method`` if given, else the best available.

    PostgreSQL with ``wal_level=logical`` → ``pgoutput``; any other PostgreSQL, MySQL/MariaDB
    and SQLite → ``triggers``.

    Raises:
        ReplicationError: unknown method, a method the dialect does not support, or
            ``pgoutput`` asked for on a server whose wal_level is too low (names the fix).
    """
    dialect = parse_uri(source_uri).dialect
    if method is not None:
        if method not in CAPTURES:
            close = difflib.get_close_matches(method, list(CAPTURES), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ReplicationError(
                f"unknown capture method {method!r}{hint} (known: {', '.join(sorted(CAPTURES))})"
            )
        cls = CAPTURES[method]
        if dialect not in cls.dialects:
            raise ReplicationError(
                f"capture method {method!r} does not support {dialect} sources "
                f"({mask_uri(source_uri)}); use "
                + " or ".join(repr(m) for m, c in CAPTURES.items() if dialect in c.dialects)
            )
        if method == "pgoutput":
            level = wal_level(source_uri)
            if level != "logical":
                raise ReplicationError(
                    f"wal_level is {level} on {mask_uri(source_uri)}; set wal_level=logical "
                    "(ALTER SYSTEM SET wal_level = logical; restart PostgreSQL) "
                    "or use method='triggers'"
                )
        return cls
    if dialect == "postgres" and wal_level(source_uri) == "logical":
        return CAPTURES["pgoutput"]
    cls = CAPTURES["triggers"]
    if dialect not in cls.dialects:
        raise ReplicationError(
            f"no capture method supports {dialect} sources ({mask_uri(source_uri)}); "
            "capture from PostgreSQL, MySQL/MariaDB or SQLite"
        )
    return cls


def make_capture(
    source_uri: str,
    schema: Schema,
    entities: list[Entity],
    rule: str,
    method: str | None = None,
) -> Capture:
    """Build the capture for a rule (see :func:`choose_capture`)."""
    return choose_capture(source_uri, method)(source_uri, schema, entities, rule)


__all__ = [
    "CAPTURES",
    "Capture",
    "Lag",
    "choose_capture",
    "make_capture",
    "object_name",
    "wal_level",
]
