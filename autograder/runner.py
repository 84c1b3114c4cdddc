"""Running a suite against a submission in a watched child process.

A :class:`Grader` is *warm*: it imports pytest, FastAPI, the suite and the lab's dependencies
once, collects the checks, and then grades each submission in a fresh child made with
``fork``. The parent never runs student code. It reads the child's events with a deadline:

* a check that runs past its time limit is recorded as failed ("timed out after N s", with
  the line of the submission that was running), the child and everything it started are
  killed, and a new child runs the checks that remain;
* a child that exits or crashes loses no result already reported, and only the check that
  was running is failed;
* a submission that does not import gets one message and every check scored 0.

The child writes its events on a pipe of its own: whatever the submission prints goes to
``/dev/null`` and can never be mistaken for a result.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import os
import re
import resource
import select
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder.channel import Channel
from autograder.checks import CheckInfo, info_for
from autograder.course import SUITES, Lab
from autograder.results import CheckResult, GradeResult

SUITE_CONFIG = SUITES / "pytest.ini"
IMPORT_TIMEOUT = 30.0
MEMORY_LIMIT_MB = 2048
POLL_SECONDS = 0.1  # how often the parent looks whether a silent child has died
DUMP_WAIT_SECONDS = 1.0  # how long the parent waits for a hung child's stack dump
DUMP_QUIET_SECONDS = 0.1  # a dump that has not grown for this long is complete
MAX_EVENT_BUFFER = 1 << 20
# Once a check of a grading has timed out, the next ones get less time: a hung app must not
# cost the full limit for every check. A check still gets three times the slowest check that
# finished in this grading, and never less than this.
AFTER_A_HANG_SECONDS = 2.0
# The app's start-up (and a sandbox's answer) may take this share of a check's time limit:
# a start-up that hangs then fails its check with that reason, before the check times out.
START_SHARE = 0.8

# Modules every lab's checks use: imported once by the warm parent, never per grading.
BASE_PRELOAD = ("fastapi", "fastapi.testclient", "anyio._backends._asyncio")
# Math libraries start one thread per core unless told otherwise: one is plenty for the
# labs' small models, keeps the parent single-threaded for fork, and keeps the child's
# address space (capped by RLIMIT_AS) small.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# Built-in pytest plugins a grading run never needs. Third-party plugins are not
# auto-loaded either (``PYTEST_DISABLE_PLUGIN_AUTOLOAD``): nbval alone costs a second.
UNUSED_PLUGINS = ("doctest", "junitxml", "pastebin", "cacheprovider", "stepwise")
# ...and those that only matter when checks run: collecting without them saves the garbage
# collections pytest runs at exit to find unraisable exceptions (0.1 s with FastAPI loaded).
COLLECTION_UNUSED_PLUGINS = ("unraisableexception", "threadexception", "faulthandler")
AUTOLOAD_VARIABLE = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"


@dataclass
class Limits:
    """What one grading child may use."""

    check_timeout: float = 10.0
    import_timeout: float = IMPORT_TIMEOUT
    memory_mb: int = MEMORY_LIMIT_MB
    strict_warnings: bool = False
    secure: bool = False  # student code in sandbox processes (autograder.sandbox)


def pytest_args(suite: Path) -> list[str]:
    """Arguments that make pytest read only the graders' own configuration and plugins."""
    args = [str(suite), "-c", str(SUITE_CONFIG), "--rootdir", str(SUITES)]
    for name in UNUSED_PLUGINS:
        args += ["-p", f"no:{name}"]
    if importlib.util.find_spec("anyio") is not None:
        args += ["-p", "anyio.pytest_plugin"]  # async checks, as when it is auto-loaded
    return args


class _NoPluginAutoload:
    """Run pytest without importing every installed plugin.

    A context manager around ``pytest.main``, and a plugin for it: the environment is put
    back as soon as pytest has loaded its plugins, so that a process a check starts (a
    student's own test run, say) sees the user's setting.
    """

    def __init__(self) -> None:
        self.before = os.environ.get(AUTOLOAD_VARIABLE)

    def __enter__(self) -> _NoPluginAutoload:
        os.environ[AUTOLOAD_VARIABLE] = "1"
        return self

    def __exit__(self, *exc_info) -> None:
        self.restore()

    def restore(self) -> None:
        if self.before is None:
            os.environ.pop(AUTOLOAD_VARIABLE, None)
        else:
            os.environ[AUTOLOAD_VARIABLE] = self.before

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self) -> None:
        self.restore()


class _ShortReports:
    """Only the plugin's short message of a failure reaches the student; pytest's long
    tracebacks, which parse the source of every frame of a web framework's deep stack,
    cost up to a second per failed check. Native ones cost next to nothing."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.option.tbstyle = "native"


class _Collector:
    def __init__(self) -> None:
        self.checks: list[CheckInfo] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.checks = [info_for(item) for item in session.items]


def collect_checks(suite: Path) -> list[CheckInfo]:
    """Collect a suite's checks (names, points, hints) without running any of them."""
    collector = _Collector()
    output = io.StringIO()
    with (
        _NoPluginAutoload() as autoload,
        warnings.catch_warnings(),
        contextlib.redirect_stdout(output),
        contextlib.redirect_stderr(output),
    ):
        _fresh_warnings(strict=False)  # collect as the command line does, even in a test run
        args = [*pytest_args(suite), "--collect-only", "-q"]
        for name in COLLECTION_UNUSED_PLUGINS:
            args += ["-p", f"no:{name}"]
        code = pytest.main(args, plugins=[collector, autoload])
    if code != 0 or not collector.checks:
        raise RuntimeError(f"could not collect the checks of {suite}:\n{output.getvalue()}")
    return collector.checks


def preload(modules: tuple[str, ...] | list[str], *, warm_up: bool = True) -> None:
    """Import modules in the warm parent so that no grading pays for them again."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    with (
        warnings.catch_warnings(),
        open(os.devnull, "w") as null,
        contextlib.redirect_stdout(null),
        contextlib.redirect_stderr(null),
    ):
        warnings.simplefilter("ignore")
        for module in modules:
            with contextlib.suppress(Exception):
                importlib.import_module(module)
        if warm_up:
            with contextlib.suppress(Exception):
                _warm_up_fastapi()


def _warm_up_fastapi() -> None:
    """Declare one typed route: FastAPI imports some modules only when it sees the first."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/items/{item_id}")
    def read_item(item_id: int, q: str | None = None) -> dict:
        return {"item_id": item_id, "q": q}

    app.openapi()


@dataclass
class _Attempt:
    """What one child process reported before it finished, hung or died."""

    results: dict[str, CheckResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    import_problem: str = ""
    stopped: str = ""  # why the child stopped early, when it did
    not_run: str = ""  # why pytest ended without running the checks still waiting


class Grader:
    """Grades submissions of one lab; reuse it to grade many without paying imports again.

    Besides what it preloads, a grader *learns*: each child reports the installed library
    modules the checks and the submission imported (never a file of the submission), and
    the parent imports them before its next fork, so a re-grade pays for none of them.
    """

    def __init__(self, lab: Lab, limits: Limits | None = None, *, learn: bool = True) -> None:
        self.lab = lab
        self.limits = limits or Limits(check_timeout=lab.check_timeout)
        self.learn = learn
        self._to_learn: set[str] = set()
        self._while_waiting: Callable[[], object] | None = None
        self._hung = False  # a check of this grading has timed out
        self._slowest = 0.0  # seconds the slowest finished check of this grading took
        self._start_up_problem = ""  # the app's start-up hung in this grading
        secure_modules: tuple[str, ...] = ()
        if self.limits.secure:
            from autograder import sandbox

            # Refuses (SecureModeUnavailable) where the student's code cannot really run as
            # another user; the launcher imports what sandboxes need, the suite's probes too.
            sandbox.clean_up_stale()
            secure_modules = sandbox.PRELOAD
            suite_module = f"autograder.suites.{lab.suite.stem}"
            sandbox.prepare((*BASE_PRELOAD, *lab.preload, *secure_modules, suite_module))
        preload((*BASE_PRELOAD, *lab.preload, *secure_modules))
        self._checks: list[CheckInfo] | None = None  # collected on first use (see checks)
        self._by_nodeid: dict[str, CheckInfo] = {}

    def collect(self) -> list[CheckInfo]:
        """Collect the suite's checks now (once); :attr:`checks` does it on first use."""
        return self.checks

    @property
    def checks(self) -> list[CheckInfo]:
        """The suite's checks, in order. Collected once, on first use.

        The first grading needs them only once its child is running: the parent collects
        them then, on another core, while the child runs every check.
        """
        if self._checks is None:
            self._checks = collect_checks(self.lab.suite)
            self._by_nodeid = {check.nodeid: check for check in self._checks}
        return self._checks

    def grade(
        self, submission: str | Path, *, while_waiting: Callable[[], object] | None = None
    ) -> GradeResult:
        """Grade the lab folder ``submission``.

        ``while_waiting`` is called once in this process while the first child runs (the
        command line imports its report there, using the time the checks take).
        """
        self._while_waiting = while_waiting
        folder = Path(submission).resolve()
        started = time.monotonic()
        result = GradeResult(lab=self.lab.folder, submission=str(folder))
        done: dict[str, CheckResult] = {}
        self._hung, self._slowest, self._start_up_problem = False, 0.0, ""
        if not (folder / "main.py").is_file():
            result.problem = f"{folder} has no main.py: is this the lab folder?"
        # A grader that has not collected its checks yet runs them all in its first child.
        collected = self._checks is not None
        while not result.problem:
            if collected:
                pending = [check.nodeid for check in self.checks if check.nodeid not in done]
                if not pending:
                    break
                attempt = self._attempt(folder, pending)
            else:
                attempt = self._attempt(folder, None)  # collects while the child runs
                collected = True
                pending = [check.nodeid for check in self.checks]
            done.update(attempt.results)
            result.notes += [note for note in attempt.notes if note not in result.notes]
            if attempt.import_problem:
                result.problem = attempt.import_problem
            elif attempt.not_run:
                # pytest ran to its end without these checks: running it again cannot help.
                for nodeid in pending:
                    done.setdefault(
                        nodeid, CheckResult(self._by_nodeid[nodeid], False, attempt.not_run)
                    )
            elif not attempt.results and pending:
                # The child stopped before finishing any check: charge the first one.
                first = self._by_nodeid[pending[0]]
                reason = attempt.stopped or "the grading process stopped before this check"
                done[first.nodeid] = CheckResult(first, False, reason)
        for check in self.checks:
            if check.nodeid in done:
                result.results.append(done[check.nodeid])
            else:
                reason = f"not run: the submission did not import ({result.problem})"
                result.results.append(CheckResult(check, False, reason))
        result.execution_time = time.monotonic() - started
        return result

    # ------------------------------------------------------------ the parent side

    def _learn_modules(self) -> None:
        """Import the library modules earlier children needed, before forking the next."""
        names = sorted(name for name in self._to_learn if name not in sys.modules)
        self._to_learn.clear()
        if not names or not self.learn:
            return
        threads = threading.active_count()
        preload(names, warm_up=False)
        if threading.active_count() > threads:
            self.learn = False  # a module started a thread: forking stays safe only if no more do

    def _attempt(self, folder: Path, pending: list[str] | None) -> _Attempt:
        """Run the ``pending`` checks (None: all of them) in a fresh child."""
        self._learn_modules()
        if self.limits.secure:
            from autograder import sandbox

            sandbox.prepare()  # a launcher that died is replaced
        from autograder import stages

        stages.start_up_problem = self._start_up_problem  # the child inherits these
        stages.requests_hung, stages.slowest_request = self._hung, self._slowest
        deselect = []
        if pending is not None:
            deselect = [check.nodeid for check in self.checks if check.nodeid not in pending]
        read_fd, write_fd = os.pipe()
        dump = tempfile.TemporaryFile()  # noqa: SIM115 - the child's stack dumps (_Child.where)
        sys.stdout.flush()
        sys.stderr.flush()
        with warnings.catch_warnings():
            # Python 3.12+ warns when a process with threads forks; the child runs only the
            # suite, never returns into the caller's code, and ends with os._exit.
            warnings.filterwarnings("ignore", r".*fork\(\)", DeprecationWarning)
            pid = _fork_with_retries()
        if pid == 0:  # pragma: no cover - runs in the child
            try:
                os.close(read_fd)
                _run_child(write_fd, dump.fileno(), self.lab.suite, folder, deselect, self.limits)
            finally:
                os._exit(70)
        os.close(write_fd)
        child = _Child(pid, dump, folder)
        try:
            if self._while_waiting is not None:
                waiting, self._while_waiting = self._while_waiting, None
                with contextlib.suppress(Exception):
                    waiting()
            if pending is None:
                pending = [check.nodeid for check in self.checks]  # while the child runs
            return self._watch(child, read_fd, set(pending))
        finally:
            child.kill()
            os.close(read_fd)
            dump.close()
            if self.limits.secure:
                from autograder import sandbox

                sandbox.clean_up_after(pid)

    def _check_timeout(self) -> float:
        """Seconds the next check may run: the lab's limit, less once a check has hung."""
        if not self._hung:
            return self.limits.check_timeout
        return min(self.limits.check_timeout, max(AFTER_A_HANG_SECONDS, 3 * self._slowest))

    def _watch(self, child: _Child, fd: int, waiting: set[str]) -> _Attempt:
        attempt = _Attempt()
        limits = self.limits
        phase, current, stage = "import", None, "checks"
        deadline = time.monotonic() + limits.import_timeout
        started_at = time.monotonic()
        called: dict[str, bool] = {}  # checks whose verdict is in, their teardown still running
        tainted = False
        buffer = b""
        collect_errors: list[str] = []

        def handle(line: bytes) -> bool:
            """Apply one event; True when the attempt is over."""
            nonlocal phase, current, deadline, stage, started_at, tainted
            try:
                event = json.loads(line)
                kind = event["event"]
            except (ValueError, TypeError, KeyError):
                return False  # not an event the child wrote: ignore it
            nodeid = event.get("nodeid")
            if kind == "imported":
                phase = "checks"
            elif kind == "import_error":
                attempt.import_problem = str(event.get("message", "main.py did not import"))
                return True
            elif kind == "start" and nodeid in waiting:
                current, stage, started_at = nodeid, "checks", time.monotonic()
            elif kind == "hung":
                self._hung = True  # a request hung: later checks get less time
            elif kind == "start_up_failed":
                self._start_up_problem = str(event.get("message", "the app's start-up hung"))
            elif kind == "tainted":
                tainted = True  # a thread was abandoned: go on in a fresh child
            elif kind == "stage":
                stage = str(event.get("name", "checks"))
            elif kind == "note":
                text = str(event.get("message", ""))
                if text and text not in attempt.notes:
                    attempt.notes.append(text)
            elif kind == "called" and nodeid in waiting:
                called[nodeid] = event.get("passed") is True
            elif kind == "result" and nodeid in waiting:
                check = self._by_nodeid[nodeid]
                message = str(event.get("message", ""))
                attempt.results[nodeid] = CheckResult(check, event.get("passed") is True, message)
                waiting.discard(nodeid)
                current = None
                if event.get("passed") is True:
                    self._slowest = max(self._slowest, time.monotonic() - started_at)
                if not waiting or tainted:
                    # every check reported (no need to wait for pytest to wind down), or a
                    # hung thread of the student's code is left in this child: a fresh one
                    # runs the checks that remain
                    return True
            elif kind == "modules" and isinstance(event.get("names"), list):
                self._to_learn.update(str(name) for name in event["names"])
            elif kind == "collect_error":
                collect_errors.append(str(event.get("message", "")))
            elif kind == "finished":
                phase = "finished"
                if waiting and not current:
                    status = event.get("exit_code")
                    attempt.not_run = (
                        f"not run: the checks could not be collected ({collect_errors[0]})"
                        if collect_errors
                        else f"not run: pytest ended without running it (exit status {status})"
                    )
                    return True
            elif kind == "crash":
                message = str(event.get("message", "the grader failed"))
                if phase == "import":
                    attempt.import_problem = message
                    return True
                if current:
                    attempt.results[current] = CheckResult(self._by_nodeid[current], False, message)
                    waiting.discard(current)
                    current = None
                attempt.stopped = message
            if kind in ("imported", "start", "result"):
                deadline = time.monotonic() + self._check_timeout()
            return False

        def read_available(block_seconds: float) -> str:
            """Read and apply what the child wrote: "over", "eof", "read" or "nothing"."""
            nonlocal buffer
            ready, _, _ = select.select([fd], [], [], block_seconds)
            if not ready:
                return "nothing"
            chunk = os.read(fd, 65536)
            if not chunk:
                return "eof"
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            if len(buffer) > MAX_EVENT_BUFFER:
                buffer = b""
            return "over" if any(handle(line) for line in lines if line.strip()) else "read"

        while True:
            remaining = deadline - time.monotonic()
            outcome = read_available(max(0.0, min(remaining, POLL_SECONDS)))
            if outcome == "over":
                return attempt
            if outcome == "read":
                continue
            ended = child.ended(block=outcome == "eof")
            if ended is None:
                if time.monotonic() < deadline:
                    continue
                self._timed_out(attempt, phase, current, child, stage, called)
                return attempt
            # The child has ended; events it wrote just before may still wait in the pipe
            # (when something it started keeps the pipe open, no end of file comes).
            while outcome == "read" or (outcome == "nothing" and _readable(fd)):
                outcome = read_available(0)
            if outcome != "over":
                self._ended(attempt, phase, current, ended, child)
            return attempt

    def _timed_out(
        self,
        attempt: _Attempt,
        phase: str,
        current: str | None,
        child: _Child,
        stage: str = "checks",
        called: dict[str, bool] | None = None,
    ):
        limits = self.limits
        seconds = self._check_timeout()
        where = child.where(live=True)
        still = f" (still running {where})" if where else ""
        called = called or {}
        if phase == "import":
            attempt.import_problem = (
                f"importing main.py did not finish within {limits.import_timeout:g} s{still}"
                + ("" if where else " (an endless loop or a long computation at import time?)")
            )
            return
        if stage == "shutdown" or (current and current in called):
            # The verdict was in; the app's shutdown (a teardown) hung: a note, no points lost.
            attempt.notes.append(
                f"the app's shutdown (its lifespan after `yield`) did not finish within "
                f"{seconds:g} s{still}; it was stopped (no points depend on it)"
            )
            if current and current in called:
                check = self._by_nodeid[current]
                message = "" if called[current] else "the check failed before the app shut down"
                attempt.results[current] = CheckResult(check, called[current], message)
            else:
                attempt.stopped = "the app's shutdown hung"
            return
        self._hung = True
        if stage == "start-up":
            reason = f"the app's start-up (its lifespan) did not finish within {seconds:g} s{still}"
            self._start_up_problem = reason
            if current:
                attempt.results[current] = CheckResult(self._by_nodeid[current], False, reason)
            else:
                attempt.stopped = reason
        elif current:
            message = f"timed out after {seconds:g} s{still}"
            attempt.results[current] = CheckResult(self._by_nodeid[current], False, message)
        else:
            attempt.stopped = f"grading stopped responding for {seconds:g} s{still}"

    def _ended(self, attempt: _Attempt, phase: str, current: str | None, how: str, child):
        where = child.where(live=False)
        at = f", at {where}" if where else ""
        if phase == "import":
            attempt.import_problem = f"main.py stopped the grading process at import: {how}{at}"
        elif current:
            message = f"the grading process ended during this check: {how}{at}"
            attempt.results[current] = CheckResult(self._by_nodeid[current], False, message)
        elif phase != "finished":
            attempt.stopped = f"the grading process ended: {how}{at}"


# ---------------------------------------------------------------- the child, seen from the parent


def _fork_with_retries(attempts: int = 20) -> int:
    """``os.fork``, tried again for a few seconds when the system is briefly out of processes
    (another grading's leftovers being reaped)."""
    for attempt in range(attempts):
        try:
            return os.fork()
        except BlockingIOError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


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


class _Child:
    """The parent's handle on one grading child: its end, its stack dumps, its killing."""

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
            os.kill(self.pid, signal.SIGUSR1)
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
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if not self.reaped:
            # Before the child's setsid() it is not yet a group leader; killing it by pid
            # is safe because an unreaped child's pid cannot be reused.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.reaped = True


# ---------------------------------------------------------------- the child side


def _address_space_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _apply_limits(limits: Limits) -> None:
    """Cap the address space: a submission that eats memory gets a MemoryError, not the
    machine. The cap is what the child already maps plus ``memory_mb``."""
    base = _address_space_bytes()
    if base and limits.memory_mb and hasattr(resource, "RLIMIT_AS"):
        cap = base + limits.memory_mb * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _fresh_warnings(*, strict: bool) -> None:
    """Python's default warning filters (and the interpreter's -W options), whatever filters
    the grading process had: a grading started from a test run that turns warnings into
    errors must score what the command line scores."""
    warnings.resetwarnings()
    for category in (ResourceWarning, ImportWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
    for option in sys.warnoptions:
        with contextlib.suppress(Exception):
            warnings._setoption(option)  # noqa: SLF001 - how Python itself applies -W
    if strict:
        warnings.simplefilter("error")


def _silence_output() -> None:
    """Send the standard streams to /dev/null, at the descriptor and at the Python level."""
    null = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(null, stream)
    os.close(null)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - lives as long as the process
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115


class _ModuleReport:
    """Tells the parent, before each result, which installed library modules the child
    imported since its last report (files of the submission are never included)."""

    def __init__(self, channel: Channel, folder: Path) -> None:
        self.channel = channel
        self.folder = folder
        self.known = set(sys.modules)
        import autograder

        places = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        places.add(os.path.dirname(os.path.abspath(autograder.__file__)))
        self.places = tuple(os.path.join(os.path.abspath(place), "") for place in places)

    def _library(self, name: str) -> bool:
        from autograder.submission import _inside

        file = getattr(sys.modules.get(name), "__file__", None)
        if not isinstance(file, str) or name == "__main__":
            return False
        path = os.path.abspath(file)
        return path.startswith(self.places) and _inside(path, self.folder) is None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logfinish(self) -> None:
        new = set(sys.modules) - self.known
        if new:
            self.known |= new
            names = sorted(name for name in new if self._library(name))
            if names:
                self.channel.send("modules", names=names)


def _run_child(
    fd: int, dump_fd: int, suite: Path, folder: Path, deselect: list[str], limits: Limits
):  # pragma: no cover - runs in the child
    """Import the submission and run the suite, reporting events on ``fd``. Never returns."""
    import faulthandler

    channel = Channel(fd)
    try:
        report = _ModuleReport(channel, folder)
        os.setsid()
        if limits.secure:
            from autograder.sandbox import confine

            confine.die_with_parent()
        _silence_output()
        # Crashes and timeouts: the parent reads where the code was from this dump.
        faulthandler.enable(file=dump_fd, all_threads=True)
        faulthandler.register(signal.SIGUSR1, file=dump_fd, all_threads=True)
        _apply_limits(limits)
        for name in THREAD_VARIABLES:
            os.environ.setdefault(name, "1")
        os.chdir(folder)
        _fresh_warnings(strict=limits.strict_warnings)
        from autograder import live, stages

        live.WAIT_FOR_STOP = False  # this process is killed once its last result is in
        stages.sink = channel.send
        stages.start_timeout = START_SHARE * limits.check_timeout
        stages.request_timeout = START_SHARE * limits.check_timeout
        from autograder import submission

        if limits.secure:
            from autograder import sandbox

            folder = sandbox.enable(
                folder, memory_mb=limits.memory_mb, timeout=START_SHARE * limits.check_timeout
            )
            for note in sandbox.copy_notes():
                channel.send("note", message=note)
            problem = sandbox.import_problem(limits.import_timeout)
            if problem:
                channel.send("import_error", message=problem)
                os._exit(0)
        else:
            try:
                submission.load(folder)
            except submission.SubmissionError as error:
                channel.send("import_error", message=str(error))
                os._exit(0)
        channel.send("imported")
        args = [*pytest_args(suite), "--submission", str(folder)]
        # no terminal output, no output capture (prints go to /dev/null), our faulthandler
        args += ["-p", "no:terminal", "-p", "no:faulthandler", "--capture=no"]
        args += [f"--deselect={nodeid}" for nodeid in deselect]
        if limits.secure:
            args += ["--basetemp", str(sandbox.harness_temporary_folder())]
        if limits.strict_warnings:
            # Warnings of the submission and the checks are errors; pytest's own note that
            # a grader module was imported before it could rewrite its asserts is not.
            args += ["-W", "error", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
        with _NoPluginAutoload() as autoload:
            code = pytest.main(args, plugins=[channel, report, autoload, _ShortReports()])
        channel.send("finished", exit_code=int(code))
    except BaseException as error:  # noqa: BLE001
        with contextlib.suppress(BaseException):
            channel.send("crash", message=f"the grader failed: {type(error).__name__}: {error}")
    finally:
        os._exit(0)
