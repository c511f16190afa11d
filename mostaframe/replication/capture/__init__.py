"""Change capture methods, one module each, registered by name.

``CAPTURES`` maps a method name to its :class:`~.base.Capture` class; :func:`choose_capture`
picks one for a source: ``pgoutput`` for PostgreSQL with ``wal_level=logical``, ``triggers``
otherwise. A new method is one new module plus one line in ``_MODULES``.
"""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING

from ...errors import DatabaseConnectionError, ReplicationError
from ...secrets import mask_uri, parse_uri
from .base import Capture, Lag, object_name

if TYPE_CHECKING:
    from ...schema.model import Entity, Schema

_MODULES = {"pgoutput": ("pgoutput", "PgOutputCapture"), "triggers": ("triggers", "TriggerCapture")}


class _Registry(dict):
    """``name → Capture class``, importing each module on first use (keeps imports light)."""

    def __missing__(self, name: str) -> type[Capture]:
        if name not in _MODULES:
            close = difflib.get_close_matches(name, list(_MODULES), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ReplicationError(
                f"unknown capture method {name!r}{hint} (known: {', '.join(sorted(_MODULES))})"
            )
        module, attribute = _MODULES[name]
        cls = getattr(importlib.import_module(f".{module}", __name__), attribute)
        self[name] = cls
        return cls

    def __iter__(self):
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)

    def __contains__(self, name: object) -> bool:
        return name in _MODULES

    def keys(self):  # type: ignore[override]
        return list(_MODULES)


#: capture method name → Capture class
CAPTURES: dict[str, type[Capture]] = _Registry()


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
        cls = CAPTURES[method]
        if dialect not in cls.dialects:
            raise ReplicationError(
                f"capture method {method!r} does not support {dialect} sources "
                f"({mask_uri(source_uri)}); use "
                + " or ".join(repr(m) for m in _MODULES if dialect in CAPTURES[m].dialects)
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
