"""SQL dialects, one module each, looked up by lower-case name.

``get_dialect("postgres")`` returns the :class:`~mostaframe.dialects.base.Dialect` singleton for
PostgreSQL. Aliases (postgresql, pg, mariadb, sqlite3, …) resolve to the canonical names below.
A new dialect is one new module, one line in ``_MODULES`` and its connection form in
:mod:`.connections` (URI schemes, drivers, file or server).
"""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING

from ..errors import MostaframeError

if TYPE_CHECKING:
    from .base import Dialect

DIALECTS = ("postgres", "mysql", "sqlite", "duckdb")

_ALIASES = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "pg": "postgres",
    "psql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "duckdb": "duckdb",
}

_MODULES = {
    "postgres": "postgres",
    "mysql": "mysql",
    "sqlite": "sqlite",
    "duckdb": "duckdb",
}


def canonical_dialect(name: str) -> str:
    """Canonical dialect name for ``name`` (case-insensitive, aliases accepted).

    Raises:
        MostaframeError: unknown dialect, with the closest known name.
    """
    key = name.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    close = difflib.get_close_matches(key, list(_ALIASES), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise MostaframeError(f"unknown dialect {name!r}{hint} (known: {', '.join(DIALECTS)})")


def get_dialect(name: str) -> Dialect:
    """The dialect object registered under ``name`` (see :func:`canonical_dialect`)."""
    canonical = canonical_dialect(name)
    module = importlib.import_module(f".{_MODULES[canonical]}", __name__)
    return module.DIALECT


__all__ = ["DIALECTS", "canonical_dialect", "get_dialect"]
