"""Test helpers for the copy engine: an every-kind entity model, its data, and table checksums."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pyarrow as pa

from mostaframe.schema.arrow import arrow_schema
from mostaframe.schema.model import Entity, Enum, Field, Relation, Schema

UTC = dt.UTC

#: strings that break naive quoting / CSV / JSON / SQL dumps
HOSTILE = [
    "it's",
    'say "hi"',
    "back\\slash",
    "new\nline",
    "tab\there",
    "semi;colon -- comment",
    "emoji 🎉 and é",
    "",
    "%s %(x)s ${HOME}",
    "a,b",
    "'); DROP TABLE customer; --",
]


def every_kind_schema(*, lists: bool = True, wide_decimal: bool = True) -> Schema:
    """Customer ← Order (foreign key) and Everything (one field of every kind).

    Args:
        lists: include scalar-list fields (PostgreSQL arrays; JSON elsewhere).
        wide_decimal: include a decimal(65,30) (DuckDB stops at 38 digits).
    """
    mood = Enum("Mood", ["HAPPY", "SAD", "MEH"], db_name="mood", mapped={"MEH": "meh"})
    customer = Entity(
        "Customer",
        table="customer",
        primary_key=["id"],
        fields=[
            Field("id", "int"),
            Field("name", "string", length=120),
            Field("email", "string", unique=True, required=False),
        ],
        relations=[Relation("orders", "Order", "one-to-many")],
    )
    order = Entity(
        "Order",
        table="order",
        primary_key=["id"],
        fields=[
            Field("id", "bigint"),
            Field("customerId", "int", column="customer_id"),
            Field("total", "decimal", precision=12, scale=2),
            Field("placedAt", "datetime", column="placed_at", timezone=True),
        ],
        relations=[
            Relation(
                "customer",
                "Customer",
                "many-to-one",
                fields=["customerId"],
                references=["id"],
                required=True,
            )
        ],
    )
    fields = [
        Field("id", "int"),
        Field("label", "string", required=False),
        Field("code", "string", length=8, required=False),
        Field("small", "smallint", required=False),
        Field("big", "bigint", required=False),
        Field("ratio", "float", required=False),
        Field("single", "real", required=False),
        Field("price", "decimal", precision=10, scale=2, required=False),
        Field("fine", "decimal", precision=20, scale=12, required=False),
        Field("flag", "boolean", required=False),
        Field("seenAt", "datetime", column="seen_at", precision=6, required=False),
        Field("stamp", "datetime", timezone=True, required=False),
        Field("day", "date", required=False),
        Field("clock", "time", precision=6, required=False),
        Field("doc", "json", required=False),
        Field("blob", "bytes", required=False),
        Field("token", "uuid", required=False),
        Field("mood", "enum", enum="Mood", required=False),
    ]
    if wide_decimal:
        fields.append(Field("wide", "decimal", precision=65, scale=30, required=False))
    if lists:
        fields += [
            Field("tags", "string", list=True, required=False),
            Field("scores", "int", list=True, required=False),
        ]
    everything = Entity("Everything", table="everything", primary_key=["id"], fields=fields)
    return Schema([customer, order, everything], {"Mood": mood})


def every_kind_data(schema: Schema, rows: int = 30) -> dict[str, pa.Table]:
    """Deterministic rows for :func:`every_kind_schema`, NULLs and hostile text included."""
    customer = schema.entity("Customer")
    order = schema.entity("Order")
    everything = schema.entity("Everything")
    customers = [
        {
            "id": i,
            "name": HOSTILE[i % len(HOSTILE)] + f" #{i}",
            "email": None if i % 4 == 0 else f"user{i}@example.com",
        }
        for i in range(1, rows + 1)
    ]
    orders = [
        {
            "id": 10_000_000_000 + i,
            "customer_id": (i % rows) + 1,
            "total": Decimal(f"{i * 7}.{i % 100:02d}"),
            "placed_at": dt.datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
            + dt.timedelta(hours=i, milliseconds=i),
        }
        for i in range(rows * 2)
    ]
    names = {f.column for f in everything.fields}
    items: list[dict[str, Any]] = []
    for i in range(rows):
        if i == 1:  # a row of NULLs
            items.append({"id": i, **{c: None for c in names if c != "id"}})
            continue
        row = {
            "id": i,
            "label": HOSTILE[i % len(HOSTILE)],
            "code": f"C{i:03d}",
            "small": -32768 if i == 2 else i - 5,
            "big": 2**62 + i if i % 2 else -(2**40) - i,
            "ratio": 0.1 * i if i != 3 else 1e300,
            "single": 1.5 * i,
            "price": Decimal(f"{i - 10}.{(i * 13) % 100:02d}"),
            "fine": Decimal(f"{i}.{i:012d}"),
            "flag": i % 3 == 0,
            "seen_at": dt.datetime(2023, 12, 31, 23, 59, 59, 999_999) - dt.timedelta(days=i),
            "stamp": dt.datetime(2024, 6, 1, tzinfo=UTC)
            + dt.timedelta(seconds=i * 3601, milliseconds=i * 7),
            "day": dt.date(2000, 2, 29) + dt.timedelta(days=i * 40),
            "clock": dt.time(i % 24, (i * 7) % 60, (i * 11) % 60, i * 1000),
            "doc": '{"a": ' + str(i) + ', "b": [1, 2.5, "x\'y"], "c": {"d": null}}',
            "blob": bytes([0, 255, i % 256, 39, 92]),
            "token": str(uuid.UUID(int=i * 0x1234567890ABCDEF)),
            "mood": ["HAPPY", "SAD", "meh"][i % 3],
            "wide": Decimal(f"{i}{'9' * 30}.{'1' * 29}{i % 10}"),
            "tags": [HOSTILE[(i + k) % len(HOSTILE)] for k in range(i % 3)]
            + ([None] if i == 5 else []),
            "scores": [i, -i, 2**31 - 1][: i % 4],
        }
        items.append({k: v for k, v in row.items() if k in names})
    return {
        "Customer": pa.Table.from_pylist(customers, schema=arrow_schema(customer)),
        "Order": pa.Table.from_pylist(orders, schema=arrow_schema(order)),
        "Everything": pa.Table.from_pylist(items, schema=arrow_schema(everything)),
    }


def read_all(source: Any, entity: Entity, batch_size: int = 7) -> pa.Table:
    """Every row a source yields for ``entity`` (small batches, to exercise batching)."""
    batches = list(source.read(entity, batch_size=batch_size))
    assert all(b.schema.equals(arrow_schema(entity)) for b in batches)
    return pa.Table.from_batches(batches, schema=arrow_schema(entity))


def table_checksum(table: pa.Table) -> tuple[int, int]:
    """``(rows, checksum)``: an order-independent sum of row hashes computed by DuckDB."""
    import duckdb

    # DuckDB has no 256-bit decimals: compare their exact text instead
    for index, field in enumerate(table.schema):
        if pa.types.is_decimal256(field.type):
            table = table.set_column(index, field.name, table.column(index).cast(pa.string()))
    connection = duckdb.connect()
    try:
        connection.register("t", table)
        rows, total = connection.execute(
            "SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM t"
        ).fetchone()
    finally:
        connection.close()
    return int(rows), int(total)


def sorted_rows(table: pa.Table, key: str = "id") -> list[dict[str, Any]]:
    """Rows ordered by ``key``, for readable assertion diffs."""
    return sorted(table.to_pylist(), key=lambda row: row[key])
