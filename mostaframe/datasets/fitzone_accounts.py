"""FitZoneGym builders for login accounts: users (members' and staff's) and login sessions.

Consistency kept here: a member's account has the member's e-mail address; every staff member
has an account; a user's ``lastLoginAt`` is the start of their latest login session, and no
session starts before the account was created.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import fitzone_values as v
from . import fitzone_words as words
from .fitzone_people import CANCELLED
from .fitzone_world import Columns, World, builder


@builder("User")
def users(w: World) -> Columns:
    rng = w.rng("User")
    members, staff, clubs = w.table("~members"), w.table("~staff"), w.table("Club")
    member_rows = np.nonzero(members["_has_user"])[0]
    staff_n = len(staff["id"])
    later = rng.random(len(member_rows)) < 0.2  # some members open their account later
    member_created = members["_created"][member_rows] + np.where(
        later,
        (rng.random(len(member_rows)) * 400 * v.DAY).astype(np.int64),
        rng.integers(30, 900, len(member_rows)),
    )
    member_created = np.minimum(member_created, v.NOW - 60)
    created = np.concatenate([member_created, staff["_created"] + 3600])
    order = np.argsort(created, kind="stable")
    member_of = np.concatenate([member_rows, np.full(staff_n, -1)])[order]
    staff_of = np.concatenate([np.full(len(member_rows), -1), np.arange(staff_n)])[order]
    created = created[order]
    n = len(created)
    is_staff = staff_of >= 0
    safe_member, safe_staff = np.maximum(member_of, 0), np.maximum(staff_of, 0)

    member_email = members["email"].take(pa.array(safe_member))
    staff_email = v.concat(
        staff["_first_slug"].take(pa.array(safe_staff)),
        ".",
        staff["_last_slug"].take(pa.array(safe_staff)),
        v.number_text(safe_staff + 1),
        "@",
        words.STAFF_EMAIL_DOMAIN,
    )
    job = staff["_job"][safe_staff]
    role = np.where(
        is_staff,
        np.where(
            safe_staff == 0,
            0,  # the director administers the platform
            np.where(job == 0, 1, np.where(np.isin(job, words.TRAINER_JOBS), 3, 2)),
        ),
        4,
    )
    status = members["_status"][safe_member]
    inactive = np.where(
        is_staff, staff["_left"][safe_staff], (status == CANCELLED) & (rng.random(n) < 0.7)
    )
    home = np.where(is_staff, staff["_club"][safe_staff], members["_home"][safe_member])
    country = pc.if_else(
        pa.array(home < 0), "FR", clubs["_country"].take(pa.array(np.maximum(home, 0)))
    )
    locale = pc.if_else(
        pa.array(rng.random(n) < 0.1),
        "en-GB",
        pc.replace_substring_regex(country, "^(.*)$", r"fr-\1"),
    )
    has_mfa = rng.random(n) < np.where(is_staff, 0.6, 0.05)
    verified = created + rng.integers(120, 3 * v.DAY, n)
    logs_in = (rng.random(n) < 0.85) & ~inactive
    recent = np.maximum(created, v.NOW - 90 * v.DAY)
    last_login = recent + (rng.random(n) ** 0.3 * (v.NOW - recent)).astype(np.int64)
    return {
        "id": v.uuid4_text(rng, n),
        "email": pc.if_else(pa.array(is_staff), staff_email, member_email),
        "passwordHash": v.concat("$2b$12$", v.alphabet_text(rng, n, 53, "bcrypt")),
        "role": v.take(("ADMIN", "MANAGER", "STAFF", "TRAINER", "MEMBER"), role),
        "isActive": ~inactive,
        "locale": locale,
        "mfaSecret": v.with_nulls(v.blobs(rng, np.full(n, 20)), ~has_mfa),
        "emailVerifiedAt": v.timestamps(np.minimum(verified, v.NOW - 1), rng.random(n) < 0.1),
        "lastLoginAt": v.timestamps(last_login, ~logs_in),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(np.where(logs_in, last_login, created)),
        "_member": member_of,
        "_staff": staff_of,
        "_created": created,
        "_last_login": np.where(logs_in, last_login, -1),
    }


@builder("Session")
def login_sessions(w: World) -> Columns:
    rng = w.rng("Session")
    user = w.table("User")
    last = user["_last_login"]
    active = np.nonzero(last >= 0)[0]
    n = round(len(active) * 1.15)
    who = np.concatenate([active, rng.choice(active, n - len(active))])  # everyone once
    # the first row of each user is the login recorded in lastLoginAt, others came before
    first = np.zeros(len(who), dtype=bool)
    first[: len(active)] = True
    low = np.maximum(user["_created"][who], last[who] - 90 * v.DAY)
    created = np.where(
        first, last[who], low + (rng.random(len(who)) * (last[who] - low)).astype(np.int64)
    )
    order = np.argsort(created, kind="stable")
    who, created = who[order], created[order]
    n = len(who)
    expires = created + 30 * v.DAY
    revoked = created + (rng.random(n) * np.maximum(np.minimum(expires, v.NOW) - created, 1))
    is_revoked = rng.random(n) < 0.35
    address_kind = v.weighted(rng, n, (0.85, 0.1, 0.05))
    address = pc.if_else(pa.array(address_kind == 0), v.ipv4_text(rng, n), v.ipv6_text(rng, n))
    return {
        "id": v.cuid_text(rng, created, np.arange(n)),
        "userId": user["id"].take(pa.array(who)),
        "tokenHash": v.hex_text(rng, n, 32),
        "ipAddress": v.with_nulls(address, address_kind == 2),
        "userAgent": v.with_nulls(v.pick(rng, words.USER_AGENTS, n), rng.random(n) < 0.05),
        "expiresAt": v.timestamps(expires),
        "revokedAt": v.timestamps(revoked.astype(np.int64), ~is_revoked),
        "createdAt": v.timestamps(created),
        "_user": who,
        "_created": created,
        "_revoked": np.where(is_revoked, revoked.astype(np.int64), -1),
        "_address": v.with_nulls(address, address_kind == 2),
    }
