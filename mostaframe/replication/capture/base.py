"""What every change capture method provides: :class:`Capture` and its :class:`Lag`.

Lifecycle of a capture, driven by a replication rule::

    capture = CAPTURES["pgoutput"](source_uri, schema, entities, rule="shop_to_sqlite")
    start = capture.setup()            # BEFORE the snapshot: changes after `start` are kept
    ... snapshot the entities into the target, checkpoint = start ...
    while running:
        capture.check(checkpoint)      # slot / change log still there and not past us?
        changes = capture.read(checkpoint, max_changes=100_000)
        ... apply `changes` + write changes.end_position as checkpoint, in ONE target commit ...
        capture.acknowledge(changes.end_position)  # only now may the source forget them
        checkpoint = changes.end_position
    capture.teardown()                 # remove everything setup installed on the source

Because ``setup`` runs before the snapshot, the snapshot may already contain some captured
changes; applying them again is harmless (upsert and delete by primary key are idempotent), so
the replica converges to the source with no gap.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import ReplicationError
from ...secrets import mask_uri, parse_uri

if TYPE_CHECKING:
    from ...schema.model import Entity, Schema
    from ...secrets import DatabaseURI
    from ..changes import ChangeSet

#: prefix of every object a capture installs on a source (slots, publications, triggers, tables)
PREFIX = "mostaframe_"

#: longest identifier accepted everywhere we install objects (PostgreSQL NAMEDATALEN - 1)
MAX_IDENTIFIER = 63


@dataclass
class Lag:
    """How far a target is behind its source, for one rule.

    Attributes:
        pending_changes: row changes captured but not yet applied (None = unknown; may be an
            estimate when large, see the capture's docs).
        pending_bytes: bytes of change data not yet applied (WAL for logical decoding, row
            images for triggers); None = unknown.
        seconds_behind: age of the oldest unapplied change (0.0 when nothing is pending).
    """

    pending_changes: int | None
    pending_bytes: int | None
    seconds_behind: float | None

    def asdict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        changes = "?" if self.pending_changes is None else f"{self.pending_changes:,}"
        size = "?" if self.pending_bytes is None else f"{self.pending_bytes:,} B"
        behind = "?" if self.seconds_behind is None else f"{self.seconds_behind:.3f} s"
        return f"{changes} changes / {size} pending, {behind} behind"


def object_name(rule: str, *parts: str, limit: int = MAX_IDENTIFIER) -> str:
    """A source object name derived from the rule name: ``mostaframe_<rule>[_<part>…]``.

    Lower-cased, every character outside ``[a-z0-9_]`` replaced by ``_`` (replication slot names
    allow nothing else), cut to ``limit`` characters with a hash of the full name so two long
    rule names never collide.

    >>> object_name("Shop → SQLite")
    'mostaframe_shop_sqlite'
    """
    raw = "_".join([rule, *parts])
    cleaned = re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", raw.lower())).strip("_")
    name = PREFIX + (cleaned or "rule")
    if len(name) > limit:
        digest = hashlib.sha1(raw.encode()).hexdigest()[:8]
        name = f"{name[: limit - 9]}_{digest}"
    return name


class Capture(ABC):
    """A way of capturing a source's row changes for one replication rule.

    Subclasses set :attr:`method` and implement the six operations; they register in
    :data:`mostaframe.replication.capture.CAPTURES`.

    Args:
        source_uri: the source database URI (its password is masked in every message).
        schema: the entity model of the source.
        entities: the entities the rule captures (each needs a primary key).
        rule: the rule name; names the objects installed on the source.

    Raises:
        ReplicationError: an entity without a primary key, or entities of another schema.
    """

    method: ClassVar[str]
    #: source dialects the method supports
    dialects: ClassVar[tuple[str, ...]]
    #: whether a rule should read the next ChangeSet while it applies the current one (the
    #: default of :attr:`ReplicationRule.read_ahead`)
    read_ahead: ClassVar[bool] = True

    def __init__(self, source_uri: str, schema: Schema, entities: list[Entity], rule: str) -> None:
        self.source: DatabaseURI = parse_uri(source_uri)
        if self.source.dialect not in self.dialects:
            raise ReplicationError(
                f"capture method {self.method!r} does not support {self.source.dialect} sources "
                f"({mask_uri(source_uri)}); it supports {', '.join(self.dialects)}"
            )
        self.schema = schema
        self.entities = [
            schema.entity(e.name) if not isinstance(e, str) else schema.entity(e) for e in entities
        ]
        self.rule = rule
        if not self.entities:
            raise ReplicationError(f"rule {rule!r}: no entity to capture")
        for entity in self.entities:
            if not entity.primary_key:
                raise ReplicationError(
                    f"entity {entity.name} (table {entity.table}) has no primary key; "
                    "add one or exclude it"
                )

    @property
    def source_text(self) -> str:
        """The source URI with its password masked, for messages."""
        return mask_uri(self.source.raw)

    @abstractmethod
    def setup(self) -> int:
        """Install what capture needs on the source (idempotent).

        MUST be called before the snapshot read.

        Returns:
            The start position: every change after it is captured.
        """

    @abstractmethod
    def read(self, after: int, *, max_changes: int = 100_000) -> ChangeSet:
        """Changes with position > ``after``, whole transactions, in commit order, collapsed.

        Does not consume anything: reading twice returns the same changes until
        :meth:`acknowledge`. ``max_changes`` bounds a chunk (a transaction bigger than it is
        returned whole).
        """

    @abstractmethod
    def acknowledge(self, position: int) -> None:
        """Let the source forget changes <= ``position``.

        Call only after the target committed those changes AND the checkpoint.
        """

    @abstractmethod
    def lag(self, checkpoint: int) -> Lag:
        """How far ``checkpoint`` is behind the source now."""

    @abstractmethod
    def check(self, checkpoint: int) -> None:
        """Verify changes after ``checkpoint`` are still all available.

        Raises:
            ReplicationError: the slot / change log is gone or was consumed past the
                checkpoint; the message names the remedy (re-snapshot with ``rule.resync()``).
        """

    @abstractmethod
    def teardown(self) -> None:
        """Remove everything :meth:`setup` installed on the source."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} rule={self.rule!r} source={self.source_text}>"


__all__ = ["MAX_IDENTIFIER", "PREFIX", "Capture", "Lag", "object_name"]
