"""The copy pipeline end to end, over real databases and real files.

Every test compares row counts and DuckDB checksums of what a source yields with the data that
went in (``tests/helpers.py``).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from helpers import every_kind_data, every_kind_schema, read_all, sorted_rows, table_checksum

from mostaframe.copy import copy, plan_copy
from mostaframe.errors import SchemaError, SourceError
from mostaframe.schema.arrow import arrow_schema
from mostaframe.secrets import parse_uri
from mostaframe.sources import ArrowSource, Source, open_source

FILE_DESTINATIONS = [
    ("sqlite", "dest.sqlite", "db"),
    ("duckdb", "dest.duckdb", "db"),
    ("json", "dest.json", "json"),
    ("ndjson", "ndjson", "ndjson"),
    ("csv", "csv", "csv"),
    ("parquet", "parquet", "parquet"),
    ("sql-dump:postgres", "pg.sql", "sql"),
    ("sql-dump:mysql", "my.sql", "sql"),
    ("sql-dump:sqlite", "lite.sql", "sql"),
]


def _dest(kind: str, target: Path) -> dict[str, Any]:
    name, _, dialect = kind.partition(":")
    return {"kind": name, "target": str(target), **({"dialect": dialect} if dialect else {})}


def _reader(source_kind: str, target: Path) -> Source:
    if source_kind == "db":
        return open_source("db", uri=str(target))
    return open_source(source_kind, file=str(target))


def _assert_same(source: Source, schema, data: dict[str, pa.Table], label: str) -> None:
    source.prepare(schema, list(schema))
    try:
        for entity in schema:
            got = read_all(source, entity)
            expected = data[entity.name]
            if table_checksum(got) != table_checksum(expected):
                # show the first differing row for a readable failure
                for mine, theirs in zip(sorted_rows(got), sorted_rows(expected), strict=False):
                    assert mine == theirs, f"{label}: entity {entity.name} differs"
                raise AssertionError(
                    f"{label}: entity {entity.name}: {got.num_rows} rows, "
                    f"expected {expected.num_rows}"
                )
    finally:
        source.close()


def _seed(url: str, schema, data) -> None:
    report = copy(ArrowSource(data), [url], schemas=schema, quiet=True)
    assert report.ok, str(report)


def test_every_kind_from_each_database_to_every_destination(db_url: str, tmp_path: Path) -> None:
    dialect = parse_uri(db_url).dialect
    schema = every_kind_schema(wide_decimal=False)
    data = every_kind_data(schema)
    _seed(db_url, schema, data)
    # the source reads back exactly what went in, typed by the model
    _assert_same(open_source("db", uri=db_url), schema, data, f"{dialect} source")

    destinations = [
        (kind, tmp_path / target, reader)
        for kind, target, reader in FILE_DESTINATIONS
        if not (dialect == "duckdb" and kind == "duckdb")
    ]
    report = copy(
        db_url,
        [_dest(kind, target) for kind, target, _ in destinations],
        schemas=schema,
        batch_size=7,
        quiet=True,
    )
    assert report.ok, str(report)
    assert [e.entity for e in report.entities] == ["Customer", "Order", "Everything"]
    assert report.rows_read == 30 + 60 + 30
    assert report.rows_written == report.rows_read * len(destinations)
    for kind, target, reader in destinations:
        _assert_same(_reader(reader, target), schema, data, f"{dialect} → {kind}")


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_wide_decimals_survive(
    dialect: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """decimal(65,30): read as text from the source, exact through files and dumps."""
    url = request.getfixturevalue({"postgres": "pg_url", "mysql": "mysql_url"}[dialect])
    schema = every_kind_schema(wide_decimal=True)
    data = every_kind_data(schema)
    _seed(url, schema, data)
    _assert_same(open_source("db", uri=url), schema, data, f"{dialect} source")
    kinds = ["json", "parquet", "csv", f"sql-dump:{dialect}"]
    targets = {"json": "w.json", "parquet": "wp", "csv": "wc", f"sql-dump:{dialect}": "w.sql"}
    report = copy(url, [_dest(k, tmp_path / targets[k]) for k in kinds], schemas=schema, quiet=True)
    assert report.ok, str(report)
    for kind in kinds:
        reader = {"json": "json", "parquet": "parquet", "csv": "csv"}.get(kind, "sql")
        _assert_same(_reader(reader, tmp_path / targets[kind]), schema, data, kind)


def test_wide_decimals_in_sqlite(sqlite_url: str) -> None:
    """decimal(65,30) in SQLite: stored as text by the destination, read back exactly."""
    schema = every_kind_schema(wide_decimal=True)
    data = every_kind_data(schema)
    _seed(sqlite_url, schema, data)
    _assert_same(open_source("db", uri=sqlite_url), schema, data, "sqlite wide decimal")


@pytest.mark.parametrize("archive", ["json", "parquet", "sql-dump"])
@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
def test_restore_round_trip(
    dialect: str, archive: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Backup written from a database, restored into a new one: the same rows come back."""
    source_url = request.getfixturevalue(
        {"postgres": "pg_url", "mysql": "mysql_url", "sqlite": "sqlite_url"}[dialect]
    )
    schema = every_kind_schema(wide_decimal=True)
    data = every_kind_data(schema)
    _seed(source_url, schema, data)
    target = tmp_path / {"json": "b.json", "parquet": "b", "sql-dump": "b.sql"}[archive]
    spec = {"kind": archive, "target": str(target)}
    if archive == "sql-dump":
        spec["dialect"] = dialect
    assert copy(source_url, [spec], schemas=schema, quiet=True).ok
    restored = _second_database(dialect, request, tmp_path)
    kind = {"sql-dump": "sql"}.get(archive, archive)
    report = copy({"kind": kind, "file": str(target)}, [restored], schemas=schema, quiet=True)
    assert report.ok, str(report)
    _assert_same(open_source("db", uri=restored), schema, data, f"{archive} → {dialect}")


def _second_database(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A second fresh database of ``dialect`` (the fixtures give one per test)."""
    if dialect == "sqlite":
        return str(tmp_path / "restored.sqlite")
    import uuid

    name = f"mf_{uuid.uuid4().hex[:12]}"
    if dialect == "postgres":
        import psycopg

        admin_url = request.getfixturevalue("pg_url").rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        request.addfinalizer(drop)
        return admin_url.rsplit("/", 1)[0] + f"/{name}"
    import pymysql

    base = request.getfixturevalue("mysql_url").rsplit("/", 1)[0]
    with pymysql.connect(host="127.0.0.1", user="root") as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")

    def drop_mysql() -> None:
        with pymysql.connect(host="127.0.0.1", user="root") as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")

    request.addfinalizer(drop_mysql)
    return f"{base}/{name}"


def test_one_failing_destination_does_not_stop_the_others(pg_url: str, tmp_path: Path) -> None:
    """Order cannot be written to PostgreSQL (a CHECK the data breaks); the SQLite and JSON
    destinations still get everything, PostgreSQL keeps the other entities and no partial
    Order rows, and the report says what failed."""
    import psycopg

    schema = every_kind_schema(wide_decimal=False)
    data = every_kind_data(schema)
    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute(
            'CREATE TABLE "order" (id bigint PRIMARY KEY, customer_id int NOT NULL,'
            " total numeric(12,2) NOT NULL CHECK (total < 100),"
            " placed_at timestamptz(3) NOT NULL)"
        )
    sqlite_target = tmp_path / "ok.sqlite"
    json_target = tmp_path / "ok.json"
    report = copy(
        ArrowSource(data),
        [pg_url, str(sqlite_target), str(json_target)],
        schemas=schema,
        batch_size=5,
        quiet=True,
    )
    assert not report.ok
    order = next(e for e in report.entities if e.entity == "Order")
    failed = [r for r in order.results if r.error]
    assert [r.destination.split()[0] for r in failed] == ["postgres"]
    assert "check" in failed[0].error.lower()
    assert all(r.rows == 60 for r in order.results if not r.error)
    problems = report.problems()
    assert len(problems) == 1 and problems[0].startswith("Order → postgres")
    # the other destinations are complete
    _assert_same(open_source("db", uri=str(sqlite_target)), schema, data, "sqlite")
    _assert_same(open_source("json", file=str(json_target)), schema, data, "json")
    # PostgreSQL: Order rolled back entirely, the other entities are there
    with psycopg.connect(pg_url) as connection:
        assert connection.execute('SELECT count(*) FROM "order"').fetchone()[0] == 0
        assert connection.execute("SELECT count(*) FROM customer").fetchone()[0] == 30
        assert connection.execute("SELECT count(*) FROM everything").fetchone()[0] == 30


def test_plan_orders_parents_first_and_checks_names() -> None:
    schema = every_kind_schema()
    plan = plan_copy(schema, entities="Order,Customer", where={"order": "total > 10"})
    assert [(step.entity.name, step.where) for step in plan] == [
        ("Customer", None),
        ("Order", "total > 10"),
    ]
    assert [s.entity.name for s in plan_copy(schema, exclude=["Everything"])] == [
        "Customer",
        "Order",
    ]
    with pytest.raises(SchemaError, match=r"unknown entity 'Ordr'; did you mean Order"):
        plan_copy(schema, entities=["Ordr"])
    with pytest.raises(SchemaError, match="entity Everything is not part of this copy"):
        plan_copy(schema, entities=["Customer"], where={"Everything": "id > 1"})


def test_where_filters_rows_in_the_database(pg_url: str, tmp_path: Path) -> None:
    schema = every_kind_schema(wide_decimal=False)
    data = every_kind_data(schema)
    _seed(pg_url, schema, data)
    target = tmp_path / "subset.parquet"
    report = copy(
        pg_url,
        [{"kind": "parquet", "target": str(target)}],
        schemas=schema,
        entities=["Customer"],
        where={"Customer": "id <= 10 AND email IS NOT NULL"},
        quiet=True,
    )
    assert report.ok
    got = read_all(open_source("parquet", file=str(target)), schema.entity("Customer"))
    assert sorted(got.column("id").to_pylist()) == [1, 2, 3, 5, 6, 7, 9, 10]


def test_dry_run_writes_nothing(pg_url: str, tmp_path: Path) -> None:
    schema = every_kind_schema(wide_decimal=False)
    _seed(pg_url, schema, every_kind_data(schema))
    target = tmp_path / "never.sqlite"
    report = copy(pg_url, [str(target)], schemas=schema, dry_run=True, quiet=True)
    assert report.ok and report.dry_run
    assert [(e.entity, e.estimated_rows) for e in report.entities] == [
        ("Customer", 30),
        ("Order", 60),
        ("Everything", 30),
    ]
    assert not target.exists()
    assert "nothing written" in str(report)


class _CountingSource(Source):
    """Yields ``batches`` batches lazily and records how far ahead of the writers it got."""

    kind = "test"
    description = "counting"

    def __init__(self, entity, batches: int, rows: int) -> None:
        self.entity, self.batches, self.rows = entity, batches, rows
        self.produced = 0

    def read(self, entity, *, batch_size: int = 50_000, where: str | None = None):
        for i in range(self.batches):
            self.produced += 1
            ids = pa.array(range(i * self.rows, (i + 1) * self.rows), pa.int32())
            names = pa.array([f"n{j}" for j in range(self.rows)])
            emails = pa.nulls(self.rows, pa.string())
            yield pa.RecordBatch.from_arrays([ids, names, emails], schema=arrow_schema(self.entity))


def test_back_pressure_bounds_what_is_buffered(tmp_path: Path, monkeypatch) -> None:
    """A slow destination makes the reader wait: at most queue depth + 2 batches are ahead."""
    from mostaframe.sinks.parquet import ParquetSink

    schema = every_kind_schema()
    customer = schema.entity("Customer")
    source = _CountingSource(customer, batches=30, rows=100)
    written = []
    lead = []
    original = ParquetSink._write

    def slow_write(self, batch):
        time.sleep(0.005)
        written.append(batch.num_rows)
        lead.append(source.produced - len(written))
        return original(self, batch)

    monkeypatch.setattr(ParquetSink, "_write", slow_write)
    report = copy(
        source,
        [
            {"kind": "parquet", "target": str(tmp_path / "p")},
            {"kind": "csv", "target": str(tmp_path / "c")},
        ],
        schemas=schema,
        entities=["Customer"],
        queue_depth=2,
        quiet=True,
    )
    assert report.ok
    assert report.entities[0].rows == 3000
    assert max(lead) <= 2 + 2


class _InterruptedSource(_CountingSource):
    def read(self, entity, *, batch_size: int = 50_000, where: str | None = None):
        yield from super().read(entity, batch_size=batch_size)
        raise KeyboardInterrupt


def test_interrupt_cancels_every_destination(tmp_path: Path) -> None:
    schema = every_kind_schema()
    source = _InterruptedSource(schema.entity("Customer"), batches=3, rows=10)
    targets = [tmp_path / "x.sqlite", tmp_path / "x.json", tmp_path / "csv"]
    with pytest.raises(KeyboardInterrupt):
        copy(
            source,
            [str(targets[0]), str(targets[1]), {"kind": "csv", "target": str(targets[2])}],
            schemas=schema,
            entities=["Customer"],
            quiet=True,
        )
    assert not targets[0].exists() and not targets[1].exists()
    leftovers = [p.name for p in tmp_path.rglob("*") if p.is_file()]
    assert leftovers == []
    assert threading.active_count() < 10  # writer threads ended


def test_report_renders_everywhere(tmp_path: Path) -> None:
    schema = every_kind_schema()
    data = every_kind_data(schema)
    report = copy(
        ArrowSource(data),
        [str(tmp_path / "r.sqlite")],
        schemas=schema,
        entities=["Customer"],
        quiet=True,
    )
    text = str(report)
    assert text.splitlines()[0].startswith("copy ok: 30 rows of 1 entities from arrow")
    assert "Customer" in text and "sqlite" in text
    assert "<table>" in report._repr_html_()
    as_dict = report.to_dict()
    assert as_dict["ok"] is True and as_dict["rows_written"] == 30
    frame = report.to_polars()
    assert frame.shape[0] == 1 and frame["rows_written"][0] == 30


def test_source_errors_name_the_table_and_the_fix(pg_url: str) -> None:
    schema = every_kind_schema()
    source = open_source("db", uri=pg_url)
    with pytest.raises(SourceError, match=r"entity Customer: table 'customer' does not exist"):
        source.prepare(schema, [schema.entity("Customer")])
    source.close()


def test_without_a_schema_file_the_source_is_reflected(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("mostaframe.schema.reflect")
    schema = every_kind_schema(wide_decimal=False)
    data = every_kind_data(schema)
    database = tmp_path / "app.sqlite"
    _seed(str(database), schema, data)
    monkeypatch.chdir(tmp_path)  # no .mostajs/generated/entities.json, no ./entities.json
    monkeypatch.delenv("MOSTAFRAME_SCHEMAS", raising=False)
    report = copy(str(database), [{"kind": "parquet", "target": str(tmp_path / "out")}], quiet=True)
    assert report.ok, str(report)
    assert sorted((e.table, e.rows) for e in report.entities) == [
        ("customer", 30),
        ("everything", 30),
        ("order", 60),
    ]


@pytest.mark.parametrize("target", ["mysql", "sqlite", "duckdb"])
def test_hostile_identifiers_are_quoted(
    pg_url: str, target: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Table and column names with quotes, backticks, spaces and SQL in them."""
    from mostaframe.schema.model import Entity, Field, Schema

    entity = Entity(
        'Odd "Name"',
        table='we"ird`; DROP TABLE x; --',
        primary_key=["id"],
        fields=[
            Field("id", "int"),
            Field("value", "string", column='va"l`ue ; --', required=False),
        ],
    )
    schema = Schema([entity])
    data = {
        entity.name: pa.table({"id": pa.array([1, 2], pa.int32()), 'va"l`ue ; --': ["it's", None]})
    }
    _seed(pg_url, schema, data)
    url = {
        "mysql": lambda: request.getfixturevalue("mysql_url"),
        "sqlite": lambda: str(tmp_path / "odd.sqlite"),
        "duckdb": lambda: str(tmp_path / "odd.duckdb"),
    }[target]()
    assert copy(pg_url, [url], schemas=schema, quiet=True).ok
    _assert_same(
        open_source("db", uri=url),
        schema,
        {entity.name: data[entity.name].cast(arrow_schema(entity))},
        target,
    )
