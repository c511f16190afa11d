"""A TCP proxy that tests can cut and restore, run in a process of its own.

Own process, not a thread of the test: connectorx holds the GIL while it connects
(``return_type="arrow_stream"``), so a proxy thread in the same interpreter would never accept
the connection connectorx waits for (it times out after 30 s).

Run as ``python tests/tcp_proxy.py HOST PORT``: prints the local port it listens on
(127.0.0.1), then reads commands from stdin, one per line, answering each with a line:
``cut`` (reset every connection, refuse new ones), ``restore``, ``count`` (connections
forwarded so far).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path


class Proxy:
    """Forwards 127.0.0.1:``port`` to ``upstream``; :meth:`cut` resets every connection and
    refuses new ones until :meth:`restore`."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.broken = threading.Event()
        self.connections = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if self.broken.is_set():
                self._reset(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                self._reset(client)
                continue
            with self._lock:
                self._open.update((client, server))
                self.connections += 1
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._reset(source)
            self._reset(sink)

    def _reset(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        # shutdown first: close() alone does not wake the pump thread blocked in recv() on
        # this socket, and the kernel keeps the connection open until that recv returns
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            # linger 0: what is left is reset, as a broken network path looks to the peer
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            sock.close()

    def cut(self) -> None:
        self.broken.set()
        with self._lock:
            victims = list(self._open)
        for sock in victims:
            self._reset(sock)

    def restore(self) -> None:
        self.broken.clear()


class ProxyProcess:
    """The test side: starts ``tcp_proxy.py`` and sends it commands.

    Example:
        >>> proxy = ProxyProcess(("127.0.0.1", 5432))  # doctest: +SKIP
        >>> proxy.cut(); proxy.restore(); proxy.close()  # doctest: +SKIP
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__)), upstream[0], str(upstream[1])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self._line())

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        assert line, "the proxy process died"
        return line

    def _send(self, command: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._line()

    def cut(self) -> None:
        self._send("cut")

    def restore(self) -> None:
        self._send("restore")

    @property
    def connections(self) -> int:
        return int(self._send("count"))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


def main() -> None:
    proxy = Proxy((sys.argv[1], int(sys.argv[2])))
    print(proxy.port, flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "cut":
            proxy.cut()
        elif command == "restore":
            proxy.restore()
        print(proxy.connections if command == "count" else "ok", flush=True)


if __name__ == "__main__":
    main()
