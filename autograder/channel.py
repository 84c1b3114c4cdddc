"""The child-to-parent event stream: one JSON object per line on a dedicated pipe.

The student's code prints to stdout and stderr, which the child sends to /dev/null, so
nothing it prints can be mistaken for a result. The functions used here are bound when
this module is imported (in the parent, before any student code runs), so a submission
that replaces ``json.dumps`` or ``os.write`` for its own purposes does not garble events.
"""

from __future__ import annotations

import json
import os

import pytest

MAX_EVENT_BYTES = 16_000
MAX_MESSAGE_CHARS = 2_000

_dumps = json.dumps
_write = os.write


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


class Channel:
    """Writes events to a file descriptor; used as a pytest plugin inside the child."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.outcomes: dict[str, list[tuple[bool, str]]] = {}

    def send(self, event: str, **fields) -> None:
        if "message" in fields:
            message = str(fields["message"])
            if len(message) > MAX_MESSAGE_CHARS:
                message = message[:MAX_MESSAGE_CHARS] + "..."
            fields["message"] = message
        line = _dumps({"event": event, **fields})
        if len(line) > MAX_EVENT_BYTES:
            line = _dumps({"event": event, **fields, "message": "(message too long)"})
        data = (line + "\n").encode()
        while data:
            written = _write(self.fd, data)
            data = data[written:]

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
