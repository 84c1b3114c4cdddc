"""Events from a child process to its parent: one JSON object per line on a pipe of its own.

The child's standard streams go to /dev/null, so nothing the student's code prints can be
mistaken for an event. Every child of the engine (a grading child, a run of the student's
own tests) writes with :class:`EventWriter` and its parent reads with :class:`EventReader`,
so there is one size policy: a message longer than :data:`MAX_MESSAGE_CHARS` is cut, an
event longer than :data:`MAX_EVENT_BYTES` loses its message, and a line the parent cannot
finish within :data:`MAX_LINE_BYTES` is dropped.

The functions used here are bound when this module is imported (in the parent, before any
student code runs), so a submission that replaces ``json.dumps`` or ``os.write`` for its own
purposes does not garble events.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator

MAX_EVENT_BYTES = 16_000
MAX_MESSAGE_CHARS = 2_000
MAX_LINE_BYTES = 1 << 20
TOO_LONG = "(message too long)"

_dumps = json.dumps
_loads = json.loads
_write = os.write


def cut(message: str) -> str:
    """``message`` cut to :data:`MAX_MESSAGE_CHARS` characters ("..." ends a cut message)."""
    if len(message) > MAX_MESSAGE_CHARS:
        return message[:MAX_MESSAGE_CHARS] + "..."
    return message


def encode(event: str, fields: dict) -> bytes:
    """One event as a line, its message cut to the size policy."""
    if "message" in fields:
        fields = {**fields, "message": cut(str(fields["message"]))}
    line = _dumps({"event": event, **fields})
    if len(line) > MAX_EVENT_BYTES:
        line = _dumps({"event": event, **fields, "message": TOO_LONG})
    return (line + "\n").encode()


class EventWriter:
    """Writes events to a file descriptor (in the child)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._lock = threading.Lock()  # a line longer than a pipe's atomic write stays whole

    def send(self, event: str, **fields) -> None:
        data = encode(event, fields)
        with self._lock, contextlib.suppress(OSError):  # OSError: a parent stopped listening
            while data:
                data = data[_write(self.fd, data) :]


class EventReader:
    """Reads a child's events from a pipe (in the parent), line by line."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = b""
        self.received = 0  # bytes read so far

    def read(self) -> list[dict] | None:
        """The complete events in what can be read now without blocking more than once;
        None at the end of the pipe. Lines that are not JSON objects are skipped."""
        chunk = os.read(self.fd, 65536)
        if not chunk:
            return None
        self.received += len(chunk)
        return list(self.feed(chunk))

    def feed(self, chunk: bytes) -> Iterator[dict]:
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        if len(self._buffer) > MAX_LINE_BYTES:
            self._buffer = b""
        for line in lines:
            if not line.strip():
                continue
            try:
                event = _loads(line)
            except (ValueError, RecursionError):  # RecursionError: nested beyond Python's stack
                continue
            if isinstance(event, dict) and isinstance(event.get("event"), str):
                yield event
