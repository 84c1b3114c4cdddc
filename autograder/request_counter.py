"""A loopback relay that counts the HTTP requests a server receives, by path.

A load test's figures come from the student's own processes (Locust runs their locustfile
and writes its CSV where their script says), so a script could write any CSV without
sending a request. The grader puts a :class:`RequestCounter` between the load test and each
server it started: the test is given the counter's URL, every byte is passed on unchanged
both ways, and the grader learns how many requests each path really received.

The counter reads HTTP/1.1 requests as clients send them (one after another on a kept-alive
connection, with a ``Content-Length`` or ``chunked`` body). A connection it cannot read is
still relayed, and counted in :attr:`RequestCounter.unreadable`.
"""

from __future__ import annotations

import collections
import contextlib
import socket
import threading
from collections.abc import Callable

CHUNK = 64 * 1024
MAX_HEAD_BYTES = 64 * 1024  # of a request line and its headers
MAX_CHUNKED_BYTES = 8 * 1024 * 1024  # of a chunked body, read whole before it is skipped


class RequestCounter:
    """``with RequestCounter(port) as counter:`` relays ``counter.url`` to the server on
    ``127.0.0.1:port`` and counts what reaches it in ``counter.requests`` (path -> count)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.requests: collections.Counter[str] = collections.Counter()
        self.unreadable = 0
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> RequestCounter:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for each in self.sockets:
                with contextlib.suppress(OSError):
                    each.shutdown(socket.SHUT_RDWR)
                each.close()
            self.sockets.clear()

    def counted(self) -> dict[str, int]:
        with self.lock:
            return dict(self.requests)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(("127.0.0.1", self.port), timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, server]
            reader = _Requests()
            threading.Thread(
                target=_pass_on, args=(client, server, self._counting(reader)), daemon=True
            ).start()
            threading.Thread(target=_pass_on, args=(server, client), daemon=True).start()

    def _counting(self, reader: _Requests) -> Callable[[bytes], None]:
        """What the relay does with each piece a client sends: count its requests."""

        def count(data: bytes) -> None:
            paths = reader.feed(data)
            with self.lock:
                self.requests.update(paths)
                if reader.lost and not reader.reported:
                    reader.reported = True
                    self.unreadable += 1

        return count


def _pass_on(
    source: socket.socket, target: socket.socket, observe: Callable[[bytes], None] | None = None
) -> None:
    """Copy ``source`` to ``target`` until ``source`` ends, each piece shown to ``observe``
    first."""
    while True:
        try:
            data = source.recv(CHUNK)
        except OSError:
            data = b""
        if not data:
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_WR)
            return
        if observe is not None:
            observe(data)
        try:
            target.sendall(data)
        except OSError:
            return


class _Requests:
    """The requests of one connection, read from the bytes the client sends."""

    def __init__(self) -> None:
        self.buffer = b""
        self.body_left = 0  # bytes of the current Content-Length body still to come
        self.chunked = False  # the current body is chunked
        self.lost = False  # the stream could not be read: nothing more is counted
        self.reported = False

    def feed(self, data: bytes) -> list[str]:
        """The paths of the requests whose head arrived with ``data``."""
        if self.lost:
            return []
        self.buffer += data
        paths: list[str] = []
        while True:
            if self.body_left:
                taken = min(self.body_left, len(self.buffer))
                self.buffer = self.buffer[taken:]
                self.body_left -= taken
                if self.body_left:
                    return paths
            if self.chunked and not self._skip_chunks():
                return paths
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                self.lost = len(self.buffer) > MAX_HEAD_BYTES
                return paths
            head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4 :]
            lines = head.split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                self.lost = True
                return paths
            paths.append(parts[1].split("?", 1)[0])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip().lower()
            self.chunked = "chunked" in headers.get("transfer-encoding", "")
            try:
                self.body_left = 0 if self.chunked else int(headers.get("content-length", 0))
            except ValueError:
                self.lost = True
                return paths

    def _skip_chunks(self) -> bool:
        """Skip a chunked body once all of it has arrived; True then (it waits, bounded by
        :data:`MAX_CHUNKED_BYTES`, until it has)."""
        position = 0
        while True:
            line_end = self.buffer.find(b"\r\n", position)
            if line_end < 0:
                break
            try:
                size = int(self.buffer[position:line_end].split(b";")[0], 16)
            except ValueError:
                self.lost = True
                return False
            if size == 0:
                trailer_end = self.buffer.find(b"\r\n", line_end + 2)
                while trailer_end > line_end + 2:  # trailer fields, each a line
                    trailer_end = self.buffer.find(b"\r\n", trailer_end + 2)
                if trailer_end < 0:
                    break
                self.buffer = self.buffer[trailer_end + 2 :]
                self.chunked = False
                return True
            position = line_end + 2 + size + 2
            if len(self.buffer) < position:
                break
        self.lost = len(self.buffer) > MAX_CHUNKED_BYTES
        return False
