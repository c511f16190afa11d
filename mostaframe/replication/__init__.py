"""Change data capture and replication: keep a target equal to a source, and measure the lag.

::

    from mostaframe.replication import add_replication_rule

    rule = add_replication_rule("gym", "postgresql://dev:${PGPASSWORD}@db/fitzone",
                                "./replica.sqlite", collections=["Member", "Visit"])
    rule.sync()                                # snapshot, then changes since the checkpoint
    rule.run(interval=1.0, stop=stop_event)    # until stopped, backing off on transient errors
    rule.status.lag_history("gym")             # polars DataFrame, read without the databases

Modules: :mod:`.changes` (the ChangeSet contract), :mod:`.capture` (pgoutput, triggers),
:mod:`.apply` (idempotent apply, one transaction per ChangeSet with its checkpoint),
:mod:`.state` (checkpoints in the target, the status store), :mod:`.rule` (rules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .apply import ApplyStats, Target, apply_changes, connect_target
from .changes import ChangeSet, EntityChanges, Truncate, collapse
from .rule import ReplicationRule, SyncResult, add_replication_rule
from .state import StatusStore, read_checkpoint

if TYPE_CHECKING:
    from .capture import CAPTURES, choose_capture
    from .capture.base import Capture, Lag

# the capture package loads on first use (its modules pull in numpy and the decoders)
_LAZY = {
    "CAPTURES": ("capture", "CAPTURES"),
    "Capture": ("capture.base", "Capture"),
    "Lag": ("capture.base", "Lag"),
    "choose_capture": ("capture", "choose_capture"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attribute)
    raise AttributeError(f"module 'mostaframe.replication' has no attribute {name!r}")


__all__ = [
    "CAPTURES",
    "ApplyStats",
    "Capture",
    "ChangeSet",
    "EntityChanges",
    "Lag",
    "ReplicationRule",
    "StatusStore",
    "SyncResult",
    "Target",
    "Truncate",
    "add_replication_rule",
    "apply_changes",
    "choose_capture",
    "collapse",
    "connect_target",
    "read_checkpoint",
]
