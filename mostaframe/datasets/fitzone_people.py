"""FitZoneGym builders for clubs and people: clubs, amenities, opening hours, rooms, staff,
trainers, members, their profiles and tags.

See :mod:`mostaframe.datasets.fitzone_world` for the builder conventions.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import fitzone_values as v
from . import fitzone_words as words
from .fitzone_world import (
    PLATFORM_START,
    WINDOW_FIRST_DAY,
    Columns,
    World,
    builder,
    join_builder,
)

_SLUGS_FEMALE = [words.ascii_slug(name) for name in words.FEMALE_FIRST_NAMES]
_SLUGS_MALE = [words.ascii_slug(name) for name in words.MALE_FIRST_NAMES]
_SLUGS_NEUTRAL = [words.ascii_slug(name) for name in words.NEUTRAL_FIRST_NAMES]
_SLUGS_LAST = [words.ascii_slug(name) for name in words.LAST_NAMES]
_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def _names(rng: np.random.Generator, gender: np.ndarray) -> dict[str, pa.Array]:
    """First and last names (with their ASCII slugs) matching each row's gender.

    ``gender``: 0 female, 1 male, anything else neutral-or-any.
    """
    n = len(gender)
    female = rng.integers(0, len(words.FEMALE_FIRST_NAMES), n)
    male = rng.integers(0, len(words.MALE_FIRST_NAMES), n)
    neutral = rng.integers(0, len(words.NEUTRAL_FIRST_NAMES), n)
    table = words.FEMALE_FIRST_NAMES + words.MALE_FIRST_NAMES + words.NEUTRAL_FIRST_NAMES
    slugs = _SLUGS_FEMALE + _SLUGS_MALE + _SLUGS_NEUTRAL
    male_base = len(words.FEMALE_FIRST_NAMES)
    neutral_base = male_base + len(words.MALE_FIRST_NAMES)
    any_gender = rng.random(n) < 0.5
    index = np.where(
        gender == 0,
        female,
        np.where(
            gender == 1,
            male_base + male,
            np.where(any_gender, female, neutral_base + neutral),
        ),
    )
    last = rng.integers(0, len(words.LAST_NAMES), n)
    return {
        "first": v.take(table, index),
        "first_slug": v.take(slugs, index),
        "last": v.take(words.LAST_NAMES, last),
        "last_slug": v.take(_SLUGS_LAST, last),
    }


def _seconds_on(rng: np.random.Generator, days: np.ndarray, low: float = 8, high: float = 20):
    """An instant on each day between ``low`` and ``high`` o'clock (UTC)."""
    return np.asarray(days, dtype=np.int64) * v.DAY + (
        (low + rng.random(len(days)) * (high - low)) * v.HOUR
    ).astype(np.int64)


# --- clubs ---------------------------------------------------------------------------------------


@builder("Club")
def clubs(w: World) -> Columns:
    rng = w.rng("Club")
    n = w.volumes.clubs
    # the first clubs take distinct cities; beyond that cities get a second club
    city = np.concatenate([rng.permutation(len(words.CITIES)) for _ in range(n // 20 + 1)])[:n]
    columns = list(zip(*words.CITIES, strict=True))
    city_names = v.take(columns[0], city)
    districts = ("Centre", "Gare", "Nord", "Sud", "Port", "Campus", "Parc", "Arena")
    opened = v.spread(
        rng,
        np.full(n, int(np.datetime64("2008-01-01", "D").astype(np.int64))),
        np.full(n, int(np.datetime64("2022-12-31", "D").astype(np.int64))),
    )
    created = np.maximum(opened - 30, PLATFORM_START) * v.DAY + rng.integers(0, 8 * v.HOUR, n)
    code_prefix = pc.utf8_upper(pc.utf8_slice_codeunits(v.take(_city_slugs(), city), 0, 3))
    return {
        "id": np.arange(1, n + 1),
        "code": v.concat(code_prefix, "-", v.number_text(np.arange(1, n + 1), 3)),
        "name": v.concat("FitZone ", city_names, " ", v.pick(rng, districts, n)),
        "addressLine": v.concat(
            v.number_text(rng.integers(1, 180, n)), " ", v.pick(rng, words.STREETS, n)
        ),
        "city": city_names,
        "postalCode": v.take(columns[1], city),
        "countryCode": v.take(columns[2], city),
        "timezone": v.take(columns[3], city),
        "phone": v.with_nulls(
            v.phone_text(rng, _landline(v.take(columns[4], city))), rng.random(n) < 0.05
        ),
        "latitude": v.nullable(
            np.round(np.asarray(columns[5])[city] + rng.normal(0, 0.01, n), 5),
            rng.random(n) < 0.1,
        ),
        "longitude": v.nullable(
            np.round(np.asarray(columns[6])[city] + rng.normal(0, 0.01, n), 5),
            rng.random(n) < 0.1,
        ),
        "capacity": rng.integers(15, 61, n) * 10,
        "isActive": np.ones(n, dtype=bool),
        "openedOn": v.dates(opened, rng.random(n) < 0.1),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.6)),
        "_city": city,
        "_country": v.take(columns[2], city),
        "_mobile_prefix": v.take(columns[4], city),
        "_opened": opened,
        "_created": created,
    }


def _city_slugs() -> list[str]:
    return [words.ascii_slug(city[0]) for city in words.CITIES]


def _landline(mobile_prefixes: pa.Array) -> pa.Array:
    """``"+33 6"`` → ``"+33 9"``: business lines on the same country code."""
    return pc.replace_substring_regex(mobile_prefixes, r" \d$", " 9")


@builder("Amenity")
def amenities(w: World) -> Columns:
    rng = w.rng("Amenity")
    n = len(words.AMENITIES)
    created = PLATFORM_START * v.DAY + np.sort(rng.integers(0, 30 * v.DAY, n))
    return {
        "id": np.arange(1, n + 1),
        "code": v.take([a[0] for a in words.AMENITIES], np.arange(n)),
        "label": v.take([a[1] for a in words.AMENITIES], np.arange(n)),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.3)),
    }


@join_builder("Amenity", "Club")
def amenity_club(w: World) -> dict[str, np.ndarray]:
    rng = w.rng("AmenityToClub")
    clubs_n, amenities_n = w.volumes.clubs, len(words.AMENITIES)
    has = rng.random((clubs_n, amenities_n)) < 0.55
    codes = [a[0] for a in words.AMENITIES]
    has[:, codes.index("showers")] = True  # every club has showers and lockers
    has[:, codes.index("lockers")] = True
    club, amenity = np.nonzero(has)
    return {"Club": club + 1, "Amenity": amenity + 1}


def club_has_amenity(w: World, code: str) -> np.ndarray:
    """Boolean per club index: the club offers the amenity ``code``."""
    pairs = w.join("Amenity", "Club")
    amenity_id = [a[0] for a in words.AMENITIES].index(code) + 1
    has = np.zeros(w.volumes.clubs, dtype=bool)
    has[pairs["Club"][pairs["Amenity"] == amenity_id] - 1] = True
    return has


@builder("OpeningHour")
def opening_hours(w: World) -> Columns:
    rng = w.rng("OpeningHour")
    clubs_n = w.volumes.clubs
    hour = v.HOUR
    weekday_opens = rng.choice(np.array([6, 6.5, 7]) * hour, clubs_n, p=[0.5, 0.3, 0.2])
    weekday_closes = rng.choice(np.array([22, 22.5, 23]) * hour, clubs_n, p=[0.5, 0.3, 0.2])
    opens = np.repeat(weekday_opens[:, None], 7, axis=1)
    closes = np.repeat(weekday_closes[:, None], 7, axis=1)
    opens[:, 5] = rng.choice(np.array([8, 9]) * hour, clubs_n)
    closes[:, 5] = rng.choice(np.array([19, 20]) * hour, clubs_n)
    opens[:, 6] = 9 * hour
    closes[:, 6] = rng.choice(np.array([13, 14, 18]) * hour, clubs_n)
    closed = np.zeros((clubs_n, 7), dtype=bool)
    closed[:, 6] = rng.random(clubs_n) < 0.3
    shown_opens = np.where(closed, 0, opens).ravel()  # a closed day shows 00:00–00:00
    shown_closes = np.where(closed, 0, closes).ravel()
    created = np.repeat(w.table("Club")["_created"], 7) + 60
    return {
        "clubId": np.repeat(np.arange(1, clubs_n + 1), 7),
        "weekday": v.take(_WEEKDAYS, np.tile(np.arange(7), clubs_n)),
        "opensAt": v.times(shown_opens),
        "closesAt": v.times(shown_closes),
        "isClosed": closed.ravel(),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.4)),
        "_opens": opens.ravel().astype(np.int64),
        "_closes": closes.ravel().astype(np.int64),
        "_closed": closed.ravel(),
    }


@builder("Room")
def rooms(w: World) -> Columns:
    rng = w.rng("Room")
    clubs_n, kinds = w.volumes.clubs, len(words.ROOMS)
    pool = [r[0] for r in words.ROOMS].index("Aquatic pool")
    keys = rng.random((clubs_n, kinds))
    keys[~club_has_amenity(w, "pool"), pool] = 2.0  # no pool room without a pool
    keys[:, 0] = -1.0  # every club has Studio A
    order = np.argsort(keys, axis=1)
    count = rng.integers(5, 10, clubs_n)
    count = np.minimum(count, (keys < 1.5).sum(axis=1))
    club, rank = v.repeat_index(count)
    kind = order[club, rank]
    n = len(club)
    capacity = np.array([r[1] for r in words.ROOMS])[kind]
    capacity = np.maximum(8, capacity + rng.integers(-4, 5, n))
    created = w.table("Club")["_created"][club] + rng.integers(3600, 30 * v.DAY, n)
    return {
        "id": np.arange(1, n + 1),
        "clubId": club + 1,
        "name": v.take([r[0] for r in words.ROOMS], kind),
        "floor": rng.choice([0, 0, 0, 1, 1, 2, -1], n),
        "capacity": capacity,
        "areaSqm": v.nullable(
            np.round(capacity * rng.uniform(2.5, 5.0, n), 1), rng.random(n) < 0.1
        ),
        "isBookable": np.array([r[2] for r in words.ROOMS])[kind],
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.3)),
        "_club": club,
        "_kind": kind,
        "_created": created,
    }


# --- members and staff (facts shared by Member, Staff and User) ----------------------------------


@builder("~members")
def member_facts(w: World) -> Columns:
    rng = w.rng("~members")
    n = w.volumes.members
    clubs = w.table("Club")
    gender_names, gender = v.enum_values(
        rng, n, {"FEMALE": 0.48, "MALE": 0.46, "NON_BINARY": 0.01, "UNDISCLOSED": 0.05}
    )
    names = _names(rng, gender)
    status_names, status = v.enum_values(
        rng,
        n,
        {"PROSPECT": 0.06, "ACTIVE": 0.6, "FROZEN": 0.05, "SUSPENDED": 0.03, "CANCELLED": 0.26},
    )
    # more members joined recently (growth); prospects joined in the last three months
    span = v.TODAY - 1 - PLATFORM_START
    joined = PLATFORM_START + (rng.random(n) ** 0.6 * span).astype(np.int64)
    joined = np.where(status == 0, v.TODAY - 1 - rng.integers(0, 90, n), joined)
    created = _seconds_on(rng, joined)
    order = np.argsort(created, kind="stable")  # ids follow sign-up order
    gender, status, joined, created = gender[order], status[order], joined[order], created[order]
    gender_names, status_names = gender_names.take(order), status_names.take(order)
    names = {key: value.take(order) for key, value in names.items()}
    weights = clubs["capacity"] / clubs["capacity"].sum()
    home = rng.choice(len(weights), n, p=weights)
    no_home = rng.random(n) < 0.05
    index = np.arange(n)
    referrer = np.floor(rng.random(n) * index).astype(np.int64)  # always an earlier member
    referred = (rng.random(n) < 0.12) & (index > 0)
    age_days = (np.clip(rng.gamma(4.0, 8.0, n) + 16, 16, 85) * 365.25).astype(np.int64)
    ids = index + 1
    domain = v.pick(rng, words.EMAIL_DOMAINS, n, (0.4, 0.25, 0.15, 0.1, 0.1))
    mobile = pc.if_else(pa.array(no_home), "+33 6", clubs["_mobile_prefix"].take(pa.array(home)))
    return {
        "id": ids,
        "memberNo": v.concat("FZ", v.number_text(ids, 8)),
        "firstName": names["first"],
        "lastName": names["last"],
        "email": v.concat(
            names["first_slug"], ".", names["last_slug"], v.number_text(ids), "@", domain
        ),
        "phone": v.with_nulls(v.phone_text(rng, mobile), rng.random(n) < 0.12),
        "birthDate": v.dates(joined - age_days, rng.random(n) < 0.08),
        "gender": gender_names,
        "status": status_names,
        "joinedOn": v.dates(joined),
        "marketingOptIn": rng.random(n) < 0.4,
        "loyaltyPoints": np.where(
            status == 0, 0, ((v.TODAY - joined) / 30 * rng.uniform(0, 20, n)).astype(np.int64)
        ),
        "homeClubId": v.nullable(home + 1, no_home),
        "referredById": v.nullable(referrer + 1, ~referred),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.7)),
        "_gender": gender,
        "_status": status,
        "_joined": joined,
        "_created": created,
        "_home": np.where(no_home, -1, home),
        "_has_user": rng.random(n) < np.where(status == 0, 0.5, 0.88),
        "_first_slug": names["first_slug"],
        "_last_slug": names["last_slug"],
        "_age_years": (v.TODAY - (joined - age_days)) / 365.25,
    }


#: member status indices (order of the MemberStatus weights above)
PROSPECT, ACTIVE, FROZEN, SUSPENDED, CANCELLED = range(5)


def member_pools(w: World) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Members who take part in club life (not prospects), grouped by home club.

    Returns:
        ``(members, order, starts, counts)``: ``members`` are member indices, and
        ``members[order[starts[c]:starts[c] + counts[c]]]`` those whose home club is ``c``
        (the last group, index ``clubs``, holds members without a home club).
    """
    facts = w.table("~members")
    members = np.nonzero(facts["_status"] != PROSPECT)[0]
    home = facts["_home"][members]
    group = np.where(home < 0, w.volumes.clubs, home)
    order, starts, counts = v.segments(group, w.volumes.clubs + 1)
    return members, order, starts, counts


def pick_members(
    w: World, rng: np.random.Generator, club: np.ndarray, home_share: float = 0.85
) -> np.ndarray:
    """A participating member per row: from the row's club's home members with probability
    ``home_share`` (when it has any), else from all participating members."""
    members, order, starts, counts = member_pools(w)
    n = len(club)
    local = v.segment_pick(rng, starts, counts, club)
    anyone = rng.integers(0, len(members), n)
    use_local = (rng.random(n) < home_share) & (local >= 0)
    return np.where(use_local, members[order[np.maximum(local, 0)]], members[anyone])


@builder("~staff")
def staff_facts(w: World) -> Columns:
    rng = w.rng("~staff")
    clubs = w.table("Club")
    clubs_n = w.volumes.clubs
    per_club = w.volumes.staff_per_club + rng.integers(-1, 3, clubs_n)
    club, rank = v.repeat_index(per_club)
    n = len(club)
    job = v.weighted(rng, n, words.JOB_WEIGHTS)
    # every club: a manager, two coaches, a personal trainer, a technician, a front desk
    for position, fixed in enumerate((0, 2, 2, 3, 4, 1)):
        job[rank == position] = fixed
    gender = rng.integers(0, 2, n)
    names = _names(rng, gender)
    first_day = np.maximum(clubs["_opened"][club], PLATFORM_START - 3 * 365)
    hired = v.spread(rng, first_day, np.full(n, v.TODAY - 60))
    hired = np.where(rank == 0, first_day + rng.integers(0, 90, n), hired)
    # leavers left before the activity window: nobody who left still has shifts or classes
    can_leave = (rank > 0) & (hired < WINDOW_FIRST_DAY - 120)
    left = can_leave & (rng.random(n) < 0.12)
    left_on = v.spread(rng, hired + 60, np.full(n, WINDOW_FIRST_DAY - 1))
    managers = np.nonzero(rank == 0)[0]
    manager = np.where(rank == 0, 0, managers[club])  # club managers report to the director
    rate = np.array([0, 1350, 1700, 2600, 1900, 1500, 1250])[job] + rng.integers(0, 900, n)
    ids = np.arange(1, n + 1)
    created = np.maximum(hired, PLATFORM_START) * v.DAY + rng.integers(8, 18, n) * v.HOUR
    return {
        "id": ids,
        "clubId": club + 1,
        "managerId": v.nullable(manager + 1, ids == 1),
        "employeeNo": v.concat("E", v.number_text(ids, 6)),
        "firstName": names["first"],
        "lastName": names["last"],
        "jobTitle": v.take(words.JOB_TITLES, job),
        "hiredOn": v.dates(hired),
        "leftOn": v.dates(left_on, ~left),
        "hourlyRate": v.money(rate, job == 0),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.5)),
        "_club": club,
        "_job": job,
        "_left": left,
        "_created": created,
        "_first_slug": names["first_slug"],
        "_last_slug": names["last_slug"],
    }


def current_staff(w: World, jobs: tuple[int, ...] | None = None) -> np.ndarray:
    """Indices of staff still employed (optionally only with one of ``jobs``)."""
    staff = w.table("~staff")
    keep = ~staff["_left"]
    if jobs is not None:
        keep &= np.isin(staff["_job"], jobs)
    return np.nonzero(keep)[0]


def pick_staff(
    w: World, rng: np.random.Generator, club: np.ndarray, jobs: tuple[int, ...] | None = None
) -> np.ndarray:
    """A current staff index of each row's club (with one of ``jobs``), or -1 if none."""
    chosen = current_staff(w, jobs)
    order, starts, counts = v.segments(w.table("~staff")["_club"][chosen], w.volumes.clubs)
    position = v.segment_pick(rng, starts, counts, club)
    return np.where(position >= 0, chosen[order[np.maximum(position, 0)]], -1)


def user_of_members(w: World) -> np.ndarray:
    """User row index per member index (-1 for members without an account)."""
    user = w.table("User")
    result = np.full(w.volumes.members, -1)
    rows = np.nonzero(user["_member"] >= 0)[0]
    result[user["_member"][rows]] = rows
    return result


def user_of_staff(w: World) -> np.ndarray:
    """User row index per staff index (every staff member has one)."""
    user = w.table("User")
    rows = np.nonzero(user["_staff"] >= 0)[0]
    result = np.empty(len(rows), dtype=np.int64)
    result[user["_staff"][rows]] = rows
    return result


# --- staff, trainers, members ------------------------------------------------------------------


@builder("Staff")
def staff_members(w: World) -> Columns:
    facts = dict(w.table("~staff"))
    facts["userId"] = w.table("User")["id"].take(pa.array(user_of_staff(w)))
    return facts


@builder("Trainer")
def trainers(w: World) -> Columns:
    rng = w.rng("Trainer")
    staff = w.table("~staff")
    rows = np.nonzero(np.isin(staff["_job"], words.TRAINER_JOBS))[0]
    n = len(rows)
    personal = staff["_job"][rows] == 3
    created = staff["_created"][rows] + rng.integers(3600, 10 * v.DAY, n)
    bio = v.concat(v.pick(rng, words.BIO_OPENINGS, n), v.pick(rng, words.BIO_ENDINGS, n))
    return {
        "id": np.arange(1, n + 1),
        "staffId": rows + 1,
        "bio": v.with_nulls(bio, rng.random(n) < 0.4),
        "certification": v.with_nulls(v.pick(rng, words.CERTIFICATIONS, n), rng.random(n) < 0.15),
        "maxClientsPerWeek": rng.integers(2, 9, n) * 5,
        "acceptsPrivate": personal | (rng.random(n) < 0.6),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.4)),
        "_staff": rows,
        "_club": staff["_club"][rows],
        "_left": staff["_left"][rows],
    }


@builder("Member")
def members(w: World) -> Columns:
    facts = dict(w.table("~members"))
    user = user_of_members(w)
    ids = w.table("User")["id"].take(pa.array(np.maximum(user, 0)))
    facts["userId"] = v.with_nulls(ids, user < 0)
    return facts


@builder("MemberProfile")
def member_profiles(w: World) -> Columns:
    rng = w.rng("MemberProfile")
    members_ = w.table("~members")
    has = rng.random(w.volumes.members) < np.where(members_["_has_user"], 0.7, 0.25)
    member = np.nonzero(has)[0]
    n = len(member)
    gender = members_["_gender"][member]
    height = np.where(gender == 0, 164.0, np.where(gender == 1, 177.0, 170.0)) + rng.normal(0, 7, n)
    contact = _names(rng, rng.integers(0, 2, n))
    mobile = v.pick(rng, ("+33 6", "+33 7", "+32 4", "+41 7"), n, (0.7, 0.2, 0.05, 0.05))
    injuries_count = np.where(rng.random(n) < 0.7, 0, rng.integers(1, 3, n))
    injury_offsets = np.concatenate(([0], np.cumsum(injuries_count)))
    kinds = len(words.INJURIES)
    first_injury = rng.integers(0, kinds, n)
    second_injury = (first_injury + rng.integers(1, kinds, n)) % kinds  # never the same twice
    owner, rank = v.repeat_index(injuries_count)
    injury_values = v.take(
        words.INJURIES, np.where(rank == 0, first_injury[owner], second_injury[owner])
    )
    favourites_count = rng.integers(0, 4, n)
    favourite_offsets = np.concatenate(([0], np.cumsum(favourites_count)))
    favourites = v.pick(rng, [a[0] for a in words.ACTIVITIES], int(favourites_count.sum()))
    preferences = v.json_object(
        {
            "preferredTime": v.pick(rng, words.PREFERRED_TIMES, n),
            "newsletter": pc.if_else(pa.array(rng.random(n) < 0.4), "true", "false"),
            "favoriteActivities": v.json_array(favourites, favourite_offsets),
        },
        raw=("newsletter", "favoriteActivities"),
    )
    created = np.minimum(members_["_created"][member] + rng.integers(60, 20 * v.DAY, n), v.NOW - 1)
    photo_length = rng.integers(200, 900, n)
    return {
        "id": np.arange(1, n + 1),
        "memberId": member + 1,
        "emergencyContactName": v.with_nulls(
            v.concat(contact["first"], " ", contact["last"]), rng.random(n) < 0.3
        ),
        "emergencyContactPhone": v.with_nulls(v.phone_text(rng, mobile), rng.random(n) < 0.3),
        "heightCm": v.nullable(np.round(height, 1), rng.random(n) < 0.15),
        "fitnessLevel": v.pick(
            rng, ("BEGINNER", "INTERMEDIATE", "ADVANCED", "ALL_LEVELS"), n, (0.45, 0.35, 0.12, 0.08)
        ),
        "injuries": v.lists(injury_offsets, injury_values),
        "medicalNotes": v.with_nulls(
            v.concat("Medical clearance on file; watch ", v.pick(rng, words.INJURIES, n), "."),
            rng.random(n) < 0.85,
        ),
        "preferences": v.with_nulls(preferences, rng.random(n) < 0.4),
        "photo": v.with_nulls(
            v.blobs(rng, photo_length, b"\x89PNG\r\n\x1a\n"), rng.random(n) < 0.75
        ),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.5)),
        "_member": member,
        "_height": height,
    }


@builder("Tag")
def tags(w: World) -> Columns:
    rng = w.rng("Tag")
    n = len(words.TAGS)
    created = PLATFORM_START * v.DAY + np.sort(rng.integers(0, 400 * v.DAY, n))
    return {
        "id": np.arange(1, n + 1),
        "name": v.take([t[0] for t in words.TAGS], np.arange(n)),
        "color": v.take([t[1] for t in words.TAGS], np.arange(n)),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.2)),
    }


@join_builder("Member", "Tag")
def member_tags(w: World) -> dict[str, np.ndarray]:
    rng = w.rng("MemberTags")
    members_ = w.table("~members")
    n = w.volumes.members
    names = [t[0] for t in words.TAGS]
    age = members_["_age_years"]
    referred = ~pc.is_null(members_["referredById"]).to_numpy(zero_copy_only=False)
    rule = {  # tag → chance per member, from what we know about them
        "vip": np.full(n, 0.03),
        "student": np.where(age < 26, 0.45, 0.0),
        "senior": np.where(age > 62, 0.7, 0.0),
        "corporate": np.full(n, 0.08),
        "new-member": np.where(members_["_joined"] > v.TODAY - 90, 0.8, 0.0),
        "at-risk": np.where(members_["_status"] == SUSPENDED, 0.7, 0.02),
        "referral": np.where(referred, 0.9, 0.0),
        "early-bird": np.full(n, 0.05),
        "night-owl": np.full(n, 0.05),
        "competitor": np.full(n, 0.02),
        "rehab": np.full(n, 0.03),
        "family": np.full(n, 0.06),
        "ambassador": np.full(n, 0.01),
        "pt-client": np.full(n, 0.06),
        "promo-2025": np.where(members_["_joined"] >= v.TODAY - 180, 0.3, 0.0),
        "influencer": np.full(n, 0.003),
    }
    chance = np.stack([rule[name] for name in names], axis=1)
    member, tag = np.nonzero(rng.random((n, len(names))) < chance)
    return {"Member": member + 1, "Tag": tag + 1}
