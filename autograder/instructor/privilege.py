"""Official grading is secure grading: checked before a class is graded, not halfway through.

Secure mode runs each student's code as another user, in namespaces of its own; only root
on Linux can arrange that. Batch grading asks for it up front, so an instructor reads one
line that says what to type instead, rather than a class of failed gradings.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

# The project's own interpreter, run by root: uv itself never runs as root, so nothing in
# the instructor's uv cache or environment becomes root's.
SUDO_HINT = "sudo .venv/bin/python -m autograder batch LAB DIR"


def secure_grading_problem() -> str | None:
    """Why this process cannot grade securely, or None when it can try."""
    if not sys.platform.startswith("linux"):
        return (
            "batch grading runs students' code as another user, which needs Linux "
            "(use a Linux machine, a Linux VM or WSL)"
        )
    if os.geteuid() != 0:
        return (
            "batch grading runs students' code as another user, which needs root; "
            f"after `uv sync`, run: {SUDO_HINT}"
        )
    return None


def hand_back(paths: list[Path]) -> None:
    """Under ``sudo``, give what batch wrote back to the instructor who typed it (files and
    folders below ``paths``), so the gradebook can be edited without root."""
    uid, gid = os.environ.get("SUDO_UID"), os.environ.get("SUDO_GID")
    if os.geteuid() != 0 or not uid or not gid:
        return
    for path in paths:
        for item in [path, *(path.rglob("*") if path.is_dir() else ())]:
            with contextlib.suppress(OSError):
                os.chown(item, int(uid), int(gid), follow_symlinks=False)
