"""FitZoneGym generator: exact Arrow schemas, determinism, referential integrity (in memory and in
every database after a real load), unique keys, domain consistency, documented row counts."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from mostaframe.datasets import fitzone
from mostaframe.errors import MostaframeError, SchemaError, SinkError
from mostaframe.schema.arrow import arrow_schema
from mostaframe.schema.model import Entity, Schema

SCALE = 0.01
DOCS = Path(__file__).resolve().parent.parent / "docs" / "fitzonegym.md"


@pytest.fixture(scope="module")
def schema() -> Schema:
    return fitzone.load_schema()


@pytest.fixture(scope="module")
def data(schema: Schema) -> dict[str, pa.Table]:
    """The whole dataset at SCALE, seed 42, one Arrow table per entity name."""
    return {
        entity.name: pa.Table.from_batches(list(batches), schema=arrow_schema(entity))
        for entity, batches in fitzone.generate(SCALE, 42, schema=schema)
    }


def checksums(scale: float, seed: int, schema: Schema, batch_size: int = 50_000) -> dict[str, str]:
    """SHA-256 per table of the Arrow IPC bytes of its rows (one contiguous table per entity)."""
    result = {}
    for entity, batches in fitzone.generate(scale, seed, batch_size=batch_size, schema=schema):
        table = pa.Table.from_batches(list(batches), schema=arrow_schema(entity)).combine_chunks()
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        result[entity.name] = hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()
    return result


def column(data: dict[str, pa.Table], entity: str, name: str, schema: Schema) -> pa.ChunkedArray:
    """A column by model field name."""
    return data[entity][schema.entity(entity).field(name).column]


def rows(data: dict[str, pa.Table], entity: str) -> list[dict]:
    return data[entity].to_pylist()


# --- shape ---------------------------------------------------------------------------------------


def test_schema_path_points_at_the_prisma_file() -> None:
    path = fitzone.schema_path()
    assert path.name == "schema.prisma" and path.parent.name == "fitzonegym"
    assert "model CheckIn" in path.read_text()


def test_missing_schema_file_names_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fitzone, "SCHEMA_RELATIVE_PATH", Path("data/nowhere/schema.prisma"))
    with pytest.raises(SchemaError) as caught:
        fitzone.schema_path()
    message = str(caught.value)
    assert "FitZoneGym schema not found at" in message
    assert str(Path("data/nowhere/schema.prisma")) in message
    assert "git checkout" in message


def test_every_batch_has_the_exact_arrow_schema(schema: Schema) -> None:
    seen = 0
    for entity, batches in fitzone.generate(SCALE, 42, batch_size=700, schema=schema):
        expected = arrow_schema(entity)
        for batch in batches:
            assert batch.schema.equals(expected, check_metadata=True), entity.name
            assert batch.num_rows <= 700
            seen += 1
    assert seen > 43


def test_all_43_entities_come_parents_first(schema: Schema, data: dict[str, pa.Table]) -> None:
    order = list(data)
    assert len(order) == 43  # 40 models + 3 implicit many-to-many join tables
    assert {"_AmenityToClub", "_ActivityToTrainer", "_MemberTags"} <= set(order)
    for entity in schema.entities:
        for relation in entity.foreign_keys():
            if relation.target != entity.name:
                assert order.index(relation.target) < order.index(entity.name)


def test_row_counts_match_the_documented_table(data: dict[str, pa.Table], schema: Schema) -> None:
    documented = {}
    for line in DOCS.read_text().splitlines():
        match = re.match(r"^\| `(\w+)` \| (\w+) \| ([\d,]+) \| ([\d,]+) \|$", line)
        if match:
            documented[match.group(2)] = int(match.group(4).replace(",", ""))
    assert documented == {name: table.num_rows for name, table in data.items()}
    total = sum(table.num_rows for table in data.values())
    assert 9_000 <= total <= 12_000  # scale 0.01 ≈ 10k rows


def test_scale_grows_the_high_volume_tables(schema: Schema) -> None:
    counts = {
        e.name: sum(b.num_rows for b in bs) for e, bs in fitzone.generate(0.1, 42, schema=schema)
    }
    assert 90_000 <= sum(counts.values()) <= 120_000  # scale 0.1 ≈ 100k rows
    big = sorted(counts, key=counts.get, reverse=True)[:6]
    assert set(big) <= {
        "CheckIn",
        "Booking",
        "Attendance",
        "AuditLog",
        "Payment",
        "InvoiceLine",
        "Invoice",
    }


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(MostaframeError, match="scale must be a positive number"):
        next(fitzone.generate(0))
    with pytest.raises(MostaframeError, match=r"scale 50 would make about 50 million rows .* ≤ 10"):
        fitzone.generate(50)
    with pytest.raises(MostaframeError, match="seed must be a non-negative integer, not -1"):
        next(fitzone.generate(0.01, -1))
    with pytest.raises(MostaframeError, match="batch_size must be a positive integer"):
        next(fitzone.generate(0.01, batch_size=0))


def test_an_unknown_entity_is_named(schema: Schema) -> None:
    extra = Entity("Sauna", table="saunas", fields=[], primary_key=[])
    changed = Schema(entities=[*schema.entities, extra], enums=schema.enums)
    with pytest.raises(SchemaError) as caught:
        list(fitzone.generate(SCALE, schema=changed))
    assert "FitZoneGym entity Sauna (table saunas)" in str(caught.value)
    assert "update the builders" in str(caught.value)


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_bytes_whatever_the_batch_size(schema: Schema) -> None:
    first = checksums(SCALE, 42, schema)
    assert first == checksums(SCALE, 42, schema, batch_size=333)
    assert len(first) == 43


def test_another_seed_changes_every_table(schema: Schema) -> None:
    first, other = checksums(SCALE, 42, schema), checksums(SCALE, 7, schema)
    assert [name for name in first if first[name] == other[name]] == []


# --- referential integrity and keys (in memory; the databases check them again below) -----------


def test_every_foreign_key_points_at_an_existing_row(
    schema: Schema, data: dict[str, pa.Table]
) -> None:
    checked = 0
    for entity in schema.entities:
        for relation in entity.foreign_keys():
            target = schema.entity(relation.target)
            (local,), (remote,) = relation.fields, relation.references
            values = data[entity.name][entity.field(local).column].drop_null()
            keys = data[target.name][target.field(remote).column]
            missing = pc.sum(pc.invert(pc.is_in(values, value_set=keys.combine_chunks()))).as_py()
            assert not missing, f"{entity.name}.{local}: {missing} values not in {target.name}"
            checked += 1
    assert checked == 68


def test_optional_foreign_keys_are_sometimes_null(
    schema: Schema, data: dict[str, pa.Table]
) -> None:
    for entity in schema.entities:
        if data[entity.name].num_rows < 100:
            continue
        for relation in entity.foreign_keys():
            values = data[entity.name][entity.field(relation.fields[0]).column]
            if entity.field(relation.fields[0]).required:
                assert values.null_count == 0
            else:
                assert 0 < values.null_count < len(values), f"{entity.name}.{relation.name}"


def test_unique_keys_are_never_duplicated(schema: Schema, data: dict[str, pa.Table]) -> None:
    for entity in schema.entities:
        keys = [entity.primary_key] + [[f.name] for f in entity.fields if f.unique]
        keys += [index.fields for index in entity.indexes if index.unique]
        table = data[entity.name]
        for key in keys:
            columns = [entity.field(name).column for name in key]
            present = table.select(columns).drop_null()
            distinct = present.group_by(columns).aggregate([]).num_rows
            assert distinct == present.num_rows, f"{entity.name} {key}"


def test_self_references_point_at_rows_of_earlier_batches(schema: Schema) -> None:
    for entity, batches in fitzone.generate(SCALE, 42, batch_size=10_000, schema=schema):
        if entity.name not in ("Staff", "Member"):
            continue
        parent = "managerId" if entity.name == "Staff" else "referredById"
        seen: set[int] = set()
        for batch in batches:
            ids = batch.column(entity.field("id").column).to_pylist()
            refs = batch.column(entity.field(parent).column).to_pylist()
            assert all(ref is None or ref in seen for ref in refs), entity.name
            seen.update(ids)


# --- values --------------------------------------------------------------------------------------


def test_updated_at_is_never_before_created_at(schema: Schema, data: dict[str, pa.Table]) -> None:
    for entity in schema.entities:
        if entity.has_field("createdAt") and entity.has_field("updatedAt"):
            created = column(data, entity.name, "createdAt", schema)
            updated = column(data, entity.name, "updatedAt", schema)
            assert not pc.any(pc.less(updated, created)).as_py(), entity.name


def test_nothing_happens_after_today_except_what_is_planned(
    data: dict[str, pa.Table], schema: Schema
) -> None:
    now = dt.datetime(2025, 6, 30)
    planned = {  # published ahead: the class timetable, the staff roster, login expiry
        ("ClassSession", "startsAt"),
        ("ClassSession", "endsAt"),
        ("Shift", "startsAt"),
        ("Shift", "endsAt"),
        ("Session", "expiresAt"),
    }
    for entity in schema.entities:
        for field in entity.fields:
            if field.kind != "datetime" or (entity.name, field.name) in planned:
                continue
            latest = pc.max(data[entity.name][field.column]).as_py()
            if latest is not None:
                assert latest.replace(tzinfo=None) < now, f"{entity.name}.{field.name}"
    starts = pc.max(column(data, "ClassSession", "startsAt", schema)).as_py()
    assert now < starts.replace(tzinfo=None) < now + dt.timedelta(days=14)


def test_enum_columns_hold_database_values(schema: Schema, data: dict[str, pa.Table]) -> None:
    for entity in schema.entities:
        for field in entity.fields:
            if field.kind == "enum":
                values = set(data[entity.name][field.column].drop_null().to_pylist())
                assert values <= set(schema.enums[field.enum].db_values()), field.name
    status = Counter(column(data, "Member", "status", schema).to_pylist())
    assert set(status) == {"prospect", "active", "frozen", "suspended", "cancelled"}
    assert status["active"] > status["cancelled"] > status["frozen"]


def test_json_columns_are_json_objects(schema: Schema, data: dict[str, pa.Table]) -> None:
    for entity in schema.entities:
        for field in entity.fields:
            if field.kind == "json":
                for text in data[entity.name][field.column].drop_null().to_pylist():
                    assert isinstance(json.loads(text), dict), (entity.name, text)


def test_ids_made_by_the_application(data: dict[str, pa.Table], schema: Schema) -> None:
    uuid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(uuid.match(x) for x in column(data, "User", "id", schema).to_pylist())
    assert all(uuid.match(x) for x in column(data, "Document", "id", schema).to_pylist())
    cuid = re.compile(r"^c[0-9a-z]{24}$")
    assert all(cuid.match(x) for x in column(data, "Session", "id", schema).to_pylist())


def test_people_look_real(data: dict[str, pa.Table], schema: Schema) -> None:
    member = next(m for m in rows(data, "Member") if m["id"] == 6)
    assert re.match(r"^[a-z\-]+\.[a-z\-]+\d+@[a-z.]+$", member["email"])
    assert member["member_no"] == "FZ00000006"
    phones = column(data, "Member", "phone", schema).drop_null().to_pylist()
    assert all(re.match(r"^\+\d{2,3} \d( \d\d){4}$", p) for p in phones)
    addresses = column(data, "Session", "ipAddress", schema).drop_null().to_pylist()
    assert all(re.match(r"^(\d+\.){3}\d+$|^2001:db8:", a) for a in addresses)


def test_lists_bytes_and_decimals(data: dict[str, pa.Table], schema: Schema) -> None:
    injuries = column(data, "MemberProfile", "injuries", schema).to_pylist()
    assert {len(x) for x in injuries} == {0, 1, 2}
    assert all(len(set(x)) == len(x) for x in injuries)
    digests = column(data, "Document", "sha256", schema).to_pylist()
    assert {len(d) for d in digests} == {32}
    photos = column(data, "MemberProfile", "photo", schema).drop_null().to_pylist()
    assert photos and all(p.startswith(b"\x89PNG") for p in photos)
    prices = column(data, "SubscriptionPlan", "price", schema)
    assert prices.type == pa.decimal128(10, 2)
    assert str(prices[0]) == "29.90"


def test_vocabularies_are_safe_inside_json() -> None:
    from mostaframe.datasets import fitzone_words as words

    for name in dir(words):
        value = getattr(words, name)
        if isinstance(value, tuple):
            text = json.dumps(value, ensure_ascii=False)
            assert '\\"' not in text and "\\\\" not in text, name


# --- domain consistency ----------------------------------------------------------------------------


def _months_later(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)


def test_subscriptions_follow_their_plans_and_members(data: dict[str, pa.Table]) -> None:
    plans = {p["id"]: p for p in rows(data, "SubscriptionPlan")}
    members = {m["id"]: m for m in rows(data, "Member")}
    current: dict[int, list[str]] = {}
    for sub in rows(data, "Subscription"):
        plan = plans[sub["plan_id"]]
        assert sub["price_at_signup"] == plan["price"]
        assert sub["start_date"] >= members[sub["member_id"]]["joined_on"]
        if sub["status"] == "EXPIRED":
            assert sub["end_date"] == _months_later(sub["start_date"], plan["duration_months"])
        if sub["end_date"] is not None:
            assert sub["end_date"] >= sub["start_date"]
        if sub["status"] in ("TRIAL", "ACTIVE", "PAUSED"):
            current.setdefault(sub["member_id"], []).append(sub["status"])
        assert (sub["status"] == "CANCELLED") == (sub["cancelled_at"] is not None)
    for member in members.values():
        states = current.get(member["id"], [])
        expected = {"active": {"ACTIVE", "TRIAL"}, "frozen": {"PAUSED"}, "suspended": {"ACTIVE"}}
        if member["status"] in expected:
            assert len(states) == 1 and states[0] in expected[member["status"]], member
        else:
            assert states == [], member


def test_coupon_redemptions_are_counted(data: dict[str, pa.Table]) -> None:
    used = Counter(s["coupon_id"] for s in rows(data, "Subscription") if s["coupon_id"])
    for coupon in rows(data, "Coupon"):
        assert coupon["times_redeemed"] == used.get(coupon["id"], 0)
        assert (
            coupon["max_redemptions"] is None
            or coupon["max_redemptions"] >= coupon["times_redeemed"]
        )
        assert (coupon["percent_off"] is None) != (coupon["amount_off"] is None)


def test_invoices_add_up_and_paid_ones_have_their_payment(data: dict[str, pa.Table]) -> None:
    lines: dict[int, list] = {}
    for line in rows(data, "InvoiceLine"):
        assert line["line_total"] == line["unit_price"] * line["quantity"]
        lines.setdefault(line["invoice_id"], []).append(line)
    succeeded = {}
    for payment in rows(data, "Payment"):
        if payment["status"] == "SUCCEEDED" and payment["invoice_id"]:
            assert payment["invoice_id"] not in succeeded
            succeeded[payment["invoice_id"]] = payment
    for invoice in rows(data, "Invoice"):
        items = lines[invoice["id"]]
        assert [x["position"] for x in items] == list(range(1, len(items) + 1))
        assert invoice["subtotal"] == sum(x["line_total"] for x in items)
        assert invoice["total"] == invoice["subtotal"] + invoice["tax_total"]
        rate = items[0]["tax_rate"]
        assert abs(float(invoice["tax_total"]) - float(invoice["subtotal"]) * rate) <= 0.005 + 1e-9
        assert invoice["due_on"] > invoice["issued_on"]
        payment = succeeded.get(invoice["id"])
        assert (payment is not None) == (invoice["status"] == "PAID"), invoice
        if payment:
            assert payment["amount"] == invoice["total"]
            assert payment["member_id"] == invoice["member_id"]
            assert payment["subscription_id"] == invoice["subscription_id"]
            assert payment["currency"] == invoice["currency"]
            assert payment["paid_at"].date() >= invoice["issued_on"]


def _local(instant: dt.datetime, zone: str) -> dt.datetime:
    return instant.astimezone(ZoneInfo(zone))


def test_class_sessions_sit_on_their_schedule_slots(data: dict[str, pa.Table]) -> None:
    clubs = {c["id"]: c for c in rows(data, "Club")}
    rooms = {r["id"]: r for r in rows(data, "Room")}
    schedules = {s["id"]: s for s in rows(data, "ActivitySchedule")}
    staff = {s["id"]: s for s in rows(data, "Staff")}
    trainers = {t["id"]: staff[t["staff_id"]] for t in rows(data, "Trainer")}
    weekdays = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
    hours = {(h["club_id"], h["weekday"]): h for h in rows(data, "OpeningHour")}
    on_schedule = 0
    for session in rows(data, "ClassSession"):
        club = clubs[rooms[session["room_id"]]["club_id"]]
        start = _local(session["starts_at"], club["timezone"])
        end = _local(session["ends_at"], club["timezone"])
        slot_hours = hours[(club["id"], weekdays[start.weekday()])]
        assert not slot_hours["is_closed"]
        assert slot_hours["opens_at"] <= start.time() and end.time() <= slot_hours["closes_at"]
        if session["trainer_id"]:
            assert trainers[session["trainer_id"]]["club_id"] == club["id"]
        if session["schedule_id"] is None:
            continue
        slot = schedules[session["schedule_id"]]
        assert weekdays[start.weekday()] == slot["weekday"]
        assert start.time() == slot["start_time"]
        assert session["room_id"] == slot["room_id"]
        assert slot["valid_from"] <= start.date()
        assert session["ends_at"] - session["starts_at"] == dt.timedelta(
            minutes=slot["duration_minutes"]
        )
        on_schedule += 1
    assert on_schedule > 100


def test_bookings_and_attendance_are_consistent(data: dict[str, pa.Table]) -> None:
    sessions = {s["id"]: s for s in rows(data, "ClassSession")}
    members = {m["id"]: m for m in rows(data, "Member")}
    by_pair = {}
    per_session = Counter()
    for booking in rows(data, "Booking"):
        session = sessions[booking["class_session_id"]]
        assert booking["booked_at"] <= session["starts_at"]
        assert members[booking["member_id"]]["joined_on"] <= session["starts_at"].date()
        assert members[booking["member_id"]]["status"] != "prospect"
        if session["is_cancelled"]:
            assert booking["status"] == "CANCELLED"
        if booking["status"] != "CANCELLED":
            per_session[booking["class_session_id"]] += 1
        by_pair[(booking["class_session_id"], booking["member_id"])] = booking["status"]
    for session_id, count in per_session.items():
        assert count <= sessions[session_id]["capacity"]
    attendance = rows(data, "Attendance")
    assert attendance
    for row in attendance:
        status = by_pair[(row["class_session_id"], row["member_id"])]
        assert status == ("ATTENDED" if row["attended"] else "NO_SHOW")
    assert sum(s in ("ATTENDED", "NO_SHOW") for s in by_pair.values()) == len(attendance)


def test_check_ins_happen_while_the_club_is_open(data: dict[str, pa.Table]) -> None:
    clubs = {c["id"]: c for c in rows(data, "Club")}
    hours = {(h["club_id"], h["weekday"]): h for h in rows(data, "OpeningHour")}
    weekdays = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
    for visit in rows(data, "CheckIn"):
        zone = clubs[visit["club_id"]]["timezone"]
        start = _local(visit["checked_in_at"], zone)
        slot = hours[(visit["club_id"], weekdays[start.weekday()])]
        assert not slot["is_closed"]
        assert slot["opens_at"] <= start.time() <= slot["closes_at"]
        if visit["checked_out_at"]:
            end = _local(visit["checked_out_at"], zone)
            assert start < end and end.date() == start.date() and end.time() <= slot["closes_at"]


def test_equipment_is_serviced_after_purchase(data: dict[str, pa.Table]) -> None:
    equipment = {e["id"]: e for e in rows(data, "Equipment")}
    rooms = {r["id"]: r for r in rows(data, "Room")}
    for record in rows(data, "MaintenanceRecord"):
        bought = equipment[record["equipment_id"]]["purchased_on"]
        if bought:
            assert record["performed_at"].date() > bought
    for item in equipment.values():
        if item["room_id"]:
            assert rooms[item["room_id"]]["club_id"] == item["club_id"]


def test_locker_rentals_never_overlap(data: dict[str, pa.Table]) -> None:
    rentals: dict[int, list] = {}
    for rental in rows(data, "LockerRental"):
        rentals.setdefault(rental["locker_id"], []).append(rental)
    for history in rentals.values():
        history.sort(key=lambda r: r["start_date"])
        for earlier, later in itertools.pairwise(history):
            assert earlier["end_date"] is not None and earlier["end_date"] < later["start_date"]


def test_sale_totals_are_the_sum_of_their_items(data: dict[str, pa.Table]) -> None:
    totals: Counter = Counter()
    for item in rows(data, "SaleItem"):
        totals[item["sale_id"]] += item["quantity"] * item["unit_price"] - item["discount"]
    for sale in rows(data, "Sale"):
        assert sale["total"] == totals[sale["id"]]


def test_measurements_of_a_member_are_weeks_apart(data: dict[str, pa.Table]) -> None:
    days: dict[int, list] = {}
    for row in rows(data, "BodyMeasurement"):
        days.setdefault(row["member_id"], []).append(row["measured_on"])
    gaps = [
        (b - a).days for d in days.values() for a, b in zip(sorted(d), sorted(d)[1:], strict=False)
    ]
    assert gaps and min(gaps) >= 28


# --- loading into real databases --------------------------------------------------------------------


def _table_rows(url: str, schema: Schema) -> dict[str, int]:
    """COUNT(*) of every FitZoneGym table, read back over a real connection."""
    import sqlalchemy

    from mostaframe.dialects import get_dialect
    from mostaframe.secrets import parse_uri

    target = parse_uri(url)
    quote = get_dialect(target.dialect).quote
    engine = sqlalchemy.create_engine(target.sqlalchemy_url())
    try:
        with engine.connect() as connection:
            return {
                e.name: connection.exec_driver_sql(
                    f"SELECT COUNT(*) FROM {quote(e.table)}"
                ).scalar_one()
                for e in schema.entities
            }
    finally:
        engine.dispose()


def _foreign_key_count(url: str) -> int:
    """Foreign-key constraints the database holds (asked from its own catalog)."""
    import sqlalchemy

    from mostaframe.secrets import parse_uri

    target = parse_uri(url)
    query = {
        "postgres": "SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f'",
        "mysql": "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
        "WHERE CONSTRAINT_SCHEMA = DATABASE()",
        "duckdb": "SELECT COUNT(*) FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY'",
        "sqlite": "SELECT COUNT(*) FROM sqlite_master m, pragma_foreign_key_list(m.name) "
        "WHERE m.type = 'table'",
    }[target.dialect]
    engine = sqlalchemy.create_engine(target.sqlalchemy_url())
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(query).scalar_one()
    finally:
        engine.dispose()


def test_load_into_every_dialect(db_url: str, schema: Schema, data: dict[str, pa.Table]) -> None:
    """Tables created with their foreign keys, every row written, read back by the database."""
    from mostaframe.secrets import parse_uri

    counts = fitzone.load(db_url, scale=SCALE, seed=42, quiet=True)
    expected = {name: table.num_rows for name, table in data.items()}
    assert counts == expected
    assert _table_rows(db_url, schema) == expected
    assert _foreign_key_count(db_url) == sum(len(list(e.foreign_keys())) for e in schema.entities)
    dialect = parse_uri(db_url).dialect
    if dialect == "sqlite":
        import sqlite3

        with sqlite3.connect(db_url) as connection:
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    if dialect == "postgres":
        import psycopg

        with psycopg.connect(db_url) as connection:
            total = connection.execute("SELECT SUM(total) FROM invoices").fetchone()[0]
            statuses = connection.execute("SELECT DISTINCT status::text FROM members").fetchall()
            starts = connection.execute("SELECT starts_at FROM class_sessions WHERE id = 1")
            injuries = connection.execute(
                "SELECT injuries FROM member_profiles ORDER BY cardinality(injuries) DESC, id LIMIT 1"
            )
            assert total == pc.sum(data["Invoice"]["total"]).as_py()
            assert {s for (s,) in statuses} == {
                "prospect",
                "active",
                "frozen",
                "suspended",
                "cancelled",
            }
            assert starts.fetchone()[0] == data["ClassSession"]["starts_at"][0].as_py()
            assert len(injuries.fetchone()[0]) == 2


def test_postgres_checks_foreign_keys_row_by_row_into_existing_tables(
    pg_url: str, schema: Schema, data: dict[str, pa.Table]
) -> None:
    """Tables made first (constraints on, not deferrable), then loaded: every row is checked as
    it arrives, and the parents-first order makes the whole load pass."""
    from mostaframe.ddl import apply

    apply(schema, pg_url)
    counts = fitzone.load(pg_url, scale=SCALE, mode="insert", quiet=True)
    assert counts == {name: table.num_rows for name, table in data.items()}
    assert _table_rows(pg_url, schema) == counts


def test_postgres_refuses_rows_that_break_a_foreign_key(
    pg_url: str, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mostaframe.datasets import fitzone_world
    from mostaframe.ddl import apply

    original = fitzone_world.BUILDERS["Room"]

    def dangling(world: fitzone_world.World) -> dict:
        columns = dict(original(world))
        columns["clubId"] = columns["clubId"] + 1_000  # no such club
        return columns

    monkeypatch.setitem(fitzone_world.BUILDERS, "Room", dangling)
    for mode in ("replace", "insert"):  # constraints checked at the end / row by row
        if mode == "insert":
            apply(schema, pg_url)
        with pytest.raises(SinkError) as caught:
            fitzone.load(pg_url, scale=SCALE, mode=mode, quiet=True)
        message = str(caught.value)
        assert "rooms_club_id_fkey" in message, message
    assert _table_rows(pg_url, schema)["Club"] == 0  # rolled back as a whole
