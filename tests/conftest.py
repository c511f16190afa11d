"""Shared fixtures: a fresh database per test on every dialect, over real connections.

Servers come from ``MOSTAFRAME_TEST_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``)
and ``MOSTAFRAME_TEST_MYSQL_URL`` (default ``mysql://root@127.0.0.1:3306/test``). A test whose server
is unreachable is skipped with a one-line reason on a developer box and FAILS under ``CI=true``.
Each test gets its own database (``mf_<random>``), dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_URL = os.environ.get("MOSTAFRAME_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL_URL = os.environ.get("MOSTAFRAME_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

ROOT = Path(__file__).resolve().parent.parent
FITZONE_PRISMA = ROOT / "data" / "fitzonegym" / "schema.prisma"


ORACLE_DIRS = (ROOT / "tests" / "oracle", ROOT / "tests" / "oracle-migrate")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Install Prisma's own parser and migration engine (the test oracles) from npm on first use.

    Keeps the README's single test command sufficient on a fresh machine. Without node/npm the
    oracle tests skip (or fail under CI) with their own reason.
    """
    if not (shutil.which("node") and shutil.which("npm")):
        return
    for folder in ORACLE_DIRS:
        if (folder / "package-lock.json").exists() and not (folder / "node_modules").exists():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=folder,
                stdout=subprocess.DEVNULL,
                check=False,
                timeout=600,
            )


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: servers must be up)")
    pytest.skip(reason)


def _server_part(url: str) -> str:
    """URL without the database name."""
    head, _, _ = url.rpartition("/")
    return head


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    import psycopg

    name = f"mf_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _unavailable(f"PostgreSQL unreachable at {PG_URL}: {str(exc).splitlines()[0]}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{_server_part(PG_URL)}/{name}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            # replication slots are cluster-wide and block DROP DATABASE: drop this test's first
            admin.execute(
                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                "WHERE database = %s AND active_pid IS NOT NULL",
                (name,),
            )
            admin.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                "WHERE database = %s",
                (name,),
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """URL of a fresh, empty MySQL/MariaDB database, dropped after the test."""
    import pymysql
    from sqlalchemy.engine import make_url

    url = make_url(MYSQL_URL.replace("mysql://", "mysql+pymysql://", 1))
    name = f"mf_{uuid.uuid4().hex[:12]}"
    params = dict(
        host=url.host or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        connect_timeout=5,
    )
    try:
        admin = pymysql.connect(**params)
    except pymysql.err.OperationalError as exc:
        _unavailable(f"MySQL/MariaDB unreachable at {MYSQL_URL}: {exc.args[-1]}")
    with admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    try:
        yield f"{_server_part(MYSQL_URL)}/{name}"
    finally:
        with pymysql.connect(**params) as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """Path of a fresh SQLite database file (not yet created)."""
    return str(tmp_path / "test.sqlite")


@pytest.fixture
def duckdb_url(tmp_path: Path) -> str:
    """Path of a fresh DuckDB database file (not yet created)."""
    return str(tmp_path / "test.duckdb")


@pytest.fixture(params=["postgres", "mysql", "sqlite", "duckdb"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh database of each dialect in turn (the test runs once per dialect)."""
    return request.getfixturevalue(
        {
            "postgres": "pg_url",
            "mysql": "mysql_url",
            "sqlite": "sqlite_url",
            "duckdb": "duckdb_url",
        }[request.param]
    )
