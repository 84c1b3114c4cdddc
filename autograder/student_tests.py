"""Running a student's own tests, once, against one implementation of a service.

One run (:func:`run_tests`, or :func:`start_tests` and :func:`wait_any` for several at a
time) copies the student's ``tests/`` folder into an implementation folder and runs pytest
there, with the implementation's own ``pytest.ini``, under a timeout. It runs in a process of
its own, so a test that hangs, exits or crashes costs only that run. Two ways to start it:

* ``fork`` (the default): a process of the grading's isolation (:mod:`autograder.isolation`:
  a fork of the warm grading process, or a sandbox in secure mode) runs ``pytest.main``,
  after forgetting every module imported from another implementation or from the submission.
  FastAPI, scikit-learn and pytest are already imported, so a run costs what the tests cost.
* ``subprocess``: a fresh ``python -m pytest``; it pays the imports again on every run.

Measured on lab 06's reference tests (39 tests, 2 cores, no plugin auto-loading): a forked
run costs about 0.9 s of CPU, a subprocess 2.1 s with bytecode caches and 3.5 s without.

Either way the process reports each test's outcome on a pipe
(:mod:`autograder.student_reporter`), so a run that is killed still says which test was
running. Which implementations to run and what a run means for the grade is the business of
:mod:`autograder.implementations`.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from autograder import isolation, processes, pytest_run
from autograder.course import ROOT
from autograder.events import EventReader
from autograder.own_files import copy_own_tree
from autograder.student_reporter import REPORT_FD_VARIABLE, REVERSE_VARIABLE, Reporter
from autograder.student_test_results import (
    ERROR,
    NO_TESTS,
    TESTS_FOLDER,
    TestRun,
    interpret,
    well_formed,
)

# What one run of the student's tests may report: far more than a suite of a thousand tests
# sends (two events a test, a few kB at most each), far less than fills the grader's memory.
MAX_RUN_EVENTS = 20_000
MAX_RUN_REPORT_BYTES = 32 << 20
COPY_SKIPPED = frozenset({"__pycache__", ".pytest_cache"})  # and *.pyc files

# ---------------------------------------------------------------- running


def install_tests(tests_dir: Path, folder: Path) -> None:
    """Copy the student's tests folder into an implementation folder (replacing any)."""
    target = folder / TESTS_FOLDER
    if target.exists():
        shutil.rmtree(target)
    # Links are left out, never followed, even one that replaces a file while it is copied:
    # in secure mode the folder is the student's code's to change, and the grader is root.
    copy_own_tree(tests_dir, target, skip=COPY_SKIPPED)


class RunningTests:
    """One run in progress: its process and what it has reported so far."""

    def __init__(self, label: str, timeout: float) -> None:
        self.label = label
        self.timeout = timeout
        self.started = time.monotonic()
        self.pid = 0
        self.process: subprocess.Popen | None = None
        self.fd = -1
        self.reader: EventReader | None = None
        self.events: list[dict] = []
        self.finished = False
        self.flooded = False  # it reported more than a run of tests can (see MAX_RUN_EVENTS)
        self.result: TestRun | None = None

    @property
    def deadline(self) -> float:
        return self.started + self.timeout

    def read(self) -> bool:
        """Read what the run has written; True once it is over (finished, or pipe closed)."""
        assert self.reader is not None
        events = self.reader.read()
        if events is None:
            return True
        events = [event for event in events if well_formed(event)]
        self.events += events
        if len(self.events) > MAX_RUN_EVENTS or self.reader.received > MAX_RUN_REPORT_BYTES:
            # Only code that writes on the report's pipe itself gets here: stop the run now,
            # before what it sends fills the grader's memory.
            self.flooded = True
            return True
        self.finished = self.finished or any(event["event"] == "finished" for event in events)
        # Done once pytest says so, even if a process the tests started still holds the pipe.
        return self.finished

    def finish(self, *, timed_out: bool) -> TestRun:
        """Stop the run's process (and anything it started) and interpret its events.

        The run is over when pytest says so, and the run's process can say so too: whatever
        still runs then is stopped, as after a time-out. In a fork the run's process leads
        its own group; in a sandbox ``pid`` is the keeper, which takes the sandbox along."""
        processes.kill_group(self.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGKILL)
        ended = _reap(self.pid, self.process)
        with contextlib.suppress(OSError):
            os.close(self.fd)
        run = TestRun(implementation=self.label, seconds=time.monotonic() - self.started)
        if self.flooded:
            self.events = []
            run.status = ERROR
            run.message = (
                f"the test run sent more than {MAX_RUN_EVENTS:,} reports or "
                f"{MAX_RUN_REPORT_BYTES >> 20} MB of them (its tests and their outcomes): it "
                "was stopped"
            )
        else:
            interpret(run, self.events, timed_out=timed_out, timeout=self.timeout, ended=ended)
        self.result = run
        return run


def start_tests(
    tests_dir: Path,
    folder: Path,
    *,
    timeout: float = 20.0,
    env: Mapping[str, str] | None = None,
    mode: str = "fork",
    forget: Iterable[Path] = (),
    label: str | None = None,
    reverse: bool = False,
) -> RunningTests:
    """Start running the tests of ``tests_dir`` against the implementation in ``folder``.

    ``env`` is added to the environment of the run, ``forget`` names folders whose modules
    a forked run must not reuse (the submission's, other implementations'); ``reverse``
    runs the tests last to first (tests that only pass in their own order depend on each
    other). Wait for the result with :func:`wait_any`.
    """
    folder = Path(folder).resolve()
    running = RunningTests(label or folder.name, timeout)
    if mode not in ("fork", "subprocess"):
        raise ValueError(f"unknown mode {mode!r}: use 'fork' or 'subprocess'")
    if not Path(tests_dir).is_dir():
        message = f"there is no {TESTS_FOLDER}/ folder in the submission"
        running.result = TestRun(running.label, status=NO_TESTS, message=message)
        return running
    install_tests(Path(tests_dir), folder)
    env = {**(env or {}), pytest_run.AUTOLOAD_VARIABLE: "1"}
    where = isolation.current()
    where.share(folder, env)  # in secure mode: the sandbox user owns it, reads the model
    read_fd, write_fd = os.pipe()
    try:
        if mode == "fork":
            # The graded folder's modules are never reused either (the sandbox's copy of it).
            # A process that starts fresh (a sandbox) holds no other folder's modules, and
            # must not learn where the other services are: its tests would read them (the
            # reference, the buggy ones) instead of testing their own.
            others = [] if where.fresh_processes else list(forget)
            stale = [str(path) for path in [*others, where.folder] if path is not None]
            arguments = (str(folder), dict(env), stale, reverse)
            # In a sandbox the run may write in its own service folder only (and its private
            # /tmp): no note of one run reaches the next (see implementations.Bench).
            running.pid = where.spawn(_run_tests, arguments, [write_fd], writable=folder)
        else:
            running.process = _start_subprocess(write_fd, folder, env, reverse)
            running.pid = running.process.pid
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    running.fd = read_fd
    running.reader = EventReader(read_fd)
    return running


def wait_any(runs: Iterable[RunningTests]) -> list[RunningTests]:
    """Block until at least one of the unfinished ``runs`` ends; return those that ended."""
    pending = [run for run in runs if run.result is None]
    ended: list[RunningTests] = []
    while pending and not ended:
        now = time.monotonic()
        wait = max(min(run.deadline for run in pending) - now, 0)
        ready = processes.readable([run.fd for run in pending], wait)
        for run in pending:
            if run.fd in ready and run.read():
                run.finish(timed_out=False)
                ended.append(run)
            elif run.fd not in ready and run.deadline <= time.monotonic():
                run.finish(timed_out=True)
                ended.append(run)
    return ended


def run_tests(tests_dir: Path, folder: Path, **options) -> TestRun:
    """Run the tests against one implementation and return the result (see start_tests).

    Never raises because of the tests: a hang, an exit or a crash is described in the run.
    """
    running = start_tests(tests_dir, folder, **options)
    while running.result is None:
        wait_any([running])
    return running.result


def _reap(pid: int, process: subprocess.Popen | None) -> str:
    """Wait for the run's process; describe how it ended."""
    if process is not None:
        code = process.wait()
        return f"killed by signal {-code}" if code < 0 else f"exit status {code}"
    return processes.reap(pid)


def _start_subprocess(
    fd: int, folder: Path, env: dict[str, str], reverse: bool
) -> subprocess.Popen:
    environment = {**os.environ, **env}
    environment["PYTHONPATH"] = os.pathsep.join([str(folder), str(ROOT)])
    environment[REPORT_FD_VARIABLE] = str(fd)
    environment[REVERSE_VARIABLE] = "1" if reverse else "0"
    return subprocess.Popen(
        pytest_run.student_tests_command(folder, TESTS_FOLDER),
        cwd=folder,
        env=environment,
        pass_fds=(fd,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _is_under(file: str | None, folders: list[Path]) -> bool:
    if not file:
        return False
    with contextlib.suppress(OSError, ValueError):
        path = Path(file).resolve()
        return any(path.is_relative_to(folder) for folder in folders)
    return False


def forget_modules(folders: list[Path], names: Iterable[str] = ()) -> None:
    """Drop from ``sys.modules`` what came from ``folders`` and the top-level ``names``.

    A grading child has thousands of modules, from a few hundred folders: each folder is
    resolved once (resolving each module's path took a fifth of a lab 06 grading).
    """
    names = set(names)
    roots = tuple(os.path.join(os.path.realpath(folder), "") for folder in folders)
    inside: dict[str, bool] = {}  # a module's folder: whether it lies in one of ``roots``
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if name.partition(".")[0] in names:
            del sys.modules[name]
        elif isinstance(file, str) and file:
            place = os.path.dirname(os.path.abspath(file))
            if place not in inside:
                inside[place] = os.path.join(os.path.realpath(place), "").startswith(roots)
            if inside[place]:
                del sys.modules[name]


def _top_level_names(folder: Path) -> set[str]:
    names = {"conftest"}
    for path in folder.iterdir():
        if path.suffix == ".py":
            names.add(path.stem)
        elif path.is_dir() and not path.name.startswith("."):
            names.add(path.name)
    return names


def _run_tests(
    fds: list[int], folder: str, environment: dict[str, str], forget: list[str], reverse: bool
):  # pragma: no cover - runs in the run's own process
    """In the run's process (see :meth:`Isolation.spawn`): run pytest on the copied tests
    inside ``folder`` (last to first when ``reverse``); report on ``fds[0]``. Never returns."""
    reporter = Reporter(fds[0], exit_when_finished=True, reverse=reverse)
    from autograder import stages

    stages.sink, stages.start_up_problem = None, ""  # the grader's pipe is not this run's
    try:
        os.environ.update(environment)
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the process ends here
        os.chdir(folder)
        stale = [Path(p).resolve() for p in forget] + [Path(folder)]
        forget_modules(stale, _top_level_names(Path(folder)))
        sys.path[:] = [p for p in sys.path if not _is_under(p or ".", stale)]
        sys.path.insert(0, folder)
        importlib.invalidate_caches()
        pytest_run.run_student_tests(Path(folder), TESTS_FOLDER, reporter)
    except BaseException as error:  # noqa: BLE001 - anything the tests raise ends the run
        with contextlib.suppress(BaseException):
            reporter.send("crash", message=f"{type(error).__name__}: {error}")
    finally:
        os._exit(0)
