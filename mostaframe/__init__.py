"""mostaframe: notebook-first data engineering from one entity model.

Import a Prisma schema or reflect a live database into ``entities.json``, generate DDL for
PostgreSQL, MySQL/MariaDB, SQLite and DuckDB, copy data between databases and files, replicate
across dialects and watch the lag.
"""

from .errors import MostaframeError
from .schema import Schema, read_schema, write_schema

__version__ = "0.1.0"

__all__ = ["MostaframeError", "Schema", "__version__", "read_schema", "write_schema"]
