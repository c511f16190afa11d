"""FitZoneGym builders for club operations: equipment and its maintenance, staff shifts,
lockers and their rentals, the shop (products, sales, sale items).

Consistency kept here: equipment sits in a room of its own club and is serviced after it was
bought; shifts are worked by current staff at their club inside opening hours; a locker's
rentals never overlap and only the last one may still be open; a sale's total is the sum of its
items, sold while the club is open.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import fitzone_values as v
from . import fitzone_words as words
from .fitzone_people import current_staff, pick_members, pick_staff
from .fitzone_world import PLATFORM_START, WINDOW_FIRST_DAY, Columns, World, builder

_ROOM_NAMES = [r[0] for r in words.ROOMS]
#: equipment name → the room it goes to
_EQUIPMENT_ROOM = {
    "Spin bike": "Cycling studio",
    "Kettlebell set": "Functional zone",
    "Boxing bag": "Boxing ring",
}


@builder("Equipment")
def equipment(w: World) -> Columns:
    rng = w.rng("Equipment")
    clubs, room = w.table("Club"), w.table("Room")
    per_club = w.volumes.equipment_per_club + rng.integers(-5, 6, w.volumes.clubs)
    club, rank = v.repeat_index(np.maximum(per_club, 3))
    n = len(club)
    catalog = words.EQUIPMENT
    kind = v.weighted(rng, n, [3 if item[4] else 1 for item in catalog])
    cardio = np.array([item[4] for item in catalog])[kind]
    target = np.array(
        [
            _ROOM_NAMES.index(
                _EQUIPMENT_ROOM.get(item[0], "Cardio floor" if item[4] else "Free weights")
            )
            for item in catalog
        ]
    )[kind]
    room_of = np.full((w.volumes.clubs, len(_ROOM_NAMES)), -1)
    room_of[room["_club"], room["_kind"]] = np.arange(len(room["_club"]))
    where = room_of[club, target]
    stored = (where < 0) | (rng.random(n) < 0.08)
    brand_counts = np.array([len(item[1]) for item in catalog])
    brand_starts = np.concatenate(([0], np.cumsum(brand_counts)[:-1]))
    brands = [brand for item in catalog for brand in item[1]]
    brand = v.segment_pick(rng, brand_starts, brand_counts, kind)
    opened = np.maximum(clubs["_opened"][club], PLATFORM_START - 5 * 365)
    purchased = v.spread(rng, opened, np.full(n, v.TODAY - 30))
    low = np.array([item[2] for item in catalog])[kind]
    high = np.array([item[3] for item in catalog])[kind]
    price = (low + rng.random(n) * (high - low)) // 100 * 100
    usage = np.where(cardio, (v.TODAY - purchased) * rng.integers(3_600, 6 * 3_600, n), 0)
    ids = np.arange(1, n + 1)
    specs = pc.if_else(
        pa.array(cardio),
        v.json_object(
            {
                "maxUserKg": v.number_text(rng.integers(130, 181, n)),
                "power": "230V",
                "warrantyYears": v.number_text(rng.integers(2, 6, n)),
            },
            raw=("maxUserKg", "warrantyYears"),
        ),
        v.json_object(
            {
                "maxLoadKg": v.number_text(rng.integers(10, 31, n) * 10),
                "warrantyYears": v.number_text(rng.integers(2, 11, n)),
            },
            raw=("maxLoadKg", "warrantyYears"),
        ),
    )
    created = (
        np.maximum(purchased * v.DAY, clubs["_created"][club]) + rng.integers(0, 8, n) * v.HOUR
    )
    status_names, _ = v.enum_values(
        rng, n, {"OPERATIONAL": 0.85, "NEEDS_SERVICE": 0.08, "OUT_OF_ORDER": 0.04, "RETIRED": 0.03}
    )
    return {
        "id": ids,
        "clubId": club + 1,
        "roomId": v.nullable(where + 1, stored),
        "assetTag": v.concat(
            "FZ-", clubs["code"].take(pa.array(club)), "-", v.number_text(rank + 1, 4)
        ),
        "name": v.take([item[0] for item in catalog], kind),
        "brand": v.with_nulls(v.take(brands, brand), rng.random(n) < 0.05),
        "serialNumber": v.with_nulls(
            v.concat("SN", pc.utf8_upper(v.base36_text(ids, 5)), v.alphabet_text(rng, n, 8)),
            rng.random(n) < 0.15,
        ),
        "status": status_names,
        "purchasedOn": v.dates(purchased, rng.random(n) < 0.08),
        "purchasePrice": v.money(price, rng.random(n) < 0.15),
        "usageSeconds": usage,
        "specs": v.with_nulls(specs, rng.random(n) < 0.3),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.6)),
        "_club": club,
        "_purchased": purchased,
    }


@builder("MaintenanceRecord")
def maintenance(w: World) -> Columns:
    rng = w.rng("MaintenanceRecord")
    eq = w.table("Equipment")
    age = (v.TODAY - eq["_purchased"]) / 365
    item, _ = v.repeat_index(rng.poisson(np.minimum(age, 4) * 0.6))
    n = len(item)
    day = v.spread(rng, eq["_purchased"][item] + 7, np.full(n, v.TODAY - 1))
    performed = day * v.DAY + rng.integers(7 * v.HOUR, 19 * v.HOUR, n)
    order = np.argsort(performed, kind="stable")  # ids follow the calendar
    item, day, performed = item[order], day[order], performed[order]
    kind = rng.integers(0, len(words.MAINTENANCE_KINDS), n)
    cost = np.select(
        [kind == 0, kind == 1],
        [rng.integers(20, 151, n) * 100, rng.integers(30, 451, n) * 100],
        rng.integers(0, 60, n) * 100,
    )
    technician = pick_staff(w, rng, eq["_club"][item], (words.TECHNICIAN_JOB,))
    external = (technician < 0) | (rng.random(n) < 0.25)
    # records from before the platform existed were typed in when it opened
    created = np.maximum(performed, PLATFORM_START * v.DAY) + rng.integers(0, 2 * v.HOUR, n)
    created = np.minimum(created, v.NOW - 1)
    return {
        "id": np.arange(1, n + 1),
        "equipmentId": item + 1,
        "performedById": v.nullable(technician + 1, external),
        "kind": v.take(words.MAINTENANCE_KINDS, kind),
        "description": v.pick(rng, words.MAINTENANCE_TEXT, n),
        "cost": v.money(cost, (kind == 3) | (rng.random(n) < 0.1)),
        "performedAt": v.timestamps(performed),
        "nextDueOn": v.dates(day + np.where(kind == 0, 90, 180), kind >= 2),
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.2)),
    }


@builder("Shift")
def shifts(w: World) -> Columns:
    rng = w.rng("Shift")
    staff = w.table("~staff")
    people = current_staff(w)
    days = np.arange(v.TODAY - 56, v.TODAY + 7)  # eight weeks worked, one week planned
    club = staff["_club"][people]
    works = rng.random((len(people), len(days))) < rng.uniform(0.3, 0.75, len(people))[:, None]
    works &= ~w.opening[2][club[:, None], v.weekday_of(days)[None, :]]
    who, day_index = np.nonzero(works)
    person, club, day = people[who], club[who], days[day_index]
    n = len(person)
    opens, closes, _ = w.opening
    weekday = v.weekday_of(day)
    open_at, close_at = opens[club, weekday], closes[club, weekday]
    offset = rng.choice([0, 4 * v.HOUR, 8 * v.HOUR], n)
    begin = np.minimum(open_at + offset, close_at - 4 * v.HOUR)
    end = np.minimum(begin + rng.integers(4, 10, n) * v.HOUR, close_at)
    starts = w.local_instant(club, day, begin)
    ends = w.local_instant(club, day, end)
    order = np.lexsort((person, starts))
    person, club, starts, ends = person[order], club[order], starts[order], ends[order]
    long_shift = ends - starts >= 6 * v.HOUR
    breaks = np.where(long_shift, rng.choice([30, 45, 60], n), rng.choice([0, 15], n))
    created = np.minimum(starts - rng.integers(7, 22, n) * v.DAY, v.NOW - 1)
    job = staff["_job"][person]
    position = v.take([words.SHIFT_POSITIONS[j] for j in range(len(words.JOB_TITLES))], job)
    return {
        "id": np.arange(1, n + 1),
        "staffId": person + 1,
        "clubId": club + 1,
        "startsAt": v.timestamps(starts),
        "endsAt": v.timestamps(ends),
        "position": v.with_nulls(position, rng.random(n) < 0.1),
        "breakMinutes": breaks,
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.2)),
    }


@builder("Locker")
def lockers(w: World) -> Columns:
    rng = w.rng("Locker")
    clubs = w.table("Club")
    per_club = w.volumes.lockers_per_club + rng.integers(-5, 6, w.volumes.clubs)
    club, rank = v.repeat_index(np.maximum(per_club, 5))
    n = len(club)
    letter = rank // 100
    zone = v.with_nulls(
        v.take(("men", "women", "mixed", "staff"), np.minimum(letter, 3)), letter > 2
    )
    created = clubs["_created"][club] + rng.integers(v.DAY, 60 * v.DAY, n)
    return {
        "id": np.arange(1, n + 1),
        "clubId": club + 1,
        "number": v.concat(
            v.take("ABCDEFGHIJ", np.minimum(letter, 9)), v.number_text(rank % 100 + 1, 3)
        ),
        "zone": zone,
        "monthlyFee": v.money(np.where(rng.random(n) < 0.8, 990, 1490)),
        "isOutOfOrder": rng.random(n) < 0.03,
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.3)),
        "_club": club,
        "_created": created,
    }


@builder("LockerRental")
def locker_rentals(w: World) -> Columns:
    rng = w.rng("LockerRental")
    locker = w.table("Locker")
    members = w.table("~members")
    n_lockers = len(locker["_club"])
    start = np.maximum(v.TODAY - rng.integers(30, 900, n_lockers), locker["_created"] // v.DAY + 1)
    wanted = rng.integers(0, 5, n_lockers)
    parts = []
    for position in range(4):  # rentals follow each other: one vectorised round per position
        length = rng.integers(30, 366, n_lockers)
        alive = (position < wanted) & (start <= v.TODAY - 1)
        end = start + length
        rows = np.nonzero(alive)[0]
        parts.append((rows, start[rows], end[rows]))
        start = end + rng.integers(1, 61, n_lockers)
    which = np.concatenate([p[0] for p in parts])
    begin = np.concatenate([p[1] for p in parts])
    end = np.concatenate([p[2] for p in parts])
    still_open = end > v.TODAY - 1
    member = pick_members(w, rng, locker["_club"][which], 0.95)
    keep = members["_joined"][member] <= begin
    which, begin, end, still_open, member = (
        which[keep],
        begin[keep],
        end[keep],
        still_open[keep],
        member[keep],
    )
    order = np.lexsort((which, begin))
    which, begin, end, still_open, member = (
        which[order],
        begin[order],
        end[order],
        still_open[order],
        member[order],
    )
    n = len(which)
    created = begin * v.DAY + rng.integers(8 * v.HOUR, 20 * v.HOUR, n)
    returned = ~still_open & (rng.random(n) < 0.95)
    ended_at = np.where(still_open, created, np.maximum(end * v.DAY + 10 * v.HOUR, created))
    return {
        "id": np.arange(1, n + 1),
        "lockerId": which + 1,
        "memberId": member + 1,
        "startDate": v.dates(begin),
        "endDate": v.dates(end, still_open),
        "deposit": v.money(rng.choice([1000, 2000, 2000, 2000, 3000], n)),
        "keyReturned": returned,
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(np.minimum(ended_at, v.NOW - 1)),
    }


# --- shop ----------------------------------------------------------------------------------------


def _catalog() -> tuple[list[str], list[str], list[float], list[int], list[int]]:
    """Every (category, name, VAT rate, low, high price) the shop can sell, in a fixed order."""
    rows = [
        (category, f"{stem} {variant}", vat, low, high)
        for category, vat, stems, variants, low, high in words.PRODUCTS
        for stem in stems
        for variant in variants
    ]
    return tuple(list(column) for column in zip(*rows, strict=True))  # type: ignore[return-value]


@builder("Product")
def products(w: World) -> Columns:
    rng = w.rng("Product")
    category, name, vat, low, high = _catalog()
    n = w.volumes.products
    combo = np.concatenate([rng.permutation(len(name)) for _ in range(n // len(name) + 1)])[:n]
    ids = np.arange(1, n + 1)
    low_, high_ = np.array(low)[combo], np.array(high)[combo]
    price = -(-(low_ + rng.random(n) * (high_ - low_)) // 100).astype(np.int64) * 100 - 10
    image_count = rng.integers(0, 4, n)
    image_offsets = np.concatenate(([0], np.cumsum(image_count)))
    owner, position = v.repeat_index(image_count)
    categories = v.take(category, combo)
    sku = v.concat(
        pc.utf8_upper(pc.utf8_slice_codeunits(categories, 0, 3)), "-", v.number_text(ids, 5)
    )
    images = v.concat(
        "https://cdn.fitzonegym.example/products/",
        pc.utf8_lower(sku.take(pa.array(owner))),
        "-",
        v.number_text(position + 1),
        ".jpg",
    )
    created = PLATFORM_START * v.DAY + rng.integers(0, (v.TODAY - 60 - PLATFORM_START) * v.DAY, n)
    return {
        "id": ids,
        "sku": sku,
        "barcode": v.with_nulls(v.ean13_text(ids), rng.random(n) < 0.15),
        "name": v.take(name, combo),
        "description": v.with_nulls(
            v.concat(v.take(name, combo), ", sold at the club front desk."), rng.random(n) < 0.4
        ),
        "category": categories,
        "price": v.money(price),
        "costPrice": v.money(
            (price * rng.uniform(0.35, 0.6, n)).astype(np.int64), rng.random(n) < 0.2
        ),
        "vatRate": np.array(vat)[combo],
        "stockQty": rng.integers(0, 251, n),
        "imageUrls": v.lists(image_offsets, images),
        "isActive": rng.random(n) < 0.92,
        "createdAt": v.timestamps(created),
        "updatedAt": v.timestamps(v.updated_after(rng, created, 0.6)),
        "_price": price,
    }


@builder("~sales")
def sale_facts(w: World) -> Columns:
    """Sales and their items (the items decide the totals)."""
    rng = w.rng("~sales")
    clubs = w.table("Club")
    members = w.table("~members")
    product = w.table("Product")
    n = max(20, round(w.volumes.members * 0.55))
    club = rng.choice(w.volumes.clubs, n, p=clubs["capacity"] / clubs["capacity"].sum())
    day = w.open_day(club, rng.integers(WINDOW_FIRST_DAY + 1, v.TODAY, n))
    sold = w.local_instant(club, day, w.time_in_opening(rng, club, day, stay=5 * v.MINUTE))
    member = pick_members(w, rng, club, 0.9)
    anonymous = (rng.random(n) < 0.25) | (members["_created"][member] > sold)
    cashier = pick_staff(w, rng, club, (1, 5))
    order = np.argsort(sold, kind="stable")
    club, sold, member, anonymous, cashier = (
        club[order],
        sold[order],
        member[order],
        anonymous[order],
        cashier[order],
    )
    sale, _ = v.repeat_index(1 + np.minimum(rng.poisson(0.7, n), 3))
    item = rng.integers(0, len(product["_price"]), len(sale))
    first = v.distinct_pairs(sale, item, len(product["_price"]))
    sale, item = sale[first], item[first]
    order = np.lexsort((item, sale))
    sale, item = sale[order], item[order]
    quantity = rng.integers(1, 4, len(sale))
    unit = product["_price"][item]
    discount = np.where(rng.random(len(sale)) < 0.08, np.round(quantity * unit * 0.1), 0).astype(
        np.int64
    )
    total = np.bincount(sale, weights=quantity * unit - discount, minlength=n).astype(np.int64)
    return {
        "_club": club,
        "_sold": sold,
        "_member": np.where(anonymous, -1, member),
        "_cashier": cashier,
        "_total": total,
        "_item_sale": sale,
        "_item_product": item,
        "_item_quantity": quantity,
        "_item_unit": unit,
        "_item_discount": discount,
    }


@builder("Sale")
def sales(w: World) -> Columns:
    rng = w.rng("Sale")
    facts = w.table("~sales")
    clubs = w.table("Club")
    n = len(facts["_club"])
    ids = np.arange(1, n + 1)
    method_names, _ = v.enum_values(rng, n, {"CARD": 0.72, "CASH": 0.23, "VOUCHER": 0.05})
    cashier = facts["_cashier"]
    return {
        "id": ids,
        "clubId": facts["_club"] + 1,
        "memberId": v.nullable(facts["_member"] + 1, facts["_member"] < 0),
        "cashierId": v.nullable(cashier + 1, (cashier < 0) | (rng.random(n) < 0.05)),
        "receiptNo": v.concat(
            clubs["code"].take(pa.array(facts["_club"])), "-", v.number_text(ids, 8)
        ),
        "total": v.money(facts["_total"]),
        "paymentMethod": method_names,
        "soldAt": v.timestamps(facts["_sold"]),
        "createdAt": v.timestamps(facts["_sold"]),
        "updatedAt": v.timestamps(v.updated_after(rng, facts["_sold"], 0.02)),
    }


@builder("SaleItem")
def sale_items(w: World) -> Columns:
    facts = w.table("~sales")
    sale = facts["_item_sale"]
    sold = facts["_sold"][sale]
    return {
        "saleId": sale + 1,
        "productId": facts["_item_product"] + 1,
        "quantity": facts["_item_quantity"],
        "unitPrice": v.money(facts["_item_unit"]),
        "discount": v.money(facts["_item_discount"]),
        "createdAt": v.timestamps(sold),
        "updatedAt": v.timestamps(sold),
    }
