"""PostgreSQL logical decoding capture (pgoutput) on the real local server (wal_level=logical).

Every test drops its slot (teardown), and the pg_url fixture drops any slot of its database.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from decimal import Decimal

import numpy as np
import psycopg
import pytest
from test_capture_triggers import (
    SHOP,
    Replica,
    SourceWriter,
    assert_same,
    drain,
    member_row,
    plan_row,
    read_source,
    seed,
    workload,
)

from mostaframe.errors import ReplicationError
from mostaframe.replication.capture import CAPTURES, choose_capture
from mostaframe.replication.capture.pgoutput import PgOutputCapture, lsn_int, lsn_text
from mostaframe.replication.capture.pgoutput_decode import (
    DecodeError,
    Messages,
    decode,
    parse_relation,
)
from mostaframe.replication.changes import Truncate
from mostaframe.schema.model import Entity, Field, Schema


def make_capture(url: str, rule: str = "shop", schema: Schema = SHOP) -> PgOutputCapture:
    return PgOutputCapture(url, schema, schema.entities, rule=rule)


def prepared(url: str, members: int = 20) -> tuple[SourceWriter, PgOutputCapture, int]:
    writer = SourceWriter(url)
    writer.create_tables()
    seed(writer, random.Random(1), members=members)
    capture = make_capture(url)
    return writer, capture, capture.setup()


def test_every_kind_and_a_random_workload_reproduce_the_source(pg_url: str) -> None:
    writer, capture, start = prepared(pg_url)
    try:
        assert capture.setup() == start  # idempotent
        replica = Replica(read_source(pg_url))
        workload(writer, random.Random(5), transactions=60)
        sets, end = drain(capture, start, max_changes=40)
        assert len(sets) > 3
        for changes in sets:
            replica.apply(changes)
            # whole transactions: each set ends at a commit, positions only grow
            assert changes.start_position < changes.end_position
            assert changes.oldest_commit_time <= changes.newest_commit_time
        assert_same(replica.rows, read_source(pg_url))
        assert capture.read(end).is_empty
        assert capture.lag(end).pending_changes == 0
    finally:
        capture.teardown()


def test_read_ahead_before_acknowledging_gives_the_same_changes(pg_url: str) -> None:
    """The rule reads the next chunk while the previous one is applied (not yet acknowledged)."""
    writer, capture, start = prepared(pg_url)
    try:
        replica = Replica(read_source(pg_url))
        workload(writer, random.Random(9), transactions=30)
        position, chunks = start, []
        done = False
        while not done:  # read ahead three chunks, acknowledge, repeat
            for _ in range(3):
                changes = capture.read(position, max_changes=25)
                position = changes.end_position
                if changes.is_empty:
                    done = True
                    break
                chunks.append(changes)
            capture.acknowledge(position)
        for changes in chunks:
            replica.apply(changes)
        assert_same(replica.rows, read_source(pg_url))
        assert sum(c.changes for c in chunks) > 75
    finally:
        capture.teardown()


def test_primary_key_change_and_truncate_barrier(pg_url: str) -> None:
    writer, capture, start = prepared(pg_url, members=3)
    try:
        writer.run("DELETE FROM visits")
        writer.update("Member", {"id": 2}, {"id": 20})
        writer.update("Member", {"id": 1}, {"id": 2})
        writer.insert("Visit", {"memberId": 3, "day": dt.date(2024, 2, 1), "minutes": 1})
        writer.truncate("Visit")
        writer.insert("Visit", {"memberId": 3, "day": dt.date(2024, 2, 2), "minutes": 2})
        writer.commit()
        changes = capture.read(start)
        first, barrier, last = changes.segments
        members = next(c for c in first if c.entity == "Member")
        assert sorted(r["id"] for r in members.upserts.to_pylist()) == [2, 20]
        assert members.deletes.to_pylist() == [{"id": 1}]
        assert isinstance(barrier, Truncate) and barrier.entities == ["Visit"]
        assert [c.upserts.to_pylist() for c in last] == [
            [{"memberId": 3, "day": dt.date(2024, 2, 2), "minutes": 2}]
        ]
        assert changes.counts == {
            ("Visit", "delete"): 2,
            ("Member", "update"): 2,
            ("Visit", "insert"): 2,
            ("Visit", "truncate"): 1,
        }
        assert barrier.position <= changes.end_position
    finally:
        capture.teardown()


def test_unchanged_toasted_value_is_completed_from_the_old_image(pg_url: str) -> None:
    writer, capture, start = prepared(pg_url, members=2)
    try:
        big = secrets.token_hex(20_000)  # incompressible: stored out of line (TOAST)
        writer.update("Member", {"id": 1}, {"note": big})
        writer.commit()
        position = capture.read(start).end_position
        writer.update("Member", {"id": 1}, {"score": 1.5})  # the note is not in the new tuple
        writer.commit()
        changes = capture.read(position)
        (row,) = changes.segments[0][0].upserts.to_pylist()
        assert row["note"] == big and row["score"] == 1.5
    finally:
        capture.teardown()


def _old_tuple_markers(url: str, capture: PgOutputCapture) -> dict[str, int]:
    """UPDATE/DELETE messages pending in the slot, by old-tuple marker ('K' key, 'O' row)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT chr(get_byte(data, 0)) || chr(get_byte(data, 5)), count(*) "
            f"FROM {capture._peek(None, None)} WHERE get_byte(data, 0) IN (68, 85) GROUP BY 1"
        ).fetchall()
    return dict(rows)


def test_default_identity_key_only_old_tuples_replicate_exactly(pg_url: str) -> None:
    """REPLICA IDENTITY DEFAULT (set after setup): DELETEs and key-changing UPDATEs carry a
    key-only old tuple ('K'), other UPDATEs none; the replica still equals the source."""
    writer, capture, start = prepared(pg_url, members=12)
    try:
        writer.run("ALTER TABLE visits REPLICA IDENTITY DEFAULT")
        writer.run("ALTER TABLE plans REPLICA IDENTITY DEFAULT")
        writer.commit()
        replica = Replica(read_source(pg_url))
        for i in range(2, 12, 3):
            for day in range(1, 6):
                writer.insert(
                    "Visit", {"memberId": i, "day": dt.date(2024, 3, day), "minutes": day}
                )
        writer.commit()
        writer.run("UPDATE visits SET minutes = minutes + 100 WHERE day = '2024-03-02'")
        # primary-key changes: a day moved (one column of the composite key), then back through
        # a free day, so the same key is deleted and re-created within one ChangeSet
        writer.run("UPDATE visits SET day = '2024-04-01' WHERE day = '2024-03-03'")
        writer.run("UPDATE visits SET day = '2024-04-02' WHERE day = '2024-03-04'")
        writer.run("UPDATE visits SET day = '2024-03-04', minutes = 7 WHERE day = '2024-04-02'")
        writer.run("DELETE FROM visits WHERE day = '2024-03-05' OR minutes = 30")
        writer.run("UPDATE plans SET id = id + 10, price = price + 1 WHERE id IN (4, 5)")
        writer.commit()
        with psycopg.connect(pg_url) as conn:
            (moved,) = conn.execute(
                'SELECT count(*) FROM members WHERE "planId" IN (14, 15)'
            ).fetchone()
        assert moved > 0
        # visits: 12 key changes, 4 updates, 8 deletes; plans: 2 key changes; members (still
        # FULL) whose planId the foreign key's ON UPDATE CASCADE changed: whole old rows
        assert _old_tuple_markers(pg_url, capture) == {
            "UK": 12 + 2,
            "DK": 4 + 8,
            "UN": 4,
            "UO": moved,
        }
        sets, _ = drain(capture, start, max_changes=15)
        for changes in sets:
            replica.apply(changes)
        source = read_source(pg_url)
        assert len(replica.rows["Visit"]) == len(source["Visit"]) == 4 * 4
        assert sorted(replica.rows["Plan"]) == [(1,), (2,), (3,), (14,), (15,)]
        assert_same(replica.rows, source)
        # per-row checksum on the source side, against the replica's rows
        with psycopg.connect(pg_url) as conn:
            expected = conn.execute(
                "SELECT sum(hashtext(\"memberId\" || '|' || day || '|' || minutes)) FROM visits"
            ).fetchone()[0]
            got = conn.execute(
                "SELECT sum(hashtext(m || '|' || d || '|' || n)) "
                "FROM unnest(%s::bigint[], %s::date[], %s::int[]) AS t(m, d, n)",
                [
                    list(col)
                    for col in zip(
                        *(
                            (r["memberId"], r["day"], r["minutes"])
                            for r in replica.rows["Visit"].values()
                        ),
                        strict=True,
                    )
                ],
            ).fetchone()[0]
        assert got == expected
    finally:
        capture.teardown()


def test_key_only_old_tuple_never_fills_an_unchanged_toasted_value(pg_url: str) -> None:
    """A key change under REPLICA IDENTITY DEFAULT leaves a TOASTed column out of the new tuple
    and the old tuple has only the key: refused, never applied as NULL."""
    writer, capture, start = prepared(pg_url, members=3)
    try:
        big = secrets.token_hex(20_000)  # incompressible: stored out of line (TOAST)
        writer.update("Member", {"id": 2}, {"note": big})  # member 2 has no visits
        writer.commit()
        position = capture.read(start).end_position
        capture.acknowledge(position)
        writer.run("ALTER TABLE members REPLICA IDENTITY DEFAULT")
        writer.update("Member", {"id": 2}, {"id": 200})
        writer.commit()
        assert _old_tuple_markers(pg_url, capture) == {"UK": 1}
        with pytest.raises(ReplicationError) as error:
            capture.read(position)
        assert str(error.value).startswith(
            "entity Member: an UPDATE left a large (TOASTed) value unchanged and the source sent "
            "no old image to take it from; run ALTER TABLE members REPLICA IDENTITY FULL"
        )
    finally:
        capture.teardown()


def test_old_tuple_without_the_primary_key_is_refused(pg_url: str) -> None:
    """REPLICA IDENTITY USING INDEX of another unique index: a DELETE carries that index's
    columns, not the primary key; deleting "NULL" would silently keep the row."""
    writer, capture, start = prepared(pg_url, members=3)
    try:
        writer.run("CREATE UNIQUE INDEX members_email_identity ON members (email)")
        writer.run("ALTER TABLE members REPLICA IDENTITY USING INDEX members_email_identity")
        writer.delete("Member", {"id": 2})
        writer.commit()
        with pytest.raises(ReplicationError) as error:
            capture.read(start)
        assert str(error.value) == (
            "entity Member: a DELETE or key-changing UPDATE of table public.members came without "
            "its primary key (id): the table's REPLICA IDENTITY does not include it; run ALTER "
            "TABLE members REPLICA IDENTITY FULL (the rule's setup does) and re-snapshot with "
            "rule.resync()"
        )
    finally:
        capture.teardown()


def test_uncommitted_transactions_come_when_they_commit(pg_url: str) -> None:
    writer, capture, start = prepared(pg_url, members=1)
    try:
        slow = psycopg.connect(pg_url)
        slow.execute("INSERT INTO plans (id, name, price) VALUES (10, 'slow', 1)")
        writer.insert("Plan", plan_row(11, random.Random(1)))
        writer.commit()
        first = capture.read(start)
        assert [r["id"] for r in first.segments[0][0].upserts.to_pylist()] == [11]
        slow.commit()
        second = capture.read(first.end_position)
        assert [r["id"] for r in second.segments[0][0].upserts.to_pylist()] == [10]
        assert second.end_position > first.end_position
        slow.close()
    finally:
        capture.teardown()


def test_lag_reports_pending_changes_bytes_and_age(pg_url: str, monkeypatch) -> None:
    writer, capture, start = prepared(pg_url, members=1)
    try:
        assert capture.lag(start).pending_changes == 0
        for i in range(10, 40):
            writer.insert("Plan", plan_row(i, random.Random(i)))
            writer.commit()
        time.sleep(0.2)
        lag = capture.lag(start)
        assert lag.pending_changes == 30
        assert lag.pending_bytes > 30 * 50
        assert 0.2 <= lag.seconds_behind < 60
        # beyond the counting limit the count is extrapolated from the WAL bytes
        monkeypatch.setattr(PgOutputCapture, "LAG_PEEK_LIMIT", 30)
        assert 20 <= capture.lag(start).pending_changes <= 60
        monkeypatch.undo()
        changes = capture.read(start)
        capture.acknowledge(changes.end_position)
        after = capture.lag(changes.end_position)
        assert (after.pending_changes, after.seconds_behind) == (0, 0.0)
    finally:
        capture.teardown()


def test_quiet_tables_let_the_slot_move_past_other_writes(pg_url: str) -> None:
    writer, capture, start = prepared(pg_url, members=1)
    try:
        writer.run("CREATE TABLE other (id int primary key)")
        writer.run("INSERT INTO other SELECT generate_series(1, 1000)")
        writer.commit()
        changes = capture.read(start)
        assert changes.is_empty and changes.end_position > start
        capture.acknowledge(changes.end_position)
        capture.check(changes.end_position)
    finally:
        capture.teardown()


def test_check_detects_a_dropped_or_advanced_slot(pg_url: str) -> None:
    writer, capture, start = prepared(pg_url, members=1)
    try:
        writer.insert("Plan", plan_row(9, random.Random(9)))
        writer.commit()
        capture.check(start)
        changes = capture.read(start)
        admin = psycopg.connect(pg_url, autocommit=True)
        admin.execute(
            "SELECT pg_replication_slot_advance('mostaframe_shop', %s::pg_lsn)",
            (lsn_text(changes.end_position),),
        )
        with pytest.raises(
            ReplicationError,
            match=r"replication slot mostaframe_shop on postgresql://postgres@127\.0\.0\.1:5432/"
            rf"mf_\w+ is ahead of the checkpoint \(slot at {lsn_text(changes.end_position)}, "
            rf"checkpoint {lsn_text(start)}\): someone consumed or advanced it; re-snapshot "
            r"with rule\.resync\(\)",
        ):
            capture.check(start)
        with pytest.raises(ReplicationError, match="is ahead of the checkpoint"):
            capture.read(start)
        admin.execute("SELECT pg_drop_replication_slot('mostaframe_shop')")
        with pytest.raises(
            ReplicationError,
            match=rf"replication slot mostaframe_shop on .* is gone: changes after checkpoint "
            rf"{lsn_text(changes.end_position)} are lost; re-snapshot with rule\.resync\(\)",
        ):
            capture.check(changes.end_position)
        admin.close()
    finally:
        capture.teardown()


def test_teardown_removes_slot_publication_and_restores_replica_identity(pg_url: str) -> None:
    writer = SourceWriter(pg_url)
    writer.create_tables()
    writer.run("ALTER TABLE visits REPLICA IDENTITY FULL")  # the user's own choice: kept
    writer.run("CREATE UNIQUE INDEX plans_name_key ON plans (name)")
    writer.run("ALTER TABLE plans REPLICA IDENTITY USING INDEX plans_name_key")
    writer.commit()
    capture = make_capture(pg_url, rule="Gym → Lite!")
    capture.setup()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(
            "SELECT slot_name, plugin FROM pg_replication_slots WHERE database = current_database()"
        ).fetchall() == [("mostaframe_gym_lite", "pgoutput")]
        assert conn.execute(
            "SELECT relname, relreplident FROM pg_class WHERE relname IN "
            "('plans', 'members', 'visits') ORDER BY relname"
        ).fetchall() == [("members", "f"), ("plans", "f"), ("visits", "f")]
    capture.teardown()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"
        ).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM pg_publication").fetchone() == (0,)
        assert conn.execute(
            "SELECT relname, relreplident FROM pg_class WHERE relname IN "
            "('plans', 'members', 'visits') ORDER BY relname"
        ).fetchall() == [("members", "d"), ("plans", "i"), ("visits", "f")]
        assert conn.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indisreplident"
        ).fetchall() == [("plans_name_key",)]
    capture.teardown()  # twice is fine


def test_bad_configuration_names_what_to_change(pg_url: str, monkeypatch) -> None:
    writer = SourceWriter(pg_url)
    writer.create_tables()
    writer.run("CREATE TABLE nokey (a int, b int)")
    writer.run("DROP ROLE IF EXISTS mf_capture_plain")
    writer.run("CREATE ROLE mf_capture_plain LOGIN")
    writer.run("DROP ROLE IF EXISTS mf_capture_repl")
    writer.run("CREATE ROLE mf_capture_repl LOGIN REPLICATION")
    writer.commit()
    try:
        loose = Entity("Loose", table="nokey", fields=[Field("a", "int")], primary_key=["a"])
        with pytest.raises(
            ReplicationError,
            match=r"entity Loose \(table nokey\) has no primary key; add one or exclude it",
        ):
            make_capture(pg_url, schema=Schema([loose])).setup()
        ghost = Entity("Ghost", table="ghosts", fields=[Field("id", "int")], primary_key=["id"])
        with pytest.raises(ReplicationError, match="entity Ghost: table ghosts not found on"):
            make_capture(pg_url, schema=Schema([ghost])).setup()
        plain = pg_url.replace("postgres@", "mf_capture_plain@")
        with pytest.raises(
            ReplicationError,
            match=r"role mf_capture_plain on .* lacks the REPLICATION attribute .* "
            r"ALTER ROLE \"mf_capture_plain\" REPLICATION as a superuser, or use "
            r"method='triggers'",
        ):
            make_capture(plain).setup()
        repl = pg_url.replace("postgres@", "mf_capture_repl@")
        with pytest.raises(
            ReplicationError,
            match=r"role mf_capture_repl does not own table public\.plans \(entity Plan\)",
        ):
            make_capture(repl).setup()
        real_query = PgOutputCapture._query

        def replica_level(self, sql, params=None):
            return [("replica",)] if sql == "SHOW wal_level" else real_query(self, sql, params)

        monkeypatch.setattr(PgOutputCapture, "_query", replica_level)
        with pytest.raises(
            ReplicationError,
            match=r"wal_level is replica on postgresql://postgres@.*; set wal_level=logical "
            r"\(ALTER SYSTEM SET wal_level = logical; restart PostgreSQL\) or use "
            r"method='triggers'",
        ):
            make_capture(pg_url).setup()
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DROP ROLE mf_capture_plain")
            conn.execute("DROP ROLE mf_capture_repl")


def test_choose_capture_picks_pgoutput_for_logical_postgres(pg_url: str, sqlite_url: str) -> None:
    assert choose_capture(pg_url) is CAPTURES["pgoutput"]
    assert choose_capture(pg_url, "triggers") is CAPTURES["triggers"]
    assert choose_capture(sqlite_url) is CAPTURES["triggers"]
    assert sorted(CAPTURES) == ["pgoutput", "triggers"]
    with pytest.raises(
        ReplicationError, match=r"unknown capture method 'trigger'; did you mean 'triggers'\?"
    ):
        choose_capture(pg_url, "trigger")
    with pytest.raises(ReplicationError, match="capture method 'pgoutput' does not support sqlite"):
        choose_capture(sqlite_url, "pgoutput")


def test_other_messages_are_ignored_and_malformed_streams_are_refused(pg_url: str) -> None:
    writer, capture, _ = prepared(pg_url, members=1)
    try:
        writer.run("SELECT pg_logical_emit_message(true, 'mostaframe-test', 'hello')")
        writer.insert("Plan", plan_row(7, random.Random(7)))
        writer.commit()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            payloads = [
                bytes(r[0])
                for r in conn.execute(
                    "SELECT data FROM pg_logical_slot_peek_binary_changes('mostaframe_shop', NULL, "
                    "NULL, 'proto_version', '1', 'publication_names', 'mostaframe_shop')"
                )
            ]
        kinds = [p[:1] for p in payloads]
        assert kinds == [b"B", b"R", b"I", b"C"]
        relation = parse_relation(payloads[1])
        assert (relation.namespace, relation.name, relation.replica_identity) == (
            "public",
            "plans",
            "f",
        )
        assert relation.columns == ["id", "name", "price", "seats"]
        # a Type and an Origin message inside the transaction change nothing
        type_message = b"Y" + (16385).to_bytes(4, "big") + b"public\0mood\0"
        origin = b"O" + (0).to_bytes(8, "big") + b"upstream\0"
        chunk = decode(Messages.from_payloads([payloads[0], origin, type_message, *payloads[1:]]))
        assert chunk.transactions == 1 and len(chunk.rows) == 1 and len(chunk.rows[0]) == 1
        with pytest.raises(DecodeError, match="unknown pgoutput message 'Z'"):
            decode(Messages.from_payloads([payloads[0], b"Z", *payloads[1:]]))
        with pytest.raises(DecodeError, match="does not end with the message"):
            decode(Messages.from_payloads([*payloads[:2], payloads[2] + b"x", payloads[3]]))
        with pytest.raises(DecodeError, match="do not pair up"):
            decode(Messages.from_payloads(payloads[:3]))
    finally:
        capture.teardown()


def test_lsn_text_round_trip() -> None:
    for value in (0, 1, 0x16B374D48, 2**40 + 7):
        assert lsn_int(lsn_text(value)) == value
    assert lsn_text(0x16B374D48) == "1/6B374D48"


def test_decoded_values_match_a_direct_read_for_many_rows(pg_url: str) -> None:
    """A bigger insert/update/delete mix through the vectorised path, against the table."""
    writer = SourceWriter(pg_url)
    writer.create_tables()
    for i in range(1, 6):
        writer.insert("Plan", plan_row(i, random.Random(i)))
    writer.commit()
    capture = make_capture(pg_url)
    start = capture.setup()
    try:
        rng = random.Random(42)
        for i in range(1, 1501):
            writer.insert("Member", member_row(i, rng))
        writer.commit()
        writer.run("UPDATE members SET score = score * 2, note = 'x' WHERE id % 3 = 0")
        writer.run("DELETE FROM members WHERE id % 10 = 0")
        writer.commit()
        replica = Replica({name: {} for name in ("Plan", "Member", "Visit")})
        replica.rows["Plan"] = read_source(pg_url)["Plan"]
        sets, _ = drain(capture, start, max_changes=700)
        for changes in sets:
            replica.apply(changes)
        assert_same(replica.rows, read_source(pg_url))
        assert sum(c.counts.get(("Member", "insert"), 0) for c in sets) == 1500
        assert np.all(np.diff([c.end_position for c in sets]) > 0)
    finally:
        capture.teardown()


def test_text_values_convert_through_the_entity_model() -> None:
    import pyarrow as pa

    from mostaframe.replication.capture.convert import parse_pg_array, text_to_arrow

    entity = Entity("Thing", table="things")

    def convert(values, **field):
        return text_to_arrow(pa.array(values, pa.string()), Field("c", **field), entity).to_pylist()

    assert convert(["NaN", "Infinity", "-Infinity", "1.5e+300", None], kind="float")[1:] == [
        float("inf"),
        float("-inf"),
        1.5e300,
        None,
    ]
    assert convert(["12.50", "-0.01"], kind="decimal", precision=6, scale=2) == [
        Decimal("12.50"),
        Decimal("-0.01"),
    ]
    assert convert(
        ["2024-05-01 12:00:00.5+02", "2024-05-01T10:00:00Z", "2024-05-01 10:00:00"],
        kind="datetime",
        timezone=True,
    ) == [
        dt.datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=dt.UTC),
        dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC),
        dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC),
    ]
    assert convert(["01:30:00+02", "23:59:59.999999"], kind="time") == [
        dt.time(23, 30),
        dt.time(23, 59, 59, 999999),
    ]
    assert convert(["\\x00ff", "\\x", None], kind="bytes") == [b"\x00\xff", b"", None]
    assert convert(["t", "f", "true", "0", None], kind="boolean") == [
        True,
        False,
        True,
        False,
        None,
    ]
    assert convert(['{"a b","c\\"d",NULL}', '["x", null]', None], kind="string", list=True) == [
        ["a b", 'c"d', None],
        ["x", None],
        None,
    ]
    assert convert(
        ["[1.10, 2, 12345678901234567.89]"], kind="decimal", precision=20, scale=2, list=True
    ) == [[Decimal("1.10"), Decimal("2.00"), Decimal("12345678901234567.89")]]
    assert parse_pg_array("[0:1]={1,2}") == ["1", "2"]
    with pytest.raises(
        ReplicationError, match=r"entity Thing, column c: cannot read captured value 'abc' as int"
    ):
        convert(["1", "abc"], kind="int")
    with pytest.raises(ReplicationError, match=r"cannot read captured value '1\.234' as decimal"):
        convert(["1.234"], kind="decimal", precision=6, scale=2)


def test_char_and_inet_values_match_what_the_snapshot_reads(pg_url: str) -> None:
    """``char(n)`` padding and ``inet`` masks: pgoutput's output-function text is brought to the
    ``::text`` form the copy engine reads, so snapshot and changes agree."""
    node = Entity(
        "Node",
        table="nodes",
        fields=[Field("code", "string", length=5), Field("ip", "string", required=False)],
        primary_key=["code"],
    )
    schema = Schema([node])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE nodes (code char(5) PRIMARY KEY, ip inet)")
        capture = make_capture(pg_url, schema=schema)
        start = capture.setup()
        conn.execute(
            "INSERT INTO nodes VALUES ('ab', '10.0.0.1'), ('cd', '10.1.0.0/16'), ('ef', '::1'), "
            "('gh', NULL)"
        )
    try:
        changes = capture.read(start)
        captured = {r["code"]: r for r in changes.segments[0][0].upserts.to_pylist()}
        snapshot = {k[0]: v for k, v in read_source(pg_url, schema)["Node"].items()}
        assert captured == snapshot
        assert captured["ab"] == {"code": "ab", "ip": "10.0.0.1/32"}
        assert captured["ef"]["ip"] == "::1/128" and captured["gh"]["ip"] is None
    finally:
        capture.teardown()
