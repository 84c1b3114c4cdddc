"""Where a grading is: importing, starting the app, running checks, shutting the app down.

The grading child reports each stage to the grader (:data:`sink`), so that a time-out can
say what hung ("the app's start-up did not finish") and teardown is never charged to a
check. Once the app's start-up has hung, :func:`refuse_if_start_up_failed` fails every
later start at once with that reason instead of waiting for it again.
"""

from __future__ import annotations

from collections.abc import Callable

sink: Callable[..., None] | None = None  # set in the grading child: sends an event
start_up_problem: str = ""  # set by the grader before it forks a child, once start-up hung
current: str = "checks"
start_timeout: float = 8.0  # seconds an app's start-up may take (the runner sets it)
request_timeout: float = 8.0  # seconds one request may take (the runner sets it)
AFTER_A_HANG_SECONDS = 1.0  # once a request hung, the next get this, or 3x the slowest
slowest_request: float = 0.0
requests_hung: bool = False
shutdown_timeout: float = 3.0  # seconds an app's shutdown may take before it is abandoned


def enter(stage: str) -> None:
    global current
    current = stage
    if sink is not None:
        sink("stage", name=stage)


def note(text: str) -> None:
    """Something the student should know that costs no points (a shutdown that hung)."""
    if sink is not None:
        sink("note", message=text)


def start_up_failed(reason: str) -> None:
    """The app's start-up hung: every later start of this grading fails at once (the grader
    hears of it too, for the processes it starts after this one)."""
    global start_up_problem
    start_up_problem = reason
    if sink is not None:
        sink("start_up_failed", message=reason)


class StartUpFailed(AssertionError):
    """The app's start-up hung earlier in this grading: the check needs the app."""


def refuse_if_start_up_failed() -> None:
    if start_up_problem:
        raise StartUpFailed(f"not run: {start_up_problem} (in an earlier check)")


def time_for_a_request() -> float:
    """Seconds the next request may take: less once a request of the grading has hung."""
    if not requests_hung:
        return request_timeout
    return min(request_timeout, max(AFTER_A_HANG_SECONDS, 3 * slowest_request))


def request_answered(seconds: float) -> None:
    global slowest_request
    slowest_request = max(slowest_request, seconds)


def request_hung() -> None:
    """A request of this grading hung: the grader gives the next checks less time too."""
    global requests_hung
    requests_hung = True
    if sink is not None:
        sink("hung")
    left_behind()


def left_behind() -> None:
    """A thread of the student's code was abandoned (a hung route, start-up or shutdown):
    once the current check's result is in, the grader goes on in a fresh process."""
    if sink is not None:
        sink("tainted")
