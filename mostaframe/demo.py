"""``mostaframe demo``: FitZoneGym end to end in one folder, with a summary that renders itself.

The demo is a list of steps run in order; each returns a :class:`DemoStep` (what it made, how
many rows, how long it took): import the Prisma schema to ``entities.json``, generate FitZoneGym
into an embedded SQLite database, then back it up with the copy engine — one read of each entity
fanned out to a SQLite copy, a SQL dump, a JSON archive and Parquet files under ``backups/``. A
new step is one more function in :data:`STEPS`; the summary shows whatever the steps report.

Example:
    >>> from mostaframe.demo import run_demo
    >>> summary = run_demo("mostaframe-demo", scale=0.01, quiet=True)
    >>> summary.total_rows > 9_000
    True
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: where the entity model goes, as the @mostajs tools lay it out
ENTITIES_JSON = Path(".mostajs") / "generated" / "entities.json"
DATABASE = "fitzonegym.sqlite"
TOP = 10


@dataclass
class DemoStep:
    """One step of the demo.

    Attributes:
        name: what the step did, in a few words.
        outputs: files it wrote, relative to the demo folder.
        rows: rows written (entities for the schema import).
        unit: what ``rows`` counts (``"rows"``, ``"entities"``).
        seconds: wall time of the step.
    """

    name: str
    outputs: list[str]
    rows: int
    unit: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outputs": list(self.outputs),
            "rows": self.rows,
            "unit": self.unit,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class DemoSummary:
    """What ``run_demo`` made: steps, rows per table, files and their sizes, time taken.

    Renders as a text table (``str()``), as HTML in Jupyter and as a JSON-ready dict
    (:meth:`to_dict`), all from the same fields.

    Attributes:
        directory: the demo folder.
        scale: data volume asked for.
        seed: random seed used.
        steps: the steps in the order they ran.
        rows: rows per table (database table name), in load order.
        entities: number of entities in the model (tables + join tables).
        files: size in bytes of every output, by path relative to ``directory``.
        seconds: wall time of the whole demo.
    """

    directory: Path
    scale: float
    seed: int
    steps: list[DemoStep] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    entities: int = 0
    files: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def database(self) -> Path:
        return self.directory / DATABASE

    @property
    def entities_json(self) -> Path:
        return self.directory / ENTITIES_JSON

    def largest(self, count: int = TOP) -> list[tuple[str, int]]:
        """The ``count`` tables with the most rows, largest first (ties by name)."""
        return sorted(self.rows.items(), key=lambda item: (-item[1], item[0]))[:count]

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "scale": self.scale,
            "seed": self.seed,
            "seconds": round(self.seconds, 3),
            "entities": self.entities,
            "total_rows": self.total_rows,
            "rows": dict(self.rows),
            "files": dict(self.files),
            "steps": [step.to_dict() for step in self.steps],
        }

    def __str__(self) -> str:
        lines = [
            f"FitZoneGym demo in {self.directory} (scale {self.scale:g}, seed {self.seed}): "
            f"{self.entities} entities, {self.total_rows:,} rows in {self.seconds:.1f} s",
            "",
            f"  {'step':<44} {'count':>16} {'seconds':>8}",
        ]
        for step in self.steps:
            count = f"{step.rows:,} {step.unit}"
            lines.append(f"  {step.name:<44} {count:>16} {step.seconds:>8.2f}")
        width = max([len(name) for name, _ in self.largest()] + [24])
        lines += ["", f"  {'table':<{width}} {'rows':>12}"]
        for name, count in self.largest():
            lines.append(f"  {name:<{width}} {count:>12,}")
        rest = len(self.rows) - len(self.largest())
        if rest > 0:
            others = self.total_rows - sum(count for _, count in self.largest())
            lines.append(f"  {f'({rest} more tables)':<{width}} {others:>12,}")
        lines.append(f"  {'total':<{width}} {self.total_rows:>12,}")
        path_width = max([len(name) for name in self.files] + [24])
        lines += ["", f"  {'file':<{path_width}} {'size':>10}"]
        for name, size in self.files.items():
            lines.append(f"  {name:<{path_width}} {human_size(size):>10}")
        lines += [
            "",
            "  try: sqlite3 "
            f"{self.database} "
            '"SELECT city, COUNT(*) FROM check_ins JOIN clubs ON clubs.id = club_id GROUP BY city"',
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        escape = html.escape
        steps = "".join(
            f"<tr><td>{escape(s.name)}</td><td style='text-align:right'>{s.rows:,} "
            f"{escape(s.unit)}</td><td style='text-align:right'>{s.seconds:.2f}</td>"
            f"<td>{escape(', '.join(s.outputs))}</td></tr>"
            for s in self.steps
        )
        tables = "".join(
            f"<tr><td>{escape(name)}</td><td style='text-align:right'>{count:,}</td></tr>"
            for name, count in self.largest()
        )
        rest = len(self.rows) - len(self.largest())
        if rest > 0:
            others = self.total_rows - sum(count for _, count in self.largest())
            tables += f"<tr><td><i>{rest} more tables</i></td><td style='text-align:right'>{others:,}</td></tr>"
        tables += f"<tr><th>total</th><th style='text-align:right'>{self.total_rows:,}</th></tr>"
        files = "".join(
            f"<tr><td><code>{escape(name)}</code></td><td style='text-align:right'>"
            f"{human_size(size)}</td></tr>"
            for name, size in self.files.items()
        )
        return (
            f"<div><b>FitZoneGym demo</b> in <code>{escape(str(self.directory))}</code> "
            f"(scale {self.scale:g}, seed {self.seed}): {self.entities} entities, "
            f"{self.total_rows:,} rows in {self.seconds:.1f} s"
            "<table><tr><th>step</th><th>count</th><th>seconds</th><th>outputs</th></tr>"
            f"{steps}</table>"
            f"<table><tr><th>table</th><th>rows</th></tr>{tables}</table>"
            f"<table><tr><th>file</th><th>size</th></tr>{files}</table></div>"
        )


def _size(path: Path) -> int:
    """Size of a file, or of every file under a folder."""
    if path.is_dir():
        return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())
    return path.stat().st_size


def human_size(size: int) -> str:
    """``1536`` → ``"1.5 kB"`` (powers of 1024, one decimal)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


@dataclass
class DemoContext:
    """What the steps share: the folder, the options, the model once imported."""

    directory: Path
    scale: float
    seed: int
    quiet: bool
    schema: Any = None
    rows: dict[str, int] = field(default_factory=dict)
    report: Any = None


def _import_schema(context: DemoContext) -> DemoStep:
    from .datasets import fitzone
    from .schema import write_schema

    start = time.perf_counter()
    context.schema = fitzone.load_schema()
    write_schema(context.schema, context.directory / ENTITIES_JSON)
    return DemoStep(
        "import Prisma schema → entities.json",
        [str(ENTITIES_JSON)],
        len(context.schema.entities),
        "entities",
        time.perf_counter() - start,
    )


def _generate_into_sqlite(context: DemoContext) -> DemoStep:
    from .datasets import fitzone

    start = time.perf_counter()
    counts = fitzone.load(
        context.directory / DATABASE,
        scale=context.scale,
        seed=context.seed,
        mode="replace",
        quiet=context.quiet,
    )
    tables = {e.name: e.table for e in context.schema.entities}
    context.rows = {tables[name]: count for name, count in counts.items()}
    return DemoStep(
        "generate FitZoneGym into SQLite",
        [DATABASE],
        sum(counts.values()),
        "rows",
        time.perf_counter() - start,
    )


#: the backups the demo makes of its database, relative to the demo folder
BACKUPS = (
    ("sqlite", "backups/daily.sqlite"),
    ("sql-dump", "backups/daily.sql"),
    ("json", "backups/daily.json"),
    ("parquet", "backups/parquet"),
)


def _copy_to_backups(context: DemoContext) -> DemoStep:
    from .copy import copy
    from .errors import MostaframeError

    start = time.perf_counter()
    # a dump in the SQLite dialect restores with `sqlite3 copy.sqlite < backups/daily.sql`
    dests = [
        {"kind": kind, "target": str(context.directory / target), "dialect": "sqlite"}
        if kind == "sql-dump"
        else {"kind": kind, "target": str(context.directory / target)}
        for kind, target in BACKUPS
    ]
    report = copy(
        str(context.directory / DATABASE),
        dests,
        schemas=context.schema,
        mode="replace",
        quiet=context.quiet,
    )
    context.report = report
    if not report.ok:
        raise MostaframeError(f"the demo backup did not complete:\n{report}")
    return DemoStep(
        "copy to SQLite, SQL dump, JSON, Parquet",
        [target for _, target in BACKUPS],
        report.rows_written,
        "rows written",
        time.perf_counter() - start,
    )


#: The demo, in order.
STEPS: tuple[Callable[[DemoContext], DemoStep], ...] = (
    _import_schema,
    _generate_into_sqlite,
    _copy_to_backups,
)


def run_demo(
    directory: str | Path, *, scale: float = 0.1, seed: int = 42, quiet: bool = False
) -> DemoSummary:
    """Import FitZoneGym's Prisma schema to ``<directory>/.mostajs/generated/entities.json``,
    generate the data into ``<directory>/fitzonegym.sqlite`` and back it up under
    ``<directory>/backups/`` (SQLite, SQL dump, JSON, Parquet) with :func:`mostaframe.copy`.

    Args:
        directory: working folder (created if missing). Existing demo outputs are replaced.
        scale: data volume, 1 ≈ one million rows (see :func:`mostaframe.datasets.fitzone.generate`).
        seed: random seed; the same scale and seed give the same data.
        quiet: no progress bars.

    Returns:
        A :class:`DemoSummary` (print it, display it in Jupyter, or ``to_dict()`` it).

    Raises:
        MostaframeError: the folder cannot be written, or a step failed (its message says which).
    """
    from .errors import MostaframeError

    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MostaframeError(f"cannot create the demo folder {folder}: {exc.strerror}") from exc
    start = time.perf_counter()
    context = DemoContext(folder, scale, seed, quiet)
    steps = [step(context) for step in STEPS]
    outputs = [name for step in steps for name in step.outputs]
    return DemoSummary(
        directory=folder,
        scale=scale,
        seed=seed,
        steps=steps,
        rows=context.rows,
        entities=len(context.schema.entities) if context.schema is not None else 0,
        files={name: _size(folder / name) for name in outputs},
        seconds=time.perf_counter() - start,
    )
