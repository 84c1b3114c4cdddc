"""The warm grader: running a suite against submissions, each in a watched child process.

A :class:`Grader` is *warm*: it imports pytest, FastAPI, the suite and the lab's dependencies
once, collects the checks, and then grades each submission in a fresh child made with
``fork`` (:mod:`autograder.grading_child`). The parent never runs student code. It reads
the child's events with a deadline (:mod:`autograder.attempt`): a check that hangs is failed
and a new child runs the checks that remain; a child that dies loses no result it reported.

Where the child runs the student's code (beside the checks, or in sandboxes) is the
grading's isolation (:mod:`autograder.isolation`), chosen once when the grader is made.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Collection
from pathlib import Path

from autograder import isolation as isolation_modes
from autograder import processes
from autograder import submission as submission_loader
from autograder.attempt import Attempt, GradingState, watch
from autograder.checks import CheckInfo
from autograder.course import Lab
from autograder.grading_child import run_child, start_fresh
from autograder.limits import Limits
from autograder.processes import where_in_dump
from autograder.pytest_run import AUTOLOAD_VARIABLE, collect_checks
from autograder.results import CheckResult, GradeResult, shown
from autograder.warm_up import warm_up_fastapi

# Modules every lab's checks use: imported once by the warm parent, never per grading.
BASE_PRELOAD = ("fastapi", "fastapi.testclient", "anyio._backends._asyncio")

# Kept importable from here: the command line, the tests and the benches use these names.
__all__ = ["AUTOLOAD_VARIABLE", "Grader", "Limits", "collect_checks", "preload", "where_in_dump"]


def preload(modules: tuple[str, ...] | list[str], *, warm_up: bool = True) -> None:
    """Import modules in the warm parent so that no grading pays for them again."""
    processes.one_thread_per_library()
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
                warm_up_fastapi()
            if "sklearn" in sys.modules:  # the labs that serve a model: the grader's own
                with contextlib.suppress(Exception):
                    from autograder.iris import train

                    train()


def missing_entry(folder: Path) -> str | None:
    """Why ``folder`` holds no app to grade (no ``main.py``, or no module at the entry point
    its ``pyproject.toml`` declares), or None when the file is there."""
    try:
        entry = submission_loader.entrypoint(folder)
    except submission_loader.SubmissionError as error:
        return str(error)
    if (folder / entry.file).is_file():
        return None
    what = submission_loader.missing_what(folder, entry)
    return f"{folder} has no {what}: is this the lab folder?"


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
        self.state = GradingState(self.limits)
        self._while_waiting: Callable[[], object] | None = None
        # Where student code runs; in secure mode, refuses (SecureModeUnavailable) on a
        # machine where it cannot really run as another user.
        self.isolation = isolation_modes.for_grading(self.limits)
        self.start = self.isolation.start_method()  # fork, or a fresh interpreter (spawn)
        modules = (*BASE_PRELOAD, *lab.preload)
        suite_module = f"autograder.suites.{lab.suite.stem}"
        self.preload = (*modules, *self.isolation.prepare(modules, suite_module))
        if self.start == "fork":
            preload(self.preload)
        self._checks: list[CheckInfo] | None = None  # collected on first use (see checks)

    def close(self) -> None:
        """Stop whatever the isolation keeps running between gradings (a sandbox launcher)."""
        self.isolation.shut_down()

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
            self.state.by_nodeid = {check.nodeid: check for check in self._checks}
        return self._checks

    def grade(
        self,
        submission: str | Path,
        *,
        while_waiting: Callable[[], object] | None = None,
        only: Collection[str] | None = None,
    ) -> GradeResult:
        """Grade the lab folder ``submission``.

        ``while_waiting`` is called once in this process while the first child runs (the
        command line imports its report there, using the time the checks take). ``only``
        names the checks to run (by their names); the result then holds those alone.
        """
        self._while_waiting = while_waiting
        folder = Path(submission).resolve()
        started = time.monotonic()
        result = GradeResult(lab=self.lab.folder, submission=str(folder))
        done: dict[str, CheckResult] = {}
        self.state.start_grading()
        result.problem = missing_entry(folder) or ""
        # None: every check (collected when first needed, see ``checks``)
        chosen = None if only is None else [c for c in self.checks if c.name in only]
        # A grader that has not collected its checks yet runs them all in its first child.
        collected = self._checks is not None
        while not result.problem:
            if collected:
                graded = self.checks if chosen is None else chosen
                pending = [check.nodeid for check in graded if check.nodeid not in done]
                if not pending:
                    break
                attempt = self._attempt(folder, pending)
            else:
                attempt = self._attempt(folder, None)  # collects while the child runs
                collected = True
                pending = [check.nodeid for check in self.checks]
            done.update(attempt.results)
            result.notes += [note for note in attempt.notes if shown(note) not in result.notes]
            if attempt.import_problem:
                result.problem = attempt.import_problem
                result.import_timed_out = attempt.import_timed_out
            elif attempt.not_run:
                # pytest ran to its end without these checks: running it again cannot help.
                for nodeid in pending:
                    check = self.state.by_nodeid[nodeid]
                    done.setdefault(nodeid, CheckResult(check, False, attempt.not_run))
            elif not attempt.results and pending:
                # The child stopped before finishing any check: charge the first one.
                first = self.state.by_nodeid[pending[0]]
                reason = attempt.stopped or "the grading process stopped before this check"
                done[first.nodeid] = CheckResult(first, False, reason, attempt.stopped_timed_out)
        for check in self.checks if chosen is None else chosen:
            if check.nodeid in done:
                result.results.append(done[check.nodeid])
            else:
                reason = f"not run: the submission did not import ({result.problem})"
                result.results.append(CheckResult(check, False, reason))
        result.execution_time = time.monotonic() - started
        return result

    def _learn_modules(self) -> None:
        """Import the library modules earlier children needed, before forking the next."""
        names = sorted(name for name in self.state.to_learn if name not in sys.modules)
        self.state.to_learn.clear()
        if not names or not self.learn:
            return
        threads = threading.active_count()
        preload(names, warm_up=False)
        if threading.active_count() > threads:
            self.learn = False  # a module started a thread: forking stays safe only if no more do

    def _attempt(self, folder: Path, pending: list[str] | None) -> Attempt:
        """Run the ``pending`` checks (None: all of them) in a fresh child."""
        self._learn_modules()
        self.isolation.before_child()
        from autograder import stages

        state = self.state
        stages.start_up_problem = state.start_up_problem  # the child inherits these
        stages.requests_hung, stages.slowest_request = state.hung, state.slowest
        deselect = []
        if pending is not None:
            deselect = [check.nodeid for check in self.checks if check.nodeid not in pending]
        read_fd, write_fd = os.pipe()
        dump = tempfile.TemporaryFile()  # noqa: SIM115 - the child's stack dumps (Child.where)
        grading = (self.lab.suite, folder, deselect, self.limits, self.isolation)
        if self.start == "fork":
            pid = processes.fork_with_retries()
            if pid == 0:  # pragma: no cover - runs in the child
                try:
                    os.close(read_fd)
                    run_child(write_fd, dump.fileno(), *grading)
                finally:
                    os._exit(70)
        else:
            pid = start_fresh(write_fd, dump.fileno(), *grading, self.preload)
        os.close(write_fd)
        child = processes.Child(pid, dump, folder)
        try:
            if self._while_waiting is not None:
                waiting, self._while_waiting = self._while_waiting, None
                with contextlib.suppress(Exception):
                    waiting()
            if pending is None:
                pending = [check.nodeid for check in self.checks]  # while the child runs
            return watch(state, child, read_fd, set(pending))
        finally:
            child.kill()
            os.close(read_fd)
            dump.close()
            self.isolation.after_child(pid)
