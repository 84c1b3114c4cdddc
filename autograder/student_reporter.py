"""The pytest plugin inside a run of the student's own tests: each test's outcome, as events.

A run reports on a pipe of its own (:mod:`autograder.events`), so a run that is killed
still says which test was running. Messages are cut to the few lines a student needs.
"""

from __future__ import annotations

import os

import pytest

from autograder.events import EventWriter
from autograder.student_test_results import shortened

REPORT_FD_VARIABLE = "AUTOGRADER_STUDENT_TESTS_FD"
REVERSE_VARIABLE = "AUTOGRADER_TESTS_IN_REVERSE"  # "1": run the tests last to first


def _report_message(report) -> str:
    """The few lines of a pytest report a student needs: the error, not the traceback."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        return shortened(longrepr[2])
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", ""):
        return shortened(crash.message)
    text = str(longrepr).strip().splitlines()
    errors = [line[1:].strip() for line in text if line.startswith("E ")]
    return shortened("\n".join(errors) if errors else "\n".join(text[-4:]))


class Reporter(EventWriter):
    """A pytest plugin that writes each test's outcome on a pipe, one event a line."""

    def __init__(self, fd: int, *, exit_when_finished: bool = False, reverse: bool = False) -> None:
        super().__init__(fd)
        self.exit_when_finished = exit_when_finished
        self.reverse = reverse  # run the tests in reverse order: each must stand alone
        self.phases: dict[str, list] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items) -> None:
        if self.reverse:
            items.reverse()

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.send("collect_error", nodeid=report.nodeid, message=_report_message(report))

    def pytest_collection_finish(self, session) -> None:
        self.send("collected", count=len(session.items))

    def pytest_runtest_logstart(self, nodeid: str, location) -> None:
        self.phases[nodeid] = []
        self.send("start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report) -> None:
        self.phases.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid: str, location) -> None:
        outcome, message = "passed", ""
        for report in self.phases.pop(nodeid, []):
            if report.failed:
                outcome = "failed" if report.when == "call" else "error"
                message = _report_message(report)
                if report.when != "call":
                    message = f"(in the {report.when} of a fixture) {message}"
                break
            if report.skipped and outcome == "passed":
                outcome, message = "skipped", _report_message(report)
        self.send("result", nodeid=nodeid, outcome=outcome, message=message)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        self.send("finished", exit_status=int(exitstatus))
        if self.exit_when_finished:
            # Every test and fixture is done. A forked run ends here: pytest's clean-up would
            # only collect garbage in a process that is about to end.
            os._exit(0)


def pytest_configure(config) -> None:
    """Used as ``-p autograder.student_reporter`` by a subprocess run: report on the given fd."""
    fd = os.environ.pop(REPORT_FD_VARIABLE, None)
    reverse = os.environ.pop(REVERSE_VARIABLE, None) == "1"
    if fd and not config.pluginmanager.has_plugin("autograder-student-reporter"):
        reporter = Reporter(int(fd), reverse=reverse)
        config.pluginmanager.register(reporter, "autograder-student-reporter")
