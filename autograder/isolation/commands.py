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
  (a server's workers), read from ``/proc``, never from what the command says;
* :meth:`Command.stop` kills it and every process it started (its workers).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from autograder import isolation, processes

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
        if self.pid is None:
            return set()
        children: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit() and (parent := _parent_of(entry.name)) is not None:
                children.setdefault(parent, []).append(int(entry.name))
        tree, pending = [], [self.pid]
        while pending:
            pid = pending.pop()
            tree.append(pid)
            pending += children.get(pid, [])
        # In a sandbox the command's pid is its keeper, outside the sandbox's namespace: only
        # the processes in a namespace other than the grader's are the command's own.
        ours = _pid_namespace("self")
        inside = [pid for pid in tree if _pid_namespace(pid) not in (ours, None)]
        return {own for pid in inside or tree if (own := _own_id(pid)) is not None}

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


def _parent_of(pid: str) -> int | None:
    """The parent of process ``pid`` (from /proc/PID/stat), or None when it has ended."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            data = stat.read()
    except OSError:
        return None
    # pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ")"
    fields = data[data.rfind(b")") + 2 :].split()
    return int(fields[1]) if len(fields) > 1 else None


def _pid_namespace(pid: int | str) -> str | None:
    """Which PID namespace process ``pid`` is in, or None when it has ended."""
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _own_id(pid: int) -> int | None:
    """The id process ``pid`` has in its own PID namespace (the last of /proc/PID/status's
    ``NSpid`` line; ``pid`` itself outside a sandbox), or None when it has ended."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError):
        return None
    return pid


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
