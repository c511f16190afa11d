"""FitZoneGym builders for club life: activities, weekly schedules, class sessions, bookings,
waiting lists, attendance, turnstile check-ins and reviews.

Consistency kept here: a session happens on its schedule's weekday and start time, in the
club's opening hours, in a room of the club, with a trainer of the club; bookings are for
existing sessions by members who had joined; attendance rows are the bookings marked attended
or no-show; check-ins happen at a club while it is open; reviews come from attended classes.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import fitzone_values as v
from . import fitzone_words as words
from .fitzone_people import ACTIVE, FROZEN, SUSPENDED, club_has_amenity, pick_members
from .fitzone_world import (
    AHEAD_DAYS,
    PLATFORM_START,
    WINDOW_FIRST_DAY,
    WINDOW_WEEKS,
    Columns,
    World,
    builder,
    join_builder,
)

_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_AQUA = np.array([a[0].startswith("aqua") for a in words.ACTIVITIES])
_POOL_ROOM = [r[0] for r in words.ROOMS].index("Aquatic pool")
_QUARTER = 15 * v.MINUTE


@builder("Activity")
def activities(w: World) -> Columns:
    rng = w.rng("Activity")
    n = len(words.ACTIVITIES)
    columns = list(zip(*words.ACTIVITIES, strict=True))
    created = PLATFORM_START * v.DAY + np.sort(rng.integers(0, 600 * v.DAY, n))
    return {
        "id": np.arange(1, n + 1),
        "slug": pa.array(columns[0]),
        "name": pa.array(columns[1]),
        "description": v.with_nulls(pa.array(columns[5]), rng.random(n) < 0.1),
        "level": pa.array(columns[2]),
        "durationMinutes": np.array(columns[3]),
        "metValue": np.array(columns[4], dtype=np.float64),
        "isActive": rng.random(n) < 0.95,
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.5)),
        "_duration": np.array(columns[3]) * v.MINUTE,
        "_met": np.array(columns[4], dtype=np.float64),
    }


@join_builder("Activity", "Trainer")
def activity_trainer(w: World) -> dict[str, np.ndarray]:
    rng = w.rng("ActivityToTrainer")
    trainer = w.table("Trainer")
    n = len(trainer["id"])
    keys = rng.random((n, len(words.ACTIVITIES)))
    keys[np.ix_(~club_has_amenity(w, "pool")[trainer["_club"]], _AQUA)] = 2.0
    count = rng.integers(2, 6, n)
    order = np.argsort(keys, axis=1)
    row, rank = v.repeat_index(count)
    activity = order[row, rank]
    return {"Trainer": row + 1, "Activity": activity + 1}


def _room_pools(w: World) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Rooms grouped by club: (pool rooms, other bookable rooms) as (rooms, order, starts, counts)."""
    room = w.table("Room")
    result = []
    for wanted in (room["_kind"] == _POOL_ROOM, (room["_kind"] != _POOL_ROOM) & room["isBookable"]):
        rows = np.nonzero(wanted)[0]
        result.append((rows, *v.segments(room["_club"][rows], w.volumes.clubs)))
    return result[0], result[1]


def _pick_room(
    w: World, rng: np.random.Generator, club: np.ndarray, aqua: np.ndarray
) -> np.ndarray:
    """A bookable room of each row's club suited to the activity (-1 when the club has none)."""
    pools, others = _room_pools(w)
    chosen = []
    for rows, order, starts, counts in (pools, others):
        position = v.segment_pick(rng, starts, counts, club)
        chosen.append(np.where(position >= 0, rows[order[np.maximum(position, 0)]], -1))
    return np.where(aqua, chosen[0], chosen[1])


def _pick_trainer(w: World, rng: np.random.Generator, club: np.ndarray) -> np.ndarray:
    """A current trainer index of each row's club (-1 when none)."""
    trainer = w.table("Trainer")
    rows = np.nonzero(~trainer["_left"])[0]
    order, starts, counts = v.segments(trainer["_club"][rows], w.volumes.clubs)
    position = v.segment_pick(rng, starts, counts, club)
    return np.where(position >= 0, rows[order[np.maximum(position, 0)]], -1)


def _start_time(
    w: World, rng: np.random.Generator, club: np.ndarray, day: np.ndarray, length: np.ndarray
) -> np.ndarray:
    """A class start time on the quarter hour that fits, with its length, in the opening hours."""
    raw = w.time_in_opening(rng, club, day, stay=length + _QUARTER)
    start = -(-raw // _QUARTER) * _QUARTER  # round up to the quarter
    closes = w.opening[1][club, v.weekday_of(day)]
    return np.where(start + length > closes, start - _QUARTER, start)


@builder("ActivitySchedule")
def schedules(w: World) -> Columns:
    rng = w.rng("ActivitySchedule")
    pairs = w.join("Activity", "Trainer")
    trainer = w.table("Trainer")
    activity = w.table("Activity")
    room = w.table("Room")
    current = ~trainer["_left"][pairs["Trainer"] - 1]
    pair_rows = np.nonzero(current)[0]
    weeks = WINDOW_WEEKS + AHEAD_DAYS // 7
    n = max(4, round(w.volumes.class_sessions / weeks * 1.1))
    chosen = pair_rows[rng.integers(0, len(pair_rows), n)]
    who = pairs["Trainer"][chosen] - 1
    what = pairs["Activity"][chosen] - 1
    club = trainer["_club"][who]
    where = _pick_room(w, rng, club, _AQUA[what])
    weekday = rng.integers(0, 7, n)
    weekday = np.where(w.opening[2][club, weekday], 5, weekday)  # closed Sunday → Saturday
    length = activity["_duration"][what]
    start = _start_time(w, rng, club, WINDOW_FIRST_DAY + weekday, length)
    keep = where >= 0
    slot = (np.maximum(where, 0) * 7 + weekday) * v.DAY + start
    first = np.zeros(n, dtype=bool)
    first[v.distinct_pairs(np.zeros(n, dtype=np.int64), slot, int(slot.max()) + 1)] = True
    keep &= first  # one class per room and start
    who, what, club, where = who[keep], what[keep], club[keep], where[keep]
    weekday, length, start = weekday[keep], length[keep], start[keep]
    n = len(who)
    recent = rng.random(n) < 0.15
    valid_from = np.where(
        recent,
        WINDOW_FIRST_DAY + rng.integers(0, 150, n),
        WINDOW_FIRST_DAY - rng.integers(0, 900, n),
    )
    valid_from = np.maximum(valid_from, w.table("Club")["_opened"][club])
    ended = rng.random(n) < 0.1
    valid_until = v.spread(
        rng, np.maximum(valid_from, WINDOW_FIRST_DAY) + 14, np.full(n, v.TODAY - 1)
    )
    ended &= valid_until > valid_from
    created = np.maximum(
        valid_from * v.DAY - rng.integers(v.DAY, 20 * v.DAY, n), room["_created"][where] + 60
    )
    rotating = rng.random(n) < 0.08
    capacity = np.minimum(room["capacity"][where], rng.integers(10, 31, n))
    return {
        "id": np.arange(1, n + 1),
        "activityId": what + 1,
        "roomId": where + 1,
        "trainerId": v.nullable(who + 1, rotating),
        "weekday": v.take(_WEEKDAYS, weekday),
        "startTime": v.times(start),
        "durationMinutes": length // v.MINUTE,
        "capacity": capacity,
        "validFrom": v.dates(valid_from),
        "validUntil": v.dates(valid_until, ~ended),
        "isActive": ~ended,
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(
            np.where(
                ended, np.maximum(valid_until * v.DAY, created), v.updated_after(rng, created, 0.3)
            )
        ),
        "_club": club,
        "_room": where,
        "_activity": what,
        "_trainer": np.where(rotating, -1, who),
        "_weekday": weekday,
        "_start": start,
        "_length": length,
        "_from": valid_from,
        "_until": np.where(ended, valid_until, 10**6),
        "_capacity": capacity,
        "_created": created,
    }


@builder("ClassSession")
def class_sessions(w: World) -> Columns:
    rng = w.rng("ClassSession")
    sched = w.table("ActivitySchedule")
    weeks = WINDOW_WEEKS + AHEAD_DAYS // 7
    schedule, week = v.repeat_index(np.full(len(sched["_club"]), weeks))
    day = WINDOW_FIRST_DAY + 7 * week + sched["_weekday"][schedule]
    keep = (sched["_from"][schedule] <= day) & (day <= sched["_until"][schedule])
    keep &= day < v.TODAY + AHEAD_DAYS
    schedule, day = schedule[keep], day[keep]
    club = sched["_club"][schedule]
    start = w.local_instant(club, day, sched["_start"][schedule])
    created = np.maximum(sched["_created"][schedule], start - 28 * v.DAY)
    room, activity = sched["_room"][schedule], sched["_activity"][schedule]
    trainer = sched["_trainer"][schedule]
    length = sched["_length"][schedule]
    capacity = sched["_capacity"][schedule]

    # one-off workshops on Saturdays, outside any schedule
    extra = max(2, len(schedule) // 50)
    pairs = w.join("Activity", "Trainer")
    chosen = rng.integers(0, len(pairs["Trainer"]), extra)
    extra_trainer = pairs["Trainer"][chosen] - 1
    extra_activity = pairs["Activity"][chosen] - 1
    extra_club = w.table("Trainer")["_club"][extra_trainer]
    extra_room = _pick_room(w, rng, extra_club, _AQUA[extra_activity])
    extra_day = WINDOW_FIRST_DAY + 5 + 7 * rng.integers(0, weeks, extra)
    extra_length = np.full(extra, 90 * v.MINUTE)
    extra_start = w.local_instant(
        extra_club, extra_day, _start_time(w, rng, extra_club, extra_day, extra_length)
    )
    ok = (extra_room >= 0) & (extra_day < v.TODAY + AHEAD_DAYS)
    schedule = np.concatenate([schedule, np.full(ok.sum(), -1)])
    club = np.concatenate([club, extra_club[ok]])
    start = np.concatenate([start, extra_start[ok]])
    created = np.concatenate([created, extra_start[ok] - 40 * v.DAY])
    room = np.concatenate([room, extra_room[ok]])
    activity = np.concatenate([activity, extra_activity[ok]])
    trainer = np.concatenate([trainer, extra_trainer[ok]])
    length = np.concatenate([length, extra_length[ok]])
    capacity = np.concatenate([capacity, np.full(ok.sum(), 20)])

    order = np.lexsort((room, start))
    schedule, club, start, created = schedule[order], club[order], start[order], created[order]
    room, activity, trainer = room[order], activity[order], trainer[order]
    length, capacity = length[order], capacity[order]
    n = len(start)
    substitute = _pick_trainer(w, rng, club)
    trainer = np.where((trainer < 0) | (rng.random(n) < 0.04), substitute, trainer)
    trainer = np.where(rng.random(n) < 0.01, -1, trainer)  # a guest instructor, not on staff
    end = start + length
    cancelled = rng.random(n) < 0.03
    cancel_at = created + (rng.random(n) * (np.minimum(start, v.NOW) - created)).astype(np.int64)
    roll_call = np.minimum(end + rng.integers(0, 2 * v.HOUR, n), v.NOW - 1)
    updated = np.where(cancelled, cancel_at, np.where(end < v.NOW, roll_call, created))
    return {
        "id": np.arange(1, n + 1),
        "activityId": activity + 1,
        "scheduleId": v.nullable(schedule + 1, schedule < 0),
        "roomId": room + 1,
        "trainerId": v.nullable(trainer + 1, trainer < 0),
        "startsAt": v.timestamps(start),
        "endsAt": v.timestamps(end),
        "capacity": capacity,
        "isCancelled": cancelled,
        "cancelReason": v.with_nulls(
            v.pick(rng, words.SESSION_CANCEL_REASONS, n), ~cancelled | (rng.random(n) < 0.2)
        ),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(np.maximum(updated, created)),
        "_club": club,
        "_activity": activity,
        "_trainer": trainer,
        "_start": start,
        "_end": end,
        "_created": created,
        "_capacity": capacity,
        "_cancelled": cancelled,
        "_cancel_at": cancel_at,
    }


# --- bookings, waiting lists, attendance -------------------------------------------------------

_BOOKING_STATUS = ("CONFIRMED", "CANCELLED", "NO_SHOW", "ATTENDED")
CONFIRMED, BOOKING_CANCELLED, NO_SHOW, ATTENDED = range(4)


@builder("Booking")
def bookings(w: World) -> Columns:
    rng = w.rng("Booking")
    sess = w.table("ClassSession")
    members = w.table("~members")
    start, created = sess["_start"], sess["_created"]
    ahead = np.clip((start - v.NOW) / (AHEAD_DAYS * v.DAY), 0, 1)
    fill = rng.beta(2.4, 2.0, len(start)) * (1 - 0.7 * ahead)
    wanted = rng.binomial(sess["_capacity"], fill)
    session, _ = v.repeat_index(wanted)
    member = pick_members(w, rng, sess["_club"][session])
    keep = members["_created"][member] < start[session] - v.DAY
    unique = np.zeros(len(session), dtype=bool)
    unique[v.distinct_pairs(session, member, w.volumes.members)] = True
    keep &= unique
    session, member = session[keep], member[keep]
    n = len(session)
    past = start[session] < v.NOW
    state = np.where(
        past,
        v.weighted(rng, n, (0.0, 0.13, 0.07, 0.80)),
        v.weighted(rng, n, (0.9, 0.1, 0.0, 0.0)),
    )
    state = np.where(sess["_cancelled"][session], BOOKING_CANCELLED, state)
    lead = np.exp(rng.uniform(np.log(v.HOUR), np.log(10 * v.DAY), n)).astype(np.int64)
    low = np.maximum(created[session], members["_created"][member])
    high = np.minimum(start[session] - 10 * v.MINUTE, v.NOW - 1)
    booked = np.minimum(np.maximum(start[session] - lead, low), high)
    cancelled = state == BOOKING_CANCELLED
    cancel_at = booked + (rng.random(n) * (np.minimum(start[session], v.NOW) - booked)).astype(
        np.int64
    )
    cancel_at = np.where(
        sess["_cancelled"][session], np.maximum(booked, sess["_cancel_at"][session]), cancel_at
    )
    marked = np.minimum(sess["_end"][session] + rng.integers(0, 2 * v.HOUR, n), v.NOW - 1)
    updated = np.select([cancelled, state >= NO_SHOW], [cancel_at, marked], booked)
    order = np.argsort(booked, kind="stable")
    facts = {
        "_session": session,
        "_member": member,
        "_state": state,
        "_booked": booked,
        "_cancel_at": cancel_at,
        "_updated": np.maximum(updated, booked),
        "_source": v.weighted(rng, n, words.BOOKING_SOURCE_WEIGHTS),
    }
    facts = {key: value[order] for key, value in facts.items()}
    cancelled = facts["_state"] == BOOKING_CANCELLED
    return {
        "id": np.arange(1, n + 1),
        "classSessionId": facts["_session"] + 1,
        "memberId": facts["_member"] + 1,
        "status": v.take(_BOOKING_STATUS, facts["_state"]),
        "source": v.take(words.BOOKING_SOURCES, facts["_source"]),
        "bookedAt": v.timestamps(facts["_booked"]),
        "cancelledAt": v.timestamps(facts["_cancel_at"], ~cancelled),
        "createdAt": v.timestamps(facts["_booked"]),
        "updatedAt": v.timestamps(facts["_updated"]),
        **facts,
    }


@builder("WaitlistEntry")
def waitlist(w: World) -> Columns:
    rng = w.rng("WaitlistEntry")
    sess = w.table("ClassSession")
    book = w.table("Booking")
    members_n = w.volumes.members
    active = book["_state"] != BOOKING_CANCELLED
    taken = np.bincount(book["_session"][active], minlength=len(sess["_start"]))
    full = np.nonzero((taken >= 0.75 * sess["_capacity"]) & ~sess["_cancelled"])[0]
    session, _ = v.repeat_index(rng.integers(1, 5, len(full)))
    session = full[session]
    member = pick_members(w, rng, sess["_club"][session])
    booked_keys = book["_session"] * (members_n + 1) + book["_member"]
    keep = ~np.isin(session * (members_n + 1) + member, booked_keys)
    unique = np.zeros(len(session), dtype=bool)
    unique[v.distinct_pairs(session, member, members_n)] = True
    keep &= unique
    session, member = session[keep], member[keep]
    n = len(session)
    _, starts, _ = v.segments(session, len(sess["_start"]))
    position = np.arange(n) - starts[session] + 1  # rows are grouped by session already
    start = sess["_start"][session]
    created = np.clip(
        start - rng.integers(v.HOUR, 2 * v.DAY, n), sess["_created"][session], v.NOW - 1
    )
    notified = created + (rng.random(n) * np.maximum(np.minimum(start, v.NOW) - created, 1))
    is_notified = rng.random(n) < 0.4
    notified = notified.astype(np.int64)
    return {
        "id": np.arange(1, n + 1),
        "classSessionId": session + 1,
        "memberId": member + 1,
        "position": position,
        "notifiedAt": v.timestamps(notified, ~is_notified),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(np.where(is_notified, notified, created)),
        "_member": member,
        "_notified": np.where(is_notified, notified, -1),
        "_session": session,
    }


@builder("Attendance")
def attendances(w: World) -> Columns:
    rng = w.rng("Attendance")
    book = w.table("Booking")
    sess = w.table("ClassSession")
    members = w.table("~members")
    rows = np.nonzero(book["_state"] >= NO_SHOW)[0]
    session, member = book["_session"][rows], book["_member"][rows]
    order = np.lexsort((member, session))
    session, member = session[order], member[order]
    n = len(session)
    came = book["_state"][rows][order] == ATTENDED
    weight = np.where(members["_gender"][member] == 0, 64.0, 80.0) + rng.normal(0, 9, n)
    hours = (sess["_end"][session] - sess["_start"][session]) / v.HOUR
    met = w.table("Activity")["_met"][sess["_activity"][session]]
    calories = np.round(met * weight * hours * rng.uniform(0.8, 1.2, n), 1)
    created = np.minimum(sess["_end"][session] + rng.integers(0, 30 * v.MINUTE, n), v.NOW - 1)
    late = np.where(came & (rng.random(n) < 0.2), rng.integers(1, 16, n), 0)
    return {
        "classSessionId": session + 1,
        "memberId": member + 1,
        "attended": came,
        "minutesLate": late,
        "avgHeartRate": v.nullable(rng.integers(95, 166, n), ~came | (rng.random(n) < 0.55)),
        "caloriesBurned": v.nullable(calories, ~came),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.05)),
        "_session": session,
        "_member": member,
        "_came": came,
    }


# --- turnstile check-ins -------------------------------------------------------------------------


@builder("CheckIn")
def check_ins(w: World) -> Columns:
    rng = w.rng("CheckIn")
    members = w.table("~members")
    clubs = w.table("Club")
    status = members["_status"]
    first_day = np.maximum(members["_joined"], WINDOW_FIRST_DAY)
    days = np.maximum(v.TODAY - first_day, 0)
    habit = rng.gamma(0.9, 1.0, len(status)) * days
    habit *= np.select(
        [status == ACTIVE, status == SUSPENDED, status == FROZEN], [1.0, 0.3, 0.1], 0.0
    )
    visits = rng.poisson(w.volumes.check_ins * habit / habit.sum())
    member, _ = v.repeat_index(visits)
    n = len(member)
    home = members["_home"][member]
    elsewhere = (home < 0) | (rng.random(n) < 0.15)
    club = np.where(elsewhere, rng.integers(0, w.volumes.clubs, n), home)
    day = v.spread(rng, first_day[member], np.full(n, v.TODAY - 1))
    day = w.open_day(club, day)
    stay = rng.integers(35, 151, n) * v.MINUTE
    local = w.time_in_opening(rng, club, day, stay=40 * v.MINUTE)
    checked_in = w.local_instant(club, day, local)
    closing = w.local_instant(club, day, w.opening[1][club, v.weekday_of(day)])
    checked_out = np.minimum(checked_in + stay, closing)
    keep = checked_in >= members["_created"][member]  # no visit before signing up
    order = np.argsort(np.where(keep, checked_in, -1), kind="stable")[np.count_nonzero(~keep) :]
    member, club, checked_in, checked_out = (
        member[order],
        club[order],
        checked_in[order],
        checked_out[order],
    )
    n = len(member)
    method_names, method = v.enum_values(
        rng, n, {"BADGE": 0.55, "QR_CODE": 0.2, "APP": 0.2, "FRONT_DESK": 0.05}
    )
    turnstile = v.concat(
        "TURNSTILE-", clubs["code"].take(pa.array(club)), "-", v.number_text(rng.integers(1, 4, n))
    )
    device = pc.case_when(
        pc.make_struct(pa.array(method <= 1), pa.array(method == 2)),
        turnstile,
        v.concat("app-", v.hex_text(rng, n, 6)),
    )
    return {
        "id": np.arange(1, n + 1),
        "memberId": member + 1,
        "clubId": club + 1,
        "method": method_names,
        "deviceId": device,
        "checkedInAt": v.timestamps(checked_in),
        "checkedOutAt": v.timestamps(checked_out, rng.random(n) < 0.12),
        "createdAt": v.timestamps(checked_in),
    }


@builder("Review")
def reviews(w: World) -> Columns:
    rng = w.rng("Review")
    att = w.table("Attendance")
    sess = w.table("ClassSession")
    trainer = w.table("Trainer")
    came = np.nonzero(att["_came"] & (rng.random(len(att["_came"])) < 0.07))[0]
    session, member = att["_session"][came], att["_member"][came]
    who = sess["_trainer"][session]
    created = np.minimum(
        sess["_end"][session] + rng.integers(v.HOUR, 3 * v.DAY, len(came)), v.NOW - 1
    )
    # reviews of personal trainers, outside any class
    extra = max(1, len(came) // 10)
    coached = rng.integers(0, len(trainer["id"]), extra)
    extra_member = pick_members(w, rng, trainer["_club"][coached])
    extra_created = rng.integers(WINDOW_FIRST_DAY * v.DAY, v.NOW, extra)
    extra_created = np.maximum(
        extra_created, w.table("~members")["_created"][extra_member] + v.HOUR
    )
    session = np.concatenate([session, np.full(extra, -1)])
    member = np.concatenate([member, extra_member])
    who = np.concatenate([who, coached])
    created = np.minimum(np.concatenate([created, extra_created]), v.NOW - 1)
    order = np.argsort(created, kind="stable")
    session, member, who, created = session[order], member[order], who[order], created[order]
    n = len(session)
    rating = 1 + v.weighted(rng, n, (0.04, 0.06, 0.15, 0.35, 0.40))
    return {
        "id": np.arange(1, n + 1),
        "memberId": member + 1,
        "classSessionId": v.nullable(session + 1, session < 0),
        "trainerId": v.nullable(who + 1, who < 0),
        "rating": rating,
        "comment": v.with_nulls(v.pick(rng, words.REVIEW_COMMENTS, n), rng.random(n) < 0.45),
        "isPublished": rng.random(n) < np.where(rating <= 2, 0.6, 0.97),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.1)),
    }
