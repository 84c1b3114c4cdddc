"""The child processes of a grading: forking them, watching them, limiting and ending them.

Every part of the engine that runs student code in a process of its own (the warm grader's
grading child, a run of the student's own tests, the sandbox launcher) uses these pieces, so
a fork is retried, a child is silenced, capped and killed the same way everywhere.

Only the standard library is imported here: the sandbox launcher, a fresh interpreter that
must stay light, uses this module too.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import resource
import select
import signal
import sys
import time
import warnings
from pathlib import Path

FORK_ATTEMPTS = 20
_forked_here = False  # whether this process is a child made by fork_with_retries
DUMP_WAIT_SECONDS = 1.0  # how long the parent waits for a hung child's stack dump
DUMP_QUIET_SECONDS = 0.1  # a dump that has not grown for this long is complete
MAX_FD = 65536
DUMP_SIGNAL = signal.SIGUSR1  # asks a child for a stack dump of every thread
# Math libraries start one thread per core unless told otherwise: one is plenty for the
# labs' small models, keeps a warm parent single-threaded for fork, and keeps a child's
# address space (capped by RLIMIT_AS) small.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# How a grading child starts: "fork" (a copy of the warm grader: its imports are paid once)
# or "spawn" (a fresh interpreter per grading, as on a system without fork).
START_VARIABLE = "AUTOGRADER_START"
START_METHODS = ("fork", "spawn")
# The time zone every grading runs in, whatever the machine's: UTC+05:30 all year (a POSIX
# rule, so no time zone database is needed). A time read as local time instead of UTC is
# then wrong by five and a half hours on every machine, an instructor's server in UTC
# included, and a grading gives the same score wherever it runs.
GRADING_TIME_ZONE = "GRD-5:30"


class StartMethodError(ValueError):
    """The start method asked for in the environment is not one the engine knows."""


def start_method() -> str:
    """How grading children start: ``AUTOGRADER_START`` if set, else fork where it exists."""
    chosen = os.environ.get(START_VARIABLE, "").strip().lower()
    if not chosen:
        return "fork" if hasattr(os, "fork") else "spawn"
    if chosen not in START_METHODS:
        raise StartMethodError(
            f"{START_VARIABLE}={chosen!r}: use one of {', '.join(START_METHODS)}"
        )
    return chosen


def grading_time_zone() -> None:
    """Run this process, and every process it starts, in :data:`GRADING_TIME_ZONE`."""
    os.environ["TZ"] = GRADING_TIME_ZONE
    if hasattr(time, "tzset"):  # not on Windows, where TZ is read at start only
        time.tzset()


def one_thread_per_library() -> None:
    """Ask the math libraries for a single thread each (unless the user chose otherwise)."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


# ---------------------------------------------------------------- starting and ending


def fork_with_retries(attempts: int = FORK_ATTEMPTS) -> int:
    """``os.fork``, tried again for a few seconds when the system is briefly out of processes
    (another grading's leftovers being reaped).

    The caller's buffered output is flushed first, so the child does not print it again.
    Python 3.12+ warns when a process with threads forks; a child made here runs only the
    engine's own code and ends with ``os._exit``, so that warning is not shown.

    The child starts with every object it inherited frozen (``gc.freeze``): its garbage
    collections skip them. Otherwise the first full collection in the child walks the whole
    inherited heap (FastAPI, pydantic, scikit-learn...), and writing to each object's
    header copies every page of it: a sandboxed app spent half of its CPU time on that.
    A process that was not itself forked here (the warm grader, the sandbox launcher) lives
    long, so it thaws its own objects again after the fork.
    """
    global _forked_here
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", r".*fork\(\)", DeprecationWarning)
            for attempt in range(attempts):
                try:
                    pid = os.fork()
                except BlockingIOError:
                    if attempt == attempts - 1:
                        raise
                    time.sleep(0.1 * (attempt + 1))
                    continue
                if pid == 0:
                    _forked_here = True
                return pid
    finally:
        if not _forked_here:
            gc.unfreeze()
    raise AssertionError("unreachable")


def spawn_python(code: str, arguments: list[str], keep_fds: list[int]) -> int:
    """Start a fresh interpreter running ``code`` with ``arguments`` (its ``sys.argv[1:]``);
    its pid. Only ``keep_fds`` are inherited, its standard streams are /dev/null, and the
    environment is this process's."""
    for fd in keep_fds:
        os.set_inheritable(fd, True)
    try:
        streams = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
        ]
        argv = [sys.executable, "-c", code, *arguments]
        return os.posix_spawn(sys.executable, argv, dict(os.environ), file_actions=streams)
    finally:
        for fd in keep_fds:
            os.set_inheritable(fd, False)


def alive(pid: int) -> bool:
    """True while a process with this id exists (even one of another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def readable(fds: list[int], timeout: float | None) -> list[int]:
    """Those of ``fds`` that have something to read, or have reached their end, within
    ``timeout`` seconds (None: wait for one). ``poll`` where there is one: unlike ``select``,
    it takes descriptors numbered past 1,024, which a grader holding many connections
    reaches."""
    if not hasattr(select, "poll"):
        return select.select(fds, [], [], timeout)[0]
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN | select.POLLPRI)  # ends (POLLHUP) come anyway
    wait = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
    return [fd for fd, _ in poller.poll(wait)]


def kill_group(pid: int) -> None:
    """Kill the process group led by ``pid`` (a child and everything it started)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def keep_only_descriptors(fds: list[int]) -> None:
    """Close every inherited file descriptor above the standard streams except ``fds``."""
    low = 3
    for fd in sorted(set(fds)):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, MAX_FD)


def silence_output() -> None:
    """Send the standard streams to /dev/null, at the descriptor and at the Python level."""
    null = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(null, stream)
    os.close(null)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - lives as long as the process
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115


def _address_space_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def cap_memory(memory_mb: int) -> None:
    """Cap the address space: a submission that eats memory gets a MemoryError, not the
    machine. The cap is what the process already maps plus ``memory_mb``."""
    base = _address_space_bytes()
    if base and memory_mb and hasattr(resource, "RLIMIT_AS"):
        cap = base + memory_mb * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


# ---------------------------------------------------------------- how a child ended

_SIGNALS = {
    "SIGSEGV": "it crashed with a segmentation fault (SIGSEGV), a crash in compiled code",
    "SIGBUS": "it crashed with a bus error (SIGBUS), a crash in compiled code",
    "SIGILL": "it crashed with an illegal instruction (SIGILL)",
    "SIGFPE": "it crashed with an arithmetic error (SIGFPE)",
    "SIGABRT": "it aborted (SIGABRT)",
    "SIGKILL": "it was killed (SIGKILL), usually because the machine ran out of memory",
    "SIGXCPU": "it used more CPU time than allowed (SIGXCPU)",
}


def describe_end(status: int | None = None, *, signal_number: int | None = None) -> str:
    """How a child ended, for a student: ``it exited with status 3 (...)``."""
    if signal_number is not None:
        try:
            name = signal.Signals(signal_number).name
        except ValueError:
            name = f"signal {signal_number}"
        return _SIGNALS.get(name, f"it was stopped by {name}")
    return f"it exited with status {status} (does the code call os._exit() or exit()?)"


def reap(pid: int) -> str:
    """Wait for a child to end; how it ended, in a few words (``exit status 3``)."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # not our child: the sandbox launcher started (and reaps) it
        return "it ended"
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status)}"


_FRAME = re.compile(r'^\s+File "(?P<file>.+)", line (?P<line>\d+) in (?P<name>.+)$')


def where_in_dump(text: str, folder: Path) -> str | None:
    """The innermost submission frame in a faulthandler dump: ``main.py, line 12, in f``."""
    prefix = str(folder) + os.sep
    for block in re.split(r"\n(?=\S)", text):  # one block per thread, most recent call first
        for line in block.splitlines():
            match = _FRAME.match(line)
            if match and match["file"].startswith(prefix):
                name = match["file"][len(prefix) :]
                return f"{name}, line {match['line']}, in {match['name'].strip()}"
    return None


class Child:
    """The parent's handle on one child: its end, its stack dumps, its killing.

    ``dump`` is the file the child's faulthandler writes to (a crash, or ``SIGUSR1``);
    ``folder`` is the submission, whose lines the dumps are searched for.
    """

    def __init__(self, pid: int, dump, folder: Path) -> None:
        self.pid = pid
        self.dump = dump
        self.folder = folder
        self.reaped = False
        self.description: str | None = None

    def ended(self, *, block: bool) -> str | None:
        """How the child ended, or None while it runs. Leaves it a zombie when it can, so
        its process group cannot be reused before :meth:`kill`."""
        if self.description is not None:
            return self.description
        can_peek = hasattr(os, "waitid") and hasattr(os, "WNOWAIT")
        try:
            if can_peek:
                flags = os.WEXITED | os.WNOWAIT | (0 if block else os.WNOHANG)
                info = os.waitid(os.P_PID, self.pid, flags)
                if info is None or info.si_pid == 0:
                    return None
                if info.si_code == os.CLD_EXITED:
                    self.description = describe_end(info.si_status)
                else:
                    self.description = describe_end(signal_number=info.si_status)
            else:  # pragma: no cover - platforms without waitid
                pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
                if pid == 0:
                    return None
                self.reaped = True
                if os.WIFSIGNALED(status):
                    self.description = describe_end(signal_number=os.WTERMSIG(status))
                else:
                    self.description = describe_end(os.WEXITSTATUS(status))
        except ChildProcessError:
            self.reaped = True
            self.description = "it had already ended"
        return self.description

    def where(self, *, live: bool) -> str | None:
        """The submission line the child is running (live: ask it for a stack dump first)."""
        if not live:
            return where_in_dump(self._dump_text(), self.folder)
        with contextlib.suppress(OSError):
            os.kill(self.pid, DUMP_SIGNAL)
        size, grew_at = 0, time.monotonic()
        give_up = grew_at + DUMP_WAIT_SECONDS
        while time.monotonic() < give_up:
            time.sleep(0.01)
            now_size = os.fstat(self.dump.fileno()).st_size
            if now_size != size:
                size, grew_at = now_size, time.monotonic()
                found = where_in_dump(self._dump_text(), self.folder)
                if found:
                    return found
            elif size and time.monotonic() - grew_at >= DUMP_QUIET_SECONDS:
                break  # a complete dump without a line of the submission
        return None

    def _dump_text(self) -> str:
        """The complete lines of the dump file so far."""
        try:
            self.dump.seek(0)
            text = self.dump.read(1 << 20).decode("utf-8", "replace")
        except OSError:
            return ""
        return text[: text.rfind("\n") + 1]

    def kill(self) -> None:
        """Kill the child and everything it started (its process group), then reap it."""
        kill_group(self.pid)
        if not self.reaped:
            # Before the child's setsid() it is not yet a group leader; killing it by pid
            # is safe because an unreaped child's pid cannot be reused.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.reaped = True
