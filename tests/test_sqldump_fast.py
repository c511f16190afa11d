"""The SQL dump's fast row renderer (mostaframe.sinks.sql_rows) writes exactly what the plain
path (sql_cells + assemble) writes: value by value, row by row, and whole dumps byte for byte;
and a dump rendered through every fast path restores exactly with the real psql."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sinks import everything_batches, run_copy

from mostaframe.schema import Entity, Field, Schema
from mostaframe.schema.arrow import arrow_schema
from mostaframe.sinks import get_sink, sqldump
from mostaframe.sinks import sql_rows as fast
from mostaframe.sinks.sql_literals import STYLES, sql_cells
from mostaframe.sinks.text import Location, assemble, decimal_text

DIALECTS = ["postgres", "mysql", "sqlite"]


@pytest.fixture(params=["lookup", "cast"])
def span_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test once with every integer/date/decimal column gathered from its span, once
    with none (the plain casts)."""
    if request.param == "lookup":
        monkeypatch.setattr(fast, "SPAN_MIN_ROWS", 1)
        monkeypatch.setattr(fast, "SPAN_PER_ROW", 1_000.0)  # wide spans still fall back
    else:
        monkeypatch.setattr(fast, "SPAN_MIN_ROWS", 10**12)
    return request.param


def plain_rows(batch: pa.RecordBatch, dialect: str, **around: object) -> pa.Array:
    cells = [
        sql_cells(column, STYLES[dialect], Location("E", name, 0))
        for column, name in zip(batch.columns, batch.schema.names, strict=True)
    ]
    return assemble(cells, separator=", ", null="NULL", **around)  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_rows_equal_the_plain_path(span_path: str, dialect: str) -> None:
    batches = everything_batches()
    batch = pa.Table.from_batches(batches).combine_chunks().to_batches()[0]
    varying = pa.array(["", "(", "),\n(", "x"] * batch.num_rows)[: batch.num_rows]
    for part in (batch, batch.slice(1, batch.num_rows - 2)):
        for around in ({}, {"lead": "),\n("}, {"tail": ")"}, {"lead": varying[: part.num_rows]}):
            expected = plain_rows(part, dialect, **around)
            got = fast.sql_rows(
                part.columns, part.schema.names, STYLES[dialect], entity="E", **around
            )
            assert got.to_pylist() == expected.to_pylist(), (dialect, around)


def test_fixed_width_runs_become_one_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dates, one-letter codes and the quotes and separators between them: one matrix."""
    seen: list[list[object]] = []
    merge = fast._merge

    def spy(tokens: list[object], length: int) -> list[object]:
        arguments = merge(tokens, length)  # type: ignore[arg-type]
        seen.append([a if isinstance(a, str) else a.to_pylist()[0] for a in arguments])
        return arguments  # type: ignore[return-value]

    monkeypatch.setattr(fast, "_merge", spy)
    columns = [
        pa.array([10, 200]),
        pa.array(["N", "R"]),
        pa.array([dt.date(1996, 3, 13), dt.date(1996, 2, 1)]),
        pa.array(["it's", None]),
    ]
    rows = fast.sql_rows(columns, list("abcd"), STYLES["postgres"], lead="(", tail=")")
    assert rows.to_pylist() == [
        "(10, 'N', '1996-03-13', 'it''s')",
        "(200, 'R', '1996-02-01', NULL)",
    ]
    assert seen == [["(", "10", ", 'N', '1996-03-13', ", "'it''s'", ")"]]


INTEGER_TYPES = [
    pa.int8(),
    pa.int16(),
    pa.int32(),
    pa.int64(),
    pa.uint8(),
    pa.uint32(),
    pa.uint64(),
]


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    typ=st.sampled_from(INTEGER_TYPES),
    span_per_row=st.sampled_from([0.001, 100.0]),
)
def test_integers(data: st.DataObject, typ: pa.DataType, span_per_row: float) -> None:
    info = np.iinfo(typ.to_pandas_dtype())
    values = data.draw(
        st.lists(
            st.none()
            | st.integers(int(info.min), int(info.max))
            | st.integers(max(int(info.min), -20), 20)
            | st.integers(int(info.max) - 20, int(info.max))
            | st.integers(int(info.min), int(info.min) + 20),
            min_size=1,
            max_size=40,
        )
    )
    array = pa.array(values, typ)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast, "SPAN_MIN_ROWS", 1)
        patch.setattr(fast, "SPAN_PER_ROW", span_per_row)
        got = fast.literal_cells(array, STYLES["postgres"], Location())
    assert got.text.to_pylist() == pc.cast(array, pa.string()).to_pylist()


@settings(max_examples=80, deadline=None)
@given(data=st.data(), precision=st.integers(1, 18), span_per_row=st.sampled_from([0.001, 100.0]))
def test_small_decimals(data: st.DataObject, precision: int, span_per_row: float) -> None:
    scale = data.draw(st.integers(0, precision))
    top = 10**precision - 1
    unscaled = data.draw(
        st.lists(
            st.none()
            | st.sampled_from([top, -top, 0, 1, -1])
            | st.integers(-top, top)
            | st.integers(max(-top, -300), min(top, 300)),
            min_size=1,
            max_size=30,
        )
    )
    typ = pa.decimal128(precision, scale)
    array = pa.array([None if u is None else Decimal(u).scaleb(-scale) for u in unscaled], typ)
    if array.null_count:  # anything may lie under a null: put noise there
        noise = np.frombuffer(array.buffers()[1], dtype=np.int64).copy()
        nulls = np.flatnonzero(pc.is_null(array).to_numpy(zero_copy_only=False))
        noise[2 * nulls] = np.iinfo(np.int64).min
        noise[2 * nulls + 1] = -1
        array = pa.Array.from_buffers(
            typ, len(array), [array.buffers()[0], pa.py_buffer(noise)], null_count=array.null_count
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast, "SPAN_MIN_ROWS", 1)
        patch.setattr(fast, "SPAN_PER_ROW", span_per_row)
        got = fast.small_decimal_text(array)
    assert got.to_pylist() == decimal_text(array).to_pylist()


@settings(max_examples=60, deadline=None)
@given(
    days=st.lists(
        st.none() | st.integers(-800_000, 3_000_000) | st.integers(9_000, 9_100),
        min_size=1,
        max_size=40,
    ),
    span_per_row=st.sampled_from([0.001, 1.0, 10.0**6]),
)
def test_dates(days: list[int | None], span_per_row: float) -> None:
    """Years 1-9999 gather fixed-width texts; years outside keep the cast's own writing."""
    array = pa.array(days, pa.int32()).view(pa.date32())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast, "SPAN_MIN_ROWS", 1)
        patch.setattr(fast, "SPAN_PER_ROW", span_per_row)
        got = fast.literal_cells(array, STYLES["postgres"], Location())
    assert (got.left, got.right) == ("'", "'")
    assert got.text.to_pylist() == pc.cast(array, pa.string()).to_pylist()


def test_errors_still_name_entity_column_and_row() -> None:
    with pytest.raises(Exception, match="entity E, column v, row 11: text contains a NUL"):
        fast.sql_rows(
            [pa.array([1, 2]), pa.array(["a", "b\x00"])],
            ["id", "v"],
            STYLES["postgres"],
            entity="E",
            first_row=10,
        )


# ---------------------------------------------------------------------------------------------
# whole dumps


def _numbers_schema() -> tuple[Schema, Entity]:
    entity = Entity(
        "Line",
        table="lines",
        primary_key=["id"],
        fields=[
            Field("id", "bigint"),
            Field("qty", "int", required=False),
            Field("price", "decimal", precision=15, scale=2, required=False),
            Field("rate", "decimal", precision=4, scale=2),
            Field("flag", "string"),
            Field("ship", "date", required=False),
            Field("note", "string", required=False),
        ],
    )
    return Schema([entity]), entity


def _numbers_batch(rows: int, seed: int = 7) -> pa.RecordBatch:
    rng = np.random.default_rng(seed)
    _, entity = _numbers_schema()
    gaps = rng.random(rows) < 0.1
    price = rng.integers(-(10**13), 10**13, rows)
    ship = dt.date(1992, 1, 1) + dt.timedelta(days=1)
    notes = np.array(["plain", "it's", "", "back\\slash", "ünï 'q'"], dtype=object)
    columns = {
        "id": pa.array(np.arange(rows, dtype=np.int64)),
        "qty": pa.array(rng.integers(1, 51, rows), mask=gaps),
        "price": pa.array(
            [None if g else Decimal(int(p)).scaleb(-2) for g, p in zip(gaps, price, strict=True)],
            pa.decimal128(15, 2),
        ),
        "rate": pa.array(
            [Decimal(int(r)).scaleb(-2) for r in rng.integers(-10, 11, rows)], pa.decimal128(4, 2)
        ),
        "flag": pa.array(rng.choice(np.array(["A", "N", "R"], dtype=object), rows)),
        "ship": pa.array(
            [
                None if g else ship + dt.timedelta(days=int(d))
                for g, d in zip(gaps[::-1], rng.integers(0, 2500, rows), strict=True)
            ],
            pa.date32(),
        ),
        "note": pa.array(rng.choice(notes, rows), mask=rng.random(rows) < 0.05),
    }
    return pa.RecordBatch.from_pydict(columns, schema=arrow_schema(entity))


def _dump(path: Path, batches: list[pa.RecordBatch], **options: object) -> bytes:
    schema, entity = _numbers_schema()
    run_copy(
        get_sink("sql-dump", path, create_tables=True, **options),
        schema,
        [entity],
        {entity.name: batches},
    )
    return re.sub(rb"-- created: [^\n]*", b"", path.read_bytes())


@pytest.mark.parametrize("rows_per_statement", [16, 17, 250, 1000, 50_000])
def test_spliced_statements_equal_per_row_leads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows_per_statement: int
) -> None:
    """Rendering every row with the row break and swapping the breaks before a new statement
    at write time gives the bytes of the per-row-lead rendering, whatever the batch edges and
    the parallel slices."""
    batch = _numbers_batch(3_000)
    batches = [batch.slice(0, 1), batch.slice(1, 999), batch.slice(1000, 1234), batch.slice(2234)]
    spliced = _dump(tmp_path / "a.sql", batches, rows_per_statement=rows_per_statement)
    from mostaframe.sinks import text as sink_text

    monkeypatch.setattr(sink_text, "PARALLEL_MIN_ROWS", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    threaded = _dump(tmp_path / "b.sql", batches, rows_per_statement=rows_per_statement)
    monkeypatch.setattr(sqldump, "SPLICE_MIN_ROWS", 10**9)
    leads = _dump(tmp_path / "c.sql", batches, rows_per_statement=rows_per_statement)
    assert spliced == leads == threaded
    assert spliced.count(b"INSERT INTO") == -(-3_000 // rows_per_statement)
    assert spliced.count(b"\n(") == 3_000


def test_spliced_statement_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqldump, "SPLICE_MIN_ROWS", 1)
    schema = Schema([Entity("N", table="n", primary_key=["id"], fields=[Field("id", "int")])])
    entity = schema.entities[0]
    batch = pa.RecordBatch.from_pydict({"id": list(range(5))}, schema=arrow_schema(entity))
    dump = tmp_path / "d.sql"
    run_copy(
        get_sink("sql-dump", dump, rows_per_statement=2, create_tables=False),
        schema,
        [entity],
        {"N": [batch.slice(0, 3), batch.slice(3)]},
    )
    head = 'INSERT INTO "n" ("id") VALUES\n'
    expected = f"{head}(0),\n(1);\n{head}(2),\n(3);\n{head}(4);\n-- N: 5 rows\n"
    assert expected in dump.read_text()


def test_fast_paths_restore_exactly_with_psql(pg_url: str, tmp_path: Path) -> None:
    """Spans gathered (qty, rate, ship, flag), int64 decimals with signs and nulls, spliced
    statements: psql restores the very values."""
    import psycopg

    batch = _numbers_batch(6_000, seed=11)
    dump = tmp_path / "d.sql"
    _dump(dump, [batch.slice(0, 2_500), batch.slice(2_500)], rows_per_statement=333)
    done = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(dump), pg_url],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr.decode()
    with psycopg.connect(pg_url) as connection:
        rows = connection.execute(
            'SELECT id, qty, price, rate, flag, ship, note FROM "lines" ORDER BY id'
        ).fetchall()
    assert [list(row) for row in rows] == [list(row.values()) for row in batch.to_pylist()]
