"""How each dialect is reached: URI schemes, driver URLs, embedded (file) or server.

Kept as data, apart from the dialect classes, so that parsing a URI (:mod:`mostaframe.secrets`)
does not import SQLAlchemy. A new dialect adds one :class:`ConnectionForm` here next to its
module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectionForm:
    """What a dialect's connection URIs look like.

    Attributes:
        schemes: URI schemes that name this dialect (``postgresql+psycopg://`` …).
        embedded: the database is a file (or ``:memory:``), not a server.
        sqlalchemy_scheme: scheme of the SQLAlchemy URL, with the driver mostaframe uses.
        connectorx_scheme: scheme connectorx expects, or None when connectorx cannot read it.
        file_suffixes: bare paths ending like this are this dialect (embedded dialects only).
    """

    schemes: tuple[str, ...]
    embedded: bool
    sqlalchemy_scheme: str
    connectorx_scheme: str | None = None
    file_suffixes: tuple[str, ...] = ()


FORMS: dict[str, ConnectionForm] = {
    "postgres": ConnectionForm(
        schemes=("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"),
        embedded=False,
        sqlalchemy_scheme="postgresql+psycopg",
        connectorx_scheme="postgresql",
    ),
    "mysql": ConnectionForm(
        schemes=("mysql", "mariadb", "mysql+pymysql", "mariadb+pymysql"),
        embedded=False,
        sqlalchemy_scheme="mysql+pymysql",
        connectorx_scheme="mysql",
    ),
    "sqlite": ConnectionForm(
        schemes=("sqlite",), embedded=True, sqlalchemy_scheme="sqlite", connectorx_scheme="sqlite"
    ),
    "duckdb": ConnectionForm(
        schemes=("duckdb",),
        embedded=True,
        sqlalchemy_scheme="duckdb",
        file_suffixes=(".duckdb", ".ddb"),
    ),
}

#: the dialect a bare file path without a known suffix is (the embedded default)
DEFAULT_EMBEDDED = "sqlite"

#: URI scheme → canonical dialect name
SCHEMES: dict[str, str] = {scheme: name for name, form in FORMS.items() for scheme in form.schemes}


def embedded_for_path(path: str) -> str:
    """The embedded dialect a bare file path is, from its suffix."""
    for name, form in FORMS.items():
        if form.file_suffixes and path.endswith(form.file_suffixes):
            return name
    return DEFAULT_EMBEDDED
