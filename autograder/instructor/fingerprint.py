"""Fingerprints that tell whether a grade is still true: the submission's and the suite's.

A grade stays valid only while both the files it graded and the checks that graded them are
the same. Each fingerprint is a SHA-256 over relative paths and contents, so a renamed, added,
removed or edited file changes it, and a copy of the same files anywhere else does not.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from autograder.course import SUITES, Lab

SUPPORT = SUITES / "support.py"

# What tools write beside the code while it runs or is edited: never part of the work.
NOT_WORK = {
    ".git",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".ipynb_checkpoints",
    ".venv",
    "__MACOSX",
}


def submission_digest(entry: Path) -> str:
    """SHA-256 of everything a student handed in under ``entry`` (caches left out)."""
    digest = hashlib.sha256()
    for path in sorted(entry.rglob("*")):
        relative = path.relative_to(entry)
        if NOT_WORK.intersection(relative.parts) or path.suffix == ".pyc":
            continue
        if path.is_symlink():
            content = b"link:" + os.fsencode(path.readlink())
        elif path.is_file():
            content = path.read_bytes()
        else:
            continue
        name = os.fsencode(relative.as_posix())  # a name's own bytes, UTF-8 or not
        digest.update(len(name).to_bytes(8, "big") + name)
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()


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
