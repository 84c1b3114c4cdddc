"""The course as committed: what releases and Gradescope zips are built from.

Whatever sits in the working tree (a lab solved in ``labs/``, a gradebook, an untracked
note, a trained model) is not part of the course until it is committed. This module reads
a commit with ``git archive`` and tells whether the working tree differs from it.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from autograder.course import ROOT


class GitError(Exception):
    """The course folder is not a git checkout, or the commit cannot be read."""


def _git(root: Path, *args: str) -> bytes:
    try:
        completed = subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    except OSError as error:
        raise GitError(f"git is needed to read the committed course: {error}") from None
    if completed.returncode != 0:
        message = completed.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else 'no message'}")
    return completed.stdout


@dataclass(frozen=True)
class CommittedFile:
    """One file of a commit: its content and whether it is executable."""

    data: bytes
    executable: bool = False


def committed_files(root: Path = ROOT, ref: str = "HEAD") -> dict[str, CommittedFile]:
    """Every file of commit ``ref``: path inside the course -> content (one ``git archive``)."""
    archive = _git(root, "archive", "--format=tar", ref)
    files = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue  # folders; symbolic links are never part of the course
            handle = tar.extractfile(member)
            files[member.name] = CommittedFile(handle.read(), bool(member.mode & 0o100))
    return files


def commit_of(root: Path = ROOT, ref: str = "HEAD") -> str:
    """The full hash of ``ref``."""
    return _git(root, "rev-parse", "--verify", f"{ref}^{{commit}}").decode().strip()


def uncommitted(root: Path = ROOT) -> list[str]:
    """Changed, staged and untracked (not ignored) files: ``git status --porcelain``."""
    return _git(root, "status", "--porcelain").decode().splitlines()


def write_tree(files: dict[str, CommittedFile], destination: Path) -> None:
    """Write ``files`` under ``destination``, keeping the executable bit."""
    for name, file in files.items():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.data)
        target.chmod(0o755 if file.executable else 0o644)
