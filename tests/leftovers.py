"""Whether a grading left a process of a sandbox user behind.

The course's tests run in parallel: while one test looks for left-over processes, another may
be grading in secure mode with sandbox users of its own. Those processes end with their
grading; a process that escaped its grading keeps its user alive. So a user counts as left
over only when it still has live processes after a patience (each grading has its own user:
see ``sandbox_uid_for``).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from autograder import sandbox
from autograder.course import ROOT

PATIENCE_SECONDS = 90.0  # longer than any one grading of the course's tests in secure mode


def left_over_processes(patience: float = PATIENCE_SECONDS) -> list[int]:
    """Pids of sandbox users (started from this checkout) still alive after ``patience``."""
    deadline = time.monotonic() + patience
    alive = _sandbox_processes_by_user()
    while alive and time.monotonic() < deadline:
        time.sleep(0.5)
        now = _sandbox_processes_by_user()
        alive = {uid: pids for uid, pids in now.items() if uid in alive}
    return sorted(pid for pids in alive.values() for pid in pids)


def _sandbox_processes_by_user() -> dict[int, list[int]]:
    """Live processes of sandbox users whose command line names this checkout (another
    checkout's gradings may run beside), by user id. A zombie is dead."""
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            uid = entry.stat().st_uid
            if uid < sandbox.SANDBOX_UID_BASE:
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state != "Z" and str(ROOT).encode() in (entry / "cmdline").read_bytes():
                found.setdefault(uid, []).append(int(entry.name))
    return found
