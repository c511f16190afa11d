"""FitZoneGym: a realistic, deterministic gym-management dataset for the 40-model Prisma schema.

``data/fitzonegym/schema.prisma`` describes clubs, members, staff, plans and billing, classes,
bookings, check-ins, equipment, a shop, messages and an audit log. This module makes data for
it — referentially consistent, at any scale (1 ≈ one million rows), identical for the same
``(scale, seed)`` — and loads it into SQLite, PostgreSQL, MySQL/MariaDB or DuckDB::

    from mostaframe.datasets import fitzone

    counts = fitzone.load("gym.sqlite", scale=0.1)          # tables created, rows written
    for entity, batches in fitzone.generate(scale=0.01):    # or just the Arrow batches
        print(entity.table, sum(batch.num_rows for batch in batches))

How the values are made is described in docs/fitzonegym.md; the builders live in the
``fitzone_*`` modules next to this one (one per area of the schema).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import MostaframeError, SchemaError
from ..schema.arrow import arrow_schema, arrow_type

# importing the builder modules registers their builders
from . import (  # noqa: F401
    fitzone_accounts,
    fitzone_billing,
    fitzone_classes,
    fitzone_messages,
    fitzone_operations,
    fitzone_payments,
    fitzone_people,
    fitzone_records,
)
from .fitzone_world import BUILDERS, JOIN_BUILDERS, Volumes, World

if TYPE_CHECKING:
    from ..schema.model import Entity, Field, Schema

#: Largest scale accepted: about ten million rows, three gigabytes of memory while generating.
MAX_SCALE = 10

#: Where the schema lives, relative to the repository root.
SCHEMA_RELATIVE_PATH = Path("data") / "fitzonegym" / "schema.prisma"


def schema_path() -> Path:
    """Path of the FitZoneGym Prisma schema (``data/fitzonegym/schema.prisma`` in the repository).

    Raises:
        SchemaError: the file is missing (names the path looked at and how to get it back).
    """
    root = Path(__file__).resolve().parents[2]
    path = root / SCHEMA_RELATIVE_PATH
    if not path.is_file():
        raise SchemaError(
            f"FitZoneGym schema not found at {path}",
            hint="mostaframe reads it from the repository it is installed from (pip install -e .); "
            f"restore {SCHEMA_RELATIVE_PATH} with `git checkout -- {SCHEMA_RELATIVE_PATH}`",
        )
    return path


def load_schema() -> Schema:
    """The FitZoneGym entity model, imported from :func:`schema_path`."""
    from ..schema.prisma import import_prisma

    return import_prisma(schema_path())


def generate(
    scale: float = 0.01,
    seed: int = 42,
    *,
    batch_size: int = 50_000,
    schema: Schema | None = None,
) -> Iterator[tuple[Entity, Iterator[pa.RecordBatch]]]:
    """Generate FitZoneGym, one entity at a time, parents first.

    Args:
        scale: data volume; 1 ≈ 1,000,000 rows in total, 0.01 ≈ 10,000. Reference tables
            (clubs, staff, products) grow with the square root of the scale.
        seed: random seed (a non-negative integer). The same ``(scale, seed)`` gives the same
            data byte for byte, whatever ``batch_size``.
        batch_size: maximum rows per record batch.
        schema: the entity model to generate for (default: :func:`load_schema`).

    Yields:
        ``(entity, batches)`` in :meth:`Schema.dependency_order`; every batch has exactly the
        schema :func:`mostaframe.schema.arrow.arrow_schema` gives for the entity.

    Raises:
        MostaframeError: a bad ``scale`` (not positive, or above :data:`MAX_SCALE`), ``seed``
            or ``batch_size``.
        SchemaError: the schema has an entity or field this generator has no values for.

    Example:
        >>> rows = {e.name: sum(b.num_rows for b in bs) for e, bs in generate(0.01)}
        >>> rows["Member"], sum(rows.values())
        (210, 10877)
    """
    _check_arguments(scale, seed, batch_size)  # here, not at the first next()
    model = schema if schema is not None else load_schema()
    return _generate(World(float(scale), int(seed)), model, batch_size)


def _generate(
    world: World, schema: Schema, batch_size: int
) -> Iterator[tuple[Entity, Iterator[pa.RecordBatch]]]:
    ordered, _ = schema.dependency_order(schema.select())
    for entity in ordered:
        table = _entity_table(world, schema, entity)
        yield entity, _batches(table, entity, batch_size)


def load(
    uri: str | os.PathLike[str],
    *,
    scale: float = 0.01,
    seed: int = 42,
    mode: str = "replace",
    quiet: bool = False,
    batch_size: int = 50_000,
) -> dict[str, int]:
    """Create the FitZoneGym tables in a database and fill them.

    Args:
        uri: target database: a SQLite file path (the embedded default), ``sqlite:///…``,
            ``duckdb:///…`` or a ``.duckdb`` path, ``postgresql://…``, ``mysql://…``.
        scale: data volume, see :func:`generate`.
        seed: random seed, see :func:`generate`.
        mode: what to do with existing tables: ``replace`` (drop and create, default),
            ``truncate``, ``insert`` or ``upsert``.
        quiet: no progress bar.
        batch_size: rows per record batch handed to the database sink.

    Returns:
        Rows written per entity name, in load order.

    Raises:
        SinkError: the database refused the tables or the rows (nothing is kept: the load is
            cancelled as a whole).
        DatabaseConnectionError: the database cannot be reached.

    Example:
        >>> load("gym.sqlite", scale=0.01, quiet=True)["CheckIn"]
        1875
    """
    from ..secrets import parse_uri
    from ..sinks import get_sink

    _check_arguments(scale, seed, batch_size)
    target = parse_uri(uri)
    schema = load_schema()
    entities, _ = schema.dependency_order(schema.select())
    sink = get_sink("db", str(uri), dialect=target.dialect, mode=mode, create_tables=True)
    counts: dict[str, int] = {}
    progress = _progress(len(entities), f"FitZoneGym → {sink.description}", quiet)
    try:
        sink.begin(schema, entities)  # raises before writing anything: nothing to cancel
        try:
            for entity, batches in generate(scale, seed, batch_size=batch_size, schema=schema):
                counts[entity.name] = _write_entity(sink, entity, batches)
                progress.set_postfix_str(f"{entity.table} {counts[entity.name]:,}", refresh=False)
                progress.update(1)
            sink.finish()
        except BaseException:
            sink.cancel()
            raise
    finally:
        progress.close()
    return counts


def _write_entity(sink: Any, entity: Entity, batches: Iterator[pa.RecordBatch]) -> int:
    """Write one entity's batches through ``sink``; the rows written."""
    sink.open(entity)
    rows = 0
    try:
        for batch in batches:
            sink.write(batch)
            rows += batch.num_rows
    except BaseException as exc:
        sink.abort(exc)
        raise
    sink.close()
    return rows


def volumes(scale: float = 0.01) -> dict[str, int]:
    """The sizes that drive generation at ``scale`` (clubs, members, …), for documentation."""
    from dataclasses import asdict

    _check_arguments(scale, 0, 1)
    return asdict(Volumes.at(scale))


# --- internals -----------------------------------------------------------------------------------


def _check_arguments(scale: float, seed: int, batch_size: int) -> None:
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0:
        raise MostaframeError(
            f"scale must be a positive number (1 ≈ one million rows), not {scale!r}"
        )
    if scale > MAX_SCALE:
        raise MostaframeError(
            f"scale {scale:g} would make about {scale:,.0f} million rows and hold about "
            f"{0.3 * scale:,.0f} GB in memory (the generator keeps the tables it derives others "
            f"from); use scale ≤ {MAX_SCALE}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise MostaframeError(f"seed must be a non-negative integer, not {seed!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise MostaframeError(f"batch_size must be a positive integer, not {batch_size!r}")


def _entity_table(world: World, schema: Schema, entity: Entity) -> pa.Table:
    """The rows of ``entity`` as an Arrow table of exactly ``arrow_schema(entity)``."""
    where = f"FitZoneGym entity {entity.name} (table {entity.table}) of {SCHEMA_RELATIVE_PATH}"
    fix = "the schema changed: update the builders in mostaframe/datasets/fitzone_*.py"
    if entity.join_table:
        columns = _join_columns(world, entity, where, fix)
    elif entity.name in BUILDERS:
        columns = world.table(entity.name)
    else:
        raise SchemaError(f"{where}: the generator has no builder for it", hint=fix)
    known = {f.name for f in entity.fields} | {f.column for f in entity.fields}
    unknown = sorted(k for k in columns if not k.startswith("_") and k not in known)
    if unknown:
        raise SchemaError(f"{where}: generated columns {unknown} are not in the schema", hint=fix)
    arrays = []
    for field in entity.fields:
        value = columns.get(field.name, columns.get(field.column))
        if value is None:
            raise SchemaError(f"{where}: no values for field {field.name}", hint=fix)
        arrays.append(_to_arrow(value, field, schema, where))
    lengths = {len(array) for array in arrays}
    if len(lengths) > 1:
        raise SchemaError(f"{where}: columns of different lengths {sorted(lengths)}", hint=fix)
    return pa.Table.from_arrays(arrays, schema=arrow_schema(entity))


def _batches(table: pa.Table, entity: Entity, batch_size: int) -> Iterator[pa.RecordBatch]:
    """Record batches of ``table``; rows that reference rows of the same table come in later
    batches than the rows they reference.

    DuckDB checks a foreign key against the rows already in the table before the statement, and
    MySQL row by row, so a staff member and their manager in one INSERT can fail. Rows are
    grouped by depth in the self-reference tree (the director, then club managers, then their
    staff) and each depth starts a new batch.
    """
    depth = _self_reference_depth(table, entity)
    if depth is None:
        yield from table.to_batches(max_chunksize=batch_size)
        return
    order = np.argsort(depth, kind="stable")
    table = table.take(order)
    depth = depth[order]
    bounds = np.flatnonzero(np.diff(depth)) + 1
    for start, stop in zip(np.r_[0, bounds], np.r_[bounds, len(depth)], strict=True):
        yield from table.slice(start, stop - start).to_batches(max_chunksize=batch_size)


def _self_reference_depth(table: pa.Table, entity: Entity) -> Any:
    """Per row, how many self-references lead from it to a row with none (None: no such FK)."""
    relations = [r for r in entity.foreign_keys() if r.target == entity.name and len(r.fields) == 1]
    if not relations or table.num_rows == 0:
        return None
    keys = table[entity.field(relations[0].references[0]).column].to_numpy()
    order = np.argsort(keys)
    parents = []
    for relation in relations:
        column = table[entity.field(relation.fields[0]).column]
        present = column.is_valid().to_numpy(zero_copy_only=False)
        values = column.fill_null(keys[0]).to_numpy()
        parents.append(np.where(present, order[np.searchsorted(keys, values, sorter=order)], -1))
    depth = np.zeros(table.num_rows, dtype=np.int64)
    for _ in range(table.num_rows + 1):  # one round per level; the chains are short
        deeper = np.max([np.where(p >= 0, depth[np.maximum(p, 0)] + 1, 0) for p in parents], axis=0)
        if np.array_equal(deeper, depth):
            return depth
        depth = deeper
    raise SchemaError(f"FitZoneGym entity {entity.name}: self references form a cycle")


def _join_columns(world: World, entity: Entity, where: str, fix: str) -> dict[str, Any]:
    """Columns of an implicit many-to-many join table, matched to its foreign keys by target.

    The join builder returns ids keyed by model name; each foreign key says which model its
    column points at, so the Prisma ``A``/``B`` convention never has to be assumed.
    """
    keys = [r for r in entity.foreign_keys() if len(r.fields) == 1]
    targets = frozenset(r.target for r in keys)
    if len(keys) != 2 or targets not in JOIN_BUILDERS:
        raise SchemaError(
            f"{where}: no join-table builder for the models {sorted(targets)}", hint=fix
        )
    pairs = world.join(*sorted(targets))
    return {relation.fields[0]: pairs[relation.target] for relation in keys}


def _to_arrow(value: Any, field: Field, schema: Schema, where: str) -> pa.Array:
    """Cast a builder's column to the field's exact Arrow type (enum names → database values)."""
    array = pa.array(value) if isinstance(value, np.ndarray) else value
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if field.kind == "enum":
        enum = schema.enums[field.enum or ""]
        position = pc.index_in(array, value_set=pa.array(enum.values, pa.string()))
        if position.null_count > array.null_count:
            bad = pc.filter(array, pc.and_(pc.is_null(position), pc.is_valid(array)))[0]
            raise SchemaError(
                f"{where}, field {field.name}: {bad} is not a value of enum {enum.name} "
                f"({', '.join(enum.values)})"
            )
        array = pa.array(enum.db_values(), pa.string()).take(position)
    target = arrow_type(field)
    if not array.type.equals(target):
        array = array.cast(target)  # safe cast: an overflow is a generator bug, raised loudly
    if field.required and array.null_count:
        raise SchemaError(
            f"{where}, field {field.name}: {array.null_count} nulls in a required field"
        )
    if field.length and not field.list and pa.types.is_string(target) and len(array):
        longest = pc.max(pc.utf8_length(array)).as_py() or 0
        if longest > field.length:
            raise SchemaError(
                f"{where}, field {field.name}: values of {longest} characters exceed its "
                f"length {field.length}"
            )
    return array


def _progress(total: int, description: str, quiet: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="table", disable=quiet, leave=False)
