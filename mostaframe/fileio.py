"""Writing files so that a crash never leaves a half-written file under its final name."""

from __future__ import annotations

import os
from pathlib import Path


def temporary_name(final: str | os.PathLike[str]) -> Path:
    """A temporary path next to ``final`` (same directory, so the rename is atomic)."""
    target = Path(final)
    return target.with_name(f".{target.name}.tmp-{os.getpid()}")


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file renamed into place on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(target)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
