"""The sink contract, run over EVERY registered destination.

One entity with every field kind and hostile values is written in two batches to each sink,
read back with the destination's own reader (SQL SELECT over a real connection, pyarrow,
json, the CSV reader) and compared value by value with the source batch. Database sinks are
also run through the four modes, entity abort and whole-copy cancel; file sinks through the
temporary-file atomicity rules.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from mostaframe.errors import DatabaseConnectionError, SinkError
from mostaframe.schema import Entity, Enum, Field, NativeType, Relation, Schema
from mostaframe.schema.arrow import arrow_schema
from mostaframe.secrets import parse_uri
from mostaframe.sinks import KINDS, SINKS, Sink, SinkResult, get_sink

UTC = dt.UTC

# ---------------------------------------------------------------------------------------------
# the entity with every field kind, and hostile rows


def everything_schema() -> tuple[Schema, Entity]:
    fields = [
        Field("id", "int"),
        # LongText: MySQL's VARCHAR(191) default would (rightly) refuse the 100,000-char value
        Field("s", "string", required=False, native=NativeType("LongText")),
        Field("i", "int", required=False),
        Field("si", "smallint", required=False),
        Field("bi", "bigint", required=False),
        Field("f", "float", required=False),
        Field("d", "decimal", precision=10, scale=2, required=False),
        Field("dw", "decimal", precision=65, scale=30, required=False),
        Field("b", "boolean", required=False),
        Field("ts", "datetime", precision=6, required=False),
        Field("tstz", "datetime", precision=6, timezone=True, required=False),
        Field("day", "date", required=False),
        Field("t", "time", precision=6, required=False),
        Field("j", "json", required=False),
        Field("by", "bytes", required=False),
        Field("u", "uuid", required=False),
        Field("e", "enum", enum="Mood", required=False),
        Field("tags", "string", list=True, required=False),
        Field("nums", "int", list=True, required=False),
    ]
    entity = Entity("Everything", table="everything", fields=fields, primary_key=["id"])
    moods = Enum("Mood", ["happy", "sad", "it's"])
    return Schema([entity], enums={"Mood": moods}), entity


HOSTILE = 'it\'s; DROP TABLE x; -- \\ \\\\ "q" \n\r\t 😀 ünïcödé \x1a end'

ROWS: list[dict[str, Any]] = [
    dict(
        id=1,
        s="plain",
        i=42,
        si=7,
        bi=1234567890123,
        f=0.1,
        d=Decimal("12.50"),
        dw=Decimal("1.5"),
        b=True,
        ts=dt.datetime(2024, 1, 31, 12, 0, 0, 123456),
        tstz=dt.datetime(2024, 1, 31, 12, 0, 0, 654321, tzinfo=UTC),
        day=dt.date(2024, 2, 29),
        t=dt.time(23, 59, 59, 999999),
        j='{"a": [1, 2.5, "x"], "b": null}',
        by=b"\x00\x01\xff",
        u="123e4567-e89b-12d3-a456-426614174000",
        e="happy",
        tags=["a", "b"],
        nums=[1, 2, 3],
    ),
    dict(
        id=2,
        s=HOSTILE,
        i=-2147483648,
        si=-32768,
        bi=-9223372036854775808,
        f=-1.7976931348623157e308,
        d=Decimal("-99999999.99"),
        dw=Decimal("-12345678901234567890123456789012345.123456789012345678901234567890"),
        b=False,
        ts=dt.datetime(1901, 12, 13, 20, 45, 52, 1),
        tstz=dt.datetime(1969, 7, 20, 20, 17, 40, 5, tzinfo=UTC),
        day=dt.date(1, 1, 1),
        t=dt.time(0, 0, 0),
        j='"a string with \\" and \\\\ and \\n"',
        by=bytes(range(256)),
        u="00000000-0000-0000-0000-000000000000",
        e="it's",
        tags=["x'y", 'q"z', "back\\slash", None, "", "😀", "{a,b}", "NULL"],
        nums=[None, -1],
    ),
    dict(
        id=3,
        s=None,
        i=None,
        si=None,
        bi=None,
        f=None,
        d=None,
        dw=None,
        b=None,
        ts=None,
        tstz=None,
        day=None,
        t=None,
        j=None,
        by=None,
        u=None,
        e=None,
        tags=None,
        nums=None,
    ),
    dict(
        id=4,
        s="",
        i=0,
        si=0,
        bi=0,
        f=0.0,
        d=Decimal("0.00"),
        dw=Decimal("0"),
        b=False,
        ts=dt.datetime(1970, 1, 1),
        tstz=dt.datetime(1970, 1, 1, tzinfo=UTC),
        day=dt.date(1970, 1, 1),
        t=dt.time(12, 0),
        j="[]",
        by=b"",
        u="ffffffff-ffff-ffff-ffff-ffffffffffff",
        e="sad",
        tags=[],
        nums=[],
    ),
    dict(
        id=5,
        s="x" * 100_000,
        i=2147483647,
        si=32767,
        bi=9223372036854775807,
        f=5e-324,
        d=Decimal("0.01"),
        dw=Decimal("0.000000000000000000000000000001"),
        b=True,
        ts=dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
        tstz=dt.datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
        day=dt.date(9999, 12, 31),
        t=dt.time(0, 0, 0, 1),
        j='{"nested": {"deep": [true, false, {"k": "v\\n"}]}, "n": 1.5}',
        by=b"'\\;\n",
        u="a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        e="happy",
        tags=["one"],
        nums=[2147483647, -2147483648],
    ),
    dict(
        id=6,
        s="O'Brien\\'; --",
        i=1,
        si=1,
        bi=1,
        f=123456.789e10,
        d=Decimal("-0.01"),
        dw=Decimal("99999999999999999999999999999999999.999999999999999999999999999999"),
        b=None,
        ts=dt.datetime(2000, 2, 29, 0, 0, 0, 500000),
        tstz=dt.datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        day=dt.date(1969, 12, 31),
        t=dt.time(1, 2, 3, 456789),
        j='{"quote": "it\'s", "uni": "😀\\u00e9"}',
        by=b"\\x00",
        u="deadbeef-dead-beef-dead-beefdeadbeef",
        e="sad",
        tags=["\n", "\t", "\r"],
        nums=[0],
    ),
]


def everything_batches() -> list[pa.RecordBatch]:
    """The rows as two batches (4 + 2 rows) of the entity's exact Arrow schema."""
    _, entity = everything_schema()
    table = pa.Table.from_pylist(ROWS, schema=arrow_schema(entity))
    return [batch for batch in table.slice(0, 4).to_batches()] + table.slice(4).to_batches()


# ---------------------------------------------------------------------------------------------
# canonical values: both sides of every comparison go through canon()


def canon(field: Field, value: Any, *, text: bool = False) -> Any:
    """A comparable Python value. ``text=True``: the value is the text representation a file or
    SQLite holds (ISO dates, base64/hex…); decode it by the field's kind."""
    if value is None:
        return None
    if field.list:
        items = json.loads(value) if isinstance(value, str) else value
        element = Field(
            "item",
            field.kind,
            precision=field.precision,
            scale=field.scale,
            timezone=field.timezone,
        )
        return [canon(element, item, text=isinstance(value, str)) for item in items]
    kind = field.kind
    if kind in ("int", "smallint", "bigint"):
        return int(value)
    if kind in ("float", "real"):
        return float(value)
    if kind == "decimal":
        return Decimal(str(value))
    if kind == "boolean":
        return (
            {"true": True, "false": False}.get(value, value)
            if isinstance(value, str)
            else bool(value)
        )
    if kind == "datetime":
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if field.timezone:
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        return moment
    if kind == "date":
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    if kind == "time":
        if isinstance(value, dt.timedelta):  # MySQL TIME
            return (dt.datetime.min + value).time()
        return (
            dt.time.fromisoformat(value) if isinstance(value, str) else value.replace(tzinfo=None)
        )
    if kind == "json":
        return json.loads(value) if isinstance(value, str) else value
    if kind == "bytes":
        if isinstance(value, str):
            return base64.b64decode(value, validate=True)
        return bytes(value)
    return str(value)


def expected_rows() -> list[dict[str, Any]]:
    _, entity = everything_schema()
    rows = pa.Table.from_batches(everything_batches()).to_pylist()
    return [{f.column: canon(f, row[f.column]) for f in entity.fields} for row in rows]


#: (destination, column) pairs a destination cannot hold exactly — explicit, with the reason.
#: Empty today: SQLite keeps decimals wider than 15 digits as text (DECIMAL_TEXT columns), and
#: narrower ones come back from REAL equal as numbers.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def assert_same_rows(destination: str, actual: list[dict[str, Any]]) -> None:
    expected = expected_rows()
    storage = {"sql-dump": "sqlite"}.get(destination, destination)  # the contract restores it there
    assert len(actual) == len(expected)
    for want, got in zip(expected, actual, strict=True):
        for column, value in want.items():
            if (storage, column) in KNOWN_GAPS and value is not None:
                assert float(got[column]) == pytest.approx(float(value), rel=1e-15), column
                continue
            assert got[column] == value, f"{destination}: row id={want['id']}, column {column}"


# ---------------------------------------------------------------------------------------------
# readers: what each destination holds, as canonical rows


def _select(connection: Any, entity: Entity, quote: str, pg: bool = False) -> list[tuple[Any, ...]]:
    def column(field: Field) -> str:
        name = f"{quote}{field.column}{quote}"
        # psycopg does not know the enum's array type: read it as text[]
        return f"{name}::text[]" if pg and field.kind == "enum" and field.list else name

    columns = ", ".join(column(f) for f in entity.fields)
    cursor = connection.cursor()
    cursor.execute(f"SELECT {columns} FROM {quote}{entity.table}{quote} ORDER BY {quote}id{quote}")
    return list(cursor.fetchall())


def read_database(url: str, entity: Entity) -> list[dict[str, Any]]:
    """Rows of ``entity`` in the database at ``url``, canonical."""
    uri = parse_uri(url)
    if uri.dialect == "postgres":
        import psycopg

        with psycopg.connect(uri.libpq_url()) as connection:
            rows = _select(connection, entity, '"', pg=True)
    elif uri.dialect == "mysql":
        import pymysql
        from sqlalchemy.engine import make_url

        parts = make_url(uri.sqlalchemy_url())
        connection = pymysql.connect(
            host=parts.host,
            port=parts.port or 3306,
            user=parts.username,
            password=parts.password or "",
            database=parts.database,
            charset="utf8mb4",
        )
        with connection:
            rows = _select(connection, entity, "`")
    elif uri.dialect == "sqlite":
        with sqlite3.connect(uri.path) as connection:
            rows = _select(connection, entity, '"')
    else:
        import duckdb

        with duckdb.connect(uri.path, read_only=True) as connection:
            rows = _select(connection, entity, '"')
    text = uri.dialect == "sqlite"
    if uri.dialect == "postgres":  # psycopg parses json(b): back to text, canon() parses again
        rows = [
            tuple(
                json.dumps(v) if f.kind == "json" and v is not None else v
                for f, v in zip(entity.fields, row, strict=True)
            )
            for row in rows
        ]
    return [
        {
            f.column: canon(f, value, text=text or (f.list and isinstance(value, str)))
            for f, value in zip(entity.fields, row, strict=True)
        }
        for row in rows
    ]


def read_json_rows(rows: list[dict[str, Any]], entity: Entity) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        assert list(row) == [f.name for f in entity.fields]
        out.append(
            {f.column: canon(f, _from_json(f, row[f.name]), text=True) for f in entity.fields}
        )
    return out


def _from_json(field: Field, value: Any) -> Any:
    if value is None:
        return None
    if field.kind == "json" and not field.list:
        return json.dumps(value)  # embedded JSON: canon() parses it back
    if field.list:
        return json.dumps(value)
    return value if isinstance(value, str) else json.dumps(value)


def read_csv_file(path: Path, entity: Entity) -> list[dict[str, Any]]:
    import pyarrow.csv as pacsv

    names = entity.columns
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,  # "" is the empty string, an empty field NULL
        ),
    )
    assert table.column_names == names
    return [
        {f.column: canon(f, row[f.column], text=True) for f in entity.fields}
        for row in table.to_pylist()
    ]


def read_destination(kind: str, target: str, entity: Entity) -> list[dict[str, Any]]:
    if kind in ("postgres", "mysql", "sqlite", "duckdb"):
        return read_database(target, entity)
    if kind == "json":
        document = json.loads(Path(target).read_text(encoding="utf-8"))
        assert set(document) == {"tool", "source", "date", "entities"}
        return read_json_rows(document["entities"][entity.name], entity)
    if kind == "ndjson":
        lines = (Path(target) / f"{entity.table}.ndjson").read_text(encoding="utf-8").splitlines()
        return read_json_rows([json.loads(line) for line in lines], entity)
    if kind == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(Path(target) / f"{entity.table}.parquet")
        assert table.schema.equals(arrow_schema(entity), check_metadata=False)
        assert table.equals(pa.Table.from_batches(everything_batches()))
        return [
            {f.column: canon(f, row[f.column]) for f in entity.fields} for row in table.to_pylist()
        ]
    if kind == "csv":
        return read_csv_file(Path(target) / f"{entity.table}.csv", entity)
    if kind == "sql-dump":  # restored with the real sqlite3 client
        database = str(Path(target).with_suffix(".restored.sqlite"))
        with open(target, "rb") as dump:
            subprocess.run(["sqlite3", database], stdin=dump, check=True, capture_output=True)
        return read_database(database, entity)
    raise AssertionError(kind)


# ---------------------------------------------------------------------------------------------
# destinations: every registered kind is covered


DESTINATIONS = [
    "postgres",
    "postgres-text",
    "mysql",
    "sqlite",
    "duckdb",
    "sql-dump",
    "json",
    "ndjson",
    "parquet",
    "csv",
]
#: registered kinds each destination above exercises
COVERS = {
    "postgres": {"db", "postgres"},
    "postgres-text": {"postgres"},
    "mysql": {"db", "mysql"},
    "sqlite": {"sqlite"},
    "duckdb": {"duckdb"},
    "sql-dump": {"sql-dump"},
    "json": {"json"},
    "ndjson": {"json"},
    "parquet": {"parquet"},
    "csv": {"csv"},
}


def test_every_registered_sink_is_in_the_contract_suite() -> None:
    covered = set().union(*COVERS.values())
    assert set(SINKS) == covered == set(KINDS)


@pytest.fixture
def destination(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str, dict[str, Any]]:
    """(kind, target, get_sink keyword arguments) of one destination."""
    name = request.param
    if name == "postgres":
        return name, request.getfixturevalue("pg_url"), {}
    if name == "postgres-text":  # the COPY text format used for column types without encoder
        return "postgres", request.getfixturevalue("pg_url"), {"copy_format": "text"}
    if name == "mysql":
        return name, request.getfixturevalue("mysql_url"), {}
    if name in ("sqlite", "duckdb"):
        return name, request.getfixturevalue(f"{name}_url"), {}
    if name == "sql-dump":
        return name, str(tmp_path / "dump.sql"), {"dialect": "sqlite"}
    if name == "json":
        return name, str(tmp_path / "backup.json"), {}
    return name, str(tmp_path / "out"), {}


def _sink_for(kind: str, target: str, **kwargs: Any) -> Sink:
    return get_sink("db" if kind in ("postgres", "mysql") else kind, target, **kwargs)


def run_copy(
    sink: Sink, schema: Schema, entities: list[Entity], batches: dict[str, list[pa.RecordBatch]]
) -> list[SinkResult]:
    """Drive ``sink`` the way the copy pipeline does; cancel it on failure."""
    results = []
    sink.begin(schema, entities)
    try:
        for entity in entities:
            sink.open(entity)
            try:
                for batch in batches[entity.name]:
                    sink.write(batch)
            except BaseException as error:
                results.append(sink.abort(error))
                raise
            results.append(sink.close())
        sink.finish()
    except BaseException:
        sink.cancel()
        raise
    return results


@pytest.mark.parametrize("destination", DESTINATIONS, indirect=True)
def test_every_kind_round_trips_exactly(destination: tuple[str, str, dict[str, Any]]) -> None:
    kind, target, options = destination
    schema, entity = everything_schema()
    sink = _sink_for(kind, target, **options)
    [result] = run_copy(sink, schema, [entity], {entity.name: everything_batches()})
    assert result.ok and result.rows == len(ROWS) and result.entity == "Everything"
    assert result.bytes > (10_000 if kind == "parquet" else 100_000)  # the long string went in
    assert_same_rows(kind, read_destination(kind, target, entity))
    leftovers = [p.name for p in Path(target).parent.rglob("*") if ".tmp-" in p.name]
    assert leftovers == []


# ---------------------------------------------------------------------------------------------
# the registry


def test_get_sink_resolves_kinds_aliases_and_db_dialects(tmp_path: Path) -> None:
    from mostaframe.sinks import (
        DuckDBSink,
        JsonSink,
        MySQLSink,
        PostgresSink,
        SqlDumpSink,
        SQLiteSink,
    )

    assert isinstance(get_sink("db", "postgresql://u:pw@h/db"), PostgresSink)
    assert isinstance(get_sink("db", "mariadb://u@h/db"), MySQLSink)
    assert isinstance(get_sink("db", str(tmp_path / "x.sqlite")), SQLiteSink)
    assert isinstance(get_sink("db", str(tmp_path / "x.duckdb")), DuckDBSink)
    assert isinstance(get_sink("db", str(tmp_path / "x.db"), dialect="duckdb"), DuckDBSink)
    assert isinstance(get_sink("sqldump", tmp_path / "d.sql"), SqlDumpSink)
    ndjson = get_sink("ndjson", tmp_path / "nd")
    assert isinstance(ndjson, JsonSink) and ndjson.ndjson
    assert get_sink("db", "postgresql://u:s3cr%40t@h/db").description == (
        "postgres postgresql://u:***@h/db"
    )
    assert get_sink("sql-dump", "d.sql", dialect="mariadb").description == "sql-dump (mysql) d.sql"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: get_sink("parquett", "x"),
            "unknown destination kind 'parquett'; did you mean 'parquet'?",
        ),
        (
            lambda: get_sink("csv", "x", mode="upsrt"),
            "csv sink: unknown mode 'upsrt'; did you mean 'upsert'?",
        ),
        (
            lambda: get_sink("sql-dump", "x", rows_per_statment=5),
            "sql-dump sink: unknown option 'rows_per_statment'; did you mean 'rows_per_statement'?",
        ),
        (lambda: get_sink("sql-dump", "x", dialect="oracle"), "sql-dump: unknown dialect 'oracle'"),
        (
            lambda: get_sink("sql-dump", "x", rows_per_statement=0),
            "rows_per_statement must be a positive",
        ),
        (
            lambda: get_sink("db", "postgresql://u:pw@h/db", dialect="mysql"),
            "URI postgresql://u:***@h/db is postgres but dialect mysql was asked for",
        ),
    ],
)
def test_bad_arguments_are_named(call: Any, message: str) -> None:
    with pytest.raises(SinkError) as info:
        call()
    assert message in str(info.value)
    assert "pw" not in str(info.value)


def test_results_render_as_text_html_and_json() -> None:
    result = SinkResult("User", "sqlite a.sqlite", rows=1200, bytes=4096, seconds=0.5)
    assert str(result) == "User → sqlite a.sqlite: 1,200 rows, 4,096 bytes in 0.50s (ok)"
    assert result.asdict() == {
        "entity": "User",
        "destination": "sqlite a.sqlite",
        "rows": 1200,
        "bytes": 4096,
        "seconds": 0.5,
        "error": None,
    }
    assert "<td>1,200</td>" in result._repr_html_()
    assert result.rows_per_second == 2400


# ---------------------------------------------------------------------------------------------
# database sinks: modes, abort, cancel, foreign keys


def _people_schema() -> tuple[Schema, Entity]:
    entity = Entity(
        "Person",
        table="people",
        primary_key=["id"],
        fields=[
            Field("id", "int"),
            Field("name", "string", required=False),
            Field("score", "float", required=False),
        ],
    )
    return Schema([entity]), entity


def _people(rows: list[tuple[int, str | None, float | None]]) -> pa.RecordBatch:
    _, entity = _people_schema()
    return pa.RecordBatch.from_pylist(
        [dict(id=i, name=n, score=s) for i, n, s in rows], schema=arrow_schema(entity)
    )


def _people_rows(url: str) -> list[tuple[Any, ...]]:
    _, entity = _people_schema()
    return [(r["id"], r["name"], r["score"]) for r in read_database(url, entity)]


def _load(url: str, rows: list[tuple[int, str | None, float | None]], **kwargs: Any) -> None:
    schema, entity = _people_schema()
    run_copy(get_sink("db", url, **kwargs), schema, [entity], {entity.name: [_people(rows)]})


def test_modes_insert_replace_truncate_upsert(db_url: str) -> None:
    _load(db_url, [(1, "a", 1.0), (2, "b", 2.0)])
    _load(db_url, [(3, "c", None)], create_tables=False)  # insert appends
    assert _people_rows(db_url) == [(1, "a", 1.0), (2, "b", 2.0), (3, "c", None)]
    _load(db_url, [(2, "B", 20.0), (4, "d", 4.0)], mode="upsert")
    assert _people_rows(db_url) == [(1, "a", 1.0), (2, "B", 20.0), (3, "c", None), (4, "d", 4.0)]
    _load(db_url, [(9, "z", 9.0)], mode="truncate")
    assert _people_rows(db_url) == [(9, "z", 9.0)]
    _load(db_url, [(7, "r", None)], mode="replace")
    assert _people_rows(db_url) == [(7, "r", None)]


def test_insert_of_an_existing_key_fails_and_rolls_back(db_url: str) -> None:
    _load(db_url, [(1, "a", 1.0)])
    with pytest.raises(SinkError) as info:
        _load(db_url, [(5, "e", 5.0), (1, "dup", 0.0)])
    assert "entity Person (write)" in str(info.value)
    assert _people_rows(db_url) == [(1, "a", 1.0)]


def test_missing_tables_without_create_tables_is_an_error_before_writing(db_url: str) -> None:
    with pytest.raises(SinkError, match=r"table\(s\) people do not exist and create_tables is off"):
        _load(db_url, [(1, "a", 1.0)], create_tables=False)


def test_abort_undoes_only_the_failed_entity(db_url: str) -> None:
    schema, people = _people_schema()
    other = Entity("Other", table="others", primary_key=["id"], fields=[Field("id", "int")])
    schema.entities.append(other)
    sink = get_sink("db", db_url)
    sink.begin(schema, [people, other])
    sink.open(people)
    sink.write(_people([(1, "a", 1.0)]))
    result = sink.abort(RuntimeError("source died for postgresql://u:secret@h/db"))
    assert result.error == "source died for postgresql://u:***@h/db" and result.rows == 1
    sink.open(other)
    sink.write(pa.RecordBatch.from_pylist([{"id": 5}], schema=arrow_schema(other)))
    assert sink.close().ok
    sink.finish()
    assert _people_rows(db_url) == []
    assert [r["id"] for r in read_database(db_url, other)] == [5]


def test_cancel_leaves_nothing_behind(db_url: str) -> None:
    _load(db_url, [(1, "a", 1.0)])
    schema, entity = _people_schema()
    sink = get_sink("db", db_url, mode="truncate")
    sink.begin(schema, [entity])
    sink.open(entity)
    sink.write(_people([(2, "b", 2.0)]))
    sink.cancel()
    if db_url.endswith(".duckdb"):
        # no savepoints: DuckDB commits the tables (and their emptying) before the entities
        assert _people_rows(db_url) == []
    else:
        assert _people_rows(db_url) == [(1, "a", 1.0)]  # the truncate was rolled back too


@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_a_new_database_file_appears_only_when_the_copy_succeeds(tmp_path: Path, kind: str) -> None:
    target = tmp_path / f"new.{kind}"
    schema, entity = _people_schema()
    sink = get_sink(kind, target)
    sink.begin(schema, [entity])
    sink.open(entity)
    sink.write(_people([(1, "a", 1.0)]))
    sink.close()
    assert not target.exists()  # built under a temporary name
    sink.cancel()
    assert list(tmp_path.iterdir()) == []
    _load(str(target), [(1, "a", 1.0)])
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_unreachable_database_is_a_masked_connection_error() -> None:
    schema, entity = _people_schema()
    sink = get_sink("db", "postgresql://app:hunter2@127.0.0.1:1/nowhere")
    with pytest.raises(DatabaseConnectionError) as info:
        sink.begin(schema, [entity])
    assert "cannot connect to postgres postgresql://app:***@127.0.0.1:1/nowhere" in str(info.value)
    assert "hunter2" not in str(info.value)


def _graph_schema() -> tuple[Schema, list[Entity]]:
    """Node → Node (self reference) and Team ⇄ Member (a cycle)."""
    node = Entity(
        "Node",
        table="nodes",
        primary_key=["id"],
        fields=[Field("id", "int"), Field("parentId", "int", required=False)],
        relations=[
            Relation("parent", "Node", "many-to-one", fields=["parentId"], references=["id"])
        ],
    )
    team = Entity(
        "Team",
        table="teams",
        primary_key=["id"],
        fields=[Field("id", "int"), Field("captainId", "int", required=False)],
        relations=[
            Relation("captain", "Member", "many-to-one", fields=["captainId"], references=["id"])
        ],
    )
    member = Entity(
        "Member",
        table="members",
        primary_key=["id"],
        fields=[Field("id", "int"), Field("teamId", "int")],
        relations=[Relation("team", "Team", "many-to-one", fields=["teamId"], references=["id"])],
    )
    schema = Schema([node, team, member])
    return schema, schema.dependency_order()[0]


def _graph_batches(schema: Schema, orphan: bool = False) -> dict[str, list[pa.RecordBatch]]:
    def batch(name: str, rows: list[dict[str, Any]]) -> pa.RecordBatch:
        return pa.RecordBatch.from_pylist(rows, schema=arrow_schema(schema.entity(name)))

    return {
        # children before their parents, across batches
        "Node": [
            batch("Node", [{"id": 2, "parentId": 1}]),
            batch("Node", [{"id": 1, "parentId": None}]),
        ],
        "Team": [batch("Team", [{"id": 10, "captainId": 100}])],
        "Member": [batch("Member", [{"id": 100, "teamId": 10 if not orphan else 11}])],
    }


@pytest.mark.filterwarnings("ignore:.*closes a cycle.*")
def test_cycles_and_self_references_load_in_any_row_order(db_url: str) -> None:
    schema, ordered = _graph_schema()
    if db_url.endswith(".duckdb"):
        pytest.skip("DuckDB enforces foreign keys row by row and cannot defer them (documented)")
    run_copy(get_sink("db", db_url), schema, ordered, _graph_batches(schema))
    nodes = read_database(db_url, schema.entity("Node"))
    assert [(r["id"], r["parentId"]) for r in nodes] == [(1, None), (2, 1)]


def test_postgres_foreign_keys_are_restored_and_checked_at_the_end(pg_url: str) -> None:
    import psycopg

    schema, ordered = _graph_schema()
    run_copy(get_sink("db", pg_url), schema, ordered, _graph_batches(schema))
    with psycopg.connect(pg_url) as connection:
        names = [
            r[0]
            for r in connection.execute(
                "SELECT conname FROM pg_constraint WHERE contype = 'f' ORDER BY conname"
            )
        ]
    assert names == ["members_teamId_fkey", "nodes_parentId_fkey", "teams_captainId_fkey"]
    with pytest.raises(SinkError) as info:
        run_copy(
            get_sink("db", pg_url, mode="replace"),
            schema,
            ordered,
            _graph_batches(schema, orphan=True),
        )
    assert "foreign key members_teamId_fkey on members does not hold" in str(info.value)
    assert "(teamId)=(11)" in str(info.value)
    # rolled back as a whole: the first copy's rows are still there
    assert [r["teamId"] for r in read_database(pg_url, schema.entity("Member"))] == [10]


def test_sqlite_reports_orphans_or_refuses_them(sqlite_url: str) -> None:
    schema, ordered = _graph_schema()
    sink = get_sink("sqlite", sqlite_url)
    run_copy(sink, schema, ordered, _graph_batches(schema, orphan=True))
    assert sink.warnings == ["foreign key check: 1 row(s) of members reference missing teams rows"]
    strict = get_sink("sqlite", sqlite_url, mode="replace", strict_foreign_keys=True)
    with pytest.raises(SinkError, match="foreign key check failed: 1 row"):
        run_copy(strict, schema, ordered, _graph_batches(schema, orphan=True))


# ---------------------------------------------------------------------------------------------
# values some destinations cannot hold: refused with entity, column and row named


def _one_column(kind: str, values: list[Any]) -> tuple[Schema, Entity, pa.RecordBatch]:
    entity = Entity(
        "Odd",
        table="odd",
        primary_key=["id"],
        fields=[Field("id", "int"), Field("v", kind, required=False)],
    )
    rows = [{"id": i, "v": v} for i, v in enumerate(values)]
    return Schema([entity]), entity, pa.RecordBatch.from_pylist(rows, schema=arrow_schema(entity))


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("postgres", None),
        ("duckdb", None),
        ("mysql", "entity Odd, column v, row 1: the float value nan cannot be stored by mysql"),
        ("sqlite", "entity Odd, column v, row 1: NaN cannot be stored by SQLite"),
    ],
)
def test_non_finite_floats(request: pytest.FixtureRequest, kind: str, message: str | None) -> None:
    url = request.getfixturevalue(
        {
            "postgres": "pg_url",
            "mysql": "mysql_url",
            "sqlite": "sqlite_url",
            "duckdb": "duckdb_url",
        }[kind]
    )
    values = [1.0, float("nan"), float("inf"), float("-inf")]
    schema, entity, batch = _one_column("float", values)
    if message:
        with pytest.raises(SinkError) as info:
            run_copy(get_sink("db", url), schema, [entity], {"Odd": [batch]})
        assert message in str(info.value)
        return
    run_copy(get_sink("db", url), schema, [entity], {"Odd": [batch]})
    got = [r["v"] for r in read_database(url, entity)]
    assert got[0] == 1.0 and got[1] != got[1] and got[2:] == [float("inf"), float("-inf")]


def test_sqlite_keeps_infinities(sqlite_url: str) -> None:
    schema, entity, batch = _one_column("float", [float("inf"), float("-inf")])
    run_copy(get_sink("db", sqlite_url), schema, [entity], {"Odd": [batch]})
    assert [r["v"] for r in read_database(sqlite_url, entity)] == [float("inf"), float("-inf")]


def test_nul_in_text(request: pytest.FixtureRequest) -> None:
    schema, entity, batch = _one_column("string", ["ok", "a\x00b"])
    with pytest.raises(SinkError) as info:
        run_copy(
            get_sink("db", request.getfixturevalue("pg_url")), schema, [entity], {"Odd": [batch]}
        )
    assert (
        "entity Odd, column v, row 1: text contains a NUL character (\\x00), which "
        "postgres text cannot store"
    ) in str(info.value)
    for fixture in ("mysql_url", "sqlite_url", "duckdb_url"):
        url = request.getfixturevalue(fixture)
        run_copy(get_sink("db", url), schema, [entity], {"Odd": [batch]})
        assert [r["v"] for r in read_database(url, entity)] == ["ok", "a\x00b"], fixture


# ---------------------------------------------------------------------------------------------
# file sinks: temporary names, atomic rename, unwritable targets

FILE_KINDS = {
    "json": "backup.json",
    "ndjson": "nd",
    "parquet": "pq",
    "csv": "csv",
    "sql-dump": "dump.sql",
}


@pytest.mark.parametrize("kind", list(FILE_KINDS))
def test_a_failing_batch_leaves_no_file_and_no_temporary(tmp_path: Path, kind: str) -> None:
    schema, entity = everything_schema()
    target = tmp_path / FILE_KINDS[kind]
    sink = get_sink(kind, target)
    good = everything_batches()[0]
    bad = pa.RecordBatch.from_pylist([{"id": 1}], schema=pa.schema([("id", pa.int32())]))
    with pytest.raises(SinkError, match=r"batch columns \['id'\] do not match"):
        run_copy(sink, schema, [entity], {entity.name: [good, bad]})
    # nothing under the final name, no temporary file left (a directory target stays empty)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("kind", list(FILE_KINDS))
def test_final_names_appear_only_at_finish(tmp_path: Path, kind: str) -> None:
    schema, entity = everything_schema()
    target = tmp_path / FILE_KINDS[kind]
    sink = get_sink(kind, target)
    sink.begin(schema, [entity])
    sink.open(entity)
    sink.write(everything_batches()[0])
    sink.close()
    finals = [p for p in tmp_path.rglob("*") if p.is_file() and ".tmp-" not in p.name]
    assert finals == []
    sink.finish()
    finals = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(finals) == 1 and ".tmp-" not in finals[0].name


@pytest.mark.parametrize("kind", list(FILE_KINDS))
def test_unwritable_destination_fails_in_begin_naming_the_path(tmp_path: Path, kind: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    target = blocker / "sub" / FILE_KINDS[kind]
    schema, entity = everything_schema()
    with pytest.raises(SinkError) as info:
        get_sink(kind, target).begin(schema, [entity])
    assert f"cannot write into {blocker / 'sub'}" in str(info.value)


def test_json_archive_keeps_only_complete_entities(tmp_path: Path) -> None:
    schema, entity = everything_schema()
    other = Entity("Tag", table="tags", primary_key=["id"], fields=[Field("id", "int")])
    schema.entities.append(other)
    sink = get_sink("json", tmp_path / "a.json", source="mysql://root:pw@db/app")
    sink.begin(schema, [entity, other])
    sink.open(entity)
    sink.write(everything_batches()[0])
    sink.abort(RuntimeError("boom"))
    sink.open(other)
    sink.write(pa.RecordBatch.from_pylist([{"id": 1}, {"id": 2}], schema=arrow_schema(other)))
    sink.close()
    sink.finish()
    document = json.loads((tmp_path / "a.json").read_text())
    assert document["entities"] == {"Tag": [{"id": 1}, {"id": 2}]}
    assert document["source"] == "mysql://root:***@db/app"
    assert document["tool"].startswith("mostaframe ")


def test_json_values_are_lossless_and_typed(tmp_path: Path) -> None:
    schema, entity = everything_schema()
    sink = get_sink("json", tmp_path / "a.json")
    run_copy(sink, schema, [entity], {entity.name: everything_batches()})
    text = (tmp_path / "a.json").read_text(encoding="utf-8")
    row = json.loads(text)["entities"]["Everything"][0]
    assert row["d"] == "12.50" and row["dw"] == "1.500000000000000000000000000000"
    assert row["j"] == {"a": [1, 2.5, "x"], "b": None}  # embedded, not a string
    assert row["by"] == "AAH/" and row["tstz"] == "2024-01-31T12:00:00.654321Z"
    assert row["ts"] == "2024-01-31T12:00:00.123456" and row["t"] == "23:59:59.999999"
    assert text.count("\n") == len(ROWS) + 4  # one row per line


def test_json_non_finite_floats_are_strings(tmp_path: Path) -> None:
    schema, entity, batch = _one_column("float", [float("nan"), float("inf"), -float("inf"), 2.5])
    run_copy(get_sink("ndjson", tmp_path), schema, [entity], {"Odd": [batch]})
    lines = (tmp_path / "odd.ndjson").read_text().splitlines()
    assert [json.loads(line)["v"] for line in lines] == ["NaN", "Infinity", "-Infinity", 2.5]


def test_csv_dialect(tmp_path: Path) -> None:
    entity = Entity(
        "C",
        table="c",
        primary_key=["id"],
        fields=[
            Field("id", "int"),
            Field("s", "string", required=False),
            Field("b", "boolean", required=False),
            Field("by", "bytes", required=False),
            Field("j", "json", required=False),
            Field("f", "float", required=False),
        ],
    )
    rows = [
        {"id": 1, "s": "", "b": True, "by": b"\x00", "j": '{"a": 1}', "f": float("nan")},
        {"id": 2, "s": None, "b": None, "by": None, "j": None, "f": None},
        {"id": 3, "s": 'a,"b"\nc', "b": False, "by": b"", "j": "[]", "f": 0.5},
    ]
    batch = pa.RecordBatch.from_pylist(rows, schema=arrow_schema(entity))
    run_copy(get_sink("csv", tmp_path), Schema([entity]), [entity], {"C": [batch]})
    assert (tmp_path / "c.csv").read_bytes() == (
        b'"id","s","b","by","j","f"\r\n'
        b'1,"",true,"AA==","{""a"": 1}","NaN"\r\n'
        b"2,,,,,\r\n"
        b'3,"a,""b""\nc",false,"","[]","0.5"\r\n'
    )


def test_parquet_keeps_exact_types_and_kinds(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    schema, entity = everything_schema()
    run_copy(get_sink("parquet", tmp_path), schema, [entity], {entity.name: everything_batches()})
    stored = pq.read_schema(tmp_path / "everything.parquet")
    assert stored.field("dw").type == pa.decimal256(65, 30)
    assert stored.field("tstz").type == pa.timestamp("us", tz="UTC")
    assert stored.field("j").metadata == {b"mostaframe.kind": b"json"}
    assert (
        pq.ParquetFile(tmp_path / "everything.parquet").metadata.row_group(0).column(0).compression
        == "ZSTD"
    )


def test_batches_are_cast_losslessly_or_refused(tmp_path: Path) -> None:
    entity = Entity("N", table="n", primary_key=["id"], fields=[Field("id", "int")])
    widened = pa.RecordBatch.from_pydict({"id": pa.array([1, 2], pa.int64())})
    run_copy(get_sink("parquet", tmp_path), Schema([entity]), [entity], {"N": [widened]})
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "n.parquet").schema.field("id").type == pa.int32()
    overflow = pa.RecordBatch.from_pydict({"id": pa.array([2**40], pa.int64())})
    with pytest.raises(SinkError, match="column id: got int64, expected int32 and the cast failed"):
        run_copy(get_sink("parquet", tmp_path / "b"), Schema([entity]), [entity], {"N": [overflow]})


def test_temporary_names_are_hidden_and_per_process(tmp_path: Path) -> None:
    schema, entity = everything_schema()
    sink = get_sink("csv", tmp_path)
    sink.begin(schema, [entity])
    sink.open(entity)
    sink.write(everything_batches()[0])
    [temp] = list(tmp_path.iterdir())
    assert temp.name == f".everything.csv.tmp-{os.getpid()}"
    sink.cancel()
    assert list(tmp_path.iterdir()) == []


def test_postgres_binary_copy_of_arrays_and_rarer_types(pg_url: str) -> None:
    """Every element type of PostgreSQL arrays, real, timetz and enum arrays, binary vs text."""
    fields = [
        Field("id", "int"),
        Field("r", "real", required=False),
        Field("tz", "time", timezone=True, precision=6, required=False),
        Field("moods", "enum", enum="Mood", list=True, required=False),
        Field("ids", "uuid", list=True, required=False),
        Field("amounts", "decimal", precision=12, scale=4, list=True, required=False),
        Field("flags", "boolean", list=True, required=False),
        Field("blobs", "bytes", list=True, required=False),
        Field("moments", "datetime", timezone=True, precision=6, list=True, required=False),
        Field("days", "date", list=True, required=False),
        Field("docs", "json", list=True, required=False),
        Field("floats", "float", list=True, required=False),
        Field("bigs", "bigint", list=True, required=False),
    ]
    entity = Entity("Arr", table="arr", primary_key=["id"], fields=fields)
    schema = Schema([entity], enums={"Mood": Enum("Mood", ["happy", "it's"])})
    moment = dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    rows = [
        dict(
            id=1,
            r=3.4028234663852886e38,
            tz=dt.time(13, 14, 15, 161718),
            moods=["it's", None],
            ids=["123e4567-e89b-12d3-a456-426614174000"],
            amounts=[Decimal("-12345678.1234"), None],
            flags=[True, False, None],
            blobs=[b"\x00'\\", b""],
            moments=[moment, None],
            days=[dt.date(1, 1, 1), dt.date(9999, 12, 31)],
            docs=['{"a": "b\\"c"}', "[]", None],
            floats=[float("inf"), -0.5, float("nan")],
            bigs=[-(2**63), 2**63 - 1],
        ),
        dict(
            id=2,
            r=None,
            tz=None,
            moods=[],
            ids=[],
            amounts=[],
            flags=[],
            blobs=[],
            moments=[],
            days=[],
            docs=[],
            floats=[],
            bigs=[],
        ),
        dict(
            id=3,
            r=-1.5,
            tz=dt.time(0, 0),
            moods=None,
            ids=None,
            amounts=None,
            flags=None,
            blobs=None,
            moments=None,
            days=None,
            docs=None,
            floats=None,
            bigs=None,
        ),
    ]
    batch = pa.RecordBatch.from_pylist(rows, schema=arrow_schema(entity))
    results = {}
    for copy_format in ("binary", "text"):
        sink = get_sink("db", pg_url, mode="replace", copy_format=copy_format)
        run_copy(sink, schema, [entity], {"Arr": [batch.slice(0, 1), batch.slice(1)]})
        results[copy_format] = read_database(pg_url, entity)
    assert repr(results["binary"]) == repr(results["text"])  # NaN != NaN: compare the text
    first = results["binary"][0]
    # psycopg reads float4 through its shortest text: compare as float32
    assert pa.scalar(first["r"], pa.float32()) == pa.scalar(rows[0]["r"], pa.float32())
    assert first["tz"] == dt.time(13, 14, 15, 161718)
    assert first["moods"] == ["it's", None] and first["amounts"] == [
        Decimal("-12345678.1234"),
        None,
    ]
    assert first["blobs"] == [b"\x00'\\", b""] and first["moments"] == [moment, None]
    assert first["docs"] == [{"a": 'b"c'}, [], None] and first["bigs"] == [-(2**63), 2**63 - 1]
    assert first["floats"][:2] == [float("inf"), -0.5] and first["floats"][2] != first["floats"][2]
    assert results["binary"][1]["moods"] == [] and results["binary"][2]["moods"] is None


# ---------------------------------------------------------------------------------------------
# literal rendering, exactly


@pytest.mark.parametrize(
    ("values", "arrow_type", "expected"),
    [
        (
            ["it's", "a\\b", "x\ny", None],
            pa.string(),
            {
                "postgres": ["'it''s'", "'a\\b'", "'x\ny'", "NULL"],
                "mysql": ["'it\\'s'", "'a\\\\b'", "'x\\ny'", "NULL"],
                "sqlite": ["'it''s'", "'a\\b'", "'x\ny'", "NULL"],
            },
        ),
        (
            [b"\x00\xff", b"", None],
            pa.binary(),
            {
                "postgres": ["'\\x00ff'::bytea", "'\\x'::bytea", "NULL"],
                "mysql": ["X'00ff'", "X''", "NULL"],
                "sqlite": ["X'00ff'", "X''", "NULL"],
            },
        ),
        (
            [True, False, None],
            pa.bool_(),
            {
                "postgres": ["TRUE", "FALSE", "NULL"],
                "mysql": ["TRUE", "FALSE", "NULL"],
                "sqlite": ["1", "0", "NULL"],
            },
        ),
        (
            [Decimal("-0.000001"), Decimal("12"), None],
            pa.decimal256(40, 8),
            {
                "postgres": ["-0.00000100", "12.00000000", "NULL"],
                "mysql": ["-0.00000100", "12.00000000", "NULL"],
                "sqlite": ["'-0.00000100'", "'12.00000000'", "NULL"],
            },
        ),
        (
            [0.1, -1e300, None],
            pa.float64(),
            {
                "postgres": ["'0.1'", "'-1e+300'", "NULL"],
                "mysql": ["0.1", "-1e+300", "NULL"],
                "sqlite": ["0.1", "-1e+300", "NULL"],
            },
        ),
        (
            [dt.datetime(1960, 1, 2, 3, 4, 5, 6, tzinfo=UTC), None],
            pa.timestamp("us", tz="UTC"),
            {
                "postgres": ["'1960-01-02 03:04:05.000006Z'", "NULL"],
                "mysql": ["'1960-01-02 03:04:05.000006'", "NULL"],
                "sqlite": ["'1960-01-02 03:04:05.000006Z'", "NULL"],
            },
        ),
        (
            [["a'b", None, 'q"'], [], None],
            pa.list_(pa.string()),
            {
                "postgres": ['\'{"a\'\'b",NULL,"q\\""}\'', "'{}'", "NULL"],
                "mysql": ['\'["a\\\'b",null,"q\\\\""]\'', "'[]'", "NULL"],
                "sqlite": ['\'["a\'\'b",null,"q\\""]\'', "'[]'", "NULL"],
            },
        ),
    ],
)
def test_sql_literals_per_dialect(
    values: list[Any], arrow_type: pa.DataType, expected: dict[str, list[str]]
) -> None:
    from mostaframe.sinks.sql_literals import STYLES, sql_literals

    array = pa.array(values, arrow_type)
    for dialect, literals in expected.items():
        assert sql_literals(array, STYLES[dialect]).to_pylist() == literals, dialect
        assert sql_literals(array.slice(1), STYLES[dialect]).to_pylist() == literals[1:], dialect


def test_encoders_match_the_standard_library() -> None:
    import random

    from mostaframe.sinks.sql_literals import json_values
    from mostaframe.sinks.text import base64_encode, hex_encode, wrap

    rng = random.Random(7)
    blobs = [bytes(rng.randrange(256) for _ in range(rng.randrange(9))) for _ in range(300)]
    array = pa.array([*blobs, None])
    assert base64_encode(array).to_pylist() == [base64.b64encode(b).decode() for b in blobs] + [
        None
    ]
    assert hex_encode(array.slice(5)).to_pylist() == [b.hex() for b in blobs[5:]] + [None]
    texts = [
        "".join(
            chr(rng.choice([0, 1, 9, 10, 13, 31, 34, 39, 92, 65, 233, 0x1F600]))
            for _ in range(rng.randrange(6))
        )
        for _ in range(300)
    ]
    assert [json.loads(v) for v in json_values(pa.array(texts)).to_pylist()] == texts
    fixed = pa.array(["ab", "cd", "ef"])
    assert wrap(fixed, "<", ">").to_pylist() == ["<ab>", "<cd>", "<ef>"]
    assert wrap(fixed.slice(1), "'", "").to_pylist() == ["'cd", "'ef"]
    assert wrap(pa.array(["a", None, "bc"]), "'", "'").to_pylist() == ["'a'", None, "'bc'"]


# ---------------------------------------------------------------------------------------------
# batches rendered in parallel slices give the same result


@pytest.fixture
def split_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render even tiny batches in parallel slices."""
    from mostaframe.sinks import text as sink_text

    monkeypatch.setattr(sink_text, "PARALLEL_MIN_ROWS", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)


@pytest.mark.parametrize("destination", ["postgres", "postgres-text", "mysql"], indirect=True)
def test_split_rendering_round_trips(
    split_batches: None, destination: tuple[str, str, dict[str, Any]]
) -> None:
    kind, target, options = destination
    schema, entity = everything_schema()
    run_copy(
        _sink_for(kind, target, **options), schema, [entity], {entity.name: everything_batches()}
    )
    assert_same_rows(kind, read_database(target, entity))


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("sql-dump", {"dialect": "postgres", "rows_per_statement": 3}),
        ("sql-dump", {"dialect": "mysql"}),
        ("sql-dump", {"dialect": "sqlite"}),
        ("json", {}),
        ("ndjson", {}),
    ],
)
def test_split_rendering_writes_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, options: dict[str, Any]
) -> None:
    from mostaframe.sinks import text as sink_text

    schema, entity = everything_schema()
    outputs = []
    for threshold in (10**9, 2):
        monkeypatch.setattr(sink_text, "PARALLEL_MIN_ROWS", threshold)
        monkeypatch.setattr(os, "cpu_count", lambda: 4)
        target = tmp_path / f"{threshold}" / ("out" if kind == "ndjson" else "out.x")
        run_copy(
            get_sink(kind, target, **options), schema, [entity], {entity.name: everything_batches()}
        )
        files = sorted(p for p in target.parent.rglob("*") if p.is_file())
        text = b"".join(p.read_bytes() for p in files)
        outputs.append(re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"<now>", text))
    assert outputs[0] == outputs[1]


def test_split_rendering_names_the_right_row(split_batches: None, tmp_path: Path) -> None:
    schema, entity, batch = _one_column("string", ["a", "b", "c", "d", "e\x00"])
    with pytest.raises(SinkError, match="entity Odd, column v, row 7: text contains a NUL"):
        run_copy(
            get_sink("sql-dump", tmp_path / "d.sql"),
            schema,
            [entity],
            {"Odd": [batch.slice(0, 3), batch]},
        )


@pytest.mark.parametrize(
    ("precision", "scale"), [(18, 0), (17, 3), (16, 2), (5, 5), (1, 0), (19, 4), (38, 10), (65, 30)]
)
def test_postgres_numeric_cells_at_every_width(pg_url: str, precision: int, scale: int) -> None:
    """Fast (int64) and text paths of the numeric encoder: extremes, signs, nulls, zeros."""
    import random

    rng = random.Random(precision * 100 + scale)
    top = 10**precision - 1
    unscaled = [top, -top, 0, 1, -1, None] + [rng.randint(-top, top) for _ in range(200)]
    values = [None if u is None else Decimal(f"{u}E-{scale}") for u in unscaled]  # exact
    entity = Entity(
        "Num",
        table="num",
        primary_key=["id"],
        fields=[
            Field("id", "int"),
            Field("v", "decimal", precision=precision, scale=scale, required=False),
        ],
    )
    batch = pa.RecordBatch.from_pylist(
        [{"id": i, "v": v} for i, v in enumerate(values)], schema=arrow_schema(entity)
    )
    run_copy(
        get_sink("db", pg_url, copy_format="binary"),
        Schema([entity]),
        [entity],
        {"Num": [batch.slice(0, 3), batch.slice(3)]},
    )
    assert [r["v"] for r in read_database(pg_url, entity)] == values


@pytest.mark.parametrize("ndjson", [True, False])
def test_json_engines_write_the_same_values(tmp_path: Path, ndjson: bool) -> None:
    """polars' writer (no JSON column here) and the pyarrow assembly (the default) agree value
    for value."""
    schema, entity = everything_schema()
    entity.fields = [f for f in entity.fields if f.kind != "json"]
    batches = [
        pa.RecordBatch.from_pylist(
            [{k: v for k, v in row.items() if k != "j"} for row in ROWS],
            schema=arrow_schema(entity),
        )
    ]
    documents = {}
    for engine in ("polars", "arrow"):
        target = tmp_path / engine / ("out" if ndjson else "a.json")
        run_copy(
            get_sink("json", target, ndjson=ndjson, engine=engine),
            schema,
            [entity],
            {entity.name: batches},
        )
        if ndjson:
            text = (target / "everything.ndjson").read_text(encoding="utf-8")
            documents[engine] = [json.loads(line) for line in text.split("\n") if line]
        else:
            documents[engine] = json.loads(target.read_text(encoding="utf-8"))["entities"]
    assert documents["polars"] == documents["arrow"]
    rows = documents["polars"] if ndjson else documents["polars"]["Everything"]
    assert read_json_rows(rows, entity) == [
        {f.column: canon(f, row[f.column]) for f in entity.fields}
        for row in pa.Table.from_batches(batches).to_pylist()
    ]


@pytest.mark.parametrize("table", ["counters", "odd%name"])
def test_postgres_sequences_move_past_the_loaded_ids(pg_url: str, table: str) -> None:
    """After a copy with explicit ids the application's next INSERT must not collide."""
    import psycopg

    from mostaframe.schema import Default

    entity = Entity(
        "Counter",
        table=table,
        primary_key=["id"],
        fields=[Field("id", "int", default=Default("autoincrement")), Field("label", "string")],
    )
    batch = pa.RecordBatch.from_pylist(
        [{"id": 7, "label": "a"}, {"id": 41, "label": "b"}], schema=arrow_schema(entity)
    )
    run_copy(get_sink("db", pg_url), Schema([entity]), [entity], {entity.name: [batch]})
    with psycopg.connect(pg_url, autocommit=True) as connection:
        quoted = '"' + table + '"'
        new_id = connection.execute(
            f"INSERT INTO {quoted} (label) VALUES ('c') RETURNING id"
        ).fetchone()[0]
    assert new_id == 42


def test_duckdb_sequences_move_past_the_loaded_ids(tmp_path: Path) -> None:
    """DuckDB numbers autoincrement columns with a sequence that explicit ids do not move:
    the sink draws the ids it loaded, so the next INSERT gets max + 1 — in a new file and in
    an existing one loaded again."""
    import duckdb

    from mostaframe.schema import Default

    entity = Entity(
        "Counter",
        table="counters",
        primary_key=["id"],
        fields=[Field("id", "int", default=Default("autoincrement")), Field("label", "string")],
    )
    path = tmp_path / "counters.duckdb"
    for ids, expected in (([7, 41], 42), ([100, 3], 101)):
        batch = pa.RecordBatch.from_pylist(
            [{"id": i, "label": str(i)} for i in ids], schema=arrow_schema(entity)
        )
        run_copy(
            get_sink("db", path, mode="truncate"),
            Schema([entity]),
            [entity],
            {entity.name: [batch]},
        )
        with duckdb.connect(str(path)) as connection:
            new_id = connection.execute(
                "INSERT INTO counters (label) VALUES ('new') RETURNING id"
            ).fetchone()[0]
        assert new_id == expected
