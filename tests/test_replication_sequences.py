"""A replica's autoincrement counters follow the replicated keys (for promotion).

After the snapshot and after change apply, an INSERT without an id into the replica must get
the largest replicated id + 1, never collide with a replicated row: the precondition for
promoting a replica to take writes. Run over every target dialect (PostgreSQL and DuckDB need
their sequences moved; SQLite AUTOINCREMENT and InnoDB move their counters by themselves), and
for a SQLite source replicated to PostgreSQL through triggers.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PG_URL
from test_apply import plan_row
from test_replication_rule import SCHEMA, SourceWriter, checksums, make_rule, seed_data

from mostaframe.secrets import parse_uri


@pytest.fixture
def second_pg_url(pg_url: str) -> Iterator[str]:
    """Another fresh PostgreSQL database on the same server (a PostgreSQL replica of pg_url)."""
    import psycopg

    name = f"mf_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def insert_without_id(url: str) -> int:
    """INSERT a plan into ``url`` without an id, as an application on a promoted replica would;
    returns the id the database gave it."""
    dialect = parse_uri(url).dialect
    if dialect == "postgres":
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(
                "INSERT INTO plans (name, price) VALUES ('local', 1) RETURNING id"
            ).fetchone()[0]
    if dialect == "duckdb":
        import duckdb

        with duckdb.connect(parse_uri(url).path) as conn:
            return conn.execute(
                "INSERT INTO plans (name, price) VALUES ('local', 1) RETURNING id"
            ).fetchone()[0]
    if dialect == "mysql":
        import pymysql
        from sqlalchemy.engine import make_url

        parts = make_url(url.replace("mysql://", "mysql+pymysql://", 1))
        conn = pymysql.connect(
            host=parts.host, port=parts.port or 3306, user=parts.username, password="",
            database=parts.database, autocommit=True,
        )  # fmt: skip
        with conn, conn.cursor() as cursor:
            cursor.execute("INSERT INTO plans (name, price) VALUES ('local', 1)")
            return cursor.lastrowid
    with sqlite3.connect(parse_uri(url).path) as conn:
        return conn.execute("INSERT INTO plans (name, price) VALUES ('local', 1)").lastrowid


def target_url(kind: str, tmp_path: Path, request: Any) -> str:
    if kind == "postgres":
        return request.getfixturevalue("second_pg_url")
    if kind == "mysql":
        return request.getfixturevalue("mysql_url")
    return str(tmp_path / f"replica.{kind}")


@pytest.mark.parametrize("kind", ["postgres", "duckdb", "sqlite", "mysql"])
def test_replica_counters_follow_the_replicated_ids(
    pg_url: str, tmp_path: Path, request: Any, kind: str
) -> None:
    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer)  # plans 1..5
    target = target_url(kind, tmp_path, request)
    rule = make_rule(pg_url, target, tmp_path, capture="pgoutput")
    try:
        assert rule.sync().kind == "snapshot"
        rng = random.Random(7)
        # changes: new plans up to id 12 (out of order, in two transactions), and an update
        writer.upsert("Plan", [plan_row(i, rng) for i in (9, 6, 8)])
        writer.commit()
        writer.upsert("Plan", [plan_row(i, rng) for i in (12, 3, 10)])
        writer.commit()
        result = rule.sync()
        assert result.kind == "changes" and result.applied["Plan"] == {"insert": 5, "update": 1}
        assert checksums(target, SCHEMA) == checksums(pg_url, SCHEMA)
        rule.close()  # DuckDB: one connection to the file at a time
        assert insert_without_id(target) == 13
    finally:
        rule.drop()
        writer.close()


def test_replica_counters_follow_the_snapshot(pg_url: str, tmp_path: Path) -> None:
    """DuckDB is where the snapshot copy leaves the sequence behind (explicit ids do not move
    it): the rule moves it after the copy."""
    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer)
    target = str(tmp_path / "replica.duckdb")
    rule = make_rule(pg_url, target, tmp_path, capture="pgoutput")
    try:
        assert rule.sync().kind == "snapshot"
        rule.close()
        assert insert_without_id(target) == 6
    finally:
        rule.drop()
        writer.close()


def test_sqlite_source_to_postgres_replica_counters(pg_url: str, tmp_path: Path) -> None:
    source = str(tmp_path / "source.sqlite")
    writer = SourceWriter(source, SCHEMA)
    writer.create_tables()
    seed_data(writer)
    rule = make_rule(source, pg_url, tmp_path, capture="triggers")
    try:
        assert rule.sync().kind == "snapshot"
        rng = random.Random(8)
        writer.upsert("Plan", [plan_row(i, rng) for i in (7, 21, 6)])
        writer.commit()
        assert rule.sync().kind == "changes"
        assert checksums(pg_url, SCHEMA) == checksums(source, SCHEMA)
        assert insert_without_id(pg_url) == 22
    finally:
        rule.drop()
        writer.close()
