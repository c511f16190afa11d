"""``mostaframe demo``: files written, the summary's numbers and its three renderings."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mostaframe.demo import DemoSummary, human_size, run_demo
from mostaframe.errors import MostaframeError
from mostaframe.schema import read_schema

SCALE = 0.01


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return run_demo(tmp_path_factory.mktemp("demo"), scale=SCALE, seed=42, quiet=True)


def test_writes_the_database_and_the_entity_model(demo: DemoSummary) -> None:
    database = demo.directory / "fitzonegym.sqlite"
    model = demo.directory / ".mostajs" / "generated" / "entities.json"
    assert database.is_file() and model.is_file()
    assert len(read_schema(model).entities) == 43
    assert [item["name"] for item in json.loads(model.read_text())][:3] == [
        "Club",
        "Amenity",
        "OpeningHour",
    ]
    with sqlite3.connect(database) as connection:
        tables = {
            name: connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("sqlite_")
        }
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    assert tables == demo.rows


def test_summary_numbers(demo: DemoSummary) -> None:
    assert demo.entities == 43
    assert len(demo.rows) == 43
    assert demo.rows["members"] == 210
    assert demo.total_rows == sum(demo.rows.values())
    assert 9_000 < demo.total_rows < 12_000
    assert [step.name for step in demo.steps] == [
        "import Prisma schema → entities.json",
        "generate FitZoneGym into SQLite",
        "copy to SQLite, SQL dump, JSON, Parquet",
    ]
    assert demo.steps[1].rows == demo.total_rows
    assert demo.steps[2].rows == 4 * demo.total_rows
    assert set(demo.files) == {
        ".mostajs/generated/entities.json",
        "fitzonegym.sqlite",
        "backups/daily.sqlite",
        "backups/daily.sql",
        "backups/daily.json",
        "backups/parquet",
    }
    assert demo.files["fitzonegym.sqlite"] == (demo.directory / "fitzonegym.sqlite").stat().st_size
    assert demo.seconds >= sum(step.seconds for step in demo.steps)
    assert demo.largest(3)[0] == ("check_ins", demo.rows["check_ins"])


def test_backups_hold_every_row(demo: DemoSummary) -> None:
    import pyarrow.parquet as pq

    backups = demo.directory / "backups"
    restored = backups.parent / "restored.sqlite"
    with sqlite3.connect(restored) as connection:
        connection.executescript((backups / "daily.sql").read_text())
    archive = json.loads((backups / "daily.json").read_text())
    tables = {e.name: e.table for e in read_schema(demo.entities_json).entities}
    for database in (backups / "daily.sqlite", restored):
        with sqlite3.connect(database) as connection:
            for table, count in demo.rows.items():
                assert connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] == count
    assert {tables[name]: len(rows) for name, rows in archive["entities"].items()} == demo.rows
    for table, count in demo.rows.items():
        assert pq.read_metadata(backups / "parquet" / f"{table}.parquet").num_rows == count


def test_summary_text_lists_the_top_tables_and_the_total(demo: DemoSummary) -> None:
    text = str(demo)
    lines = text.splitlines()
    assert lines[0].startswith(
        f"FitZoneGym demo in {demo.directory} (scale 0.01, seed 42): 43 entities, "
    )
    assert f"{demo.total_rows:,} rows in" in lines[0]
    for name, count in demo.largest(10):
        assert any(line.split() == [name, f"{count:,}"] for line in lines), name
    assert any(line.split()[:3] == ["(33", "more", "tables)"] for line in lines)
    assert any(line.split() == ["total", f"{demo.total_rows:,}"] for line in lines)
    assert any(line.split()[:1] == ["fitzonegym.sqlite"] and line.endswith("MB") for line in lines)
    assert "import Prisma schema → entities.json" in text and "43 entities" in text


def test_summary_html_and_dict(demo: DemoSummary) -> None:
    page = demo._repr_html_()
    assert page.startswith("<div><b>FitZoneGym demo</b>")
    assert f"{demo.total_rows:,}" in page and "check_ins" in page and "fitzonegym.sqlite" in page
    data = json.loads(json.dumps(demo.to_dict()))
    assert data["total_rows"] == demo.total_rows
    assert data["rows"]["members"] == 210
    assert data["steps"][0]["unit"] == "entities"
    assert data["files"]["fitzonegym.sqlite"] > 100_000


def test_unwritable_folder_is_a_clean_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(MostaframeError, match="cannot create the demo folder"):
        run_demo(blocker / "demo", scale=SCALE, quiet=True)


def test_human_sizes() -> None:
    assert [human_size(n) for n in (0, 1023, 1536, 5 * 1024**2, 3 * 1024**3)] == [
        "0 B",
        "1023 B",
        "1.5 kB",
        "5.0 MB",
        "3.0 GB",
    ]


def test_cli_demo_prints_the_summary_and_replaces_earlier_data(
    demo: DemoSummary, capsys: pytest.CaptureFixture[str]
) -> None:
    from mostaframe.cli import main

    folder = str(demo.directory)
    assert main(["demo", "--dir", folder, "--scale", "0.01", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"FitZoneGym demo in {folder} (scale 0.01, seed 42)")
    assert f"{demo.total_rows:,} rows in" in out.splitlines()[0]  # replaced, not appended
    with sqlite3.connect(demo.database) as connection:
        assert (
            connection.execute("SELECT COUNT(*) FROM check_ins").fetchone()[0]
            == demo.rows["check_ins"]
        )
