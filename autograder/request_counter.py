"""A loopback relay that counts the HTTP requests a server answered with success, by path.

A load test's figures come from the student's own processes (Locust runs their locustfile
and writes its CSV where their script says), so a script could write any CSV without
sending a request. The grader puts a :class:`RequestCounter` between the load test and each
server it started: the test is given the counter's URL, every byte is passed on unchanged
both ways, and the grader learns how many requests to each path the server really answered
with a 2xx status.

The counter reads HTTP/1.1 as it passes: the requests a client sends (one after another on a
kept-alive connection, with a ``Content-Length`` or ``chunked`` body), and the server's
answers, which come back in the same order. A request counts when its answer's status line
arrives with a 2xx status: a request the server refused (a 400 for a malformed head, a 401)
or never answered does not. A connection it cannot read is still relayed, counted in
:attr:`RequestCounter.unreadable`, and nothing more of it is counted.

It also counts the WebSocket connections clients ask for (requests with ``Upgrade:
websocket``), by path, in :attr:`RequestCounter.upgrades`, whatever the server answers:
lab 10 asks a client for one connection for many messages. And it keeps the status of every
answer whose head it read, by path and status, in :attr:`RequestCounter.statuses` (the
refusals included): lab 10 asks a client to raise for the 401 the server really sent.

The relay runs in the grader's process, and the client is the student's code: each
connection it relays costs the grader two threads, two descriptors and a connection to the
server. So it relays at most :data:`MAX_CONNECTIONS` at a time (an honest client holds one
or two, Locust one a user) and closes each one as soon as both of its ways have ended; a
connection past that bound, or one the grader has no thread left for, is closed at once,
unrelayed, and counted in :attr:`RequestCounter.turned_away`. Unbounded, a client that held
a hundred connections left the grader's capped address space no room for another thread
(the relay stopped for good), and one that opened and closed them one after another made
the grader keep every socket until the module's checks ended (past 1,024 descriptors, a
later check failed inside the grader).
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
MAX_CONNECTIONS = 32  # relayed at a time (each one costs the grader two threads)


class RequestCounter:
    """``with RequestCounter(port) as counter:`` relays ``counter.url`` to the server on
    ``127.0.0.1:port`` and counts the requests it answered with a 2xx status in
    ``counter.answered`` (path -> count).

    ``port`` may also be the path of a Unix socket the server listens on: a server that
    listens on loopback can be reached by every process of the grading, the client's too,
    past the relay; a socket in a folder only the grader may enter (see
    :func:`autograder.sandbox.harness.socket_folder`) can be reached through the relay only."""

    def __init__(self, port: int | str) -> None:
        self.port = port
        self.answered: collections.Counter[str] = collections.Counter()
        self.upgrades: collections.Counter[str] = collections.Counter()
        self.statuses: collections.Counter[tuple[str, int]] = collections.Counter()
        self.unreadable = 0
        self.turned_away = 0  # connections closed unrelayed, past MAX_CONNECTIONS at a time
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.relaying = 0  # connections relayed now
        self.closed = False
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
            self.closed = True

    def counted(self) -> dict[str, int]:
        """The requests answered with a 2xx status so far, by path."""
        with self.lock:
            return dict(self.answered)

    def answers(self) -> dict[tuple[str, int], int]:
        """Every answer read so far, whatever its status, by (path, status)."""
        with self.lock:
            return dict(self.statuses)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            with self.lock:
                full = self.relaying >= MAX_CONNECTIONS
                self.turned_away += full
                self.relaying += not full
            if full:
                client.close()
                continue
            try:
                server = self._connect()
            except OSError:
                client.close()
                with self.lock:
                    self.relaying -= 1
                continue
            with self.lock:
                if self.closed:  # closed meanwhile: relay nothing more
                    client.close()
                    server.close()
                    return
                self.sockets |= {client, server}
            requests = _Requests()
            answers = _Answers(requests)
            ended = self._ending(client, server)
            for source, target, reader in ((client, server, requests), (server, client, answers)):
                try:
                    threading.Thread(
                        target=_pass_on,
                        args=(source, target, self._reading(reader), ended),
                        daemon=True,
                    ).start()
                except RuntimeError:  # no thread left: this connection is not relayed
                    for each in (client, server):  # ends the way already started, if one
                        with contextlib.suppress(OSError):
                            each.shutdown(socket.SHUT_RDWR)
                    with self.lock:
                        self.turned_away += 1
                    ended()
                    if source is client:
                        ended()  # the other way never started
                    break

    def _connect(self) -> socket.socket:
        """A new connection to the server (on its loopback port or its Unix socket)."""
        if isinstance(self.port, int):
            server = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        else:
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                server.settimeout(10)
                server.connect(self.port)
            except OSError:
                server.close()
                raise
        server.settimeout(None)
        return server

    def _ending(self, client: socket.socket, server: socket.socket) -> Callable[[], None]:
        """What each way of a connection calls when it ends: the second one closes both
        sockets, and the relay may take another connection."""
        ways = [2]

        def ended() -> None:
            with self.lock:
                ways[0] -= 1
                if ways[0]:
                    return
                self.relaying -= 1
                for each in (client, server):
                    self.sockets.discard(each)
                    each.close()

        return ended

    def _reading(self, reader: _Requests | _Answers) -> Callable[[bytes], None]:
        """What the relay does with each piece one side sends: read it, count the paths
        answered with success, and note a connection it can no longer read."""
        connection = reader if isinstance(reader, _Requests) else reader.requests

        def read(data: bytes) -> None:
            succeeded = reader.feed(data)
            with self.lock:
                self.answered.update(succeeded)
                self.upgrades.update(reader.take_upgrades())
                self.statuses.update(reader.take_statuses())
                if connection.lost and not connection.reported:
                    connection.reported = True
                    self.unreadable += 1

        return read


def _pass_on(
    source: socket.socket,
    target: socket.socket,
    observe: Callable[[bytes], None] | None = None,
    ended: Callable[[], None] | None = None,
) -> None:
    """Copy ``source`` to ``target`` until ``source`` ends, each piece shown to ``observe``
    first; then call ``ended``."""
    try:
        _copy(source, target, observe)
    finally:
        if ended is not None:
            ended()


def _copy(
    source: socket.socket, target: socket.socket, observe: Callable[[bytes], None] | None
) -> None:
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


class _Body:
    """Skips the body of an HTTP/1.1 message: ``Content-Length`` bytes, or chunks."""

    def __init__(self) -> None:
        self.buffer = b""
        self.body_left = 0  # bytes of the current Content-Length body still to come
        self.chunked = False  # the current body is chunked
        self.lost = False  # the stream could not be read: nothing more is counted

    def skip_body(self) -> bool:
        """Skip what has arrived of the current body; True once all of it has."""
        if self.body_left:
            taken = min(self.body_left, len(self.buffer))
            self.buffer = self.buffer[taken:]
            self.body_left -= taken
            if self.body_left:
                return False
        return not self.chunked or self._skip_chunks()

    def next_head(self) -> list[str] | None:
        """The lines of the next message's head, once all of it has arrived."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            self.lost = self.lost or len(self.buffer) > MAX_HEAD_BYTES
            return None
        head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4 :]
        return head.split("\r\n")

    def take_upgrades(self) -> list[str]:
        """The paths of the WebSocket connections asked for since the last call."""
        return []

    def take_statuses(self) -> list[tuple[str, int]]:
        """The (path, status) of the answers read since the last call."""
        return []

    def expect_body(self, headers: dict[str, str]) -> None:
        """Read the body the ``headers`` announce next."""
        self.chunked = "chunked" in headers.get("transfer-encoding", "")
        length = headers.get("content-length", "0")
        # digits only, as servers read it (Python's int() would take "+5", " 5" or "1_0")
        if not (length.isascii() and length.isdigit()):
            self.lost = True
        elif not self.chunked:
            self.body_left = int(length)

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


def _headers(lines: list[str]) -> dict[str, str]:
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    return headers


class _Requests(_Body):
    """The requests of one connection, read from the bytes the client sends: each one's
    method and path wait in :attr:`pending` for the answer that comes back for it."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: collections.deque[tuple[str, str]] = collections.deque()
        self.upgrades: list[str] = []  # paths of requests asking for a WebSocket
        self.switched = False  # a WebSocket was asked for: what follows is not HTTP
        self.reported = False

    def take_upgrades(self) -> list[str]:
        taken, self.upgrades = self.upgrades, []
        return taken

    def feed(self, data: bytes) -> list[str]:
        """Read ``data``: the requests whose head it completes wait for their answers
        (nothing is counted before an answer comes)."""
        if self.lost or self.switched:
            return []
        self.buffer += data
        while self.skip_body() and not self.lost:
            lines = self.next_head()
            if lines is None:
                break
            parts = lines[0].split(" ")
            if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                self.lost = True
                break
            path, headers = parts[1].split("?", 1)[0], _headers(lines[1:])
            self.pending.append((parts[0], path))
            if headers.get("upgrade") == "websocket":
                self.upgrades.append(path)
                self.switched = True
                break
            self.expect_body(headers)
        return []


NO_BODY_STATUSES = (204, 304)


class _Answers(_Body):
    """The server's answers on one connection, in the order of its ``requests``: the paths
    of those answered with a 2xx status."""

    def __init__(self, requests: _Requests) -> None:
        super().__init__()
        self.requests = requests
        self.switched = False  # the server switched to a WebSocket: no more HTTP to read
        self.statuses: list[tuple[str, int]] = []  # (path, status) of each answer read

    def take_statuses(self) -> list[tuple[str, int]]:
        taken, self.statuses = self.statuses, []
        return taken

    def feed(self, data: bytes) -> list[str]:
        """The paths of the requests whose answer's head arrived with ``data`` with a 2xx
        status."""
        if self.requests.lost or self.switched:
            return []
        self.buffer += data
        succeeded: list[str] = []
        while self.skip_body() and not self.lost:
            lines = self.next_head()
            if lines is None:
                break
            parts = lines[0].split(" ", 2)
            try:
                status = int(parts[1])
            except (IndexError, ValueError):
                status = 0
            if not parts[0].startswith("HTTP/1.") or status < 100 or not self.requests.pending:
                self.lost = True  # not an answer, or one to no request: read no further
                break
            if status == 101:
                self.requests.pending.popleft()
                self.switched = True
                break
            if status < 200:
                continue  # 100 Continue and the like: the real answer follows
            method, path = self.requests.pending.popleft()
            self.statuses.append((path, status))
            if 200 <= status < 300:
                succeeded.append(path)
            headers = _headers(lines[1:])
            if method == "HEAD" or status in NO_BODY_STATUSES:
                continue
            if "content-length" not in headers and "chunked" not in headers.get(
                "transfer-encoding", ""
            ):
                self.lost = True  # the body runs to the end of the connection
                break
            self.expect_body(headers)
        if self.lost:
            self.requests.lost = True
        return succeeded
