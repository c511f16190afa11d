"""``mostaframe copy``: mostajs-copy flags and command files, exit codes, masked messages."""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
from pathlib import Path

import pytest
from helpers import every_kind_data, every_kind_schema

from mostaframe.cli import main
from mostaframe.copy import copy
from mostaframe.copy_cli import (
    CopyArgumentError,
    add_copy_arguments,
    destinations,
    merge_arguments,
    read_command_file,
)
from mostaframe.schema import write_schema
from mostaframe.sources import ArrowSource

# the brief's command file, verbatim but for host and database (filled in per test)
COMMAND_FILE = """\
--source db --source-dialect postgres --source-uri "postgresql://devuser:pass@{host}/{db}"
--dest db --dest-dialect sqlite --dest-uri "./backups/daily.sqlite"
--dest sql-dump --dest-file "./backups/daily.sql"
--dest json --dest-file "./backups/daily.json"
--schemas .mostajs/generated/entities.json --create-tables --batch-size 1000
"""
PASSWORD = "p@ss:w/rd%"
ENCODED = "p%40ss%3Aw%2Frd%25"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_copy_arguments(parser)
    return parser.parse_args(argv)


# -- argument handling (no database) -------------------------------------------------------------


def test_destinations_pair_by_position_like_mostajs_copy() -> None:
    args = _parse(
        [
            "--dest",
            "json",
            "--dest",
            "db",
            "--dest",
            "csv",
            "--dest",
            "db",
            "--dest-uri",
            "a.sqlite",
            "--dest-file",
            "b.json",
            "--dest-dialect",
            "sqlite",
            "--dest-uri",
            "postgresql://u:pw@h/db",
            "--dest-file",
            "out/",
            "--dest-dialect",
            "postgres",
        ]
    )
    assert destinations(vars(args)) == [
        {"kind": "json", "target": "b.json"},
        {"kind": "db", "target": "a.sqlite", "dialect": "sqlite"},
        {"kind": "csv", "target": "out/"},
        {"kind": "db", "target": "postgresql://u:pw@h/db", "dialect": "postgres"},
    ]


def test_destination_without_its_value_is_an_error() -> None:
    with pytest.raises(CopyArgumentError, match=r"--dest db \(destination 2\) has no --dest-uri"):
        destinations(vars(_parse(["--dest", "json", "--dest", "db", "--dest-file", "x.json"])))
    with pytest.raises(CopyArgumentError, match="2 --dest-file value"):
        destinations(vars(_parse(["--dest", "json", "--dest-file", "a", "--dest-file", "b"])))
    with pytest.raises(
        CopyArgumentError,
        match=r"--dest sqlite \(destination 1\) has no "
        r"--dest-file.*--dest db --dest-uri PATH",
    ):
        destinations(vars(_parse(["--dest", "sqlite", "--dest-uri", "x.sqlite"])))


def test_command_file_comments_quotes_and_merging(tmp_path: Path) -> None:
    file = tmp_path / "backup.conf"
    file.write_text(
        "# daily backup\n"
        "--source db   # trailing comment\n"
        '--source-uri "postgresql://u:p#ss@h/db"  --batch-size 10\n'
        "--dest json --dest-file 'with # hash.json'\n"
        "\n"
        "--entities A,B#not-a-comment\n",
        encoding="utf-8",
    )
    tokens = read_command_file(file)
    assert tokens == [
        "--source",
        "db",
        "--source-uri",
        "postgresql://u:p#ss@h/db",
        "--batch-size",
        "10",
        "--dest",
        "json",
        "--dest-file",
        "with # hash.json",
        "--entities",
        "A,B#not-a-comment",
    ]
    from_file = _parse(tokens)
    given = _parse(["--dest", "csv", "--dest-file", "out", "--batch-size", "99"])
    merged = merge_arguments(from_file, given)
    assert merged["dest"] == ["json", "csv"]
    assert merged["dest_file"] == ["with # hash.json", "out"]
    assert merged["batch_size"] == 99  # the command line wins for single values
    assert merged["source"] == "db"


def test_command_file_errors_name_file_and_line(tmp_path: Path) -> None:
    file = tmp_path / "bad.conf"
    file.write_text('--source db\n--source-uri "postgresql://x\n', encoding="utf-8")
    with pytest.raises(CopyArgumentError, match=r"bad.conf:2: No closing quotation"):
        read_command_file(file)
    with pytest.raises(CopyArgumentError, match=r"command file .*missing.conf cannot be read"):
        read_command_file(tmp_path / "missing.conf")


def test_where_needs_entity_and_predicate(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "copy",
            "--source",
            "json",
            "--source-file",
            "x.json",
            "--dest",
            "json",
            "--dest-file",
            "y.json",
            "--where",
            "no colon here",
        ]
    )
    assert code == 2
    assert "expected ENTITY:SQL" in capsys.readouterr().err


# -- against real databases -------------------------------------------------------------------


@pytest.fixture
def devuser_db(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A PostgreSQL database with FitZone-like rows readable by role devuser (password
    ``pass``), and a working directory holding .mostajs/generated/entities.json."""
    import psycopg

    schema = every_kind_schema(wide_decimal=False)
    data = every_kind_data(schema)
    assert copy(ArrowSource(data), [pg_url], schemas=schema, quiet=True).ok
    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devuser') THEN "
            "CREATE ROLE devuser LOGIN PASSWORD 'pass'; END IF; END $$"
        )
        connection.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO devuser")
    monkeypatch.chdir(tmp_path)
    write_schema(schema, tmp_path / ".mostajs" / "generated" / "entities.json")
    host, db = pg_url.split("@", 1)[1].rsplit("/", 1)
    return schema, data, host, db


def test_the_mostajs_command_file_runs_unchanged(
    devuser_db, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, host, db = devuser_db
    conf = tmp_path / "backup-daily.conf"
    conf.write_text(COMMAND_FILE.format(host=host, db=db), encoding="utf-8")
    code = main(["copy", "--commandFile", str(conf), "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err.strip() == ""
    assert "copy ok: 120 rows of 3 entities" in captured.out
    assert "devuser:***@" in captured.out and ":pass@" not in captured.out
    with sqlite3.connect(tmp_path / "backups" / "daily.sqlite") as connection:
        counts = [
            connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in ("customer", "order", "everything")
        ]
    assert counts == [30, 60, 30]
    dump = (tmp_path / "backups" / "daily.sql").read_text(encoding="utf-8")
    assert dump.count("INSERT INTO") == 3 and ":pass@" not in dump
    archive = json.loads((tmp_path / "backups" / "daily.json").read_text(encoding="utf-8"))
    assert {name: len(rows) for name, rows in archive["entities"].items()} == {
        "Customer": 30,
        "Order": 60,
        "Everything": 30,
    }


def test_dry_run_prints_the_plan(
    devuser_db, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, host, db = devuser_db
    code = main(
        [
            "copy",
            "--source",
            "db",
            "--source-uri",
            f"postgresql://devuser:pass@{host}/{db}",
            "--dest",
            "db",
            "--dest-uri",
            "plan.sqlite",
            "--dry-run",
            "--where",
            "Order:total > 10",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "dry run: 3 entities" in out and "nothing written" in out
    lines = out.splitlines()
    assert [line.split()[1] for line in lines[4:7]] == ["Customer", "Order", "Everything"]
    assert "total > 10" in lines[5]
    assert not (tmp_path / "plan.sqlite").exists()


def _error_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out + captured.err
    assert ENCODED not in captured.out + captured.err
    return [line for line in captured.err.splitlines() if line.strip()]


def _run_failing(argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> str:
    target = tmp_path / "never.sqlite"
    code = main(["copy", *argv, "--dest", "db", "--dest-uri", str(target), "--quiet"])
    lines = _error_lines(capsys)
    assert code == 1, lines
    assert len(lines) == 1, lines
    assert not target.exists(), "nothing may be written"
    return lines[0]


def test_unreachable_database(devuser_db, tmp_path, capsys) -> None:
    line = _run_failing(
        ["--source", "db", "--source-uri", f"postgresql://devuser:{ENCODED}@127.0.0.1:1/nowhere"],
        capsys,
        tmp_path,
    )
    assert line.startswith(
        "mostaframe copy: error: cannot connect to postgres "
        "postgresql://devuser:***@127.0.0.1:1/nowhere"
    )


def test_wrong_password(mysql_url: str, tmp_path: Path, capsys) -> None:
    import pymysql

    with pymysql.connect(host="127.0.0.1", user="root") as admin, admin.cursor() as cursor:
        cursor.execute("CREATE USER IF NOT EXISTS 'mf_copy_test'@'%' IDENTIFIED BY 'right-one'")
        cursor.execute(
            "CREATE USER IF NOT EXISTS 'mf_copy_test'@'localhost' IDENTIFIED BY 'right-one'"
        )
    write_schema(every_kind_schema(), tmp_path / "entities.json")
    uri = f"mysql://mf_copy_test:{ENCODED}@127.0.0.1:3306/{mysql_url.rsplit('/', 1)[1]}"
    line = _run_failing(
        ["--source", "db", "--source-uri", uri, "--schemas", str(tmp_path / "entities.json")],
        capsys,
        tmp_path,
    )
    assert "Access denied for user 'mf_copy_test'" in line
    assert "mf_copy_test:***@127.0.0.1" in line


def test_unknown_dialect(devuser_db, tmp_path, capsys) -> None:
    _, _, host, db = devuser_db
    line = _run_failing(
        [
            "--source",
            "db",
            "--source-dialect",
            "postgress",
            "--source-uri",
            f"postgresql://devuser:{ENCODED}@{host}/{db}",
        ],
        capsys,
        tmp_path,
    )
    assert "unknown dialect 'postgress'; did you mean 'postgres'?" in line


def test_unknown_entity(devuser_db, tmp_path, capsys) -> None:
    _, _, host, db = devuser_db
    line = _run_failing(
        [
            "--source",
            "db",
            "--source-uri",
            f"postgresql://devuser:{ENCODED}@{host}/{db}",
            "--entities",
            "Customer,Ordr",
        ],
        capsys,
        tmp_path,
    )
    assert "unknown entity 'Ordr'; did you mean Order" in line


def test_missing_schema_file(devuser_db, tmp_path, capsys) -> None:
    _, _, host, db = devuser_db
    line = _run_failing(
        [
            "--source",
            "db",
            "--source-uri",
            f"postgresql://devuser:{ENCODED}@{host}/{db}",
            "--schemas",
            "missing/entities.json",
        ],
        capsys,
        tmp_path,
    )
    assert "schema file missing/entities.json does not exist" in line


def test_unwritable_destination_writes_nothing(devuser_db, tmp_path, capsys) -> None:
    _, _, host, db = devuser_db
    (tmp_path / "blocker").write_text("a file, not a folder")
    first = tmp_path / "first.sqlite"
    code = main(
        [
            "copy",
            "--source",
            "db",
            "--source-uri",
            f"postgresql://devuser:{ENCODED}@{host}/{db}",
            "--dest",
            "db",
            "--dest-uri",
            str(first),
            "--dest",
            "json",
            "--dest-file",
            str(tmp_path / "blocker" / "x.json"),
            "--quiet",
        ]
    )
    lines = _error_lines(capsys)
    assert code == 1 and len(lines) == 1, lines
    assert "json" in lines[0] and "blocker" in lines[0]
    assert not first.exists()


def test_password_never_printed_nor_logged(devuser_db, tmp_path, capsys, caplog) -> None:
    """A full copy with a password full of URI delimiters: masked everywhere."""
    _, _, host, db = devuser_db
    caplog.set_level(logging.DEBUG)
    code = main(
        [
            "copy",
            "--source",
            "db",
            "--source-uri",
            f"postgresql://devuser:{ENCODED}@{host}/{db}",
            "--dest",
            "json",
            "--dest-file",
            "all.json",
            "--dest",
            "sql-dump",
            "--dest-file",
            "all.sql",
            "--entities",
            "Customer",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    outputs = [
        captured.out,
        captured.err,
        caplog.text,
        (tmp_path / "all.json").read_text(),
        (tmp_path / "all.sql").read_text(),
    ]
    for text in outputs:
        assert PASSWORD not in text and ENCODED not in text
    assert "devuser:***@" in captured.out


def test_failing_destination_mid_run_exits_non_zero(devuser_db, mysql_url, tmp_path, capsys):
    """MariaDB refuses the Order rows (a CHECK the data breaks); the JSON archive still gets
    everything, the report says what failed, the exit code is 1."""
    import pymysql

    _, _, host, db = devuser_db
    database = mysql_url.rsplit("/", 1)[1]
    with pymysql.connect(host="127.0.0.1", user="root", database=database) as connection:
        connection.cursor().execute(
            "CREATE TABLE `order` (id bigint PRIMARY KEY, customer_id int NOT NULL,"
            " total decimal(12,2) NOT NULL CHECK (total < 100), placed_at datetime(3) NOT NULL)"
        )
    code = main(
        [
            "copy",
            "--source",
            "db",
            "--source-uri",
            f"postgresql://devuser:pass@{host}/{db}",
            "--dest",
            "db",
            "--dest-uri",
            mysql_url,
            "--dest",
            "json",
            "--dest-file",
            "all.json",
            "--quiet",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    errors = captured.err.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("mostaframe copy: error: Order → mysql")
    assert "copy FAILED" in captured.out
    archive = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    assert {name: len(rows) for name, rows in archive["entities"].items()} == {
        "Customer": 30,
        "Order": 60,
        "Everything": 30,
    }
