"""The public surface stays small, sorted and light to import."""

from __future__ import annotations

import subprocess
import sys

import mostaframe


def test_all_is_sorted_and_resolvable() -> None:
    assert mostaframe.__all__ == sorted(mostaframe.__all__)
    for name in mostaframe.__all__:
        assert getattr(mostaframe, name) is not None


def test_import_is_light() -> None:
    code = (
        "import sys, mostaframe; "
        "heavy = [m for m in ('pyarrow', 'polars', 'connectorx', 'sqlalchemy', 'duckdb', 'psycopg') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
