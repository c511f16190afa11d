"""What a copy did: one row per entity × destination, totals, and whether everything arrived.

:class:`CopyReport` renders itself as a text table in a terminal (``print(report)``), as an HTML
table in Jupyter, as JSON-ready data (:meth:`CopyReport.to_dict`) and as a polars DataFrame
(:meth:`CopyReport.to_polars`), all from the same object. :attr:`CopyReport.ok` is the exit code
of ``mostaframe copy``: true only when every row of every entity reached every destination.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from .sinks.base import SinkResult


@dataclass
class EntityReport:
    """One entity of a copy.

    Attributes:
        entity: entity name.
        table: table name in the source.
        rows: rows read from the source.
        estimated_rows: what the source expected before reading (None: unknown).
        seconds: wall time from the first read to the last destination closing the entity.
        where: the row filter applied, if any.
        error: why reading failed (None when the source delivered every row).
        results: one :class:`~mostaframe.sinks.base.SinkResult` per destination.
    """

    entity: str
    table: str
    rows: int = 0
    estimated_rows: int | None = None
    seconds: float = 0.0
    where: str | None = None
    error: str | None = None
    results: list[SinkResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every row read reached every destination, and reading did not fail."""
        return self.error is None and all(
            result.error is None and result.rows == self.rows for result in self.results
        )

    def problems(self) -> list[str]:
        """One line per thing that went wrong with this entity."""
        lines = []
        if self.error:
            lines.append(f"{self.entity}: reading failed: {self.error}")
        for result in self.results:
            if result.error:
                lines.append(f"{self.entity} → {result.destination}: {result.error}")
            elif result.rows != self.rows and not self.error:
                lines.append(
                    f"{self.entity} → {result.destination}: wrote {result.rows:,} of "
                    f"{self.rows:,} rows"
                )
        return lines


@dataclass
class CopyReport:
    """The outcome of :func:`mostaframe.copy`.

    Attributes:
        source: masked description of the source.
        destinations: masked descriptions of the destinations, in the order given.
        entities: one :class:`EntityReport` per entity, in load order (parents first).
        seconds: wall time of the whole copy.
        dry_run: nothing was written; ``entities`` hold the plan and the row estimates.
        errors: problems that are not one entity's (a destination that failed to commit).
    """

    source: str
    destinations: list[str]
    entities: list[EntityReport] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every row of every entity reached every destination (a dry run: when the
        plan could be made)."""
        if self.errors:
            return False
        return self.dry_run or all(entity.ok for entity in self.entities)

    @property
    def rows_read(self) -> int:
        return sum(entity.rows for entity in self.entities)

    @property
    def rows_written(self) -> int:
        """Rows written, summed over every destination."""
        return sum(r.rows for entity in self.entities for r in entity.results)

    @property
    def bytes_written(self) -> int:
        return sum(r.bytes for entity in self.entities for r in entity.results)

    def problems(self) -> list[str]:
        """One line per problem, for stderr (empty when :attr:`ok`)."""
        lines = [line for entity in self.entities for line in entity.problems()]
        return lines + list(self.errors)

    # -- renderings ------------------------------------------------------------------------

    def rows(self) -> list[dict[str, Any]]:
        """One dict per entity × destination (a dry run: one per entity)."""
        out = []
        for entity in self.entities:
            base = {
                "entity": entity.entity,
                "table": entity.table,
                "rows_read": entity.rows,
                "estimated_rows": entity.estimated_rows,
                "where": entity.where,
            }
            if not entity.results:
                out.append(
                    {
                        **base,
                        "destination": None,
                        "rows_written": None,
                        "bytes": None,
                        "seconds": entity.seconds,
                        "rows_per_second": None,
                        "error": entity.error,
                    }
                )
            for result in entity.results:
                out.append(
                    {
                        **base,
                        "destination": result.destination,
                        "rows_written": result.rows,
                        "bytes": result.bytes,
                        "seconds": round(result.seconds, 6),
                        "rows_per_second": round(result.rows_per_second, 1),
                        "error": result.error or entity.error,
                    }
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: totals, problems and :meth:`rows`."""
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "source": self.source,
            "destinations": list(self.destinations),
            "seconds": round(self.seconds, 6),
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "bytes_written": self.bytes_written,
            "problems": self.problems(),
            "entities": self.rows(),
        }

    def to_polars(self) -> pl.DataFrame:
        """:meth:`rows` as a polars DataFrame (one row per entity × destination)."""
        import polars as pl

        schema = {
            "entity": pl.String,
            "table": pl.String,
            "rows_read": pl.Int64,
            "estimated_rows": pl.Int64,
            "where": pl.String,
            "destination": pl.String,
            "rows_written": pl.Int64,
            "bytes": pl.Int64,
            "seconds": pl.Float64,
            "rows_per_second": pl.Float64,
            "error": pl.String,
        }
        return pl.DataFrame(self.rows(), schema=schema)

    def _table(self) -> tuple[list[str], list[list[str]]]:
        if self.dry_run:
            header = ["#", "entity", "table", "estimated rows", "where"]
            body = [
                [str(i), e.entity, e.table, _count(e.estimated_rows), e.where or ""]
                for i, e in enumerate(self.entities, 1)
            ]
            return header, body
        header = ["entity", "destination", "rows", "seconds", "rows/s", "status"]
        body = []
        for entity in self.entities:
            if not entity.results:
                body.append(
                    [
                        entity.entity,
                        "",
                        f"{entity.rows:,}",
                        f"{entity.seconds:.2f}",
                        "",
                        f"FAILED: {entity.error}" if entity.error else "ok",
                    ]
                )
            for result in entity.results:
                if result.error or entity.error:
                    status = f"FAILED: {result.error or entity.error}"
                elif result.rows != entity.rows:
                    status = f"INCOMPLETE: {result.rows:,} of {entity.rows:,}"
                else:
                    status = "ok"
                body.append(
                    [
                        entity.entity,
                        result.destination,
                        f"{result.rows:,}",
                        f"{result.seconds:.2f}",
                        f"{result.rows_per_second:,.0f}",
                        status,
                    ]
                )
        return header, body

    def _summary(self) -> str:
        if self.dry_run:
            known = [e.estimated_rows for e in self.entities if e.estimated_rows is not None]
            return (
                f"dry run: {len(self.entities)} entities from {self.source} to "
                f"{len(self.destinations)} destination(s), ≈{sum(known):,} rows; "
                "nothing written"
            )
        state = "ok" if self.ok else "FAILED"
        return (
            f"copy {state}: {self.rows_read:,} rows of {len(self.entities)} entities from "
            f"{self.source} to {len(self.destinations)} destination(s) in {self.seconds:.2f}s"
        )

    def __str__(self) -> str:
        header, body = self._table()
        widths = [max([len(header[i])] + [len(row[i]) for row in body]) for i in range(len(header))]
        numeric = {"rows", "seconds", "rows/s", "estimated rows", "#"}

        def line(cells: list[str]) -> str:
            return "  ".join(
                cell.rjust(width) if name in numeric else cell.ljust(width)
                for cell, width, name in zip(cells, widths, header, strict=True)
            ).rstrip()

        lines = [self._summary()]
        if self.dry_run:
            lines.append("destinations: " + ", ".join(self.destinations))
        lines += [line(header), line(["-" * w for w in widths])] + [line(row) for row in body]
        lines += [f"error: {message}" for message in self.errors]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        header, body = self._table()
        colour = "#2e7d32" if self.ok else "#c62828"
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in body
        )
        errors = "".join(f"<li>{html.escape(message)}</li>" for message in self.errors)
        return (
            f'<div class="mostaframe-copy-report"><p style="color:{colour}">'
            f"<b>{html.escape(self._summary())}</b></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            + (f"<ul>{errors}</ul>" if errors else "")
            + "</div>"
        )


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


__all__ = ["CopyReport", "EntityReport"]
