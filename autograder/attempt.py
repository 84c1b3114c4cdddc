"""One attempt of a grading: the parent reads a child's events with deadlines.

The warm grader (:mod:`autograder.runner`) starts a child for the checks still pending and
calls :func:`watch`. The child reports each check's start and result on its pipe; the parent
turns them into results, and decides what a silence or an end means:

* a check that runs past its time limit is failed ("timed out after N s", with the line of
  the submission that was running); the grader then kills the child and starts another for
  the checks that remain;
* a check during which the child reported a hang (a request that did not answer in time, an
  app's start-up that did not finish) and that failed is marked as timed out too: the
  result's ``timed_out`` flag, which the gradebook reads, never the message's words;
* a child that exits or crashes loses no result already reported: only the check that was
  running is failed;
* a submission that does not import gets one message (:attr:`Attempt.import_problem`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from autograder import processes
from autograder.checks import CheckInfo
from autograder.events import EventReader
from autograder.limits import AFTER_A_HANG_SECONDS, Limits
from autograder.processes import Child
from autograder.results import CheckResult

POLL_SECONDS = 0.1  # how often the parent looks whether a silent child has died


@dataclass
class GradingState:
    """What the parent knows of the grading in progress, from one child to the next."""

    limits: Limits
    by_nodeid: dict[str, CheckInfo] = field(default_factory=dict)
    hung: bool = False  # a check of this grading has timed out
    slowest: float = 0.0  # seconds the slowest finished check of this grading took
    start_up_problem: str = ""  # the app's start-up hung in this grading
    to_learn: set[str] = field(default_factory=set)  # library modules children imported

    def start_grading(self) -> None:
        self.hung, self.slowest, self.start_up_problem = False, 0.0, ""

    def check_timeout(self) -> float:
        """Seconds the next check may run: the lab's limit, less once a check has hung."""
        if not self.hung:
            return self.limits.check_timeout
        return min(self.limits.check_timeout, max(AFTER_A_HANG_SECONDS, 3 * self.slowest))


@dataclass
class Attempt:
    """What one child process reported before it finished, hung or died."""

    results: dict[str, CheckResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    import_problem: str = ""
    import_timed_out: bool = False  # the import_problem is a time limit it ran past
    stopped: str = ""  # why the child stopped early, when it did
    stopped_timed_out: bool = False  # it stopped because something ran past a time limit
    not_run: str = ""  # why pytest ended without running the checks still waiting


class _Watch:
    """The parent's reading of one child's events."""

    def __init__(self, state: GradingState, child: Child, fd: int, waiting: set[str]) -> None:
        self.state = state
        self.child = child
        self.reader = EventReader(fd)
        self.fd = fd
        self.waiting = waiting
        self.attempt = Attempt()
        self.phase, self.current, self.stage = "import", None, "checks"
        self.deadline = time.monotonic() + state.limits.import_timeout
        self.started_at = time.monotonic()
        self.called: dict[str, bool] = {}  # checks whose verdict is in, teardown still running
        self.tainted = False
        self.collect_errors: list[str] = []
        self.hung: set[str] = set()  # checks during which a request or a start-up hung

    def result(self, nodeid: str, passed: bool, message: str, *, timed_out: bool = False) -> None:
        """A check's result; a failed check during which something hung timed out."""
        check = self.state.by_nodeid[nodeid]
        timed_out = not passed and (timed_out or nodeid in self.hung)
        self.attempt.results[nodeid] = CheckResult(check, passed, message, timed_out)

    def hung_in_current(self) -> None:
        """The child reports a hang: if the running check fails, it timed out."""
        if self.current:
            self.hung.add(self.current)

    def handle(self, event: dict) -> bool:
        """Apply one event; True when the attempt is over."""
        state, attempt, waiting = self.state, self.attempt, self.waiting
        kind = event["event"]
        nodeid = event.get("nodeid")
        if kind == "imported":
            self.phase = "checks"
        elif kind == "import_error":
            attempt.import_problem = str(event.get("message", "main.py did not import"))
            attempt.import_timed_out = event.get("timed_out") is True
            return True
        elif kind == "start" and nodeid in waiting:
            self.current, self.stage, self.started_at = nodeid, "checks", time.monotonic()
        elif kind == "hung":
            state.hung = True  # a request hung: later checks get less time
            self.hung_in_current()
        elif kind == "start_up_failed":
            state.start_up_problem = str(event.get("message", "the app's start-up hung"))
            self.hung_in_current()
        elif kind == "tainted":
            self.tainted = True  # a thread was abandoned: go on in a fresh child
        elif kind == "stage":
            self.stage = str(event.get("name", "checks"))
        elif kind == "note":
            text = str(event.get("message", ""))
            if text and text not in attempt.notes:
                attempt.notes.append(text)
        elif kind == "called" and nodeid in waiting:
            self.called[nodeid] = event.get("passed") is True
        elif kind == "result" and nodeid in waiting:
            passed = event.get("passed") is True
            self.result(nodeid, passed, str(event.get("message", "")))
            waiting.discard(nodeid)
            self.current = None
            if passed:
                state.slowest = max(state.slowest, time.monotonic() - self.started_at)
            if not waiting or self.tainted:
                # every check reported (no need to wait for pytest to wind down), or a hung
                # thread of the student's code is left in this child: a fresh one runs the
                # checks that remain
                return True
        elif kind == "modules" and isinstance(event.get("names"), list):
            state.to_learn.update(str(name) for name in event["names"])
        elif kind == "collect_error":
            self.collect_errors.append(str(event.get("message", "")))
        elif kind == "finished":
            self.phase = "finished"
            if waiting and not self.current:
                status = event.get("exit_code")
                attempt.not_run = (
                    f"not run: the checks could not be collected ({self.collect_errors[0]})"
                    if self.collect_errors
                    else f"not run: pytest ended without running it (exit status {status})"
                )
                return True
        elif kind == "crash":
            message = str(event.get("message", "the grader failed"))
            if self.phase == "import":
                attempt.import_problem = message
                return True
            if self.current:
                self.result(self.current, False, message)
                waiting.discard(self.current)
                self.current = None
            attempt.stopped = message
        if kind == "imported":
            # Between the import and the first check, pytest collects the suite and sets up
            # its fixtures: the grader's own work, which a loaded machine slows down. It gets
            # the import's time, not one check's (after a hang that can be a second or two).
            self.deadline = time.monotonic() + max(
                state.check_timeout(), state.limits.import_timeout
            )
        elif kind in ("start", "result"):
            self.deadline = time.monotonic() + state.check_timeout()
        return False

    def read_available(self, block_seconds: float) -> str:
        """Read and apply what the child wrote: "over", "eof", "read" or "nothing"."""
        ready = processes.readable([self.fd], block_seconds)
        if not ready:
            return "nothing"
        events = self.reader.read()
        if events is None:
            return "eof"
        return "over" if any(self.handle(event) for event in events) else "read"

    def run(self) -> Attempt:
        while True:
            remaining = self.deadline - time.monotonic()
            outcome = self.read_available(max(0.0, min(remaining, POLL_SECONDS)))
            if outcome == "over":
                return self.attempt
            if outcome == "read":
                continue
            ended = self.child.ended(block=outcome == "eof")
            if ended is None:
                if time.monotonic() < self.deadline:
                    continue
                self.timed_out()
                return self.attempt
            # The child has ended; events it wrote just before may still wait in the pipe
            # (when something it started keeps the pipe open, no end of file comes).
            while outcome == "read" or (outcome == "nothing" and _readable(self.fd)):
                outcome = self.read_available(0)
            if outcome != "over":
                self.ended(ended)
            return self.attempt

    def timed_out(self) -> None:
        state, attempt, current = self.state, self.attempt, self.current
        seconds = state.check_timeout()
        where = self.child.where(live=True)
        still = f" (still running {where})" if where else ""
        if self.phase == "import":
            attempt.import_problem = (
                f"importing main.py did not finish within {state.limits.import_timeout:g} s"
                f"{still}"
                + ("" if where else " (an endless loop or a long computation at import time?)")
            )
            attempt.import_timed_out = True
            return
        if self.stage == "shutdown" or (current and current in self.called):
            # The verdict was in; the app's shutdown (a teardown) hung: a note, no points lost.
            attempt.notes.append(
                f"the app's shutdown (its lifespan after `yield`) did not finish within "
                f"{seconds:g} s{still}; it was stopped (no points depend on it)"
            )
            if current and current in self.called:
                passed = self.called[current]
                self.result(
                    current, passed, "" if passed else "the check failed before the app shut down"
                )
            else:
                attempt.stopped = "the app's shutdown hung"
            return
        state.hung = True
        if self.stage == "start-up":
            reason = f"the app's start-up (its lifespan) did not finish within {seconds:g} s{still}"
            state.start_up_problem = reason
            if current:
                self.result(current, False, reason, timed_out=True)
            else:
                attempt.stopped, attempt.stopped_timed_out = reason, True
        elif current:
            self.result(current, False, f"timed out after {seconds:g} s{still}", timed_out=True)
        else:
            attempt.stopped = f"grading stopped responding for {seconds:g} s{still}"
            attempt.stopped_timed_out = True

    def ended(self, how: str) -> None:
        where = self.child.where(live=False)
        at = f", at {where}" if where else ""
        if self.phase == "import":
            self.attempt.import_problem = (
                f"main.py stopped the grading process at import: {how}{at}"
            )
        elif self.current:
            message = f"the grading process ended during this check: {how}{at}"
            self.result(self.current, False, message)
        elif self.phase != "finished":
            self.attempt.stopped = f"the grading process ended: {how}{at}"


def _readable(fd: int) -> bool:
    return bool(processes.readable([fd], 0))


def watch(state: GradingState, child: Child, fd: int, waiting: set[str]) -> Attempt:
    """Read the events of ``child`` on ``fd`` until the ``waiting`` checks are done, it hangs
    past a deadline or it ends; what it reported."""
    return _Watch(state, child, fd, waiting).run()
