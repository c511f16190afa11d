"""Reading one query in several worker processes, into one bounded pipeline.

connectorx holds the GIL while it decodes, so threads do not read in parallel (measured). Each
worker is a ``python -m mostaframe.sources.parallel`` process that gets its job (connection URL,
its queries, entity, batch size) as a pickle on **stdin** — never on its command line, where ``ps``
would show the password — streams the query with connectorx, converts every batch to the
entity's Arrow schema (so the conversion runs in parallel too) and writes an Arrow IPC stream
to stdout. A thread per worker forwards its batches into a queue of
``2 × workers`` batches that the copy pipeline reads: memory stays bounded, and a worker that
fails turns into a :class:`~mostaframe.errors.SourceError` (its stderr, masked) while the
others are killed.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import SourceError, first_line
from ..secrets import mask_text
from .connectorx import _stream, release_free_memory
from .convert import conform

if TYPE_CHECKING:
    import pyarrow as pa


def read_in_processes(
    job: dict[str, Any], queries: list[str], secrets: tuple[str, ...], *, workers: int = 2
) -> Iterator[pa.RecordBatch]:
    """Batches of every query in ``queries``, shared round-robin among ``workers`` processes.

    Each worker runs its queries one after another, so what its connectorx stream can buffer
    ahead is bounded by one query's result, not by the table.

    Args:
        job: url, batch_size, pre (statements before the query), entity, where (context for
            messages), rstrip (char(n) columns).
        queries: SELECTs that together read every row once.
        secrets: passwords to mask in error messages.
        workers: number of worker processes (at most one per query).
    """
    count = max(1, min(workers, len(queries)))
    groups = [queries[number::count] for number in range(count)]
    pipeline: queue.Queue[Any] = queue.Queue(maxsize=2 * count)
    stop = threading.Event()
    workers_ = [_Worker({**job, "queries": group}, pipeline, stop, secrets) for group in groups]
    try:
        for worker in workers_:
            worker.start()
        running = len(workers_)
        while running:
            item = pipeline.get()
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        stop.set()
        for worker in workers_:
            worker.stop()


class _Worker:
    """One reader process streaming Arrow IPC to us, and the thread that forwards its batches."""

    def __init__(
        self,
        job: dict[str, Any],
        pipeline: queue.Queue[Any],
        stop: threading.Event,
        secrets: tuple[str, ...],
    ) -> None:
        self.job = job
        self.pipeline = pipeline
        self.stop_event = stop
        self.secrets = secrets
        self.process: subprocess.Popen[bytes] | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        # the job (URL with its password) goes through stdin, never the command line (ps)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mostaframe.sources.parallel"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_worker_environment(),
        )
        assert self.process.stdin is not None
        self.process.stdin.write(pickle.dumps(self.job))
        self.process.stdin.close()
        self.thread.start()

    def _put(self, item: Any) -> bool:
        while not self.stop_event.is_set():
            try:
                self.pipeline.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        import pyarrow as pa

        process = self.process
        assert process is not None and process.stdout is not None and process.stderr is not None
        try:
            try:
                reader = pa.ipc.open_stream(process.stdout)
                for batch in reader:
                    if not self._put(batch):
                        return
            except pa.ArrowInvalid:
                pass  # the worker died before writing a stream: its stderr says why
            code = process.wait()
            if code != 0 and not self.stop_event.is_set():
                message = process.stderr.read().decode(errors="replace").strip()
                line = message.splitlines()[-1] if message else f"reader process exited {code}"
                self._put(SourceError(mask_text(line, self.secrets)))
                return
            self._put(None)
        except Exception as exc:
            self._put(SourceError(f"{self.job['where']}: {mask_text(first_line(exc))}"))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
        if self.thread.is_alive():
            self.thread.join(timeout=5)


def _worker_environment() -> dict[str, str]:
    """Our environment, with this package importable even when it is not installed."""
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": f"{root}{os.pathsep}{path}" if path else root,
        "RUST_BACKTRACE": "0",
    }


def worker_main() -> int:
    """Entry of a reader process: job from stdin (pickle), Arrow IPC stream to stdout."""
    import pyarrow as pa

    job = pickle.loads(sys.stdin.buffer.read())
    entity = job["entity"]
    writer = None
    sink = pa.output_stream(sys.stdout.buffer)
    try:
        for query in job["queries"]:
            for raw in _stream(job["url"], query, job["batch_size"], job["pre"], job["where"]):
                batch = conform(raw, entity, rstrip=job["rstrip"])
                if writer is None:
                    writer = pa.ipc.new_stream(sink, batch.schema)
                writer.write_batch(batch)
            release_free_memory()
        if writer is None:
            from ..schema.arrow import arrow_schema

            writer = pa.ipc.new_stream(sink, arrow_schema(entity))
        writer.close()
    except Exception as exc:
        print(str(exc).replace("\n", " "), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(worker_main())
