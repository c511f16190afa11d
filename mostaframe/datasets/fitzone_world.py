"""The FitZoneGym "world": volumes, random streams, shared calendars and the table builders.

A builder is a function ``World -> Columns`` registered under a model name (``"Member"``) or an
internal fact name (``"~subscriptions"``, facts several tables share). It returns every column
of its table, keyed by *model field name*, as numpy arrays or Arrow arrays of generic types;
keys starting with ``_`` are facts for other builders and never reach the database. Builders
read the tables they depend on through :meth:`World.table`, which builds each one once.

Determinism: every builder draws from its own random stream, seeded from ``(seed, builder
name, part)``. The data of a table therefore depends on the seed, the scale and the tables it
reads — never on the order in which tables are built or on the batch size.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from . import fitzone_values as v
from .fitzone_words import CITIES

Columns = dict[str, Any]

#: model name (or ``~fact``) → builder
BUILDERS: dict[str, Callable[[World], Columns]] = {}
#: the two model names an implicit many-to-many join table links → builder returning
#: ``{model name: ids}``
JOIN_BUILDERS: dict[frozenset[str], Callable[[World], dict[str, np.ndarray]]] = {}

#: The platform went live on this day: nothing is created before it.
PLATFORM_START = int(np.datetime64("2018-09-01", "D").astype(np.int64))
#: Activity (check-ins, classes, bookings, billing) is kept for the 26 weeks before today.
WINDOW_WEEKS = 26
WINDOW_FIRST_DAY = v.TODAY - 7 * WINDOW_WEEKS
#: Class sessions are published two weeks ahead.
AHEAD_DAYS = 14


def builder(name: str) -> Callable[[Callable[[World], Columns]], Callable[[World], Columns]]:
    """Register ``function`` as the builder of the model (or fact) ``name``."""

    def register(function: Callable[[World], Columns]) -> Callable[[World], Columns]:
        BUILDERS[name] = function
        return function

    return register


def join_builder(
    first: str, second: str
) -> Callable[[Callable[[World], dict[str, np.ndarray]]], Callable[[World], dict[str, np.ndarray]]]:
    """Register the builder of the implicit join table between models ``first`` and ``second``."""

    def register(
        function: Callable[[World], dict[str, np.ndarray]],
    ) -> Callable[[World], dict[str, np.ndarray]]:
        JOIN_BUILDERS[frozenset((first, second))] = function
        return function

    return register


@dataclass(frozen=True)
class Volumes:
    """How many rows the driving tables get at a scale (the others follow from these).

    Scale 1 is about a million rows in total. Reference tables (clubs, staff, products, …)
    grow with the square root of the scale so that a small scale still has a few clubs with
    several rooms; everything members do grows linearly.
    """

    clubs: int
    members: int
    staff_per_club: int
    products: int
    coupons: int
    equipment_per_club: int
    lockers_per_club: int
    class_sessions: int
    check_ins: int

    @classmethod
    def at(cls, scale: float) -> Volumes:
        root = scale**0.5
        return cls(
            clubs=max(2, round(20 * root)),
            members=max(60, round(21_000 * scale)),
            staff_per_club=max(6, round(30 * root)),
            products=max(20, round(96 * root)),
            coupons=max(4, round(40 * root)),
            equipment_per_club=max(12, round(80 * root)),
            lockers_per_club=max(10, round(80 * root)),
            class_sessions=max(40, round(14_000 * scale)),
            check_ins=max(200, round(190_000 * scale)),
        )


class World:
    """Everything the builders share for one ``(scale, seed)``: volumes, streams, cached tables."""

    def __init__(self, scale: float, seed: int) -> None:
        self.scale = scale
        self.seed = seed
        self.volumes = Volumes.at(scale)
        self._tables: dict[str, Columns] = {}

    def rng(self, *names: str) -> np.random.Generator:
        """The random stream of one builder (and optional part of it)."""
        keys = [zlib.crc32(name.encode()) for name in names]
        return np.random.default_rng(np.random.SeedSequence([self.seed, *keys]))

    def table(self, name: str) -> Columns:
        """The columns of model ``name`` (or fact ``~name``), built on first use."""
        if name not in self._tables:
            self._tables[name] = BUILDERS[name](self)
        return self._tables[name]

    def join(self, first: str, second: str) -> dict[str, np.ndarray]:
        """The id pairs of the join table between ``first`` and ``second``, cached."""
        key = f"~join:{'|'.join(sorted((first, second)))}"
        if key not in self._tables:
            self._tables[key] = JOIN_BUILDERS[frozenset((first, second))](self)
        return self._tables[key]

    def forget(self, name: str) -> None:
        """Drop a cached table (it is rebuilt, identically, if needed again)."""
        self._tables.pop(name, None)

    # --- calendars ------------------------------------------------------------------------------

    @cached_property
    def _utc_offsets(self) -> np.ndarray:
        """UTC offset in seconds per (city time zone, day) over the activity window."""
        zones = sorted({city[3] for city in CITIES})
        first = WINDOW_FIRST_DAY - 2
        days = v.TODAY + AHEAD_DAYS + 2 - first
        table = np.zeros((len(CITIES), days), dtype=np.int64)
        for zone_name in zones:  # a few zones × ~200 days: calendar set-up, not per row
            zone = ZoneInfo(zone_name)
            offsets = [
                int(
                    (datetime(1970, 1, 1, 12) + timedelta(days=first + k))
                    .replace(tzinfo=zone)
                    .utcoffset()
                    .total_seconds()
                )
                for k in range(days)
            ]
            for position, city in enumerate(CITIES):
                if city[3] == zone_name:
                    table[position] = offsets
        return table

    def local_instant(self, club: np.ndarray, day: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """UTC seconds of local ``day`` + ``seconds`` after midnight at each row's club.

        Only defined inside the activity window (where the offset table is).
        """
        city = self.table("Club")["_city"][club]
        offset = self._utc_offsets[city, np.asarray(day) - (WINDOW_FIRST_DAY - 2)]
        return np.asarray(day, dtype=np.int64) * v.DAY + seconds - offset

    @cached_property
    def opening(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(opens, closes, closed)`` per (club index, weekday), seconds after midnight."""
        hours = self.table("OpeningHour")
        clubs = self.volumes.clubs
        shape = (clubs, 7)
        return (
            hours["_opens"].reshape(shape),
            hours["_closes"].reshape(shape),
            hours["_closed"].reshape(shape),
        )

    def open_day(self, club: np.ndarray, day: np.ndarray) -> np.ndarray:
        """``day`` moved to the previous day when the club is closed that weekday.

        Clubs are never closed two days in a row (only Sundays close), so one step suffices.
        """
        closed = self.opening[2][club, v.weekday_of(day)]
        return np.where(closed, day - 1, day)

    def time_in_opening(
        self,
        rng: np.random.Generator,
        club: np.ndarray,
        day: np.ndarray,
        *,
        stay: np.ndarray | int = 0,
        peaks: bool = True,
    ) -> np.ndarray:
        """Seconds after midnight inside the club's opening hours that day, leaving ``stay``
        seconds before closing; with ``peaks``, mornings, lunch and evenings are busier."""
        opens, closes, _ = self.opening
        weekday = v.weekday_of(day)
        low = opens[club, weekday]
        high = np.maximum(closes[club, weekday] - stay, low)
        n = len(club)
        uniform = low + rng.random(n) * (high - low)
        if not peaks:
            return uniform.astype(np.int64)
        centre = np.array([7.5, 12.75, 18.75, 0.0]) * v.HOUR
        width = np.array([1.0, 0.9, 1.4, 0.0]) * v.HOUR
        which = v.weighted(rng, n, (0.2, 0.25, 0.4, 0.15))
        peaked = centre[which] + rng.normal(0, 1, n) * width[which]
        chosen = np.where(which == 3, uniform, peaked)
        return np.clip(chosen, low, high).astype(np.int64)
