"""Parquet destination: one ``<dir>/<table>.parquet`` per entity, with the exact Arrow types.

Decimals keep their precision and scale, timestamps their unit and UTC zone, lists stay lists;
the entity's Arrow schema (with its ``mostaframe.kind`` field metadata) is stored in the file, so
JSON and UUID columns are recognisable when the file is read back. Compression is zstd.

Example:
    >>> from mostaframe.sinks import get_sink
    >>> sink = get_sink("parquet", "./export")
    >>> sink.description
    'parquet ./export'
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar

from .base import FileSink

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..schema.model import Entity


class ParquetSink(FileSink):
    """Writes each entity to ``<target>/<table>.parquet`` (pyarrow ParquetWriter).

    Options:
        compression: Parquet codec (default ``"zstd"``).
        compression_level: codec level (default None: the codec's default).
        row_group_size: most rows per row group (default 1,000,000).
    """

    kind: ClassVar[str] = "parquet"
    extension: ClassVar[str] = "parquet"
    OPTIONS: ClassVar[dict[str, Any]] = {
        "compression": "zstd",
        "compression_level": None,
        "row_group_size": 1_000_000,
    }

    def __init__(self, target: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self._writer: pq.ParquetWriter | None = None

    def _begin(self) -> None:
        self._check_writable()

    def _open(self, entity: Entity) -> None:
        import pyarrow.parquet as pq

        temp = self._reserve(self.entity_path(entity))
        assert self._expected is not None
        self._writer = pq.ParquetWriter(
            str(temp),
            self._expected,
            compression=self.options["compression"],
            compression_level=self.options["compression_level"],
        )

    def _write(self, batch: pa.RecordBatch) -> int:
        assert self._writer is not None
        self._writer.write_batch(batch, row_group_size=self.options["row_group_size"])
        return 0  # the file size is known once the footer is written (close)

    def _close(self) -> None:
        assert self._writer is not None and self.result is not None and self._current
        self._writer.close()
        self._writer = None
        self.result.bytes = self._current[1].stat().st_size

    def _abort(self, error: BaseException) -> None:
        self._drop_current()

    def _drop_current(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            finally:
                self._writer = None
        if self._current is not None:
            self._forget(self._current[0])
            self._current = None

    def _finish(self) -> None:
        self._publish()

    def _cancel(self) -> None:
        self._drop_current()
        self._discard()
