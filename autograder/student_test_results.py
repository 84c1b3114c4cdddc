"""What one run of a student's tests came to: each test's outcome, the run's status and a
plain message, read from the events the run's reporter wrote on its pipe
(:mod:`autograder.student_reporter`). :mod:`autograder.student_tests` starts the runs."""

from __future__ import annotations

from dataclasses import dataclass, field

TESTS_FOLDER = "tests"
SHOWN_LINES, SHOWN_CHARS = 4, 400  # of a failure's message, shown to the student
SHOWN_NAME_CHARS = 200  # of a test's name


def shortened(text: str, chars: int = SHOWN_CHARS) -> str:
    """The first few lines of ``text`` a student needs, at most ``chars`` characters."""
    lines = [line.rstrip() for line in str(text).strip().splitlines() if line.strip()]
    shown = "\n".join(lines[:SHOWN_LINES])
    if len(shown) > chars:
        shown = shown[:chars] + "..."
    return shown


PASSED, FAILED, TIMEOUT, CRASHED, NO_TESTS, ERROR = (
    "passed",
    "failed",
    "timeout",
    "crashed",
    "no tests",
    "error",
)


# ---------------------------------------------------------------- one run's results


@dataclass
class TestOutcome:
    """One of the student's tests on one implementation."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    nodeid: str
    outcome: str  # passed, failed, error, skipped
    message: str = ""


@dataclass
class TestRun:
    """The student's tests run once against one implementation."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    implementation: str
    status: str = CRASHED
    message: str = ""  # why the run did not pass, in a few plain lines
    tests: list[TestOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """Every test passed or was skipped, and at least one test passed."""
        return self.status == PASSED

    def count(self, outcome: str) -> int:
        return sum(1 for test in self.tests if test.outcome == outcome)

    def summary(self) -> str:
        counts = ", ".join(
            f"{self.count(outcome)} {outcome}"
            for outcome in ("passed", "failed", "error", "skipped")
            if self.count(outcome)
        )
        return counts or "no test ran"


# ---------------------------------------------------------------- reading a run's events


# The fields each event of a run carries, with their types (see autograder.student_reporter).
EVENT_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "collect_error": {"nodeid": (str, type(None)), "message": (str,)},
    "collected": {"count": (int,)},
    "start": {"nodeid": (str,)},
    "result": {"nodeid": (str,), "outcome": (str,), "message": (str,)},
    "finished": {"exit_status": (int,)},
    "crash": {"message": (str,)},
}


def well_formed(event: object) -> bool:
    """Whether ``event`` is one the reporter writes: a known kind with its fields' types.

    The reporter runs in the process of the student's tests, which can write on its pipe
    too: a line of another shape is left out rather than trusted."""
    if not isinstance(event, dict) or event.get("event") not in EVENT_FIELDS:
        return False
    fields = EVENT_FIELDS[event["event"]]
    return all(
        isinstance(event.get(name), kinds) and not isinstance(event.get(name), bool)
        for name, kinds in fields.items()
    )


def interpret(run: TestRun, events: list[dict], *, timed_out: bool, timeout: float, ended: str):
    """Turn a run's events into its status and a plain message."""
    collect_errors, started, finished, crash = [], None, None, ""
    for event in map(_cut, filter(well_formed, events)):
        kind = event.get("event")
        if kind == "collect_error":
            collect_errors.append(event)
        elif kind == "start":
            started = event["nodeid"]
        elif kind == "result":
            run.tests.append(TestOutcome(event["nodeid"], event["outcome"], event["message"]))
            started = None
        elif kind == "finished":
            finished = event["exit_status"]
        elif kind == "crash":
            crash = event["message"]
    failures = [test for test in run.tests if test.outcome in ("failed", "error")]
    if timed_out:
        run.status = TIMEOUT
        where = f"{test_name(started)} did not finish" if started else "the tests did not finish"
        run.message = f"{where} within {timeout:g} s (an endless loop, or a wait that never ends?)"
    elif collect_errors:
        first = collect_errors[0]
        run.status = ERROR
        run.message = f"pytest could not load {first['nodeid'] or 'the tests'}: {first['message']}"
    elif failures:
        run.status = FAILED
        first = failures[0]
        verb = "failed" if first.outcome == "failed" else "could not run"
        run.message = f"{test_name(first.nodeid)} {verb}: {first.message}"
    elif crash:
        run.status = ERROR
        run.message = f"pytest could not run the tests: {crash}"
    elif finished is None:
        run.status = CRASHED
        during = f" during {test_name(started)}" if started else ""
        run.message = f"the test run stopped{during} ({ended}): did a test exit the process?"
    elif finished == 5 or not run.tests:
        run.status = NO_TESTS
        run.message = (
            f"pytest found no tests in {TESTS_FOLDER}/ (files are named test_*.py and "
            "functions test_*)"
        )
    elif finished not in (0,):
        run.status = CRASHED
        run.message = f"the test run ended early (pytest exit status {finished})"
    elif not run.count("passed"):
        run.status = NO_TESTS
        run.message = (
            f"all {len(run.tests)} tests were skipped (a test that calls pytest.skip, like the "
            "TODOs of a starter, checks nothing)"
        )
    else:
        run.status = PASSED
        run.message = run.summary()


def _cut(event: dict) -> dict:
    """An event with its texts cut as the reporter cuts them: the run's process can write
    on its pipe too, and a message the student's code wrote there is no longer than one
    the reporter would have sent."""
    event = dict(event)
    if isinstance(event.get("message"), str):
        event["message"] = shortened(event["message"])
    if isinstance(event.get("nodeid"), str):
        event["nodeid"] = shortened(event["nodeid"], SHOWN_NAME_CHARS).replace("\n", " ")
    return event


def test_name(nodeid: str | None) -> str:
    """``test_service.py::test_x[1]`` for ``tests/test_service.py::test_x[1]``."""
    if not nodeid:
        return "a test"
    return nodeid.removeprefix(f"{TESTS_FOLDER}/")
