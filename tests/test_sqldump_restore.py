"""SQL dumps restored with the REAL clients (psql, mysql, sqlite3) and compared value by value.

Every dump is written by the sql-dump sink, fed to the database's own command-line client into a
fresh database, read back over a real connection and compared with the source batches.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy.engine import make_url
from test_sinks import (
    ROWS,
    _graph_batches,
    _graph_schema,
    _one_column,
    _people,
    _people_schema,
    assert_same_rows,
    everything_batches,
    everything_schema,
    read_database,
    run_copy,
)

from mostaframe.errors import SinkError
from mostaframe.schema import Entity, Field, Schema
from mostaframe.schema.arrow import arrow_schema
from mostaframe.sinks import get_sink

FIXTURE = {"postgres": "pg_url", "mysql": "mysql_url", "sqlite": "sqlite_url"}


def restore(dialect: str, dump: Path, url: str) -> None:
    """Run the dump through the dialect's own client; fail with its stderr."""
    if shutil.which({"postgres": "psql", "mysql": "mysql", "sqlite": "sqlite3"}[dialect]) is None:
        pytest.skip(f"the {dialect} command-line client is not installed")
    if dialect == "postgres":
        command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(dump), url]
        stdin = None
    elif dialect == "mysql":
        parts = make_url(url.replace("mysql://", "mysql+pymysql://", 1))
        command = [
            "mysql",
            f"-h{parts.host}",
            f"-P{parts.port or 3306}",
            f"-u{parts.username}",
            parts.database,
        ]
        if parts.password:
            command.insert(1, f"-p{parts.password}")
        stdin = dump.open("rb")
    else:
        command = ["sqlite3", "-bail", url]
        stdin = dump.open("rb")
    try:
        done = subprocess.run(command, stdin=stdin, capture_output=True, timeout=120)
    finally:
        if stdin is not None:
            stdin.close()
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr.decode(errors="replace")


def dump_and_restore(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    dialect: str,
    schema: Schema,
    entities: list[Entity],
    batches: dict[str, list[pa.RecordBatch]],
    **options: Any,
) -> str:
    url = request.getfixturevalue(FIXTURE[dialect])
    dump = tmp_path / f"{dialect}.sql"
    run_copy(get_sink("sql-dump", dump, dialect=dialect, **options), schema, entities, batches)
    restore(dialect, dump, url)
    return url


@pytest.mark.parametrize("rows_per_statement", [1000, 3, 1])
@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
def test_hostile_values_restore_exactly(
    request: pytest.FixtureRequest, tmp_path: Path, dialect: str, rows_per_statement: int
) -> None:
    schema, entity = everything_schema()
    url = dump_and_restore(
        request,
        tmp_path,
        dialect,
        schema,
        [entity],
        {entity.name: everything_batches()},
        rows_per_statement=rows_per_statement,
    )
    assert_same_rows(dialect, read_database(url, entity))
    text = (tmp_path / f"{dialect}.sql").read_text(encoding="utf-8")
    statements = text.count("INSERT INTO")
    assert statements == -(-len(ROWS) // rows_per_statement)


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_nul_in_text_restores_exactly(
    request: pytest.FixtureRequest, tmp_path: Path, dialect: str
) -> None:
    schema, entity, batch = _one_column("string", ["a\x00b", "\x00", "plain", None])
    url = dump_and_restore(request, tmp_path, dialect, schema, [entity], {"Odd": [batch]})
    assert [r["v"] for r in read_database(url, entity)] == ["a\x00b", "\x00", "plain", None]
    assert b"\x00" not in (tmp_path / f"{dialect}.sql").read_bytes()


def test_nul_in_text_is_refused_for_postgres(tmp_path: Path) -> None:
    schema, entity, batch = _one_column("string", ["ok", "fine", "a\x00b"])
    dump = tmp_path / "pg.sql"
    with pytest.raises(SinkError) as info:
        run_copy(get_sink("sql-dump", dump), schema, [entity], {"Odd": [batch[:2], batch[2:]]})
    assert str(info.value).startswith(
        f"sql-dump (postgres) {dump}, entity Odd (write): entity Odd, column v, row 2: text "
        "contains a NUL character (\\x00), which postgres text cannot store"
    )
    assert list(tmp_path.iterdir()) == []


def test_postgres_non_finite_floats_restore(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    schema, entity, batch = _one_column("float", [float("inf"), float("-inf"), float("nan"), -0.0])
    url = dump_and_restore(request, tmp_path, "postgres", schema, [entity], {"Odd": [batch]})
    got = [r["v"] for r in read_database(url, entity)]
    assert got[:2] == [float("inf"), float("-inf")] and got[2] != got[2]
    assert str(got[3]) == "-0.0"


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_nan_is_refused_where_the_database_cannot_store_it(tmp_path: Path, dialect: str) -> None:
    schema, entity, batch = _one_column("float", [1.0, float("nan")])
    with pytest.raises(
        SinkError, match=f"row 1: the float value nan cannot be stored by {dialect}"
    ):
        run_copy(
            get_sink("sql-dump", tmp_path / "d.sql", dialect=dialect),
            schema,
            [entity],
            {"Odd": [batch]},
        )


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
def test_cycles_and_rows_out_of_order_restore(
    request: pytest.FixtureRequest, tmp_path: Path, dialect: str
) -> None:
    schema, ordered = _graph_schema()
    url = dump_and_restore(
        request, tmp_path, dialect, schema, ordered, _graph_batches(schema), rows_per_statement=1
    )
    nodes = read_database(url, schema.entity("Node"))
    assert [(r["id"], r["parentId"]) for r in nodes] == [(1, None), (2, 1)]
    assert [r["captainId"] for r in read_database(url, schema.entity("Team"))] == [100]


def test_postgres_dump_refuses_orphans_at_commit(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    schema, ordered = _graph_schema()
    dump = tmp_path / "orphans.sql"
    run_copy(get_sink("sql-dump", dump), schema, ordered, _graph_batches(schema, orphan=True))
    url = request.getfixturevalue("pg_url")
    done = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(dump), url],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 3
    assert 'violates foreign key constraint "members_teamId_fkey"' in done.stderr
    import psycopg

    with psycopg.connect(url) as connection:  # nothing committed, not even the tables
        assert connection.execute("SELECT to_regclass('nodes')").fetchone() == (None,)


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
def test_modes_restore_into_an_existing_table(
    request: pytest.FixtureRequest, tmp_path: Path, dialect: str
) -> None:
    schema, entity = _people_schema()
    url = request.getfixturevalue(FIXTURE[dialect])
    run_copy(
        get_sink("db", url), schema, [entity], {"Person": [_people([(1, "a", 1.0), (2, "b", 2.0)])]}
    )

    def apply(mode: str, rows: list[tuple[int, str | None, float | None]]) -> list[tuple]:
        dump = tmp_path / f"{mode}.sql"
        run_copy(
            get_sink("sql-dump", dump, dialect=dialect, mode=mode),
            schema,
            [entity],
            {"Person": [_people(rows)]},
        )
        restore(dialect, dump, url)
        return [(r["id"], r["name"], r["score"]) for r in read_database(url, entity)]

    assert apply("upsert", [(2, "B", None), (3, "c", 3.0)]) == [
        (1, "a", 1.0),
        (2, "B", None),
        (3, "c", 3.0),
    ]
    assert apply("insert", [(4, "d", 4.0)])[-1] == (4, "d", 4.0)
    assert apply("truncate", [(9, "z", 9.0)]) == [(9, "z", 9.0)]
    assert apply("replace", [(7, "it's", None)]) == [(7, "it's", None)]


def test_header_names_everything_but_the_password(tmp_path: Path) -> None:
    schema, entity = _people_schema()
    dump = tmp_path / "d.sql"
    run_copy(
        get_sink(
            "sql-dump", dump, source="postgres postgresql://app:s3cr3t@db:5432/prod\nDROP TABLE x;"
        ),
        schema,
        [entity],
        {"Person": [_people([(1, "a", None)])]},
    )
    lines = dump.read_text().splitlines()
    assert lines[0] == "-- mostaframe 0.1.0 SQL dump, dialect postgres, mode insert"
    assert re.fullmatch(r"-- created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", lines[1])
    assert lines[2] == "-- source: postgres postgresql://app:***@db:5432/prod DROP TABLE x;"
    assert lines[3:5] == [
        "-- entities: Person (people)",
        "-- restore: psql -v ON_ERROR_STOP=1 -d DATABASE -f FILE",
    ]
    assert "s3cr3t" not in dump.read_text()


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        (
            "postgres",
            'INSERT INTO "people" ("id", "name", "score") VALUES\n'
            "(1, 'it''s', '0.5'),\n(2, NULL, NULL);\n",
        ),
        (
            "mysql",
            "INSERT INTO `people` (`id`, `name`, `score`) VALUES\n"
            "(1, 'it\\'s', 0.5),\n(2, NULL, NULL);\n",
        ),
        (
            "sqlite",
            'INSERT INTO "people" ("id", "name", "score") VALUES\n'
            "(1, 'it''s', 0.5),\n(2, NULL, NULL);\n",
        ),
    ],
)
def test_insert_text_per_dialect(tmp_path: Path, dialect: str, expected: str) -> None:
    schema, entity = _people_schema()
    dump = tmp_path / "d.sql"
    run_copy(
        get_sink("sql-dump", dump, dialect=dialect, create_tables=False),
        schema,
        [entity],
        {"Person": [_people([(1, "it's", 0.5), (2, None, None)])]},
    )
    text = dump.read_text()
    assert expected in text
    assert "CREATE TABLE" not in text


def test_upsert_clause_per_dialect(tmp_path: Path) -> None:
    schema, entity = _people_schema()
    tails = {}
    for dialect in ("postgres", "mysql", "sqlite"):
        dump = tmp_path / f"{dialect}.sql"
        run_copy(
            get_sink("sql-dump", dump, dialect=dialect, mode="upsert", create_tables=False),
            schema,
            [entity],
            {"Person": [_people([(1, "a", None)])]},
        )
        tails[dialect] = dump.read_text().split("(1, 'a', NULL)\n", 1)[1].split(";", 1)[0]
    assert tails == {
        "postgres": 'ON CONFLICT ("id") DO UPDATE SET "name" = EXCLUDED."name", '
        '"score" = EXCLUDED."score"',
        "mysql": "ON DUPLICATE KEY UPDATE `name` = VALUES(`name`), `score` = VALUES(`score`)",
        "sqlite": 'ON CONFLICT ("id") DO UPDATE SET "name" = excluded."name", '
        '"score" = excluded."score"',
    }


def test_an_aborted_entity_is_cut_out_of_the_dump(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    schema, people = _people_schema()
    other = Entity("Tag", table="tags", primary_key=["id"], fields=[Field("id", "int")])
    schema.entities.append(other)
    dump = tmp_path / "d.sql"
    sink = get_sink("sql-dump", dump, dialect="sqlite")
    sink.begin(schema, [people, other])
    sink.open(people)
    sink.write(_people([(1, "a", 1.0)]))
    assert sink.abort(RuntimeError("source failed")).error == "source failed"
    sink.open(other)
    sink.write(pa.RecordBatch.from_pylist([{"id": 3}], schema=arrow_schema(other)))
    sink.close()
    sink.finish()
    assert 'INSERT INTO "people"' not in dump.read_text()
    url = request.getfixturevalue("sqlite_url")
    restore("sqlite", dump, url)
    assert read_database(url, people) == []
    assert [r["id"] for r in read_database(url, other)] == [3]
