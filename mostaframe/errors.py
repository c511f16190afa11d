"""The errors mostaframe raises, grouped by what the caller can do about them.

::

    MostaframeError                 base of everything raised on purpose
    ├── SchemaError                 the entity model or a schema file is wrong: fix the file
    │   └── PrismaSyntaxError       a .prisma file does not parse / validate (file:line:col)
    ├── DatabaseConnectionError     a database cannot be reached or refuses the login
    ├── SourceError                 reading a source failed
    ├── SinkError                   writing a destination failed
    ├── ReplicationError            capture / apply / topology problems
    └── UnsupportedError            a construct mostaframe deliberately does not handle

Every message names the thing (file:line:col, entity, column, URI with the password
masked) and, where there is one, the fix. ``transient`` says whether retrying can help.
"""

from __future__ import annotations


class MostaframeError(Exception):
    """Base class of every error mostaframe raises on purpose."""

    transient: bool = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message} ({hint})")


class SchemaError(MostaframeError):
    """The entity model, entities.json or a schema source is invalid."""


class PrismaSyntaxError(SchemaError):
    """A Prisma schema does not parse or validate.

    Attributes:
        path: file the error is in.
        line: 1-based line.
        column: 1-based column.
    """

    def __init__(self, message: str, *, path: str, line: int, column: int, hint: str | None = None):
        self.path = path
        self.line = line
        self.column = column
        super().__init__(f"{path}:{line}:{column}: {message}", hint=hint)


class DatabaseConnectionError(MostaframeError):
    """A database could not be reached, or refused the credentials."""

    transient = True


class SourceError(MostaframeError):
    """Reading from a source failed."""


class SinkError(MostaframeError):
    """Writing to a destination failed."""


class ReplicationError(MostaframeError):
    """Change capture, apply or topology failed."""


class UnsupportedError(MostaframeError):
    """A construct mostaframe deliberately does not support (named, never half-done)."""


def first_line(error: BaseException) -> str:
    """The first line of ``error``'s text (its class name when it has none), for one-line
    messages; mask it before showing it when it may hold a URI."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


__all__ = [
    "DatabaseConnectionError",
    "MostaframeError",
    "PrismaSyntaxError",
    "ReplicationError",
    "SchemaError",
    "SinkError",
    "SourceError",
    "UnsupportedError",
    "first_line",
]
