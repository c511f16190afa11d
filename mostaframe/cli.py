"""The ``mostaframe`` command line: every subcommand parses, calls one library function, prints.

Library errors (:class:`~mostaframe.errors.MostaframeError`) become one clean line on stderr and
exit code 1; passwords are masked in everything printed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import MostaframeError
from .secrets import mask_text

DEFAULT_SCHEMA_FILE = ".mostajs/generated/entities.json"


def _schema_file_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--schemas",
        "-s",
        metavar="FILE",
        default=None,
        help=f"entities.json to use (default: {DEFAULT_SCHEMA_FILE}, else ./entities.json)",
    )


def _load_schema(path: str | None):
    from .schema import read_schema

    if path:
        return read_schema(path)
    for candidate in (DEFAULT_SCHEMA_FILE, "entities.json"):
        if Path(candidate).exists():
            return read_schema(candidate)
    return read_schema(DEFAULT_SCHEMA_FILE)  # raises the "does not exist" error with the fix


# ---------------------------------------------------------------------------------------------
# schema


def _cmd_schema_import(args: argparse.Namespace) -> int:
    from .schema import write_schema
    from .schema.prisma import import_prisma

    schema = import_prisma(args.path)
    target = write_schema(schema, args.output)
    views = sum(1 for e in schema.entities if e.view)
    joins = sum(1 for e in schema.entities if e.join_table)
    print(
        f"imported {len(schema.entities) - views - joins} models, {views} views, {joins} join tables "
        f"and {len(schema.enums)} enums from {args.path} → {target}"
    )
    return 0


def _cmd_schema_reflect(args: argparse.Namespace) -> int:
    from .schema import write_schema
    from .schema.reflect import reflect

    schema = reflect(args.uri, schema_name=args.db_schema)
    target = write_schema(schema, args.output)
    print(f"reflected {len(schema.entities)} tables and {len(schema.enums)} enums → {target}")
    return 0


def _cmd_schema_ddl(args: argparse.Namespace) -> int:
    from .ddl import create_statements

    schema = _load_schema(args.schemas)
    entities = schema.select(args.entities.split(",")) if args.entities else None
    text = "".join(
        f"{statement};\n\n" for statement in create_statements(schema, args.dialect, entities)
    )
    if args.output:
        from .fileio import atomic_write_text

        atomic_write_text(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_schema_apply(args: argparse.Namespace) -> int:
    from .ddl import apply

    schema = _load_schema(args.schemas)
    entities = schema.select(args.entities.split(",")) if args.entities else None
    result = apply(schema, args.uri, entities)
    print(result)
    return 0


# ---------------------------------------------------------------------------------------------
# copy / demo


def _cmd_copy(args: argparse.Namespace) -> int:
    from .copy_cli import run_copy

    return run_copy(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    summary = run_demo(args.dir, scale=args.scale, seed=args.seed, quiet=args.quiet)
    print(summary)
    return 0


# ---------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mostaframe`` command (also used to test --help texts)."""
    parser = argparse.ArgumentParser(
        prog="mostaframe",
        description="Notebook-first data engineering from one entity model (entities.json).",
    )
    parser.add_argument("--version", action="version", version=f"mostaframe {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    schema = commands.add_parser(
        "schema", help="import, reflect, generate DDL, apply the entity model"
    )
    schema_commands = schema.add_subparsers(
        dest="schema_command", metavar="SUBCOMMAND", required=True
    )

    p = schema_commands.add_parser(
        "import",
        help="import a Prisma schema into entities.json",
        description="Import a Prisma schema (a .prisma file or a multi-file schema folder) into "
        "entities.json. Nothing is written when the schema has an error.",
    )
    p.add_argument("path", help="schema.prisma file or folder of .prisma files")
    p.add_argument(
        "-o",
        "--output",
        default=DEFAULT_SCHEMA_FILE,
        help=f"output file (default: {DEFAULT_SCHEMA_FILE})",
    )
    p.set_defaults(func=_cmd_schema_import)

    p = schema_commands.add_parser(
        "reflect",
        help="build entities.json from a live database",
        description="Reflect a live PostgreSQL, MySQL/MariaDB, SQLite or DuckDB database into entities.json.",
    )
    p.add_argument("uri", help="database URI or SQLite/DuckDB file path")
    p.add_argument(
        "-o", "--output", default="entities.json", help="output file (default: entities.json)"
    )
    p.add_argument(
        "--db-schema", default=None, help="database schema / namespace to reflect (PostgreSQL)"
    )
    p.set_defaults(func=_cmd_schema_reflect)

    p = schema_commands.add_parser(
        "ddl",
        help="print CREATE statements for a dialect",
        description="Generate CREATE TYPE / TABLE / INDEX / foreign-key DDL in dependency order.",
    )
    p.add_argument("--dialect", "-d", required=True, help="postgres, mysql, sqlite or duckdb")
    _schema_file_argument(p)
    p.add_argument("--entities", default=None, help="comma-separated entity names (default: all)")
    p.add_argument("-o", "--output", default=None, help="write to this file instead of stdout")
    p.set_defaults(func=_cmd_schema_ddl)

    p = schema_commands.add_parser(
        "apply",
        help="create the model's tables in a database (idempotent)",
        description="Create missing tables; existing tables that match are left alone and reported; "
        "a table that differs from the model stops the command with the differences.",
    )
    p.add_argument("uri", help="database URI or SQLite/DuckDB file path")
    _schema_file_argument(p)
    p.add_argument("--entities", default=None, help="comma-separated entity names (default: all)")
    p.set_defaults(func=_cmd_schema_apply)

    p = commands.add_parser(
        "copy",
        help="copy entities from one source to several destinations",
        description="Read each entity once and write it to every destination "
        "(flags compatible with mostajs-copy).",
    )
    from .copy_cli import add_copy_arguments

    add_copy_arguments(p)
    p.set_defaults(func=_cmd_copy)

    p = commands.add_parser(
        "demo",
        help="generate FitZoneGym into SQLite and show what mostaframe does",
        description="Generate the FitZoneGym dataset into an embedded SQLite database under DIR, "
        "import its Prisma schema to DIR/.mostajs/generated/entities.json and print a summary.",
    )
    p.add_argument(
        "--dir", default="mostaframe-demo", help="working folder (default: ./mostaframe-demo)"
    )
    p.add_argument(
        "--scale", type=float, default=0.1, help="data volume, 1 ≈ 1 million rows (default: 0.1)"
    )
    p.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MostaframeError as exc:
        print(f"mostaframe: error: {mask_text(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mostaframe: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
