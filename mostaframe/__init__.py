"""mostaframe: notebook-first data engineering from one entity model.

Import a Prisma schema or reflect a live database into ``entities.json``, generate DDL for
PostgreSQL, MySQL/MariaDB, SQLite and DuckDB, copy data between databases and files, replicate
across dialects and watch the lag.

``import mostaframe`` stays light: the heavy parts (pyarrow, connectorx, SQLAlchemy) load when
the function that needs them is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import MostaframeError
from .schema import Schema, read_schema, write_schema

if TYPE_CHECKING:
    from .copy import copy
    from .ddl import apply
    from .schema.prisma import import_prisma
    from .schema.reflect import reflect

__version__ = "0.1.0"

_LAZY = {
    "apply": ("ddl", "apply"),
    "copy": ("copy", "copy"),
    "import_prisma": ("schema.prisma", "import_prisma"),
    "reflect": ("schema.reflect", "reflect"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attribute)
    raise AttributeError(f"module 'mostaframe' has no attribute {name!r}")


__all__ = [
    "MostaframeError",
    "Schema",
    "__version__",
    "apply",
    "copy",
    "import_prisma",
    "read_schema",
    "reflect",
    "write_schema",
]
