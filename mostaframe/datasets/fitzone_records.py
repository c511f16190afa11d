"""FitZoneGym builders for what the club records about a member: body measurements, goals,
staff notes and documents.

Consistency kept here: measurements of a member are at least four weeks apart (so the
``(memberId, measuredOn)`` key is unique) and start after joining; everything is created after
the member signed up and before "today".
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import fitzone_values as v
from . import fitzone_words as words
from .fitzone_people import PROSPECT, pick_staff
from .fitzone_world import Columns, World, builder


@builder("BodyMeasurement")
def body_measurements(w: World) -> Columns:
    rng = w.rng("BodyMeasurement")
    profile = w.table("MemberProfile")
    members = w.table("~members")
    measured = rng.random(len(profile["_member"])) < 0.6
    member = profile["_member"][measured]
    height = profile["_height"][measured] / 100
    count = rng.integers(1, 9, len(member))
    row, rank = v.repeat_index(count)
    first = np.maximum(members["_joined"][member], v.TODAY - 720) + rng.integers(0, 30, len(member))
    # four to six weeks between visits: never two on the same day
    gaps = np.where(rank == 0, 0, 28 + rng.integers(0, 15, len(row)))
    elapsed = np.cumsum(gaps)
    segment_start = np.concatenate(([0], np.cumsum(count)[:-1]))
    day = first[row] + elapsed - elapsed[segment_start][row]
    keep = day <= v.TODAY - 1
    row, rank, day = row[keep], rank[keep], day[keep]
    n = len(row)
    who = member[row]
    bmi = rng.uniform(19, 32, len(member))[row]  # one build per member, kept over time
    weight = np.round(bmi * height[row] ** 2 - rank * rng.uniform(-0.1, 0.4, n), 1)
    female = members["_gender"][who] == 0
    fat = np.where(female, 24.0, 16.0) + (bmi - 24) * 1.2 + rng.normal(0, 2, n)
    created = np.minimum(day * v.DAY + rng.integers(8 * v.HOUR, 20 * v.HOUR, n), v.NOW - 1)
    return {
        "id": np.arange(1, n + 1),
        "memberId": who + 1,
        "measuredOn": v.dates(day),
        "weightKg": weight,
        "bodyFatPct": v.nullable(np.round(np.clip(fat, 5, 50), 1), rng.random(n) < 0.3),
        "muscleMassKg": v.nullable(
            np.round(weight * rng.uniform(0.38, 0.48, n), 1), rng.random(n) < 0.4
        ),
        "waistCm": v.nullable(
            np.round(45 + bmi * 1.8 + rng.normal(0, 4, n), 1), rng.random(n) < 0.5
        ),
        "restingHeartRate": v.nullable(rng.integers(48, 86, n), rng.random(n) < 0.4),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.1)),
    }


@builder("Goal")
def goals(w: World) -> Columns:
    rng = w.rng("Goal")
    members = w.table("~members")
    setting = np.nonzero((members["_status"] != PROSPECT) & (rng.random(w.volumes.members) < 0.25))[
        0
    ]
    row, _ = v.repeat_index(rng.integers(1, 3, len(setting)))
    member = setting[row]
    n = len(member)
    kind = rng.integers(0, len(words.GOAL_TYPES), n)
    columns = list(zip(*words.GOAL_TYPES, strict=True))
    low, high = np.array(columns[2])[kind], np.array(columns[3])[kind]
    decimals = np.array(columns[4])[kind]
    target = low + rng.random(n) * (high - low)
    target = np.where(decimals == 0, np.round(target), np.round(target, 1))
    progress = rng.uniform(0.3, 1.1, n)
    achieved = progress >= 1.0
    current = np.where(
        decimals == 0,
        np.round(target * np.minimum(progress, 1.0)),
        np.round(target * np.minimum(progress, 1.0), 1),
    )
    created = members["_created"][member] + (
        rng.random(n) * (v.NOW - members["_created"][member])
    ).astype(np.int64)
    target_day = created // v.DAY + rng.integers(30, 365, n)
    return {
        "id": np.arange(1, n + 1),
        "memberId": member + 1,
        "title": v.take(columns[0], kind),
        "metric": v.take(columns[1], kind),
        "targetValue": target,
        "currentValue": current,
        "targetDate": v.dates(target_day, rng.random(n) < 0.2),
        "achieved": achieved,
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.7)),
        "_member": member,
        "_achieved": achieved,
    }


@builder("Note")
def notes(w: World) -> Columns:
    rng = w.rng("Note")
    members = w.table("~members")
    n = max(10, round(w.volumes.members * 0.2))
    member = rng.integers(0, w.volumes.members, n)
    home = members["_home"][member]
    author = pick_staff(w, rng, np.maximum(home, 0), (0, 1, 5))
    no_author = (home < 0) | (author < 0) | (rng.random(n) < 0.1)
    created = members["_created"][member] + (
        rng.random(n) * (v.NOW - members["_created"][member])
    ).astype(np.int64)
    order = np.argsort(created, kind="stable")
    member, author, no_author, created = (
        member[order],
        author[order],
        no_author[order],
        created[order],
    )
    body = v.concat(
        v.pick(rng, words.NOTE_OPENINGS, n),
        v.pick(rng, words.NOTE_TOPICS, n),
        v.pick(rng, words.NOTE_ENDINGS, n),
    )
    return {
        "id": np.arange(1, n + 1),
        "memberId": member + 1,
        "authorId": v.nullable(author + 1, no_author),
        "body": body,
        "isPinned": rng.random(n) < 0.05,
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.15)),
    }


@builder("Document")
def documents(w: World) -> Columns:
    rng = w.rng("Document")
    members = w.table("~members")
    holders = np.nonzero(rng.random(w.volumes.members) < 0.4)[0]
    row, _ = v.repeat_index(rng.integers(1, 3, len(holders)))
    member = holders[row]
    n = len(member)
    kinds = list(words.DOCUMENT_KINDS)
    kind = v.weighted(rng, n, [spec[2] for spec in words.DOCUMENT_KINDS.values()])
    prefix = v.take([spec[0] for spec in words.DOCUMENT_KINDS.values()], kind)
    mime = v.take([spec[1] for spec in words.DOCUMENT_KINDS.values()], kind)
    extension = pc.replace_substring_regex(mime, r"^.*/", "")
    extension = pc.replace_substring(extension, "jpeg", "jpg")
    created = members["_created"][member] + (
        rng.random(n) * np.minimum(v.NOW - members["_created"][member], 400 * v.DAY)
    ).astype(np.int64)
    ids = v.uuid4_text(rng, n)
    member_no = members["memberNo"].take(pa.array(member))
    expires = np.where(
        kind == kinds.index("MEDICAL_CERTIFICATE"),
        created // v.DAY + 365,
        np.where(kind == kinds.index("ID_CARD"), created // v.DAY + rng.integers(365, 3650, n), -1),
    )
    return {
        "id": ids,
        "memberId": member + 1,
        "kind": v.take(kinds, kind),
        "fileName": v.concat(prefix, "-", member_no, ".", extension),
        "mimeType": mime,
        "sizeBytes": (np.exp(rng.uniform(np.log(30_000), np.log(4_000_000), n))).astype(np.int64),
        "sha256": v.blobs(rng, np.full(n, 32)),
        "storageKey": v.concat("members/", v.number_text(member + 1), "/", ids, ".", extension),
        "expiresOn": v.dates(np.maximum(expires, 0), expires < 0),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.1)),
    }
