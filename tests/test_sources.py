"""Sources read exactly the model's types, whatever the driver or the file hands back."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from helpers import every_kind_data, every_kind_schema, read_all, table_checksum

import mostaframe.sources.connectorx as cx_source
from mostaframe.copy import copy
from mostaframe.errors import DatabaseConnectionError, SourceError
from mostaframe.schema.model import Entity, Field, Schema
from mostaframe.sources import ArrowSource, open_source
from mostaframe.sources.sqldump import parse_pg_array

UTC = dt.UTC


def _entity(table: str, fields: list[Field]) -> tuple[Schema, Entity]:
    entity = Entity(table.title(), table=table, primary_key=[fields[0].name], fields=fields)
    return Schema([entity]), entity


def test_postgres_types_connectorx_cannot_read(pg_url: str) -> None:
    """tsvector, interval, money, inet, xml, point, timetz, char(n), unconstrained numeric,
    timestamp[] and enum[]: decided from the catalog, read as text, typed by the model —
    connectorx never sees them (it would panic)."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute("CREATE TYPE colour AS ENUM ('red', 'green')")
        connection.execute(
            "CREATE TABLE odd (id int PRIMARY KEY, v tsvector, i interval, m money, n inet,"
            " x xml, p point, tz timetz, c char(6), u numeric, ts timestamp[], e colour[],"
            " s int2, r real)"
        )
        connection.execute(
            "INSERT INTO odd VALUES (1, 'fat cat', '1 day 02:00', 12.5, '10.1.2.3', '<a>b</a>',"
            " '(1,2)', '10:00:00+02', 'ab', 12345678901234567890.123456789012345,"
            " ARRAY['2024-01-02 03:04:05.5'::timestamp, NULL], ARRAY['green'::colour], -7, 1.5),"
            " (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
        )
    schema, entity = _entity(
        "odd",
        [
            Field("id", "int"),
            Field("v", "string", required=False),
            Field("i", "string", required=False),
            Field("m", "string", required=False),
            Field("n", "string", required=False),
            Field("x", "string", required=False),
            Field("p", "string", required=False),
            Field("tz", "time", timezone=True, required=False),
            Field("c", "string", length=6, required=False),
            Field("u", "decimal", required=False),
            Field("ts", "datetime", list=True, precision=6, required=False),
            Field("e", "string", list=True, required=False),
            Field("s", "smallint", required=False),
            Field("r", "real", required=False),
        ],
    )
    source = open_source("db", uri=pg_url)
    source.prepare(schema, [entity])
    rows = sorted(read_all(source, entity).to_pylist(), key=lambda row: row["id"])
    assert rows[0] == {
        "id": 1,
        "v": "'cat' 'fat'",
        "i": "1 day 02:00:00",
        "m": "$12.50",
        "n": "10.1.2.3/32",
        "x": "<a>b</a>",
        "p": "(1,2)",
        "tz": dt.time(8, 0),
        "c": "ab",
        "u": Decimal("12345678901234567890.123456789012345"),
        "ts": [dt.datetime(2024, 1, 2, 3, 4, 5, 500000), None],
        "e": ["green"],
        "s": -7,
        "r": 1.5,
    }
    assert set(rows[1].values()) == {2, None}
    query = source.query(entity)
    assert '"tz" AT TIME ZONE' in query and '"u"::text' in query and '"v"::text' in query
    assert source.plan(entity).rstrip == {"c"}  # char(n) padding trimmed in Arrow
    source.close()


def test_parallel_ctid_ranges_read_every_row_once(pg_url: str, monkeypatch) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE big (id int PRIMARY KEY, price numeric(10,2), label text)")
        connection.execute(
            "INSERT INTO big SELECT g, g / 100.0, 'row ' || g FROM generate_series(1, 20000) g"
        )
        connection.execute("ANALYZE big")
    schema, entity = _entity(
        "big",
        [
            Field("id", "int"),
            Field("price", "decimal", precision=10, scale=2),
            Field("label", "string"),
        ],
    )
    monkeypatch.setenv("MOSTAFRAME_PARALLEL_MIN_PAGES", "2")
    monkeypatch.setenv("MOSTAFRAME_READ_WORKERS", "2")  # the worker processes, whatever the CPUs
    source = open_source("db", uri=pg_url)
    source.prepare(schema, [entity])
    partitions = source._partitions(source.plan(entity))
    assert len(partitions) == 2 and "ctid <" in partitions[0] and "ctid >=" in partitions[1]
    table = read_all(source, entity, batch_size=1000)
    assert table.num_rows == 20000
    assert sorted(table.column("id").to_pylist()) == list(range(1, 20001))
    assert sum(table.column("price").to_pylist()) == sum(Decimal(g) / 100 for g in range(1, 20001))
    # an error in a worker process becomes a SourceError naming the entity
    with pytest.raises(SourceError, match="entity Big"):
        list(source.read(entity, where="no_such_column > 1"))
    source.close()


def test_sqlite_leading_nulls_epoch_millis_and_mixed_values(tmp_path: Path) -> None:
    """connectorx fails on an all-NULL first row; the sqlite3 reader does not, and reads
    Prisma's epoch-millisecond datetimes, text decimals and 0/1 booleans per the model."""
    path = tmp_path / "prisma.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, at DATETIME, price DECIMAL,"
            " ok BOOLEAN, note TEXT, stamp DATETIME)"
        )
        connection.executemany(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
            [
                (1, None, None, None, None, None),
                (2, 1704067200123, "12.30", 1, "x", "2024-01-01 10:00:00.5+02:00"),
                (3, "2024-01-01T00:00:00.250Z", 7, 0, 42, "2024-01-01 08:00:00"),
            ],
        )
    _schema, entity = _entity(
        "t",
        [
            Field("id", "int"),
            Field("at", "datetime", timezone=True, required=False),
            Field("price", "decimal", precision=10, scale=2, required=False),
            Field("ok", "boolean", required=False),
            Field("note", "string", required=False),
            Field("stamp", "datetime", precision=6, required=False),
        ],
    )
    source = open_source("db", uri=str(path))
    rows = read_all(source, entity).to_pylist()
    assert rows == [
        {"id": 1, "at": None, "price": None, "ok": None, "note": None, "stamp": None},
        {
            "id": 2,
            "at": dt.datetime(2024, 1, 1, 0, 0, 0, 123000, tzinfo=UTC),
            "price": Decimal("12.30"),
            "ok": True,
            "note": "x",
            "stamp": dt.datetime(2024, 1, 1, 8, 0, 0, 500000),
        },
        {
            "id": 3,
            "at": dt.datetime(2024, 1, 1, 0, 0, 0, 250000, tzinfo=UTC),
            "price": Decimal("7.00"),
            "ok": False,
            "note": "42",
            "stamp": dt.datetime(2024, 1, 1, 8, 0),
        },
    ]
    source.close()


def test_value_that_does_not_fit_names_entity_and_column(pg_url: str) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE t (id bigint PRIMARY KEY)")
        connection.execute("INSERT INTO t VALUES (5000000000)")
    _schema, entity = _entity("t", [Field("id", "int")])
    source = open_source("db", uri=pg_url)
    with pytest.raises(SourceError, match=r"entity T, column id: cannot read int64 as int"):
        list(source.read(entity))
    source.close()


def test_missing_column_suggests_the_closest(mysql_url: str) -> None:
    import pymysql

    database = mysql_url.rsplit("/", 1)[1]
    with pymysql.connect(host="127.0.0.1", user="root", database=database) as connection:
        connection.cursor().execute("CREATE TABLE people (id int PRIMARY KEY, full_name text)")
    schema, entity = _entity("people", [Field("id", "int"), Field("fullname", "string")])
    source = open_source("db", uri=mysql_url)
    with pytest.raises(SourceError, match=r"has no column 'fullname' \(did you mean full_name"):
        source.prepare(schema, [entity])
    source.close()


def test_mysql_timestamp_is_read_in_utc(mysql_url: str) -> None:
    import pymysql

    database = mysql_url.rsplit("/", 1)[1]
    with pymysql.connect(
        host="127.0.0.1", user="root", database=database, autocommit=True
    ) as connection:
        cursor = connection.cursor()
        cursor.execute("SET time_zone = '+05:00'")
        cursor.execute(
            "CREATE TABLE t (id int PRIMARY KEY, at timestamp(3) NULL,"
            " flag tinyint(1), big decimal(65,30))"
        )
        cursor.execute(
            "INSERT INTO t VALUES (1, '2024-01-01 05:00:00.250', 1,"
            " '12345678901234567890123456789012345.123456789012345678901234567890')"
        )
    _schema, entity = _entity(
        "t",
        [
            Field("id", "int"),
            Field("at", "datetime", timezone=True, precision=3),
            Field("flag", "boolean"),
            Field("big", "decimal", precision=65, scale=30),
        ],
    )
    source = open_source("db", uri=mysql_url)
    assert read_all(source, entity).to_pylist() == [
        {
            "id": 1,
            "at": dt.datetime(2024, 1, 1, 0, 0, 0, 250000, tzinfo=UTC),
            "flag": True,
            "big": Decimal("12345678901234567890123456789012345.123456789012345678901234567890"),
        }
    ]
    source.close()


def test_duckdb_timetz_enum_and_uuid(duckdb_url: str) -> None:
    import duckdb

    with duckdb.connect(duckdb_url) as connection:
        connection.execute("CREATE TYPE mood AS ENUM ('up', 'down')")
        connection.execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, m mood, u UUID, z TIMETZ,"
            " h HUGEINT, l TIMESTAMP[])"
        )
        connection.execute(
            "INSERT INTO t VALUES (1, 'down', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',"
            " '10:00:00+02', 7, ['2024-01-01 00:00:00'])"
        )
    _schema, entity = _entity(
        "t",
        [
            Field("id", "int"),
            Field("m", "enum", enum=None),
            Field("u", "uuid"),
            Field("z", "time", timezone=True),
            Field("h", "bigint"),
            Field("l", "datetime", list=True, precision=6),
        ],
    )
    source = open_source("db", uri=duckdb_url)
    assert read_all(source, entity).to_pylist() == [
        {
            "id": 1,
            "m": "down",
            "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "z": dt.time(8, 0),
            "h": 7,
            "l": [dt.datetime(2024, 1, 1)],
        }
    ]
    source.close()


def test_unreachable_database_is_a_masked_connection_error() -> None:
    source = open_source("db", uri="postgresql://me:p%40ss%3Aw%2Frd%25@127.0.0.1:1/db")
    schema, entity = _entity("t", [Field("id", "int")])
    with pytest.raises(DatabaseConnectionError) as caught:
        source.prepare(schema, [entity])
    message = str(caught.value)
    assert message.startswith("cannot connect to postgres postgresql://me:***@127.0.0.1:1/db")
    assert "p@ss" not in message and "p%40ss" not in message


def test_missing_sqlite_file_is_reported(tmp_path: Path) -> None:
    source = open_source("db", uri=str(tmp_path / "nope.sqlite"))
    schema, entity = _entity("t", [Field("id", "int")])
    with pytest.raises(DatabaseConnectionError, match=r"nope\.sqlite does not exist"):
        source.prepare(schema, [entity])
    assert not (tmp_path / "nope.sqlite").exists()  # read-only: never created


def test_json_archive_is_streamed_across_chunk_boundaries(tmp_path: Path, monkeypatch) -> None:
    from mostaframe.sources.files import JsonArchiveSource

    schema = every_kind_schema(wide_decimal=False)
    data = every_kind_data(schema)
    target = tmp_path / "a.json"
    assert copy(ArrowSource(data), [str(target)], schemas=schema, quiet=True).ok
    monkeypatch.setattr(JsonArchiveSource, "CHUNK", 37)  # values straddle every boundary
    source = open_source("json", file=str(target))
    source.prepare(schema, list(schema))
    assert list(source.index()) == ["Customer", "Order", "Everything"]
    for entity in schema:
        assert table_checksum(read_all(source, entity)) == table_checksum(data[entity.name])


def test_csv_tells_null_from_empty_and_where_filters(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "t.csv").write_text('id,name,price\r\n1,,1.50\r\n2,"",\r\n3,"a,""b""",-2\r\n')
    _schema, entity = _entity(
        "t",
        [
            Field("id", "int"),
            Field("name", "string", required=False),
            Field("price", "decimal", precision=6, scale=2, required=False),
        ],
    )
    source = open_source("csv", file=str(folder))
    assert read_all(source, entity).to_pylist() == [
        {"id": 1, "name": None, "price": Decimal("1.50")},
        {"id": 2, "name": "", "price": None},
        {"id": 3, "name": 'a,"b"', "price": Decimal("-2.00")},
    ]
    filtered = list(source.read(entity, where="price < 0"))
    assert [row["id"] for b in filtered for row in b.to_pylist()] == [3]


def test_file_source_names_the_missing_file(tmp_path: Path) -> None:
    (tmp_path / "pq").mkdir()
    (tmp_path / "pq" / "customers.parquet").write_bytes(b"")
    schema = every_kind_schema()
    source = open_source("parquet", file=str(tmp_path / "pq"))
    with pytest.raises(
        SourceError,
        match=r"customer.parquet does not exist \(did you mean "
        r"customers.parquet",
    ):
        source.prepare(schema, [schema.entity("Customer")])


def test_unknown_source_kind_suggests() -> None:
    with pytest.raises(SourceError, match=r"unknown source kind 'jsn'; did you mean 'json'"):
        open_source("jsn", file="x")


def test_pg_array_literals() -> None:
    assert parse_pg_array('{1,NULL,"NULL"," a\\\\b\\"c "}') == ["1", None, "NULL", ' a\\b"c ']
    assert parse_pg_array("{}") == []


def test_arrow_source_accepts_polars() -> None:
    import polars as pl

    _schema, entity = _entity("t", [Field("id", "int"), Field("v", "string", required=False)])
    frame = pl.DataFrame({"id": [1, 2], "v": ["a", None]})
    batches = list(ArrowSource({"T": frame}).read(entity))
    assert pa.Table.from_batches(batches).to_pylist() == [{"id": 1, "v": "a"}, {"id": 2, "v": None}]


def test_mysql_key_ranges_read_every_row_once(mysql_url: str, monkeypatch) -> None:
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
    _, entity = _entity("nums", [Field("id", "bigint"), Field("v", "string")])
    monkeypatch.setattr(cx_source, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setenv("MOSTAFRAME_READ_WORKERS", "2")
    source = open_source("db", uri=mysql_url)
    partitions = source._partitions(source.plan(entity))
    assert partitions == ["`id` < 4501", "`id` >= 4501"]  # min 3, max 9000
    table = read_all(source, entity, batch_size=500)
    assert sorted(table.column("id").to_pylist()) == [i * 3 for i in range(1, 3001)]
    filtered = pa.Table.from_batches(list(source.read(entity, where="v LIKE 'v1%'")))
    assert filtered.num_rows == 1 + 10 + 100 + 1000
    source.close()


def test_reads_an_archive_written_by_mostajs_copy(tmp_path: Path) -> None:
    """@mostajs/orm-copy-data writes JSON.stringify(output, null, 2): pretty-printed, rows keyed
    by field name, numbers as JSON numbers, dates as ISO strings with Z."""
    import json

    archive = {
        "source": "postgres://user@host/prod",
        "date": "2026-04-18T15:30:00Z",
        "entities": {
            "Product": [
                {
                    "id": "uuid-10",
                    "title": "MacBook Pro",
                    "price": 2499.99,
                    "createdAt": "2026-01-01T10:00:00.000Z",
                    "active": True,
                },
                {"id": "uuid-11", "title": "Pen", "price": 1, "createdAt": None, "active": False},
            ]
        },
    }
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(archive, indent=2), encoding="utf-8")
    entity = Entity(
        "Product",
        table="products",
        primary_key=["id"],
        fields=[
            Field("id", "string"),
            Field("title", "string"),
            Field("price", "decimal", precision=10, scale=2),
            Field("createdAt", "datetime", column="created_at", timezone=True, required=False),
            Field("active", "boolean"),
        ],
    )
    source = open_source("json", file=str(path))
    source.prepare(Schema([entity]), [entity])
    assert read_all(source, entity).to_pylist() == [
        {
            "id": "uuid-10",
            "title": "MacBook Pro",
            "price": Decimal("2499.99"),
            "created_at": dt.datetime(2026, 1, 1, 10, 0, tzinfo=UTC),
            "active": True,
        },
        {
            "id": "uuid-11",
            "title": "Pen",
            "price": Decimal("1.00"),
            "created_at": None,
            "active": False,
        },
    ]
