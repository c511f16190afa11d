"""The copy's memory measures: Arrow's pool during a copy, text rendered in slices."""

from __future__ import annotations

import pyarrow as pa
import pytest
from helpers import every_kind_data, every_kind_schema

from mostaframe.copy import copy
from mostaframe.sinks import text
from mostaframe.sinks.base import Sink
from mostaframe.sources import ArrowSource


class _PoolSpy(Sink):
    """Records which Arrow pool is the default while it is written to."""

    kind = "pool-spy"

    def __init__(self) -> None:
        super().__init__("memory")
        self.backends: set[str] = set()
        self.rows = 0

    def _begin(self) -> None:
        self.backends.add(pa.default_memory_pool().backend_name)

    def _write(self, batch: pa.RecordBatch) -> int:
        self.backends.add(pa.default_memory_pool().backend_name)
        self.rows += batch.num_rows
        return 0

    def _finish(self) -> None:
        pass

    def _cancel(self) -> None:
        pass


@pytest.fixture
def mimalloc_default(monkeypatch: pytest.MonkeyPatch) -> pa.MemoryPool:
    if "mimalloc" not in pa.supported_memory_backends():
        pytest.skip("this pyarrow has no mimalloc (the copy then keeps the default pool)")
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.mimalloc_memory_pool())
    yield pa.default_memory_pool()
    pa.set_memory_pool(previous)


def _copy(spy: _PoolSpy) -> None:
    schema = every_kind_schema()
    data = every_kind_data(schema, rows=30)
    report = copy(ArrowSource(data), [spy], schemas=schema, batch_size=7, quiet=True)
    assert report.ok, str(report)
    assert spy.rows == sum(table.num_rows for table in data.values())


def test_copy_swaps_mimalloc_for_its_duration_and_restores_it(mimalloc_default) -> None:
    spy = _PoolSpy()
    _copy(spy)
    assert "mimalloc" not in spy.backends
    assert spy.backends <= {"jemalloc", "system"}
    assert pa.default_memory_pool().backend_name == "mimalloc"


def test_copy_keeps_a_pool_chosen_by_the_environment(
    mimalloc_default, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
    spy = _PoolSpy()
    _copy(spy)
    assert spy.backends == {"mimalloc"}


def test_render_slices_yields_every_row_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text, "PARALLEL_MIN_ROWS", 2)
    batch = pa.record_batch({"v": pa.array(range(23))})
    seen: list[tuple[int, int, list[int]]] = []
    for values in text.render_slices(
        batch, lambda part, at: (at, part.num_rows, part.column(0).to_pylist()), rows=5
    ):
        seen.append(values)
    assert [value for _, _, chunk in seen for value in chunk] == list(range(23))
    assert [at for at, _, _ in seen] == [value for _, _, (value, *_) in seen]
    assert max(rows for _, rows, _ in seen) <= 5
