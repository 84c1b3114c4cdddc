"""Reading files the student's code may have written or replaced, as root, safely.

In secure mode the checks run as root, and the student's code (another user) may plant a
link where the checks read: a path is followed one folder at a time without following any
link, so such a link never makes the grader read a file of the machine.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_READ_BYTES = 8 * 1024 * 1024


def read_own_file(path: Path, limit: int = MAX_READ_BYTES) -> bytes | None:
    """The bytes of a regular file the submission's code may have written or replaced (a
    file of its folder, of a folder handed to its app), or None when there is none.

    The checks run as root in secure mode: a path is followed one folder at a time without
    following any link (a link, anywhere on the way, reads as no file), so a link the
    student's code planted never makes the grader read a file of the machine.
    """
    parts = Path(path).parts
    flags = os.O_RDONLY | os.O_NOFOLLOW
    try:
        descriptor = os.open(parts[0], flags | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        for index, part in enumerate(parts[1:], start=1):
            last = index == len(parts) - 1
            options = flags | (os.O_NONBLOCK if last else os.O_DIRECTORY)
            try:
                following = os.open(part, options, dir_fd=descriptor)
            except OSError:
                return None
            os.close(descriptor)
            descriptor = following
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        with os.fdopen(os.dup(descriptor), "rb") as reading:
            return reading.read(limit)
    finally:
        os.close(descriptor)


def read_own_text(path: Path) -> str | None:
    """:func:`read_own_file` as text (bad bytes replaced), or None."""
    data = read_own_file(path)
    return None if data is None else data.decode(errors="replace")
