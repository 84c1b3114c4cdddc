"""Fingerprints that tell whether a grade is still true: the submission's and the suite's.

A grade stays valid only while both the files it graded and the checks that graded them are
the same. Each fingerprint is a SHA-256 over relative paths and contents, so a renamed, added,
removed or edited file changes it, and a copy of the same files anywhere else does not.

The submission's fingerprint covers exactly what the grading copies
(:func:`autograder.sandbox.workspace.copy_submission`): every file, ``.pyc`` files included
(Python imports a lone ``impl.pyc``), except in the folders the copy leaves out. Files are
read a block at a time, and a submission larger than the copy accepts is not read to its end:
its fingerprint is :data:`TOO_LARGE`, which never keeps an earlier grade.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from autograder.course import SUITES, Lab
from autograder.sandbox.workspace import IGNORED, MAX_COPY_BYTES, MAX_COPY_FILES

SUPPORT = SUITES / "support.py"

# The fingerprint of a submission the grading copy would refuse (too many bytes or files).
TOO_LARGE = "too-large"

BLOCK = 1 << 20  # bytes hashed at a time: a file is never read whole


class _TooLarge(Exception):
    """The submission holds more than the grading copy accepts."""


def submission_digest(entry: Path) -> str:
    """SHA-256 of the files a student handed in under ``entry`` that the grading copies, or
    :data:`TOO_LARGE` as soon as they hold more bytes or files than the copy accepts."""
    digest = hashlib.sha256()
    left = MAX_COPY_BYTES  # bytes still allowed; files are counted in _work_files
    try:
        for path in _work_files(entry):
            name = os.fsencode(path.relative_to(entry).as_posix())  # its own bytes, UTF-8 or not
            if path.is_symlink():
                content = b"link:" + os.fsencode(path.readlink())
                digest.update(len(name).to_bytes(8, "big") + name)
                digest.update(len(content).to_bytes(8, "big") + content)
                target = _inside_target(path, entry)
                if target is not None:  # the copy takes the file it points to
                    left -= _hash_file(digest, target, name, left)
            else:
                left -= _hash_file(digest, path, name, left)
    except _TooLarge:
        return TOO_LARGE
    return digest.hexdigest()


def _work_files(entry: Path) -> list[Path]:
    """The files and links under ``entry``, sorted, without the folders the copy leaves out
    (a link to a folder is listed as a link, never followed)."""
    found: list[Path] = []
    for folder, subfolders, files in os.walk(entry, followlinks=False):
        here = Path(folder)
        subfolders[:] = [name for name in subfolders if name not in IGNORED]
        found += [here / name for name in subfolders if (here / name).is_symlink()]
        found += [here / name for name in files]
        if len(found) > MAX_COPY_FILES:
            raise _TooLarge
    return sorted(found)


def _inside_target(link: Path, entry: Path) -> Path | None:
    """What ``link`` points to when that is inside ``entry`` (even in a folder the copy
    leaves out: the copy follows the link), else None."""
    try:
        target = link.resolve()
    except (OSError, RuntimeError):  # a loop of links: the copy takes nothing
        return None
    return target if target.is_relative_to(entry.resolve()) else None


def _hash_file(digest, path: Path, name: bytes, limit: int) -> int:
    """Add a regular file's name, size and content to ``digest``, a block at a time, and
    return its size; raise :class:`_TooLarge`, reading nothing, when it is over ``limit``.
    Anything else (a pipe, a device) is left out, as the copy leaves it out."""
    if not stat.S_ISREG(path.lstat().st_mode):
        return 0
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as reading:
        info = os.fstat(reading.fileno())
        if not stat.S_ISREG(info.st_mode):  # swapped for something else meanwhile
            return 0
        if info.st_size > limit:
            raise _TooLarge
        digest.update(len(name).to_bytes(8, "big") + name)
        digest.update(info.st_size.to_bytes(8, "big"))
        left = info.st_size  # never more than its size, even if it grows meanwhile
        while left and (block := reading.read(min(BLOCK, left))):
            digest.update(block)
            left -= len(block)
    return info.st_size


def suite_digest(lab: Lab) -> str:
    """SHA-256 of what grades a lab: its suite, the support module every suite may use, and
    the lab's data folder. A changed check makes every earlier grade stale."""
    files = [lab.suite, SUPPORT]
    if lab.data_dir.is_dir():
        files += sorted(path for path in lab.data_dir.rglob("*") if path.is_file())
    digest = hashlib.sha256()
    for path in files:
        name, content = path.name.encode(), path.read_bytes()
        digest.update(len(name).to_bytes(8, "big") + name)
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()
