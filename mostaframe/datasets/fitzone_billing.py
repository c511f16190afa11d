"""FitZoneGym builders for billing: plans, coupons, subscriptions, invoices and payments.

Consistency kept here: a member's subscriptions follow each other in time and the last one
matches the member's status; periods last the plan's ``durationMonths``; invoices are issued
on each billing period of a subscription inside the activity window, their lines add up to the
subtotal, tax and total; every paid invoice has a succeeded payment of exactly its total;
``Coupon.timesRedeemed`` counts the subscriptions that use the coupon.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import fitzone_values as v
from . import fitzone_words as words
from .fitzone_people import ACTIVE, CANCELLED, FROZEN, PROSPECT, SUSPENDED, pick_members
from .fitzone_world import PLATFORM_START, WINDOW_FIRST_DAY, Columns, World, builder

_PERIOD_MONTHS = {"MONTHLY": 1, "QUARTERLY": 3, "YEARLY": 12, "ONE_OFF": 0}
_LEGACY = ("FOUNDERS-2018", "Founders monthly (2018 offer)", "MONTHLY", 2490, 0, 12, None, True)
_MONTHS = (
    "January February March April May June July August September October November December"
).split()
#: VAT in basis points by club country
_VAT = {"FR": 2000, "BE": 2100, "CH": 810, "LU": 1700}
METHODS = ("CARD", "SEPA_DEBIT", "BANK_TRANSFER", "CASH", "VOUCHER")
CARD, SEPA, TRANSFER, CASH, VOUCHER = range(5)


@builder("SubscriptionPlan")
def plans(w: World) -> Columns:
    rng = w.rng("SubscriptionPlan")
    clubs = w.table("Club")
    with_club_plan = np.nonzero(rng.random(w.volumes.clubs) < 0.5)[0]
    specs = [*words.PLANS, _LEGACY] + [words.CLUB_PLAN] * len(with_club_plan)
    n = len(specs)
    columns = list(zip(*specs, strict=True))
    club = np.concatenate([np.full(len(words.PLANS) + 1, -1), with_club_plan])
    is_club_plan = club >= 0
    club_code = clubs["code"].take(pa.array(np.maximum(club, 0)))
    club_city = clubs["city"].take(pa.array(np.maximum(club, 0)))
    swiss = pc.equal(clubs["_country"].take(pa.array(np.maximum(club, 0))), "CH")
    swiss = swiss.to_numpy(zero_copy_only=False) & is_club_plan
    created = np.where(
        is_club_plan,
        np.maximum(clubs["_opened"][np.maximum(club, 0)], PLATFORM_START) * v.DAY,
        PLATFORM_START * v.DAY,
    ) + rng.integers(0, 20 * v.DAY, n)
    legacy = np.arange(n) == len(words.PLANS)
    period = np.array([_PERIOD_MONTHS[p] for p in columns[2]])
    credits = np.array([-1 if c is None else c for c in columns[6]])
    return {
        "id": np.arange(1, n + 1),
        "clubId": v.nullable(club + 1, ~is_club_plan),
        "code": pc.if_else(
            pa.array(is_club_plan), v.concat("OFFPEAK-", club_code), pa.array(columns[0])
        ),
        "name": pc.if_else(
            pa.array(is_club_plan), v.concat("Off-peak ", club_city), pa.array(columns[1])
        ),
        "description": v.with_nulls(
            v.concat(
                pa.array(columns[1]),
                pc.if_else(pa.array(period == 0), ", valid ", ", minimum "),
                v.number_text(np.array(columns[5])),
                " month(s).",
            ),
            legacy,
        ),
        "billingPeriod": pa.array(columns[2]),
        "price": v.money(np.array(columns[3])),
        "setupFee": v.money(np.array(columns[4])),
        "currency": pc.if_else(pa.array(swiss), "CHF", "EUR"),
        "durationMonths": np.array(columns[5]),
        "classCreditsPerMonth": v.nullable(np.maximum(credits, 0), credits < 0),
        "includesAllClubs": np.array(columns[7]),
        "isActive": ~legacy,
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.5)),
        "_club": club,
        "_months": np.array(columns[5]),
        "_period": period,
        "_price": np.array(columns[3]),
        "_setup": np.array(columns[4]),
        "_legacy": legacy,
        "_swiss": swiss,
    }


@builder("~coupons")
def coupon_facts(w: World) -> Columns:
    rng = w.rng("~coupons")
    n = w.volumes.coupons
    index = np.arange(n)
    word = index % len(words.COUPON_WORDS)
    year = 2019 + (index // len(words.COUPON_WORDS)) % 7
    month = np.where(year == 2025, rng.integers(0, 6, n), rng.integers(0, 12, n))
    valid_from = ((year - 1970) * 12 + month).astype("datetime64[M]").astype("datetime64[D]")
    valid_from = valid_from.astype(np.int64)
    open_ended = rng.random(n) < 0.2
    valid_until = valid_from + rng.integers(30, 121, n)
    percent = rng.random(n) < 0.6
    code = v.concat(v.take(words.COUPON_WORDS, word), v.number_text(year))
    code = pc.if_else(pa.array(index >= 70), v.concat(code, "-", v.number_text(index)), code)
    percent_off = rng.choice([10.0, 15.0, 20.0, 25.0, 50.0], n)
    amount_off = rng.choice([1000, 2000, 3000, 5000], n)
    return {
        "code": code,
        "_from": valid_from,
        "_until": np.where(open_ended, 10**6, valid_until),
        "_percent": np.where(percent, percent_off, np.nan),
        "_amount": np.where(percent, -1, amount_off),
        "_word": word,
        "_year": year,
    }


@builder("Coupon")
def coupons(w: World) -> Columns:
    rng = w.rng("Coupon")
    facts = w.table("~coupons")
    n = len(facts["_from"])
    used = np.bincount(
        w.table("~subscriptions")["_coupon"][w.table("~subscriptions")["_coupon"] >= 0],
        minlength=n,
    )
    limited = rng.random(n) < 0.5
    percent = ~np.isnan(facts["_percent"])
    label = pc.if_else(
        pa.array(percent),
        v.concat(v.number_text(np.nan_to_num(facts["_percent"]).astype(np.int64)), "% off"),
        v.concat(v.number_text(np.maximum(facts["_amount"], 0) // 100), " EUR off"),
    )
    created = np.maximum(facts["_from"] - rng.integers(1, 20, n), PLATFORM_START) * v.DAY
    until = facts["_until"]
    return {
        "id": np.arange(1, n + 1),
        "code": facts["code"],
        "description": v.with_nulls(
            v.concat(label, " the first invoice (", facts["code"], ")"), rng.random(n) < 0.1
        ),
        "percentOff": v.nullable(np.nan_to_num(facts["_percent"]), ~percent),
        "amountOff": v.money(np.maximum(facts["_amount"], 0), percent),
        "maxRedemptions": v.nullable(used + rng.integers(0, 200, n), ~limited),
        "timesRedeemed": used,
        "validFrom": v.dates(facts["_from"]),
        "validUntil": v.dates(np.minimum(until, 10**5), until >= 10**6),
        "isActive": until >= v.TODAY,
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.5)),
    }


@builder("~subscriptions")
def subscription_facts(w: World) -> Columns:
    """Each non-prospect member's chain of subscriptions, one row per subscription."""
    rng = w.rng("~subscriptions")
    members = w.table("~members")
    plan = w.table("SubscriptionPlan")
    subscriber = np.nonzero(members["_status"] != PROSPECT)[0]
    n = len(subscriber)
    status = members["_status"][subscriber]
    home = members["_home"][subscriber]
    wanted = 1 + np.minimum(rng.geometric(0.55, n) - 1, 3)
    global_plans = len(words.PLANS)
    recurring = np.nonzero(plan["_period"][:global_plans] > 0)[0]
    club_plan = np.full(w.volumes.clubs + 1, -1)
    club_plan[plan["_club"][plan["_club"] >= 0]] = np.nonzero(plan["_club"] >= 0)[0]

    def choose(start: np.ndarray) -> np.ndarray:
        """A plan per member: by popularity, the club's own plan, the legacy one in early years."""
        chosen = v.weighted(rng, n, words.PLAN_WEIGHTS)
        legacy = (start < PLATFORM_START + 850) & (rng.random(n) < 0.3)
        local = club_plan[np.where(home < 0, w.volumes.clubs, home)]
        chosen = np.where((local >= 0) & (rng.random(n) < 0.15), local, chosen)
        return np.where(legacy, global_plans, chosen)

    starts, plans_, ends, exists = [], [], [], []
    start = np.minimum(members["_joined"][subscriber] + rng.integers(0, 15, n), v.TODAY - 1)
    alive = np.ones(n, dtype=bool)
    for position in range(4):  # chain position: vectorised over members, at most four rounds
        alive &= (position < wanted) & (start <= v.TODAY - 1)
        chosen = choose(start)
        end = v.add_months(start, plan["_months"][chosen])
        starts.append(start)
        plans_.append(chosen)
        ends.append(end)
        exists.append(alive.copy())
        gap = np.where(rng.random(n) < 0.6, 0, rng.integers(1, 91, n))
        start = end + gap
    starts_m, plans_m = np.stack(starts, 1), np.stack(plans_, 1)
    ends_m, exists_m = np.stack(ends, 1), np.stack(exists, 1)
    count = exists_m.sum(axis=1)
    last = count - 1
    rows = np.arange(n)

    # the last subscription must carry the member's current state
    current = np.isin(status, (ACTIVE, FROZEN, SUSPENDED))
    last_start = starts_m[rows, last]
    last_plan = plans_m[rows, last]
    swap = current & (plan["_period"][last_plan] == 0)
    replacement = recurring[rng.integers(0, len(recurring), n)]
    last_plan = np.where(swap, replacement, last_plan)
    plans_m[rows, last] = last_plan
    ends_m[rows, last] = v.add_months(last_start, plan["_months"][last_plan])

    member, position = v.repeat_index(count)
    start = starts_m[member, position]
    chosen = plans_m[member, position]
    nominal_end = ends_m[member, position]
    is_last = position == last[member]
    member_status = status[member]
    k = len(member)
    cancel_day = v.spread(rng, start, np.minimum(nominal_end, v.TODAY - 1))
    cancelled_early = ~is_last & (rng.random(k) < 0.12)
    cancelled = (is_last & (member_status == CANCELLED)) | cancelled_early
    rolling = (
        is_last & np.isin(member_status, (ACTIVE, FROZEN, SUSPENDED)) & (nominal_end <= v.TODAY - 1)
    )
    notice = np.where(is_last & cancelled, rng.choice([0, 30], k), 0)
    end = np.where(cancelled, cancel_day + notice, nominal_end)
    state = np.select(
        [
            cancelled,
            is_last & (member_status == FROZEN),
            is_last & (member_status == ACTIVE) & (start >= v.TODAY - 14),
            is_last & np.isin(member_status, (ACTIVE, SUSPENDED)),
        ],
        [4, 2, 0, 1],
        default=3,  # EXPIRED
    )
    member_index = subscriber[member]
    created = np.maximum(
        members["_created"][member_index], start * v.DAY - rng.integers(0, 2 * v.DAY, k)
    )
    cancelled_at = cancel_day * v.DAY + rng.integers(8 * v.HOUR, 20 * v.HOUR, k)
    cancelled_at = np.clip(cancelled_at, created + 60, v.NOW - 60)

    coupon = _coupons_for(w, rng, start, rng.random(k) < 0.12)
    order = np.argsort(created, kind="stable")
    pause_from = v.TODAY - rng.integers(10, 61, k)
    billing_end = np.where(rolling, v.TODAY, np.where(state == 2, np.minimum(pause_from, end), end))
    facts = {
        "_member": member_index,
        "_plan": chosen,
        "_start": start,
        "_end": np.where(rolling, -1, end),
        "_billing_end": billing_end,
        "_state": state,
        "_cancelled": cancelled,
        "_cancelled_at": cancelled_at,
        "_cancel_reason": rng.integers(0, len(words.CANCEL_REASONS), k),
        "_auto_renew": np.where(is_last, ~cancelled, rng.random(k) < 0.5),
        "_coupon": coupon,
        "_created": created,
    }
    return {key: value[order] for key, value in facts.items()}


def _coupons_for(
    w: World, rng: np.random.Generator, start: np.ndarray, wants: np.ndarray
) -> np.ndarray:
    """A coupon valid on the start day for rows that ``wants`` one (-1 when none is valid)."""
    coupons = w.table("~coupons")
    rows = np.nonzero(wants)[0]
    valid = (coupons["_from"][None, :] <= start[rows, None]) & (
        start[rows, None] <= coupons["_until"][None, :]
    )
    keys = np.where(valid, rng.random(valid.shape), -1.0)
    best = np.argmax(keys, axis=1)
    result = np.full(len(start), -1)
    result[rows] = np.where(valid.any(axis=1), best, -1)
    return result


@builder("Subscription")
def subscriptions(w: World) -> Columns:
    rng = w.rng("Subscription")
    facts = w.table("~subscriptions")
    plan = w.table("SubscriptionPlan")
    n = len(facts["_member"])
    created = facts["_created"]
    cancelled = facts["_cancelled"]
    updated = np.where(cancelled, facts["_cancelled_at"], v.updated_after(rng, created, 0.3))
    return {
        "id": np.arange(1, n + 1),
        "memberId": facts["_member"] + 1,
        "planId": facts["_plan"] + 1,
        "couponId": v.nullable(facts["_coupon"] + 1, facts["_coupon"] < 0),
        "status": v.take(("TRIAL", "ACTIVE", "PAUSED", "EXPIRED", "CANCELLED"), facts["_state"]),
        "startDate": v.dates(facts["_start"]),
        "endDate": v.dates(np.maximum(facts["_end"], 0), facts["_end"] < 0),
        "autoRenew": facts["_auto_renew"],
        "priceAtSignup": v.money(plan["_price"][facts["_plan"]]),
        "cancelledAt": v.timestamps(facts["_cancelled_at"], ~cancelled),
        "cancelReason": v.with_nulls(
            v.take(words.CANCEL_REASONS, facts["_cancel_reason"]),
            ~cancelled | (rng.random(n) < 0.2),
        ),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(np.maximum(updated, created)),
    }


# --- invoices ------------------------------------------------------------------------------------


def _member_methods(w: World) -> np.ndarray:
    """Each member's usual payment method."""
    rng = w.rng("~member-methods")
    return v.weighted(rng, w.volumes.members, (0.55, 0.35, 0.05, 0.03, 0.02))


@builder("~invoices")
def invoice_facts(w: World) -> Columns:
    """Invoices (one per billing period in the window) and their lines."""
    rng = w.rng("~invoices")
    subs = w.table("~subscriptions")
    plan = w.table("SubscriptionPlan")
    members = w.table("~members")
    clubs = w.table("Club")
    period = plan["_period"][subs["_plan"]]
    step = np.where(period == 0, 1200, period)  # a one-off plan bills once
    start, end = subs["_start"], subs["_billing_end"]
    low = np.maximum(0, (WINDOW_FIRST_DAY - start) // 31 // step - 1)
    high = np.maximum(low, (np.minimum(end, v.TODAY) - start) // 28 // step + 1)
    sub, offset = v.repeat_index(high - low + 1)
    number = low[sub] + offset
    issued = v.add_months(start[sub], number * step[sub])
    keep = (issued >= WINDOW_FIRST_DAY) & (issued < end[sub]) & (issued <= v.TODAY - 1)
    keep &= (period[sub] > 0) | (number == 0)
    sub, number, issued = sub[keep], number[keep], issued[keep]
    member = subs["_member"][sub]

    # personal-training packs: invoices without a subscription
    extra = max(1, len(sub) // 100)
    extra_member = pick_members(w, rng, rng.integers(0, w.volumes.clubs, extra))
    extra_issued = rng.integers(WINDOW_FIRST_DAY, v.TODAY, extra)
    sub = np.concatenate([sub, np.full(extra, -1)])
    number = np.concatenate([number, np.zeros(extra, dtype=np.int64)])
    issued = np.concatenate([issued, extra_issued])
    member = np.concatenate([member, extra_member])
    order = np.lexsort((member, issued))
    sub, number, issued, member = sub[order], number[order], issued[order], member[order]
    n = len(sub)
    has_sub = sub >= 0
    safe_sub = np.maximum(sub, 0)
    plan_row = subs["_plan"][safe_sub]

    # lines: the period fee, the setup fee and the coupon on a subscription's first period
    fee = np.where(has_sub, plan["_price"][plan_row], 25000)
    first = has_sub & (number == 0)
    setup = np.where(first, plan["_setup"][plan_row], 0)
    coupon = np.where(first, subs["_coupon"][safe_sub], -1)
    coupons = w.table("~coupons")
    percent = np.nan_to_num(coupons["_percent"][np.maximum(coupon, 0)])
    amount = coupons["_amount"][np.maximum(coupon, 0)]
    discount = np.where(
        coupon < 0,
        0,
        np.where(amount < 0, np.round(fee * percent / 100), np.minimum(amount, fee)),
    ).astype(np.int64)
    line_count = 1 + (setup > 0) + (discount > 0)
    invoice, position = v.repeat_index(line_count)
    kind = np.where(position == 0, 0, np.where((position == 1) & (setup[invoice] > 0), 1, 2))
    unit = np.select([kind == 0, kind == 1], [fee[invoice], setup[invoice]], -discount[invoice])
    months = issued.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    label = v.concat(v.take(_MONTHS, months % 12), " ", v.number_text(1970 + months // 12)).take(
        pa.array(invoice)
    )
    plan_name = plan["name"].take(pa.array(plan_row[invoice]))
    coupon_code = coupons["code"].take(pa.array(np.maximum(coupon[invoice], 0)))
    description = pc.case_when(
        pc.make_struct(
            pa.array((kind == 0) & has_sub[invoice]),
            pa.array(kind == 0),
            pa.array(kind == 1),
        ),
        v.concat(plan_name, " - ", label),
        "Personal training pack (5 sessions)",
        v.concat("Setup fee - ", plan_name),
        v.concat("Coupon ", coupon_code),
    )
    subtotal = np.bincount(invoice, weights=unit, minlength=n).astype(np.int64)
    home = members["_home"][member]
    country = clubs["_country"].to_pylist()
    vat_by_club = np.array([_VAT[c] for c in country] + [_VAT["FR"]])
    vat = vat_by_club[np.where(home < 0, len(country), home)]
    tax = (subtotal * vat + 5000) // 10000  # half-up rounding on whole cents

    created = issued * v.DAY + rng.integers(0, 2 * v.HOUR, n)  # before any payment attempt (03:00+)
    method = _member_methods(w)[member]
    due = issued + np.select([method == SEPA, method == TRANSFER], [7, 30], 14)
    status = _invoice_status(rng, issued, due, method, members["_status"][member])
    currency = np.where(has_sub, plan["_swiss"][plan_row], False)
    return {
        "_sub": sub,
        "_member": member,
        "_issued": issued,
        "_created": created,
        "_due": due,
        "_subtotal": subtotal,
        "_tax": tax,
        "_total": subtotal + tax,
        "_status": status,
        "_method": method,
        "_chf": currency,
        "_vat": vat,
        "_line_invoice": invoice,
        "_line_position": position + 1,
        "_line_unit": unit,
        "_line_description": description,
    }


#: InvoiceStatus names in the order of the codes used below
_INVOICE_STATUS = ("DRAFT", "ISSUED", "PAID", "OVERDUE", "VOID")
DRAFT, ISSUED, PAID, OVERDUE, VOID = range(5)


def _invoice_status(
    rng: np.random.Generator,
    issued: np.ndarray,
    due: np.ndarray,
    method: np.ndarray,
    member_status: np.ndarray,
) -> np.ndarray:
    n = len(issued)
    u = rng.random(n)
    waiting = (issued >= v.TODAY - 5) & np.isin(method, (SEPA, TRANSFER))
    unpaid = (member_status == SUSPENDED) & (issued >= v.TODAY - 60) & (due < v.TODAY)
    return np.select(
        [
            (issued == v.TODAY - 1) & (u < 0.3),
            waiting,
            unpaid | ((u < 0.035) & (due < v.TODAY)),
            u > 0.985,
        ],
        [DRAFT, ISSUED, OVERDUE, VOID],
        default=PAID,
    )


@builder("Invoice")
def invoices(w: World) -> Columns:
    facts = w.table("~invoices")
    n = len(facts["_sub"])
    ids = np.arange(1, n + 1)
    years = facts["_issued"].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    created = facts["_created"]
    paid_at = w.table("~payments")["_invoice_paid_at"]
    return {
        "id": ids,
        "number": v.concat("INV-", v.number_text(1970 + years), "-", v.number_text(ids, 7)),
        "memberId": facts["_member"] + 1,
        "subscriptionId": v.nullable(facts["_sub"] + 1, facts["_sub"] < 0),
        "status": v.take(_INVOICE_STATUS, facts["_status"]),
        "issuedOn": v.dates(facts["_issued"]),
        "dueOn": v.dates(facts["_due"]),
        "currency": pc.if_else(pa.array(facts["_chf"]), "CHF", "EUR"),
        "subtotal": v.money(facts["_subtotal"]),
        "taxTotal": v.money(facts["_tax"]),
        "total": v.money(facts["_total"]),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(np.maximum(created, paid_at)),
    }


@builder("InvoiceLine")
def invoice_lines(w: World) -> Columns:
    facts = w.table("~invoices")
    invoice = facts["_line_invoice"]
    n = len(invoice)
    created = facts["_created"][invoice]
    return {
        "id": np.arange(1, n + 1),
        "invoiceId": invoice + 1,
        "position": facts["_line_position"],
        "description": facts["_line_description"],
        "quantity": np.ones(n, dtype=np.int64),
        "unitPrice": v.money(facts["_line_unit"]),
        "taxRate": facts["_vat"][invoice] / 10000,
        "lineTotal": v.money(facts["_line_unit"]),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(created),
    }
