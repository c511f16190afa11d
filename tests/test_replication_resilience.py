"""A running rule survives a source restart, a network cut and a locked target.

Each test runs ``rule.run(interval=…)`` in a thread while a workload writes to the source, breaks
something for a while, and then checks what the issue asks: the failure is recorded in the status
store (a ``warning`` event per failed pass and the pass's error in ``runs``), the rule backs off,
resumes from the checkpoint by itself (an ``idle`` pass after the workload ended, "recovered
after" event), and the replica equals the source by row count and per-row checksum.

* source restart: a throwaway PostgreSQL cluster of our own (``initdb`` into a temporary
  directory, ``wal_level=logical``, a free port on 127.0.0.1), restarted with ``pg_ctl restart``
  in fast and in immediate (crash) mode — never the shared server other tests use;
* network cut: a TCP proxy (``tcp_proxy.py``, its own process) between the rule and the source (PostgreSQL) or the target (MariaDB)
  drops every connection and refuses new ones for a while;
* locked target: another connection holds a SQLite replica's write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import polars as pl
import pytest
from conftest import _unavailable
from tcp_proxy import ProxyProcess
from test_replication_rule import (
    SCHEMA,
    SourceWriter,
    checksums,
    make_rule,
    seed_data,
    workload,
)

PG_BIN = Path(os.environ.get("MOSTAFRAME_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit(":", 1)[0] if ":" in parts.netloc else parts.netloc
    return urlunsplit(parts._replace(netloc=f"{host}:{port}"))


# ---------------------------------------------------------------------------------------------
# a PostgreSQL cluster of our own, to restart


class Cluster:
    """A throwaway PostgreSQL cluster (``wal_level=logical``, trust auth, 127.0.0.1:port).

    initdb and postgres refuse to run as root: as root the cluster runs as the ``postgres``
    user, in a directory it owns.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(root, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self.as_user, *args], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, f"{' '.join(args)}: {done.stderr or done.stdout}"

    def init(self) -> None:
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "wal_level": "logical",
            "max_replication_slots": "10",
            "fsync": "off",
            "shared_buffers": "16MB",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def pg_ctl(self, *args: str) -> None:
        log = str(self.root / "server.log")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", log, "-w", *args)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        name = f"mf_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """One throwaway cluster for this module (initdb + start ≈ 2 s); stopped and removed after."""
    if not (PG_BIN / "initdb").exists():
        _unavailable(f"PostgreSQL server binaries not found in {PG_BIN} (MOSTAFRAME_TEST_PG_BIN)")
    root = Path(tempfile.mkdtemp(prefix="mf_cluster_"))
    own = Cluster(root)
    try:
        own.init()
        own.pg_ctl("start")
        yield own
    finally:
        subprocess.run(
            [*own.as_user, str(PG_BIN / "pg_ctl"), "-D", str(own.data), "stop", "-m", "immediate"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# a rule running in a thread, a workload writing meanwhile


class Runner:
    """``rule.run(...)`` in a thread; keeps what it returned or raised."""

    def __init__(self, rule: Any, **options: Any) -> None:
        self.rule = rule
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, kwargs=options, daemon=True)
        self.thread.start()

    def _run(self, **options: Any) -> None:
        try:
            self.rule.run(stop=self.stop, **options)
        except BaseException as exc:
            self.error = exc

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "rule.run did not stop"
        assert self.error is None, f"rule.run raised: {self.error!r}"

    def cleanup(self) -> None:
        """Stop the run and drop the rule (not when the run hangs: drop would wait for it)."""
        self.stop.set()
        self.thread.join(timeout=30)
        if not self.thread.is_alive():
            self.rule.drop()


class Workload:
    """Seeded transactions on the source in a thread, reconnecting whenever the server is gone
    (a transaction that failed is simply not committed: the source is what it is)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = threading.Event()
        self.committed = 0
        self.failures = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        seed = 1000
        writer = None
        while not self.stop.is_set():
            try:
                writer = writer or SourceWriter(self.url, SCHEMA)
                workload(writer, seed=seed, transactions=1, size=10)
                self.committed += 1
                seed += 1
                time.sleep(0.01)
            except Exception:
                self.failures += 1
                if writer is not None:
                    writer.close()
                writer = None
                time.sleep(0.1)
        if writer is not None:
            writer.close()

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert self.committed > 0


class Harness:
    """What a test starts and the teardown stops, in this order: rule runs (then the rule is
    dropped), workloads, proxies. Teardown errors never hide the test's own failure."""

    def __init__(self) -> None:
        self.runners: list[Runner] = []
        self.workloads: list[Workload] = []
        self.proxies: list[ProxyProcess] = []

    def run(self, rule: Any, **options: Any) -> Runner:
        self.runners.append(Runner(rule, **options))
        return self.runners[-1]

    def workload(self, url: str) -> Workload:
        self.workloads.append(Workload(url))
        return self.workloads[-1]

    def proxy(self, url: str) -> ProxyProcess:
        """A cuttable proxy to ``url``'s server."""
        parts = urlsplit(url)
        self.proxies.append(ProxyProcess((parts.hostname or "127.0.0.1", parts.port or 0)))
        return self.proxies[-1]

    def close(self) -> None:
        for proxy in self.proxies:
            proxy.restore()  # drop() needs the way to the source
        for runner in self.runners:
            runner.cleanup()
        for load in self.workloads:
            load.stop.set()
            load.thread.join(timeout=30)
        for proxy in self.proxies:
            proxy.close()


@pytest.fixture
def harness() -> Iterator[Harness]:
    started = Harness()
    yield started
    started.close()


def wait_for_pass(runner: Runner, kind: str, after: datetime, timeout: float = 30.0) -> None:
    """Wait until a successful pass of ``kind`` started after ``after`` is recorded (an idle one
    means every change committed before it was applied); fail at once if the run stopped."""
    rule = runner.rule
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and runner.thread.is_alive():
        runs = rule.status.runs(rule.name)
        if (
            runs.height
            and runs.filter(
                (pl.col("kind") == kind) & pl.col("error").is_null() & (pl.col("started") > after)
            ).height
        ):
            return
        time.sleep(0.1)
    raise AssertionError(
        f"no {kind} pass after {after} (run stopped: {runner.error!r}): "
        f"{rule.status.runs(rule.name).tail(5)}"
    )


def assert_recovered(rule: Any, words: tuple[str, ...], failures: int) -> list[str]:
    """At least ``failures`` transient failures recorded (``runs`` errors and run()'s warning
    events, each naming one of ``words``), a recovery after them, and no ``error`` event.
    Returns the warning messages."""
    events = rule.status.events(rule.name)
    warnings = events.filter(pl.col("level") == "warning")["message"].to_list()
    assert len(warnings) >= failures, events
    for message in warnings:
        assert message.startswith("transient failure #"), message
        assert "retrying in" in message and "from the checkpoint" in message, message
        assert any(word in message.lower() for word in words), message
    errors = rule.status.runs(rule.name).filter(pl.col("error").is_not_null())["error"].to_list()
    assert len(errors) >= failures
    assert any(m.startswith("recovered after") for m in events["message"].to_list()), events
    assert events.filter(pl.col("level") == "error").height == 0, events["message"].to_list()
    return warnings


def now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------------------------------
# the tests

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
SOURCE_GONE = ("connect", "terminat", "shutting down", "starting up", "closed", "lost")


@pytest.mark.parametrize(
    "capture",
    ["pgoutput", "triggers"],
)
def test_source_restart_is_reported_and_the_rule_resumes(
    cluster: Cluster, tmp_path: Path, harness: Harness, capture: str
) -> None:
    url = cluster.new_database()
    writer = SourceWriter(url, SCHEMA)
    writer.create_tables()
    seed_data(writer, members=60)
    writer.close()
    target = str(tmp_path / "replica.sqlite")
    rule = make_rule(url, target, tmp_path, capture=capture, batch_size=200)
    runner = harness.run(rule, interval=0.2, max_backoff=0.8)
    wait_for_pass(runner, "snapshot", EPOCH)
    load = harness.workload(url)
    time.sleep(0.5)
    windows = []
    for mode in ("fast", "immediate"):  # immediate: a crash, recovery on start
        before = now()
        cluster.pg_ctl("restart", "-m", mode)
        time.sleep(0.8)
        windows.append((before, now()))
    load.finish()
    assert load.failures >= 1, "the restarts must hit the workload too"
    wait_for_pass(runner, "idle", now())
    runner.finish()
    events = rule.status.events(rule.name, level="warning")
    for start, end in windows:  # each restart made a pass fail (and be retried)
        assert events.filter(pl.col("time").is_between(start, end)).height >= 1, events
    assert_recovered(rule, SOURCE_GONE, failures=2)
    assert checksums(target, SCHEMA) == checksums(url, SCHEMA)


def cut_twice(proxy: ProxyProcess) -> None:
    for _ in range(2):
        time.sleep(0.5)
        proxy.cut()
        time.sleep(1.0)
        proxy.restore()


def test_network_cut_to_the_source_is_reported_and_the_rule_resumes(
    pg_url: str, tmp_path: Path, harness: Harness
) -> None:
    proxy = harness.proxy(pg_url)
    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer, members=60)
    writer.close()
    target = str(tmp_path / "replica.sqlite")
    rule = make_rule(with_port(pg_url, proxy.port), target, tmp_path, capture="pgoutput")
    rule.batch_size = 100
    runner = harness.run(rule, interval=0.1, max_backoff=0.5)
    wait_for_pass(runner, "snapshot", EPOCH)
    load = harness.workload(pg_url)  # the workload writes directly: only the rule is cut off
    cut_twice(proxy)
    load.finish()
    wait_for_pass(runner, "idle", now())
    runner.finish()
    assert proxy.connections >= 3  # the rule reconnected after each cut
    assert_recovered(rule, SOURCE_GONE, failures=2)
    assert checksums(target, SCHEMA) == checksums(pg_url, SCHEMA)


def test_network_cut_to_a_mariadb_target_is_reported_and_the_rule_resumes(
    pg_url: str, mysql_url: str, tmp_path: Path, harness: Harness
) -> None:
    proxy = harness.proxy(mysql_url)
    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer, members=60)
    writer.close()
    target = with_port(mysql_url, proxy.port)
    rule = make_rule(pg_url, target, tmp_path, capture="pgoutput", lock_timeout=2.0)
    rule.batch_size = 100
    runner = harness.run(rule, interval=0.1, max_backoff=0.5)
    wait_for_pass(runner, "snapshot", EPOCH)
    load = harness.workload(pg_url)
    cut_twice(proxy)
    load.finish()
    wait_for_pass(runner, "idle", now())
    runner.finish()
    assert_recovered(rule, ("lost connection", "connect", "gone away"), failures=2)
    assert checksums(mysql_url, SCHEMA) == checksums(pg_url, SCHEMA)


def test_locked_sqlite_target_is_transient_and_the_rule_resumes(
    pg_url: str, tmp_path: Path, harness: Harness
) -> None:
    import sqlite3

    writer = SourceWriter(pg_url, SCHEMA)
    writer.create_tables()
    seed_data(writer, members=60)
    writer.close()
    target = str(tmp_path / "replica.sqlite")
    rule = make_rule(pg_url, target, tmp_path, capture="pgoutput", lock_timeout=0.2)
    runner = harness.run(rule, interval=0.1, max_backoff=0.5)
    wait_for_pass(runner, "snapshot", EPOCH)
    load = harness.workload(pg_url)
    time.sleep(0.3)
    with contextlib.closing(sqlite3.connect(target, isolation_level=None)) as blocker:
        blocker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        locked = now()
        time.sleep(2.0)
        blocker.execute("ROLLBACK")
        unlocked = now()
    load.finish()
    wait_for_pass(runner, "idle", now())
    runner.finish()
    warnings = assert_recovered(rule, ("database is locked",), failures=2)
    runs = rule.status.runs(rule.name)
    # passes that started while the lock was held and timed out before it went away
    # (lock_timeout 0.2 s): none may have written anything
    settled = unlocked - timedelta(seconds=0.5)
    during = runs.filter((pl.col("started") > locked) & (pl.col("started") < settled))
    failed = during.filter(pl.col("error").is_not_null())["error"].to_list()
    assert len(failed) >= 2 and all("database is locked" in e for e in failed), during
    # nothing was written meanwhile (a pass that found nothing to write needs no lock)
    assert during.filter(pl.col("error").is_null() & (pl.col("kind") != "idle")).height == 0
    # bounded exponential back-off: interval × 2^n (±20 %), capped at max_backoff
    delays = [float(w.split("retrying in ")[1].split("s")[0]) for w in warnings]
    assert delays[0] == pytest.approx(0.2, abs=0.05)
    assert max(delays) <= 0.5
