"""Connection URIs: parsing, dialect detection, ``${ENV}`` references and password masking.

This is the one module that looks at passwords. Everything that prints, logs or raises with a
URI goes through :func:`mask_uri` (or :func:`mask_text` for free text that may embed one).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .dialects.connections import FORMS, SCHEMES, embedded_for_path
from .errors import MostaframeError

MASK = "***"


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# user:password@ inside anything that looks like scheme://user:password@host
_PASSWORD_PARAM = re.compile(r"(?i)(password|pwd)=([^&\s;]+)")


def expand_env(text: str) -> str:
    """Replace ``${NAME}`` references with environment variables.

    Raises:
        MostaframeError: when a referenced variable is not set (names it).
    """

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise MostaframeError(f"environment variable {name} is referenced but not set")
        return os.environ[name]

    return _ENV_REF.sub(repl, text)


def mask_uri(uri: str | os.PathLike[str] | None) -> str:
    """Return ``uri`` with any password replaced by ``***``.

    >>> mask_uri("postgresql://dev:p%40ss@localhost:5432/db")
    'postgresql://dev:***@localhost:5432/db'
    """
    if uri is None:
        return ""
    return mask_text(str(uri))


def mask_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Mask passwords in free text: URI user-info, ``password=`` parameters and given secrets.

    The password is located greedily up to the LAST ``@`` before the host, so passwords that
    contain ``@``, ``:`` or ``/`` (like ``p@ss:w/rd%``) are masked whole.
    """
    out = []
    pos = 0
    for match in re.finditer(r"[A-Za-z][A-Za-z0-9+.\-]*://", text):
        start = match.end()
        if start < pos:
            continue
        # authority ends at whitespace or quote; password may contain '@', take the last '@'
        end = start
        while end < len(text) and text[end] not in " \t\r\n\"'<>`":
            end += 1
        chunk = text[start:end]
        at = chunk.rfind("@")
        colon = chunk.find(":")
        slash = chunk.find("/")
        if at > 0 and 0 <= colon < at and (slash == -1 or slash > colon):
            out.append(text[pos:start])
            out.append(chunk[:colon] + ":" + MASK + chunk[at:])
            pos = end
    out.append(text[pos:])
    masked = _PASSWORD_PARAM.sub(lambda m: f"{m.group(1)}={MASK}", "".join(out))
    for secret in secrets:
        if secret:
            masked = masked.replace(secret, MASK)
    return masked


@dataclass(frozen=True)
class DatabaseURI:
    """A parsed database URI.

    Attributes:
        raw: the URI as given (with ``${ENV}`` expanded); holds the password — never print it.
        dialect: canonical dialect name: postgres, mysql, sqlite or duckdb.
        path: file path for sqlite/duckdb (``":memory:"`` for in-memory), else None.
    """

    raw: str
    dialect: str
    path: str | None = None

    def __str__(self) -> str:
        return mask_uri(self.raw)

    __repr__ = __str__

    @property
    def embedded(self) -> bool:
        """The database is a file (SQLite, DuckDB), not a server."""
        return FORMS[self.dialect].embedded

    def sqlalchemy_url(self) -> str:
        """URL for :func:`sqlalchemy.create_engine` with the driver mostaframe uses."""
        scheme = FORMS[self.dialect].sqlalchemy_scheme
        if self.embedded:
            return f"{scheme}:///{self.path}"
        return f"{scheme}://{self.raw.split('://', 1)[1]}"

    def libpq_url(self) -> str:
        """``postgresql://…`` for psycopg / connectorx (PostgreSQL only)."""
        return "postgresql://" + self.raw.split("://", 1)[1]

    def connectorx_url(self) -> str:
        """URL in the form connectorx expects."""
        scheme = FORMS[self.dialect].connectorx_scheme
        if scheme is None:
            raise MostaframeError(f"connectorx cannot read {self.dialect} ({self})")
        if self.embedded:
            return f"{scheme}://{Path(self.path or '').resolve()}"
        return f"{scheme}://{self.raw.split('://', 1)[1]}"


def parse_uri(uri: str | os.PathLike[str], dialect: str | None = None) -> DatabaseURI:
    """Parse a database URI or a file path.

    A bare path ending in ``.duckdb``/``.ddb`` is DuckDB, any other bare path is SQLite (the
    embedded default). ``dialect`` (as given by ``--dest-dialect``) wins over the guess for
    bare paths and must agree with the scheme of a full URI.

    Raises:
        MostaframeError: unknown scheme or a dialect that contradicts the URI.
    """
    from .dialects import canonical_dialect

    text = expand_env(str(uri)).strip()
    wanted = canonical_dialect(dialect) if dialect else None
    if "://" not in text:
        scheme, colon, rest = text.partition(":")
        named = SCHEMES.get(scheme) if colon else None
        if named is not None and FORMS[named].embedded:  # sqlite:file.db, duckdb::memory:
            return DatabaseURI(text, named, rest or ":memory:")
        found = wanted or embedded_for_path(text)
        if not FORMS[found].embedded:
            raise MostaframeError(
                f"{text!r} is a file path but dialect {found} needs a URI like "
                f"{found}://user:password@host/database"
            )
        return DatabaseURI(text, found, text or ":memory:")
    scheme = text.split("://", 1)[0].lower()
    found = SCHEMES.get(scheme)
    if found is None:
        known = ", ".join(sorted(SCHEMES))
        raise MostaframeError(
            f"unknown database URI scheme {scheme!r} in {mask_uri(text)}; known: {known}"
        )
    if wanted and wanted != found:
        raise MostaframeError(f"URI {mask_uri(text)} is {found} but dialect {wanted} was asked for")
    if FORMS[found].embedded:
        path = text.split("://", 1)[1]
        path = (
            path[1:] if path.startswith("/") else path
        )  # sqlite:///rel.db → rel.db, sqlite:////abs → /abs
        return DatabaseURI(text, found, path or ":memory:")
    return DatabaseURI(text, found)
