"""A fresh clone of the course for the instructor tools' tests: a git repository of its own.

It holds what the course folder would commit (tracked files and new files git does not
ignore), in one commit, so a test can dirty it and check what a tool takes from it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from autograder.course import ROOT

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Course",
    "GIT_AUTHOR_EMAIL": "course@example.org",
    "GIT_COMMITTER_NAME": "Course",
    "GIT_COMMITTER_EMAIL": "course@example.org",
}


def git(folder: Path, *args: str) -> str:
    environment = {**os.environ, **GIT_IDENTITY}
    completed = subprocess.run(
        ["git", *args], cwd=folder, env=environment, capture_output=True, text=True, check=True
    )
    return completed.stdout


def course_clone(destination: Path) -> Path:
    """A one-commit git repository holding the course as it would be committed now."""
    names = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    for name in sorted(set(names)):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(destination, "init", "--quiet", "--initial-branch=main")
    git(destination, "add", "--all")
    git(destination, "commit", "--quiet", "--message", "the course")
    return destination
