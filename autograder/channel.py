"""The grading child's pytest plugin: each check's start, verdict and result, as events.

The events travel on the child's own pipe (:mod:`autograder.events`), never on its
standard streams, which go to /dev/null.
"""

from __future__ import annotations

import pytest

from autograder.events import EventWriter


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


class Channel(EventWriter):
    """Reports a grading's progress to the parent; used as a pytest plugin in the child."""

    def __init__(self, fd: int) -> None:
        super().__init__(fd)
        self.outcomes: dict[str, list[tuple[bool, str]]] = {}

    # -- pytest hooks ---------------------------------------------------------

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            try:
                message = _last_line(str(report.longrepr))[:500]
            except Exception:  # noqa: BLE001
                message = ""
            self.send("collect_error", message=message or f"{report.nodeid} could not be collected")

    def pytest_internalerror(self, excrepr) -> None:
        try:
            message = _last_line(str(excrepr))[:500]
        except Exception:  # noqa: BLE001
            message = "internal error"
        self.send("crash", message=f"the grader failed: {message}")

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.outcomes[nodeid] = []
        self.send("start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            # The verdict is known before teardown: the grader keeps it even if the teardown
            # (an app's shutdown, say) then hangs.
            self.send("called", nodeid=report.nodeid, passed=report.passed)
        if report.failed or (report.skipped and report.when != "teardown"):
            message = getattr(report, "autograder_message", "")
            if report.skipped:
                message = "the check was skipped"
            elif not message:
                try:
                    message = _last_line(str(report.longrepr))[:500]
                except Exception:  # noqa: BLE001 - a report that cannot be shown is still a failure
                    message = ""
                message = message or "the check failed"
            self.outcomes.setdefault(report.nodeid, []).append((False, message))

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        failures = [message for ok, message in self.outcomes.get(nodeid, []) if not ok]
        self.send(
            "result", nodeid=nodeid, passed=not failures, message=failures[0] if failures else ""
        )
