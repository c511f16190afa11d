"""FitZoneGym builders for communication and audit: messages, notifications, audit log.

Notifications and audit entries are derived from events that exist elsewhere in the data: a
booking reminder points at a real booking, a failed-payment notice at a failed payment, a
``LOGIN`` entry at a login session, an ``UPDATE`` of an invoice at the moment it was paid.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import fitzone_values as v
from . import fitzone_words as words
from .fitzone_classes import BOOKING_CANCELLED
from .fitzone_payments import FAILED as PAYMENT_FAILED
from .fitzone_payments import SUCCEEDED
from .fitzone_people import (
    CANCELLED,
    FROZEN,
    SUSPENDED,
    current_staff,
    pick_staff,
    user_of_members,
    user_of_staff,
)
from .fitzone_world import WINDOW_FIRST_DAY, Columns, World, builder

_WINDOW_START = WINDOW_FIRST_DAY * v.DAY


@builder("Message")
def messages(w: World) -> Columns:
    rng = w.rng("Message")
    members = w.table("~members")
    user = w.table("User")
    member_user = user_of_members(w)
    staff_user = user_of_staff(w)
    with_account = np.nonzero(member_user >= 0)[0]
    n = max(10, round(w.volumes.members * 1.2))
    member = with_account[rng.integers(0, len(with_account), n)]
    home = members["_home"][member]
    club = np.where(home < 0, rng.integers(0, w.volumes.clubs, n), home)
    staff = pick_staff(w, rng, club)
    everyone = current_staff(w)
    staff = np.where(staff < 0, everyone[rng.integers(0, len(everyone), n)], staff)
    from_staff = rng.random(n) < 0.7
    a, b = staff_user[staff], member_user[member]
    sender, recipient = np.where(from_staff, a, b), np.where(from_staff, b, a)
    low = np.maximum.reduce(
        [user["_created"][sender], user["_created"][recipient], np.full(n, _WINDOW_START)]
    )
    sent = low + (rng.random(n) * (v.NOW - 1 - low)).astype(np.int64)
    order = np.argsort(sent, kind="stable")
    sender, recipient, sent = sender[order], recipient[order], sent[order]
    read = sent + np.exp(rng.uniform(np.log(60), np.log(5 * v.DAY), n)).astype(np.int64)
    unread = (rng.random(n) < 0.25) | (read >= v.NOW)
    return {
        "id": np.arange(1, n + 1),
        "senderId": user["id"].take(pa.array(sender)),
        "recipientId": user["id"].take(pa.array(recipient)),
        "subject": pa.array(list(words.MESSAGE_SUBJECTS), pa.string()).take(
            pa.array(rng.integers(0, len(words.MESSAGE_SUBJECTS), n))
        ),
        "body": v.pick(rng, words.MESSAGE_BODIES, n),
        "sentAt": v.timestamps(sent),
        "readAt": v.timestamps(np.minimum(read, v.NOW - 1), unread),
        "createdAt": v.timestamps(sent),
        "updatedAt": v.timestamps(np.where(unread, sent, np.minimum(read, v.NOW - 1))),
    }


@builder("Notification")
def notifications(w: World) -> Columns:
    rng = w.rng("Notification")
    member_user = user_of_members(w)
    book = w.table("Booking")
    sess = w.table("ClassSession")
    pay = w.table("~payments")
    inv = w.table("~invoices")
    wait = w.table("WaitlistEntry")
    goal = w.table("Goal")
    user = w.table("User")
    kinds = [spec[0] for spec in words.NOTIFICATIONS]
    parts: list[tuple[int, np.ndarray, np.ndarray, str, np.ndarray]] = []

    def add(kind: str, member: np.ndarray, when: np.ndarray, key: str, ref: np.ndarray) -> None:
        account = member_user[member]
        keep = (account >= 0) & (when < v.NOW)
        parts.append((kinds.index(kind), account[keep], when[keep], key, ref[keep]))

    reminded = np.nonzero(
        (book["_state"] != BOOKING_CANCELLED) & (rng.random(len(book["_state"])) < 0.2)
    )[0]
    session = book["_session"][reminded]
    add(
        "booking_reminder",
        book["_member"][reminded],
        np.maximum(book["_booked"][reminded] + 60, sess["_start"][session] - v.DAY),
        "bookingId",
        reminded,
    )
    failed = np.nonzero(pay["_state"] == PAYMENT_FAILED)[0]
    add(
        "payment_failed", pay["_member"][failed], pay["_created"][failed] + 300, "paymentId", failed
    )
    issued = np.nonzero(rng.random(len(inv["_issued"])) < 0.15)[0]
    add(
        "invoice_issued",
        inv["_member"][issued],
        inv["_issued"][issued] * v.DAY + 3 * v.HOUR,
        "invoiceId",
        issued,
    )
    spot = np.nonzero(wait["_notified"] >= 0)[0]
    add("waitlist_spot", wait["_member"][spot], wait["_notified"][spot], "waitlistEntryId", spot)
    reached = np.nonzero(goal["_achieved"])[0]
    reached_at = goal["updatedAt"].cast(pa.int64()).to_numpy()[reached]
    add("goal_reached", goal["_member"][reached], reached_at, "goalId", reached)
    promo_n = max(1, w.volumes.members // 10)
    promo_member = rng.integers(0, w.volumes.members, promo_n)
    add(
        "promo",
        promo_member,
        rng.integers(_WINDOW_START, v.NOW, promo_n),
        "campaignId",
        rng.integers(0, 12, promo_n),
    )

    kind = np.concatenate([np.full(len(p[1]), p[0]) for p in parts])
    who = np.concatenate([p[1] for p in parts])
    created = np.maximum(np.concatenate([p[2] for p in parts]), user["_created"][who])
    reference = np.concatenate([p[4] for p in parts]) + 1
    key = v.take(
        [p[3] for p in parts], np.concatenate([np.full(len(p[1]), i) for i, p in enumerate(parts)])
    )
    order = np.argsort(created, kind="stable")
    kind, who, created, reference, key = (
        kind[order],
        who[order],
        created[order],
        reference[order],
        key.take(pa.array(order)),
    )
    n = len(kind)
    weights = np.array([spec[3] for spec in words.NOTIFICATIONS])
    cumulative = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
    channel = (rng.random(n)[:, None] > cumulative[kind]).sum(axis=1)
    queued = (rng.random(n) < 0.05) | (created >= v.NOW - 120)
    sent = np.minimum(created + rng.integers(0, 120, n), v.NOW - 1)
    read = sent + np.exp(rng.uniform(np.log(60), np.log(3 * v.DAY), n)).astype(np.int64)
    unread = queued | (rng.random(n) < 0.45) | (read >= v.NOW)
    payload = v.json_object(
        {"kind": v.take(kinds, kind), "ref": v.concat('"', key, '": ', v.number_text(reference))},
        raw=("ref",),
    )
    # {"kind": …, "ref": "bookingId": 12} → {"kind": …, "bookingId": 12}
    payload = pc.replace_substring(payload, '"ref": ', "")
    return {
        "id": np.arange(1, n + 1),
        "userId": user["id"].take(pa.array(who)),
        "channel": v.take(("EMAIL", "SMS", "PUSH", "IN_APP"), channel),
        "title": v.take([spec[1] for spec in words.NOTIFICATIONS], kind),
        "body": v.take([spec[2] for spec in words.NOTIFICATIONS], kind),
        "payload": v.with_nulls(payload, rng.random(n) < 0.1),
        "sentAt": v.timestamps(sent, queued),
        "readAt": v.timestamps(np.minimum(read, v.NOW - 1), unread),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(
            np.where(unread, np.where(queued, created, sent), np.minimum(read, v.NOW - 1))
        ),
    }


@builder("AuditLog")
def audit_logs(w: World) -> Columns:
    rng = w.rng("AuditLog")
    user = w.table("User")
    login = w.table("Session")
    book = w.table("Booking")
    pay = w.table("~payments")
    subs = w.table("~subscriptions")
    members = w.table("~members")
    member_user = user_of_members(w)
    staff_user = user_of_staff(w)
    actions = ("CREATE", "UPDATE", "DELETE", "LOGIN", "LOGOUT", "EXPORT")
    create, update, delete, log_in, log_out, export = range(6)
    parts: list[dict[str, object]] = []

    def add(
        action: int,
        who: np.ndarray,
        when: np.ndarray,
        entity: str,
        entity_id: pa.Array,
        changes: pa.Array | str,
        address: pa.Array | None = None,
    ) -> None:
        keep = (when >= _WINDOW_START) & (when < v.NOW)
        rows = pa.array(np.nonzero(keep)[0])
        count = int(keep.sum())
        if address is None:  # a random address of the day (no session to take it from)
            address = pc.if_else(
                pa.array(rng.random(len(when)) < 0.9),
                v.ipv4_text(rng, len(when)),
                v.ipv6_text(rng, len(when)),
            )
        parts.append(
            {
                "action": np.full(count, action),
                "who": who[keep],
                "when": when[keep],
                "entity": entity,
                "entity_id": entity_id.take(rows),
                "changes": changes if isinstance(changes, str) else changes.take(rows),
                "address": address.take(rows),
            }
        )

    uid = login["_user"]
    address = login["_address"]
    add(log_in, uid, login["_created"], "User", user["id"].take(pa.array(uid)), "{}", address)
    out = login["_revoked"] >= 0
    add(
        log_out,
        uid[out],
        login["_revoked"][out],
        "User",
        user["id"].take(pa.array(uid[out])),
        "{}",
        address.filter(pa.array(out)),
    )

    booking_ids = v.number_text(np.arange(1, len(book["_state"]) + 1))
    booker = member_user[book["_member"]]
    created_by_app = (booker >= 0) & (rng.random(len(booker)) < 0.4)
    session_text = v.number_text(book["_session"] + 1)
    app = pa.array(created_by_app)
    add(
        create,
        booker[created_by_app],
        book["_booked"][created_by_app],
        "Booking",
        booking_ids.filter(app),
        v.concat('{"status": "CONFIRMED", "classSessionId": ', session_text.filter(app), "}"),
    )
    cancelled = book["_state"] == BOOKING_CANCELLED
    add(
        update,
        np.where(cancelled & (booker >= 0), booker, -1)[cancelled],
        book["_cancel_at"][cancelled],
        "Booking",
        booking_ids.filter(pa.array(cancelled)),
        '{"status": ["CONFIRMED", "CANCELLED"]}',
    )

    paid = (pay["_state"] == SUCCEEDED) & (pay["_invoice"] >= 0)
    paid &= rng.random(len(paid)) < 0.15
    invoice = pay["_invoice"][paid]
    add(
        update,
        np.full(int(paid.sum()), -1),  # the billing job, not a person
        pay["_paid"][paid],
        "Invoice",
        v.number_text(invoice + 1),
        '{"status": ["ISSUED", "PAID"]}',
    )

    new_sub = subs["_created"] >= _WINDOW_START
    sub_rows = np.nonzero(new_sub)[0]
    sub_member = subs["_member"][sub_rows]
    home = members["_home"][sub_member]
    desk = pick_staff(w, rng, np.maximum(home, 0), (0, 1, 5))
    by_desk = (home >= 0) & (desk >= 0) & (rng.random(len(sub_rows)) < 0.5)
    actor = np.where(by_desk, staff_user[np.maximum(desk, 0)], member_user[sub_member])
    add(
        create,
        actor,
        subs["_created"][sub_rows],
        "Subscription",
        v.number_text(sub_rows + 1),
        v.concat('{"planId": ', v.number_text(subs["_plan"][sub_rows] + 1), "}"),
    )

    changed = np.nonzero(np.isin(members["_status"], (FROZEN, SUSPENDED, CANCELLED)))[0]
    new_status = v.take(
        ("prospect", "active", "frozen", "suspended", "cancelled"), members["_status"][changed]
    )
    home = members["_home"][changed]
    clerk = pick_staff(w, rng, np.maximum(home, 0), (0, 1))
    add(
        update,
        np.where((home >= 0) & (clerk >= 0), staff_user[np.maximum(clerk, 0)], -1),
        rng.integers(_WINDOW_START, v.NOW, len(changed)),
        "Member",
        v.number_text(changed + 1),
        v.concat('{"status": ["active", "', new_status, '"]}'),
    )

    managers = current_staff(w, (0,))
    manager, month = v.repeat_index(np.full(len(managers), 6))
    add(
        export,
        staff_user[managers[manager]],
        _WINDOW_START + month * 30 * v.DAY + rng.integers(8 * v.HOUR, 18 * v.HOUR, len(manager)),
        "Member",
        pa.array(np.full(len(manager), "*")),
        v.concat(
            '{"format": "csv", "rows": ', v.number_text(rng.integers(50, 5000, len(manager))), "}"
        ),
    )
    purged = max(1, len(w.table("Note")["id"]) // 50)
    add(
        delete,
        staff_user[current_staff(w)[rng.integers(0, len(current_staff(w)), purged)]],
        rng.integers(_WINDOW_START, v.NOW, purged),
        "Note",
        v.number_text(
            len(w.table("Note")["id"]) + 1 + np.arange(purged)
        ),  # deleted: gone from notes
        "{}",
    )

    action = np.concatenate([p["action"] for p in parts])
    who = np.concatenate([p["who"] for p in parts])
    when = np.concatenate([p["when"] for p in parts])
    entity = v.take(
        [p["entity"] for p in parts],
        np.concatenate([np.full(len(p["action"]), i) for i, p in enumerate(parts)]),
    )
    entity_id = pa.concat_arrays([p["entity_id"] for p in parts])
    changes = pa.concat_arrays(
        [
            pa.array(np.full(len(p["action"]), p["changes"]), pa.string())
            if isinstance(p["changes"], str)
            else p["changes"]
            for p in parts
        ]
    )
    order = np.argsort(when, kind="stable")
    action, who, when = action[order], who[order], when[order]
    take = pa.array(order)
    n = len(when)
    system = who < 0
    address = pa.concat_arrays([p["address"] for p in parts]).take(take)
    return {
        "id": np.arange(1, n + 1),
        "userId": v.with_nulls(user["id"].take(pa.array(np.maximum(who, 0))), system),
        "action": v.take(actions, action),
        "entity": entity.take(take),
        "entityId": entity_id.take(take),
        "changes": changes.take(take),
        "ipAddress": v.with_nulls(address, system),
        "occurredAt": v.timestamps(when),
        "createdAt": v.timestamps(when),
    }
