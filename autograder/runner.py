"""Running a suite against a submission in a watched child process.

A :class:`Grader` is *warm*: it imports pytest, the suite and the lab's dependencies once,
collects the checks, and then grades each submission in a fresh child made with ``fork``.
The parent never runs student code. It reads the child's events with a deadline:

* a check that runs past its time limit is recorded as failed ("timed out after N s"), the
  child is killed, and a new child runs the checks that remain;
* a child that exits or crashes loses no result already reported, and only the check that
  was running is failed;
* a submission that does not import gets one message and every check scored 0.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import resource
import select
import signal
import sys
import time
import warnings
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


@dataclass
class Limits:
    """What one grading child may use."""

    check_timeout: float = 10.0
    import_timeout: float = IMPORT_TIMEOUT
    memory_mb: int = MEMORY_LIMIT_MB
    strict_warnings: bool = False


def pytest_args(suite: Path) -> list[str]:
    """Arguments that make pytest read only the graders' own configuration."""
    return [str(suite), "-c", str(SUITE_CONFIG), "--rootdir", str(SUITES)]


class _Collector:
    def __init__(self) -> None:
        self.checks: list[CheckInfo] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.checks = [info_for(item) for item in session.items]


def collect_checks(suite: Path) -> list[CheckInfo]:
    """Collect a suite's checks (names, points, hints) without running any of them."""
    collector = _Collector()
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main([*pytest_args(suite), "--collect-only", "-q"], plugins=[collector])
    if code != 0 or not collector.checks:
        raise RuntimeError(f"could not collect the checks of {suite}:\n{output.getvalue()}")
    return collector.checks


@dataclass
class _Attempt:
    """What one child process reported before it finished, hung or died."""

    results: dict[str, CheckResult] = field(default_factory=dict)
    import_problem: str = ""
    stopped: str = ""  # why the child stopped early, when it did


class Grader:
    """Grades submissions of one lab; reuse it to grade many without paying imports again."""

    def __init__(self, lab: Lab, limits: Limits | None = None) -> None:
        self.lab = lab
        self.limits = limits or Limits(check_timeout=lab.check_timeout)
        for module in lab.preload:
            importlib.import_module(module)
        self.checks = collect_checks(lab.suite)
        self._by_nodeid = {check.nodeid: check for check in self.checks}

    def grade(self, submission: str | Path) -> GradeResult:
        folder = Path(submission).resolve()
        started = time.monotonic()
        result = GradeResult(lab=self.lab.folder, submission=str(folder))
        done: dict[str, CheckResult] = {}
        if not (folder / "main.py").is_file():
            result.problem = f"{folder} has no main.py: is this the lab folder?"
        while not result.problem and len(done) < len(self.checks):
            pending = [check.nodeid for check in self.checks if check.nodeid not in done]
            attempt = self._attempt(folder, pending)
            done.update(attempt.results)
            if attempt.import_problem:
                result.problem = attempt.import_problem
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

    def _attempt(self, folder: Path, pending: list[str]) -> _Attempt:
        deselect = [check.nodeid for check in self.checks if check.nodeid not in pending]
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            os.close(read_fd)
            _run_child(write_fd, self.lab.suite, folder, deselect, self.limits)
        os.close(write_fd)
        try:
            return self._watch(pid, read_fd)
        finally:
            os.close(read_fd)
            _kill_group(pid)

    def _watch(self, pid: int, fd: int) -> _Attempt:
        attempt = _Attempt()
        limits = self.limits
        phase, current = "import", None
        deadline = time.monotonic() + limits.import_timeout
        buffer = b""
        while True:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(remaining, 0))
            if not ready:
                if phase == "import":
                    attempt.import_problem = (
                        f"importing main.py did not finish within {limits.import_timeout:g} s "
                        "(an endless loop or a long computation at import time?)"
                    )
                elif current:
                    message = f"timed out after {limits.check_timeout:g} s"
                    attempt.results[current] = CheckResult(self._by_nodeid[current], False, message)
                else:
                    attempt.stopped = f"grading stopped responding for {limits.check_timeout:g} s"
                return attempt
            chunk = os.read(fd, 65536)
            if not chunk:
                status = _reap(pid)
                if phase == "import":
                    attempt.import_problem = f"main.py ended the grading process while being imported ({status})"
                elif current:
                    message = f"the grading process ended during this check ({status})"
                    attempt.results[current] = CheckResult(self._by_nodeid[current], False, message)
                elif phase != "finished":
                    attempt.stopped = f"the grading process ended ({status})"
                return attempt
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                event = json.loads(line)
                kind = event["event"]
                if kind == "imported":
                    phase = "checks"
                elif kind == "import_error":
                    attempt.import_problem = event["message"]
                    return attempt
                elif kind == "start":
                    current = event["nodeid"]
                elif kind == "result" and event["nodeid"] in self._by_nodeid:
                    check = self._by_nodeid[event["nodeid"]]
                    attempt.results[check.nodeid] = CheckResult(
                        check, bool(event["passed"]), event.get("message", "")
                    )
                    current = None
                elif kind == "finished":
                    phase = "finished"
                elif kind == "crash":
                    attempt.stopped = event.get("message", "the grader failed")
                if kind in ("imported", "start", "result"):
                    deadline = time.monotonic() + limits.check_timeout


def _reap(pid: int) -> str:
    """Wait for the child and describe how it ended."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "it had already ended"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else number
        extra = " - out of memory?" if number == signal.SIGKILL else ""
        return f"killed by signal {name}{extra}"
    return f"exit status {os.WEXITSTATUS(status)}"


def _kill_group(pid: int) -> None:
    """Kill the child and anything it started, then reap it."""
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


# ---------------------------------------------------------------- the child side


def _address_space_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _apply_limits(limits: Limits) -> None:
    base = _address_space_bytes()
    if base and hasattr(resource, "RLIMIT_AS"):
        cap = base + limits.memory_mb * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _run_child(fd: int, suite: Path, folder: Path, deselect: list[str], limits: Limits):  # pragma: no cover
    """Import the submission and run the suite, reporting events on ``fd``. Never returns."""
    channel = Channel(fd)
    try:
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(null, stream)
        _apply_limits(limits)
        os.chdir(folder)
        if limits.strict_warnings:
            warnings.simplefilter("error")
        from autograder import submission

        try:
            submission.load(folder)
        except submission.SubmissionError as error:
            channel.send("import_error", message=str(error))
            os._exit(0)
        channel.send("imported")
        args = [*pytest_args(suite), "--submission", str(folder), "-p", "no:terminal"]
        args += [f"--deselect={nodeid}" for nodeid in deselect]
        if limits.strict_warnings:
            args += ["-W", "error"]
        code = pytest.main(args, plugins=[channel])
        channel.send("finished", exit_code=int(code))
    except BaseException as error:  # noqa: BLE001
        with contextlib.suppress(BaseException):
            channel.send("crash", message=f"the grader failed: {type(error).__name__}: {error}")
    finally:
        os._exit(0)
