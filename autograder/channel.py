"""The child-to-parent event stream: one JSON object per line on a dedicated pipe.

The student's code prints to stdout and stderr, which the child sends elsewhere, so
nothing it prints can be mistaken for a result.
"""

from __future__ import annotations

import json
import os

import pytest

MAX_EVENT_BYTES = 16_000


class Channel:
    """Writes events to a file descriptor; used as a pytest plugin inside the child."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.outcomes: dict[str, list[tuple[bool, str]]] = {}

    def send(self, event: str, **fields) -> None:
        line = json.dumps({"event": event, **fields})
        if len(line) > MAX_EVENT_BYTES and "message" in fields:
            fields["message"] = str(fields["message"])[: MAX_EVENT_BYTES // 2] + "..."
            line = json.dumps({"event": event, **fields})
        data = (line + "\n").encode()
        while data:
            written = os.write(self.fd, data)
            data = data[written:]

    # -- pytest hooks ---------------------------------------------------------

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.outcomes[nodeid] = []
        self.send("start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed or (report.skipped and report.when != "teardown"):
            message = getattr(report, "autograder_message", "")
            if report.skipped:
                message = "the check was skipped"
            elif not message:
                message = str(report.longrepr).strip().splitlines()[-1][:500]
            self.outcomes.setdefault(report.nodeid, []).append((False, message))

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        failures = [message for ok, message in self.outcomes.get(nodeid, []) if not ok]
        self.send("result", nodeid=nodeid, passed=not failures, message=failures[0] if failures else "")
