"""FitZoneGym builders for payments: attempts against the invoices, and desk payments.

Consistency kept here: every paid invoice has one succeeded payment of exactly its total (some
after a failed attempt), overdue invoices have failed attempts, SEPA invoices still waiting
have a pending payment; a payment's member and subscription are its invoice's; provider
references are unique because they embed the payment id.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import fitzone_values as v
from . import fitzone_words as words
from .fitzone_billing import (
    CARD,
    CASH,
    ISSUED,
    METHODS,
    OVERDUE,
    PAID,
    SEPA,
    TRANSFER,
    VOID,
)
from .fitzone_people import pick_members
from .fitzone_world import WINDOW_FIRST_DAY, Columns, World, builder

_PAYMENT_STATUS = ("PENDING", "SUCCEEDED", "FAILED", "REFUNDED")
PENDING, SUCCEEDED, FAILED, REFUNDED = range(4)


@builder("~payments")
def payment_facts(w: World) -> Columns:
    """Payment attempts for the invoices, plus desk payments without an invoice."""
    rng = w.rng("~payments")
    inv = w.table("~invoices")
    status, method, issued = inv["_status"], inv["_method"], inv["_issued"]
    n_inv = len(status)
    settle = np.select(
        [method == SEPA, method == TRANSFER, method == CASH],
        [rng.integers(2, 6, n_inv), rng.integers(3, 26, n_inv), rng.integers(0, 11, n_inv)],
        0,
    )
    paid_day = np.minimum(issued + settle, v.TODAY - 1)
    retried = (status == PAID) & (rng.random(n_inv) < 0.08)
    paid_day = np.where(
        retried, np.minimum(paid_day + rng.integers(1, 6, n_inv), v.TODAY - 1), paid_day
    )
    instant = rng.integers(6 * v.HOUR, 22 * v.HOUR, n_inv)
    parts = []  # (invoice, status, created, paid) per kind of attempt

    def add(mask: np.ndarray, state: int, created: np.ndarray, paid: np.ndarray) -> None:
        rows = np.nonzero(mask)[0]
        parts.append((rows, np.full(len(rows), state), created[rows], paid[rows]))

    none = np.full(n_inv, -1)
    success = paid_day * v.DAY + instant
    add(status == PAID, SUCCEEDED, success, success)
    add(retried, FAILED, issued * v.DAY + instant // 2, none)
    add(status == OVERDUE, FAILED, issued * v.DAY + instant // 2, none)
    second_try = (status == OVERDUE) & (rng.random(n_inv) < 0.5)
    add(second_try, FAILED, np.minimum(issued + 3, v.TODAY - 1) * v.DAY + instant, none)
    refunded = (status == VOID) & (rng.random(n_inv) < 0.5)
    add(refunded, REFUNDED, success, success)
    add((status == ISSUED) & (method == SEPA), PENDING, issued * v.DAY + instant, none)

    invoice = np.concatenate([p[0] for p in parts])
    state = np.concatenate([p[1] for p in parts])
    created = np.concatenate([p[2] for p in parts])
    paid = np.concatenate([p[3] for p in parts])
    member = inv["_member"][invoice]
    sub = inv["_sub"][invoice]
    amount = inv["_total"][invoice]
    pay_method = method[invoice]
    chf = inv["_chf"][invoice]

    # day passes paid at the desk, no invoice
    desk = max(1, len(invoice) // 50)
    desk_member = pick_members(w, rng, rng.integers(0, w.volumes.clubs, desk))
    desk_time = rng.integers(WINDOW_FIRST_DAY * v.DAY, v.NOW, desk)
    invoice = np.concatenate([invoice, np.full(desk, -1)])
    state = np.concatenate([state, np.full(desk, SUCCEEDED)])
    created = np.concatenate([created, desk_time])
    paid = np.concatenate([paid, desk_time])
    member = np.concatenate([member, desk_member])
    sub = np.concatenate([sub, np.full(desk, -1)])
    amount = np.concatenate([amount, np.full(desk, 1500)])
    pay_method = np.concatenate([pay_method, rng.choice([CARD, CASH], desk)])
    chf = np.concatenate([chf, np.zeros(desk, dtype=bool)])

    created = np.minimum(created, v.NOW - 1)
    paid = np.where(paid >= 0, np.minimum(paid, v.NOW - 1), -1)
    order = np.lexsort((invoice, created))
    invoice_paid_at = np.full(n_inv, -1)
    good = (state == SUCCEEDED) & (invoice >= 0)
    invoice_paid_at[invoice[good]] = paid[good]
    refund_at = np.where(
        state == REFUNDED, np.minimum(paid + rng.integers(1, 20, len(paid)) * v.DAY, v.NOW - 1), -1
    )
    facts = {
        "_invoice": invoice,
        "_state": state,
        "_created": created,
        "_paid": paid,
        "_refunded": refund_at,
        "_member": member,
        "_sub": sub,
        "_amount": amount,
        "_method": pay_method,
        "_chf": chf,
    }
    result = {key: value[order] for key, value in facts.items()}
    result["_invoice_paid_at"] = invoice_paid_at
    return result


@builder("Payment")
def payments(w: World) -> Columns:
    rng = w.rng("Payment")
    facts = w.table("~payments")
    n = len(facts["_state"])
    ids = np.arange(1, n + 1)
    method = facts["_method"]
    state = facts["_state"]
    member = facts["_member"]
    brand_of_member = w.rng("~member-cards").integers(0, len(words.CARD_BRANDS), w.volumes.members)
    last4_of_member = w.rng("~member-cards", "last4").integers(0, 10_000, w.volumes.members)
    id36 = v.base36_text(ids, 6)
    reference = pc.case_when(
        pc.make_struct(
            pa.array(method == CARD), pa.array(method == SEPA), pa.array(method == TRANSFER)
        ),
        v.concat("pi_", id36, v.alphabet_text(rng, n, 18)),
        v.concat("sepa_", id36, v.alphabet_text(rng, n, 12)),
        v.concat("BT", v.number_text(ids, 10)),
    )
    last4 = v.number_text(last4_of_member[member], 4)
    metadata = pc.case_when(
        pc.make_struct(pa.array(method == CARD), pa.array(method == SEPA)),
        v.json_object(
            {
                "brand": v.take(words.CARD_BRANDS, brand_of_member[member]),
                "last4": last4,
                "threeDSecure": pc.if_else(pa.array(rng.random(n) < 0.7), "true", "false"),
            },
            raw=("threeDSecure",),
        ),
        v.json_object(
            {"mandateId": v.concat("MD-", v.number_text(member + 1, 8)), "ibanLast4": last4}
        ),
    )
    failed = state == FAILED
    updated = np.maximum.reduce([facts["_created"], facts["_paid"], facts["_refunded"]])
    return {
        "id": ids,
        "memberId": member + 1,
        "subscriptionId": v.nullable(facts["_sub"] + 1, facts["_sub"] < 0),
        "invoiceId": v.nullable(facts["_invoice"] + 1, facts["_invoice"] < 0),
        "amount": v.money(facts["_amount"]),
        "currency": pc.if_else(pa.array(facts["_chf"]), "CHF", "EUR"),
        "method": v.take(METHODS, method),
        "status": v.take(_PAYMENT_STATUS, state),
        "providerRef": reference,
        "paidAt": v.timestamps(facts["_paid"], facts["_paid"] < 0),
        "failureReason": v.with_nulls(v.pick(rng, words.FAILURE_REASONS, n), ~failed),
        "metadata": metadata,
        "createdAt": v.timestamps(facts["_created"]),
        "updatedAt": v.timestamps(updated),
    }
