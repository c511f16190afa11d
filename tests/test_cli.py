"""The command line: every command has help and a section in docs/cli.md; errors are one clean line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from mostaframe.cli import build_parser, main

DOC = (Path(__file__).parent.parent / "docs" / "cli.md").read_text()


def _subcommands(parser: argparse.ArgumentParser, prefix: str = "mostaframe"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix} {name}", sub
                yield from _subcommands(sub, f"{prefix} {name}")


def test_every_command_has_help_and_docs() -> None:
    commands = dict(_subcommands(build_parser()))
    assert {"mostaframe schema import", "mostaframe copy", "mostaframe demo"} <= set(commands)
    for name, sub in commands.items():
        assert sub.format_help().strip(), name
        if name.count(" ") >= 2 or name in ("mostaframe copy", "mostaframe demo"):
            assert f"## `{name}" in DOC, f"{name} is not documented in docs/cli.md"
        for action in sub._actions:
            flags = [f for f in action.option_strings if f not in ("-h", "--help")]
            if flags:
                assert any(f in DOC for f in flags), (
                    f"{name} {flags} is not documented in docs/cli.md"
                )


def test_schema_import_ddl_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prisma = tmp_path / "schema.prisma"
    prisma.write_text(
        'datasource db {\n  provider = "postgresql"\n}\n\n'
        "model User {\n  id    Int    @id @default(autoincrement())\n  email String @unique\n}\n"
    )
    out = tmp_path / "gen" / "entities.json"
    assert main(["schema", "import", str(prisma), "-o", str(out)]) == 0
    assert [e["name"] for e in json.loads(out.read_text())] == ["User"]
    assert main(["schema", "ddl", "--dialect", "sqlite", "--schemas", str(out)]) == 0
    printed = capsys.readouterr().out
    assert 'CREATE TABLE "User"' in printed and 'CREATE UNIQUE INDEX "User_email_key"' in printed

    bad = tmp_path / "bad.prisma"
    bad.write_text("model User {\n  id Int @id\n  email\n}\n")
    target = tmp_path / "never.json"
    assert main(["schema", "import", str(bad), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"mostaframe: error: {bad}:3:")
    assert err.count("\n") == 1
    assert not target.exists()

    assert main(["schema", "ddl", "--dialect", "oracle", "--schemas", str(out)]) == 1
    assert "unknown dialect 'oracle'" in capsys.readouterr().err


def test_missing_schema_file_says_how_to_make_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["schema", "ddl", "--dialect", "postgres", "--schemas", str(tmp_path / "none.json")])
        == 1
    )
    err = capsys.readouterr().err
    assert "does not exist" in err and "mostaframe schema import" in err
