"""A fork server: a copy of the grading child, made while it has one thread, that forks
the processes the checks ask for later.

Forking a process that runs threads copies only the thread that forks; a lock another
thread held at that moment stays held in the copy for ever. The grading child runs the
student's app, and the app runs threads (a TestClient's event loop, a thread pool for plain
``def`` routes, a served app). A run of the student's tests forked from it at the wrong
moment hung in its first SQLite call: another thread of the grading child was inside
SQLite's memory allocator, whose mutex the copy then waited on.

So the grading child forks this server first, before it imports the student's code, and
asks it for every later process. The server never imports student code and never starts a
thread: forking from it is always safe (the sandbox launcher is the same idea for secure
mode). A new process is forked twice (server, then a short-lived middle process that exits
at once), and the grading child is a *child subreaper*: the new process becomes the
grading child's own child, so it is waited for and killed as if it had been forked there.

Linux only (``PR_SET_CHILD_SUBREAPER``); elsewhere :func:`start` answers None and the
grading child forks by itself, as before.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import socket
import sys
from collections.abc import Callable

from autograder import processes

PR_SET_CHILD_SUBREAPER = 36
MAX_REQUEST_BYTES = 1 << 20
MAX_FDS = 8


class ForkServer:
    """The grading child's handle on its fork server."""

    def __init__(self, pid: int, channel: socket.socket) -> None:
        self.pid = pid
        self.channel = channel

    def spawn(self, target: Callable[..., None], arguments: tuple, fds: list[int]) -> int:
        """Fork ``target(fds, *arguments)`` from the server (see
        :meth:`autograder.isolation.base.Isolation.spawn`); its pid, a child of this process.

        The new process gets this process's environment and working folder as they are now.
        """
        request = {
            "target": target,
            "arguments": arguments,
            "environment": dict(os.environ),
            "folder": os.getcwd(),
        }
        socket.send_fds(self.channel, [pickle.dumps(request)], fds)
        answer = pickle.loads(self.channel.recv(256))
        if "error" in answer:
            raise OSError(f"the grader's fork server could not start a process: {answer['error']}")
        return int(answer["pid"])

    def close(self) -> None:
        """Stop the server (it also ends with this process)."""
        with contextlib.suppress(OSError):
            self.channel.close()
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(self.pid, 0)


def start() -> ForkServer | None:
    """Fork the server from this process, which must have one thread; None where a process
    cannot adopt its grandchildren (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    from autograder.sandbox import confine

    try:
        confine.prctl(PR_SET_CHILD_SUBREAPER, 1)
    except OSError:
        return None
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = processes.fork_with_retries()
    if pid == 0:  # pragma: no cover - runs in the server
        try:
            ours.close()
            confine.die_with_parent()
            _serve(theirs)
        finally:
            os._exit(0)
    theirs.close()
    return ForkServer(pid, ours)


def _serve(channel: socket.socket) -> None:  # pragma: no cover - runs in the server
    """Read a request, fork the process it asks for, answer its pid; until the grading
    child closes its end."""
    while True:
        data, fds, _, _ = socket.recv_fds(channel, MAX_REQUEST_BYTES, MAX_FDS)
        if not data:
            return
        try:
            answer = {"pid": _fork_twice(pickle.loads(data), fds, channel)}
        except Exception as error:  # noqa: BLE001 - answered, never fatal
            answer = {"error": f"{type(error).__name__}: {error}"[:200]}
        finally:
            for fd in fds:
                os.close(fd)
        channel.send(pickle.dumps(answer))


def _fork_twice(request: dict, fds: list[int], channel: socket.socket) -> int:  # pragma: no cover
    """Fork a middle process that forks the requested one and exits; the requested process
    is then adopted by the grading child (the subreaper). Its pid."""
    read_end, write_end = os.pipe()
    middle = processes.fork_with_retries()
    if middle == 0:
        try:
            os.close(read_end)
            channel.close()
            pid = processes.fork_with_retries()
            if pid == 0:
                os.close(write_end)
                _become(request, fds)
            os.write(write_end, str(pid).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        text = pipe.read()
    os.waitpid(middle, 0)  # once it is reaped, its child belongs to the grading child
    if not text:
        raise OSError("the middle process could not fork")
    return int(text)


def _become(request: dict, fds: list[int]) -> None:  # pragma: no cover - the new process
    """Take the grading child's environment and folder, then run the target as
    :meth:`InProcess.spawn` describes. Never returns."""
    try:
        os.environ.clear()
        os.environ.update(request["environment"])
        os.chdir(request["folder"])
        os.setpgid(0, 0)
        processes.keep_only_descriptors(fds)
        processes.silence_output()
        request["target"](fds, *request["arguments"])
    finally:
        os._exit(0)
