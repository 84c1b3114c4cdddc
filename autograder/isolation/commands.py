"""A command of the student's run where student code runs: a real server with its workers, a
script. The same in both modes.

A lab about servers grades the server a student would start (``fastapi run --workers 2``,
``gunicorn -c gunicorn.conf.py``...) on a real loopback socket, and signals it as a process
manager would. :class:`Command` starts such a command through the current isolation's
``spawn``: in-process it is a child of the grading process, in its own process group; in
secure mode it runs in a sandbox as the sandbox user, in the network namespace the checks
share, and the pid it has is the sandbox's keeper, which passes ``SIGTERM`` on. Either way:

* :meth:`Command.signal` sends a signal to the command's main process (``SIGTERM``);
* :meth:`Command.running` and :meth:`Command.wait` tell whether it has ended;
* :meth:`Command.output` is the end of what it printed (for a failure message);
* :meth:`Command.process_ids` are the ids of its processes as they see them themselves
  (a server's workers), read from ``/proc``, never from what the command says, and
  :meth:`Command.connection_holder` the one that accepted a given connection;
* :meth:`Command.stop` kills it and every process it started (its workers).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from autograder import isolation, processes
from autograder.isolation import process_tree

OUTPUT_LIMIT = 64 * 1024  # the end of a command's output that is kept


def python(*arguments: str) -> list[str]:
    """The command line ``python ARGUMENTS`` with the grader's interpreter (its packages)."""
    return [sys.executable, *arguments]


class Command:
    """A command of the student's, started in the submission's folder with ``environment``
    added to what student code sees."""

    def __init__(
        self, argv: Sequence[str], *, environment: Mapping[str, str] | None = None
    ) -> None:
        self.argv = list(argv)
        self.environment = dict(environment or {})
        self.pid: int | None = None
        self._output = b""
        self._reader: threading.Thread | None = None
        self._ended = False

    def start(self) -> Command:
        where = isolation.current()
        folder = where.folder
        if folder is None:
            raise RuntimeError("no submission is open: a command has no folder to run in")
        read_fd, write_fd = os.pipe()
        try:
            self.pid = where.spawn(_run, (self.argv, str(folder), self.environment), [write_fd])
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        self._reader = threading.Thread(target=self._read, args=(read_fd,), daemon=True)
        self._reader.start()
        return self

    def _read(self, fd: int) -> None:
        with contextlib.suppress(OSError), os.fdopen(fd, "rb") as stream:
            while chunk := stream.read1(65536):
                self._output = (self._output + chunk)[-OUTPUT_LIMIT:]

    def running(self) -> bool:
        """True until the command's main process has ended."""
        if self.pid is None or self._ended:
            return False
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:  # a sandbox keeper: the launcher reaps it
            self._ended = not processes.alive(self.pid)
        else:
            self._ended = pid == self.pid
        return not self._ended

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the command to end; True when it has."""
        deadline = time.monotonic() + timeout
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self.running()

    def signal(self, number: int = signal.SIGTERM) -> None:
        """Send ``number`` to the command's main process (a server's master)."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, number)

    def process_ids(self) -> set[int]:
        """The ids of the command's processes alive now (its main process and everything it
        started), as those processes see them: in a sandbox, the ids of its PID namespace
        (what ``os.getpid()`` answers there). Read from ``/proc`` by the grader."""
        return set() if self.pid is None else process_tree.own_ids(self.pid)

    def connection_holder(self, client: socket.socket, seconds: float = 5) -> int | None:
        """The id (as it sees it) of the command's process that accepted ``client``'s
        connection to it: a server's worker that answers what ``client`` sends. None when
        none of its processes accepted it within ``seconds``."""
        if self.pid is None:
            return None
        return process_tree.connection_holder(self.pid, client, seconds)

    def output(self, lines: int = 15) -> str:
        """The last ``lines`` lines the command printed."""
        if self._reader is not None and not self.running():
            self._reader.join(timeout=1)
        text = self._output.decode("utf-8", "replace").rstrip()
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Kill the command and everything it started, and wait for it."""
        if self.pid is None:
            return
        processes.kill_group(self.pid)  # in-process: the command leads its own group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGKILL)  # in a sandbox: its keeper, which takes it along
        self.wait(5)
        if self._reader is not None:
            self._reader.join(timeout=1)

    def __enter__(self) -> Command:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _run(fds: list[int], argv: list[str], folder: str, environment: dict) -> None:
    """In the new process: output to the pipe, the submission's folder, then the command."""
    os.dup2(fds[0], 1)
    os.dup2(fds[0], 2)
    os.close(fds[0])
    os.chdir(folder)
    variables = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **environment}
    try:
        os.execve(argv[0], argv, variables)
    except OSError as error:
        os.write(2, f"could not run {Path(argv[0]).name}: {error}\n".encode())
        os._exit(127)
