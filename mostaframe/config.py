"""Settings resolved in one place: an explicit argument wins, then a ``MOSTAFRAME_*`` variable,
then the default. Every variable is listed in :data:`SETTINGS` and in docs/configuration.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import MostaframeError


@dataclass(frozen=True)
class Setting:
    env: str
    default: Any
    cast: Callable[[str], Any]
    help: str


SETTINGS: dict[str, Setting] = {
    "schemas": Setting(
        "MOSTAFRAME_SCHEMAS",
        None,
        str,
        "entities.json to use when none is given (else .mostajs/generated/entities.json, then ./entities.json)",
    ),
    "batch_size": Setting(
        "MOSTAFRAME_BATCH_SIZE", 20_000, int, "rows per Arrow record batch when reading"
    ),
    "queue_depth": Setting(
        "MOSTAFRAME_QUEUE_DEPTH", 4, int, "batches buffered per destination in a copy"
    ),
    "parallel_min_pages": Setting(
        "MOSTAFRAME_PARALLEL_MIN_PAGES",
        12_800,
        int,
        "PostgreSQL tables of at least this many 8 kB pages are read in parallel ctid ranges",
    ),
    "read_workers": Setting(
        "MOSTAFRAME_READ_WORKERS",
        0,
        int,
        "parallel read streams (worker processes) for a large PostgreSQL/MySQL table; 0 = auto "
        "(CPUs // 2 when the server is on this machine, else up to min(CPUs, 4)); 1 = in-process",
    ),
    "quiet": Setting(
        "MOSTAFRAME_QUIET",
        False,
        lambda v: v.strip().lower() in ("1", "true", "yes"),
        "no progress bars",
    ),
}


def resolve(name: str, explicit: Any = None) -> Any:
    """The value of setting ``name``: ``explicit`` if not None, else its environment variable, else
    its default.

    Raises:
        MostaframeError: the environment variable holds a value of the wrong type.
    """
    setting = SETTINGS[name]
    if explicit is not None:
        return explicit
    raw = os.environ.get(setting.env)
    if raw is None or raw == "":
        return setting.default
    try:
        return setting.cast(raw)
    except ValueError:
        raise MostaframeError(
            f"{setting.env}={raw!r} is not valid: expected {setting.cast.__name__} ({setting.help})"
        ) from None
