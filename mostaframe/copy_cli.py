"""``mostaframe copy``: the ``mostajs-copy`` command line, on :func:`mostaframe.copy`.

Flags, and how destinations pair with their values, follow @mostajs ``mostajs-copy``: each
``--dest`` is a destination kind; the ``db`` destinations take the ``--dest-dialect`` and
``--dest-uri`` values in order (the first ``db`` the first of each, …) and every other kind takes
the next ``--dest-file``. ``--commandFile FILE`` reads flags from a file (any number of flags per
line, shell-like quoting, ``#`` starts a comment unless quoted or inside a word); flags given on
the command line are appended after the file's (a repeated single-value flag: the command line
wins). Differences, on purpose: a ``db`` destination without ``--dest-uri`` is an error instead
of silently writing ``./copy.sqlite``, values left without a destination are an error, and the
default batch size is 20,000 rows (``--batch-size``).

Exit code: 0 only when every row of every entity reached every destination; 1 when the copy
failed or was incomplete (one line per problem on stderr), 2 for invalid arguments. Passwords
are masked (``***``) in everything printed.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from .errors import MostaframeError

SOURCE_KINDS = ("db", "csv", "json", "ndjson", "sql", "parquet")
DEST_KINDS = ("db", "sql-dump", "json", "ndjson", "csv", "parquet", "duckdb", "sqlite")
MODES = ("insert", "replace", "truncate", "upsert")
#: options holding lists: a command file's values come first, the command line's are appended
_LIST_OPTIONS = ("dest", "dest_dialect", "dest_uri", "dest_file", "where")
_OPTIONS = (
    "source",
    "source_dialect",
    "source_uri",
    "source_file",
    *_LIST_OPTIONS,
    "schemas",
    "create_tables",
    "batch_size",
    "entities",
    "exclude",
    "mode",
    "dry_run",
    "quiet",
)


class CopyArgumentError(MostaframeError):
    """The copy command's arguments are inconsistent (exit code 2)."""


def add_copy_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the ``mostajs-copy`` flags on ``parser`` (the ``copy`` subcommand).

    Every default is "not given" so that a ``--commandFile``'s values and the command line's
    can be merged; :func:`run_copy` applies the real defaults.
    """
    unset = argparse.SUPPRESS
    source = parser.add_argument_group("source")
    source.add_argument(
        "--source", metavar="KIND", default=unset, help="db | csv | json | ndjson | sql | parquet"
    )
    source.add_argument(
        "--source-dialect",
        metavar="DIALECT",
        default=unset,
        help="postgres | mysql | sqlite | duckdb (db; default: from the URI)",
    )
    source.add_argument(
        "--source-uri", metavar="URI", default=unset, help="database URI or SQLite/DuckDB file (db)"
    )
    source.add_argument(
        "--source-file",
        metavar="PATH",
        default=unset,
        help="file or folder (csv, json, ndjson, sql, parquet)",
    )
    dest = parser.add_argument_group("destinations (repeatable, paired by position)")
    dest.add_argument(
        "--dest",
        action="append",
        metavar="KIND",
        default=unset,
        help="db | sql-dump | json | ndjson | csv | parquet | duckdb | sqlite",
    )
    dest.add_argument(
        "--dest-dialect",
        action="append",
        metavar="DIALECT",
        default=unset,
        help="dialect of the Nth --dest db (default: from its URI)",
    )
    dest.add_argument(
        "--dest-uri",
        action="append",
        metavar="URI",
        default=unset,
        help="URI or file of the Nth --dest db",
    )
    dest.add_argument(
        "--dest-file",
        action="append",
        metavar="PATH",
        default=unset,
        help="file or folder of the Nth non-db destination",
    )
    options = parser.add_argument_group("options")
    options.add_argument(
        "--schemas",
        metavar="FILE",
        default=unset,
        help="entities.json (default: .mostajs/generated/entities.json, else "
        "./entities.json, else the source database is reflected)",
    )
    options.add_argument(
        "--create-tables",
        action=argparse.BooleanOptionalAction,
        default=unset,
        help="create missing tables on database destinations (default: yes)",
    )
    options.add_argument(
        "--batch-size",
        type=_positive_int,
        metavar="N",
        default=unset,
        help="rows per batch (default: 20000, MOSTAFRAME_BATCH_SIZE)",
    )
    options.add_argument(
        "--entities",
        metavar="A,B",
        default=unset,
        help="entities to copy, comma-separated (default: all)",
    )
    options.add_argument(
        "--exclude", metavar="A,B", default=unset, help="entities to leave out, comma-separated"
    )
    options.add_argument(
        "--where",
        action="append",
        metavar="ENTITY:SQL",
        default=unset,
        help="copy only the rows of ENTITY matching the SQL predicate (repeatable)",
    )
    options.add_argument(
        "--mode",
        choices=MODES,
        default=unset,
        help="database destinations: insert (default), replace (drop and "
        "create), truncate (empty first) or upsert (by primary key)",
    )
    options.add_argument(
        "--dry-run",
        action="store_true",
        default=unset,
        help="print the plan (entities in load order, estimated rows, "
        "destinations) and write nothing",
    )
    options.add_argument("--quiet", action="store_true", default=unset, help="no progress bars")
    options.add_argument(
        "--commandFile",
        "--command-file",
        dest="command_file",
        metavar="FILE",
        default=unset,
        help="read flags from FILE (one or more per line, "
        "# comments); command-line flags are appended after them",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def read_command_file(path: str | Path) -> list[str]:
    """The flags of a command file, in order.

    Each line is split like a shell would (``"…"`` and ``'…'`` quoting, backslash escapes); a
    ``#`` at the start of a word begins a comment, a ``#`` inside quotes or inside a word (a
    password) is kept.

    Raises:
        CopyArgumentError: the file is missing or a line does not parse (names file:line).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CopyArgumentError(
            f"command file {path} cannot be read: {exc.strerror or exc}",
            hint="check the path given to --commandFile",
        ) from None
    tokens: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            words = shlex.split(_strip_comment(line), comments=False, posix=True)
        except ValueError as exc:
            raise CopyArgumentError(
                f"{path}:{number}: {exc}", hint="close the quote on that line"
            ) from None
        if any(word in ("--commandFile", "--command-file") for word in words):
            raise CopyArgumentError(f"{path}:{number}: a command file cannot name another one")
        tokens.extend(words)
    return tokens


def _strip_comment(line: str) -> str:
    """``line`` without its comment: from a ``#`` that starts a word, outside quotes."""
    quote: str | None = None
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index]
    return line


def merge_arguments(from_file: argparse.Namespace, given: argparse.Namespace) -> dict[str, Any]:
    """The command file's values with the command line's appended (lists) or winning (others)."""
    merged: dict[str, Any] = {}
    for name in _OPTIONS:
        in_file, on_line = getattr(from_file, name, None), getattr(given, name, None)
        if name in _LIST_OPTIONS:
            merged[name] = (in_file or []) + (on_line or [])
        else:
            merged[name] = on_line if on_line is not None else in_file
    return merged


def destinations(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Pair each ``--dest`` with its values, the way ``mostajs-copy`` does.

    Raises:
        CopyArgumentError: a destination without its URI/file, or values left over.
    """
    kinds = values.get("dest") or []
    dialects = list(values.get("dest_dialect") or [])
    uris = list(values.get("dest_uri") or [])
    files = list(values.get("dest_file") or [])
    specs: list[dict[str, Any]] = []
    databases = 0
    file_index = 0
    for position, raw in enumerate(kinds, 1):
        kind = raw.strip().lower()
        if kind == "db":
            if databases >= len(uris):
                raise CopyArgumentError(
                    f"--dest db (destination {position}) has no --dest-uri",
                    hint="give one --dest-uri per --dest db, in the same order",
                )
            dialect = dialects[databases] if databases < len(dialects) else None
            specs.append({"kind": "db", "target": uris[databases], "dialect": dialect})
            databases += 1
        else:
            if file_index >= len(files):
                raise CopyArgumentError(
                    f"--dest {raw} (destination {position}) has no --dest-file",
                    hint="give one --dest-file per non-db destination, in the same order"
                    + (
                        " (or use --dest db --dest-uri PATH)"
                        if kind in ("sqlite", "duckdb")
                        else ""
                    ),
                )
            specs.append({"kind": kind, "target": files[file_index]})
            file_index += 1
    if len(uris) > databases or len(dialects) > databases:
        raise CopyArgumentError(
            f"{max(len(uris), len(dialects))} --dest-uri/--dest-dialect value(s) for "
            f"{databases} --dest db destination(s)",
            hint="each --dest db takes the next --dest-dialect and --dest-uri",
        )
    if len(files) > file_index:
        raise CopyArgumentError(
            f"{len(files)} --dest-file value(s) for {file_index} file destination(s)",
            hint="each non-db --dest takes the next --dest-file",
        )
    return specs


def _where(values: list[str]) -> dict[str, str]:
    filters: dict[str, str] = {}
    for value in values:
        entity, colon, predicate = value.partition(":")
        if not colon or not entity.strip() or not predicate.strip():
            raise CopyArgumentError(
                f"--where {value!r}: expected ENTITY:SQL", hint="e.g. --where 'Order:total > 100'"
            )
        if entity.strip() in filters:
            raise CopyArgumentError(
                f"--where given twice for {entity.strip()}", hint="combine the predicates with AND"
            )
        filters[entity.strip()] = predicate.strip()
    return filters


def _secrets(values: dict[str, Any]) -> tuple[str, ...]:
    """Every password in the URIs given, as written and percent-decoded."""
    from urllib.parse import unquote, urlsplit

    found: set[str] = set()
    for uri in [values.get("source_uri"), *(values.get("dest_uri") or [])]:
        if not uri or "://" not in uri:
            continue
        try:
            password = urlsplit(uri).password
        except ValueError:
            continue
        if password:
            found |= {password, unquote(password)}
    return tuple(sorted(found, key=len, reverse=True))


def run_copy(args: argparse.Namespace) -> int:
    """Run ``mostaframe copy`` with parsed arguments; returns the exit code.

    Prints the report (or, with ``--dry-run``, the plan) on stdout and one line per problem on
    stderr. Never raises a :class:`~mostaframe.errors.MostaframeError`: each becomes a masked
    message and exit code 1 (2 for inconsistent arguments).
    """
    from .secrets import mask_text

    secrets: tuple[str, ...] = ()
    try:
        values = vars(args)
        command_file = values.get("command_file")
        if command_file:
            parser = argparse.ArgumentParser(prog="mostaframe copy", add_help=False)
            add_copy_arguments(parser)
            tokens = read_command_file(command_file)
            try:
                from_file, unknown = parser.parse_known_args(tokens)
            except SystemExit:
                raise CopyArgumentError(f"{command_file}: invalid flags (see above)") from None
            if unknown:
                raise CopyArgumentError(
                    f"{command_file}: unknown flag(s) {' '.join(unknown)}",
                    hint="see `mostaframe copy --help`",
                )
            values = merge_arguments(from_file, args)
        secrets = _secrets(values)
        return _run(values, secrets)
    except CopyArgumentError as exc:
        print(f"mostaframe copy: error: {mask_text(str(exc), secrets)}", file=sys.stderr)
        return 2
    except MostaframeError as exc:
        print(f"mostaframe copy: error: {mask_text(str(exc), secrets)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mostaframe copy: interrupted; destinations rolled back", file=sys.stderr)
        return 130


def _run(values: dict[str, Any], secrets: tuple[str, ...]) -> int:
    from .copy import copy
    from .secrets import mask_text

    kind = values.get("source")
    if not kind:
        raise CopyArgumentError("no --source given", hint=f"one of {', '.join(SOURCE_KINDS)}")
    source = {
        "kind": kind,
        "uri": values.get("source_uri"),
        "file": values.get("source_file"),
        "dialect": values.get("source_dialect"),
    }
    dests = destinations(values)
    if not dests:
        raise CopyArgumentError("no --dest given", hint=f"one or more of {', '.join(DEST_KINDS)}")
    create_tables = values.get("create_tables")
    report = copy(
        {k: v for k, v in source.items() if v is not None},
        [{k: v for k, v in spec.items() if v is not None} for spec in dests],
        schemas=values.get("schemas"),
        entities=values.get("entities"),
        exclude=values.get("exclude"),
        where=_where(values.get("where") or []),
        create_tables=True if create_tables is None else bool(create_tables),
        batch_size=values.get("batch_size"),
        mode=values.get("mode") or "insert",
        quiet=values.get("quiet") or None,
        dry_run=bool(values.get("dry_run")),
    )
    print(mask_text(str(report), secrets))
    for problem in report.problems():
        print(f"mostaframe copy: error: {mask_text(problem, secrets)}", file=sys.stderr)
    return 0 if report.ok else 1


__all__ = [
    "CopyArgumentError",
    "add_copy_arguments",
    "destinations",
    "merge_arguments",
    "read_command_file",
    "run_copy",
]
