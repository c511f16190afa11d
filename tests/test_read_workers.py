"""How many streams read a large table (MOSTAFRAME_READ_WORKERS), and both read paths: ranges
one after another in this process, and ranges shared among worker processes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from helpers import read_all

import mostaframe.sources.connectorx as cx_source
import mostaframe.sources.parallel as parallel
from mostaframe.errors import MostaframeError, SourceError
from mostaframe.schema.model import Entity, Field, Schema
from mostaframe.secrets import parse_uri
from mostaframe.sources import open_source
from mostaframe.sources.connectorx import read_streams, server_is_local


@pytest.fixture
def started_workers(monkeypatch) -> list[int]:
    """Counts the reader processes started (one entry per worker)."""
    started: list[int] = []
    original = parallel._Worker.start

    def start(self) -> None:
        original(self)
        started.append(self.process.pid)

    monkeypatch.setattr(parallel._Worker, "start", start)
    return started


@pytest.mark.parametrize(
    ("uri", "local"),
    [
        ("postgresql://u:p@127.0.0.1:5432/app", True),
        ("postgresql://u@localhost/app", True),
        ("postgresql://u@[::1]:5432/app", True),
        ("postgresql:///app?host=/run/postgresql", True),
        ("mysql://root@127.0.0.2:3306/app", True),
        ("postgresql://u@db.example.com/app", False),
        ("mysql://root@10.1.2.3/app", False),
    ],
)
def test_server_is_local(uri: str, local: bool) -> None:
    assert server_is_local(parse_uri(uri)) is local


@pytest.mark.parametrize(
    ("cpus", "host", "streams"),
    [
        (2, "127.0.0.1", 1),  # the server needs the other core: read in-process
        (8, "127.0.0.1", 4),
        (1, "127.0.0.1", 1),
        (2, "db.example.com", 2),
        (16, "db.example.com", 4),
        (1, "db.example.com", 1),
    ],
)
def test_auto_streams_follow_cpus_and_server_place(
    cpus: int, host: str, streams: int, monkeypatch
) -> None:
    monkeypatch.delenv("MOSTAFRAME_READ_WORKERS", raising=False)
    monkeypatch.setattr(cx_source, "available_cpus", lambda: cpus)
    assert read_streams(parse_uri(f"postgresql://u@{host}/app")) == streams


def test_read_workers_setting_wins_and_is_checked(monkeypatch) -> None:
    uri = parse_uri("postgresql://u@127.0.0.1/app")
    monkeypatch.setenv("MOSTAFRAME_READ_WORKERS", "3")
    assert read_streams(uri) == 3
    monkeypatch.setenv("MOSTAFRAME_READ_WORKERS", "-1")
    with pytest.raises(MostaframeError, match="MOSTAFRAME_READ_WORKERS=-1 is not valid"):
        read_streams(uri)
    monkeypatch.setenv("MOSTAFRAME_READ_WORKERS", "two")
    with pytest.raises(MostaframeError, match="MOSTAFRAME_READ_WORKERS='two' is not valid"):
        read_streams(uri)


def _big_table(pg_url: str, rows: int = 20_000) -> tuple[Schema, Entity]:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE big (id int PRIMARY KEY, price numeric(10,2), code char(4))"
        )
        connection.execute(
            "INSERT INTO big SELECT g, g / 100.0, 'c' || (g %% 7) FROM generate_series(1, %s) g",
            (rows,),
        )
        connection.execute("ANALYZE big")
    entity = Entity(
        "Big",
        table="big",
        primary_key=["id"],
        fields=[
            Field("id", "int"),
            Field("price", "decimal", precision=10, scale=2),
            Field("code", "string", length=4),
        ],
    )
    return Schema([entity]), entity


def _check_every_row_once(table, rows: int) -> None:
    assert sorted(table.column("id").to_pylist()) == list(range(1, rows + 1))
    assert sum(table.column("price").to_pylist()) == sum(
        Decimal(g) / 100 for g in range(1, rows + 1)
    )
    assert set(table.column("code").to_pylist()) == {f"c{k}" for k in range(7)}  # padding trimmed


def test_postgres_ranges_in_process_start_no_worker(
    pg_url: str, monkeypatch, started_workers: list[int]
) -> None:
    schema, entity = _big_table(pg_url)
    monkeypatch.setenv("MOSTAFRAME_PARALLEL_MIN_PAGES", "2")
    monkeypatch.setenv("MOSTAFRAME_READ_WORKERS", "1")
    monkeypatch.setattr(cx_source, "RANGE_PAGES", 16)  # ≈ 130 pages: several ranges
    source = open_source("db", uri=pg_url)
    source.prepare(schema, [entity])
    queries = source.queries(entity)
    assert len(queries) > 4 and "ctid >=" in queries[1]
    _check_every_row_once(read_all(source, entity, batch_size=1000), 20_000)
    filtered = list(source.read(entity, where="id <= 5000"))
    assert sum(batch.num_rows for batch in filtered) == 5000
    assert started_workers == []
    source.close()


def test_postgres_ranges_in_worker_processes(
    pg_url: str, monkeypatch, started_workers: list[int]
) -> None:
    schema, entity = _big_table(pg_url)
    monkeypatch.setenv("MOSTAFRAME_PARALLEL_MIN_PAGES", "2")
    monkeypatch.setenv("MOSTAFRAME_READ_WORKERS", "2")
    monkeypatch.setattr(cx_source, "RANGE_PAGES", 16)
    source = open_source("db", uri=pg_url)
    source.prepare(schema, [entity])
    _check_every_row_once(read_all(source, entity, batch_size=1000), 20_000)
    assert len(started_workers) == 2
    # an error in a worker process becomes a SourceError naming the entity
    with pytest.raises(SourceError, match="entity Big"):
        list(source.read(entity, where="no_such_column > 1"))
    source.close()


def test_mysql_key_ranges_in_process_and_in_workers(
    mysql_url: str, monkeypatch, started_workers: list[int]
) -> None:
    import pymysql

    database = mysql_url.rsplit("/", 1)[1]
    with pymysql.connect(
        host="127.0.0.1", user="root", database=database, autocommit=True
    ) as connection:
        cursor = connection.cursor()
        cursor.execute("CREATE TABLE nums (id bigint PRIMARY KEY, v varchar(20))")
        cursor.executemany(
            "INSERT INTO nums VALUES (%s, %s)", [(i * 3, f"v{i}") for i in range(1, 3001)]
        )
        cursor.execute("ANALYZE TABLE nums")
    entity = Entity(
        "Nums",
        table="nums",
        primary_key=["id"],
        fields=[Field("id", "bigint"), Field("v", "string")],
    )
    monkeypatch.setattr(cx_source, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(cx_source, "RANGE_ROWS", 1000)  # ≈ 3000 rows: about three key ranges
    expected = [i * 3 for i in range(1, 3001)]
    for workers, processes in (("1", 0), ("2", 2)):
        monkeypatch.setenv("MOSTAFRAME_READ_WORKERS", workers)
        started_workers.clear()
        source = open_source("db", uri=mysql_url)
        assert len(source.queries(entity)) >= 3
        table = read_all(source, entity, batch_size=500)
        assert sorted(table.column("id").to_pylist()) == expected
        assert len(started_workers) == processes
        source.close()


def test_this_machines_name_is_local() -> None:
    import socket

    assert server_is_local(parse_uri(f"postgresql://u@{socket.gethostname()}:5432/app"))
