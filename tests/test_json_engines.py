"""Row assembly and the JSON sink's engines: the one-pass assembly writes what a naive
row-by-row reference writes, and the polars engine writes the same bytes as the default one."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from helpers import every_kind_data, every_kind_schema

from mostaframe.errors import SinkError
from mostaframe.sinks import get_sink
from mostaframe.sinks.jsonfile import JsonSink
from mostaframe.sinks.text import Cells, assemble


def _reference(columns, *, separator, null, lead="", tail="", keys=None) -> list[str]:
    rows = []
    for index in range(len(columns[0].text)):
        parts = []
        for number, cells in enumerate(columns):
            value = cells.text[index].as_py()
            text = null if value is None else cells.left + value + cells.right
            parts.append((keys[number] if keys else "") + text)
        start = lead if isinstance(lead, str) else lead[index].as_py()
        rows.append(start + separator.join(parts) + tail)
    return rows


COLUMNS = [
    Cells(pa.array([None, "b", "c", None])),  # nulls in the first column
    Cells(pa.array(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]), '"', '"'),
    Cells(pa.array([None, None, None, None], pa.string()), "X'", "'"),  # all null
    Cells(pa.array(["1", "22", "333", "4444"])),
    Cells(pa.array(["x", None, "", "z"]), '"', '"'),  # nulls in the last column
]


@pytest.mark.parametrize(
    "options",
    [
        {"separator": ",", "null": "null", "lead": ",\n{", "tail": "}", "keys": list("abcde")},
        {"separator": ", ", "null": "NULL", "lead": "(", "tail": "),\n"},
        {"separator": "\t", "null": "\\N", "tail": "\n"},
        {"separator": ", ", "null": "NULL", "lead": pa.array(["I1 (", "I2 (", "I3 (", "I4 ("])},
    ],
)
def test_assemble_matches_a_row_by_row_reference(options) -> None:
    assert assemble(COLUMNS, **options).to_pylist() == _reference(COLUMNS, **options)
    empty = [Cells(cells.text.slice(0, 0), cells.left, cells.right) for cells in COLUMNS]
    lead = options.get("lead")
    empty_options = {**options, "lead": lead.slice(0, 0) if isinstance(lead, pa.Array) else lead}
    assert assemble(empty, **{k: v for k, v in empty_options.items() if v is not None}) == (
        pa.array([], pa.string())
    )


def _write(target: Path, engine: str, ndjson: bool, schema, data) -> None:
    sink = get_sink("json", target, ndjson=ndjson, engine=engine, source="test")
    sink.begin(schema, schema.entities)
    for entity in schema.entities:
        sink.open(entity)
        for batch in data[entity.name].to_batches(max_chunksize=20):
            sink.write(batch)
        sink.close()
    sink.finish()


def _contents(target: Path, ndjson: bool) -> bytes:
    if ndjson:
        return b"".join(p.read_bytes() for p in sorted(target.iterdir()))
    text = target.read_bytes()
    return text[text.index(b'"entities"') :]  # the head holds the date


@pytest.mark.parametrize("ndjson", [False, True])
def test_polars_engine_writes_the_same_bytes(tmp_path: Path, ndjson: bool, monkeypatch) -> None:
    """Byte for byte, except floats: polars writes an integral float as ``1.0`` where the
    default assembly writes ``1`` (the same number for every JSON reader)."""
    schema = every_kind_schema()
    data = every_kind_data(schema, rows=45)
    # without the JSON column (polars would quote it) so polars writes every batch
    everything = schema.entity("Everything")
    floats = [f.column for f in everything.fields if f.kind in ("float", "real")]
    everything.fields = [f for f in everything.fields if f.kind != "json"]
    data["Everything"] = data["Everything"].drop_columns(["doc"])
    used = []
    original = JsonSink._render_with_polars

    def spy(self, batch):
        rendered = original(self, batch)
        used.append(rendered is not None)
        return rendered

    monkeypatch.setattr(JsonSink, "_render_with_polars", spy)
    for engine in ("auto", "polars"):
        _write(tmp_path / engine / "floats.json", engine, False, schema, data)
    values = {
        engine: json.loads((tmp_path / engine / "floats.json").read_text())["entities"]
        for engine in ("auto", "polars")
    }
    assert values["auto"] == values["polars"]  # floats included: the same numbers
    assert used and all(used)  # the polars engine really rendered every batch

    everything.fields = [f for f in everything.fields if f.column not in floats]
    data["Everything"] = data["Everything"].drop_columns(floats)
    outputs = {}
    for engine in ("auto", "polars"):
        target = tmp_path / engine / ("out" if ndjson else "a.json")
        _write(target, engine, ndjson, schema, data)
        outputs[engine] = _contents(target, ndjson)
    assert outputs["polars"] == outputs["auto"]


def test_unknown_engine_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        SinkError, match=r"unknown engine 'fast' \(use one of auto, arrow, polars\)"
    ):
        get_sink("json", tmp_path / "a.json", engine="fast")


@pytest.mark.parametrize("ndjson", [False, True])
def test_rendering_in_slices_writes_the_same_bytes(
    tmp_path: Path, ndjson: bool, monkeypatch
) -> None:
    import mostaframe.sinks.jsonfile as jsonfile
    import mostaframe.sinks.text as text

    schema = every_kind_schema()
    data = every_kind_data(schema, rows=45)
    whole = tmp_path / "whole" / ("out" if ndjson else "a.json")
    _write(whole, "auto", ndjson, schema, data)
    monkeypatch.setattr(jsonfile, "RENDER_ROWS", 7)  # 20-row batches: slices of 7, 7, 6
    monkeypatch.setattr(text, "PARALLEL_MIN_ROWS", 2)  # and each slice split over threads
    sliced = tmp_path / "sliced" / ("out" if ndjson else "a.json")
    _write(sliced, "auto", ndjson, schema, data)
    assert _contents(sliced, ndjson) == _contents(whole, ndjson)
