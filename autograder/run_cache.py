"""Runs of a student's tests, remembered between gradings by the files they ran on.

Labs 06 and 08 grade the tests a student wrote by running them against several
implementations of the service (:mod:`autograder.implementations`): seconds of every
grading. A re-grade after an edit of ``main.py`` (watch mode), or the next submission of a
batch whose tests are the same, would run the same tests on the same services again. A
:class:`RunCache` keeps each finished run in a folder of the warm grader, keyed on the content
of the tests, the content of the service they ran against and the run's settings, so the same
files are never run twice by one grader.

Only runs whose outcome the files decide are kept (passed, failed, no tests): a run that
timed out, crashed or could not start may do better on a quieter machine. In secure mode
nothing is kept (:attr:`autograder.isolation.Isolation.test_runs` is None there): the
student's code could change the files while they are read, and the runs of one student must
never answer for another's.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from autograder.student_test_results import (
    FAILED,
    NO_TESTS,
    PASSED,
    TESTS_FOLDER,
    TestOutcome,
    TestRun,
)

KEPT_STATUSES = (PASSED, FAILED, NO_TESTS)
SKIPPED_NAMES = {"__pycache__", ".pytest_cache"}
MAX_BYTES = 32 * 1024 * 1024  # folders larger than this are run every time, never hashed


class RunCache:
    """Finished runs in ``folder``, one JSON file per key."""

    @classmethod
    def in_temporary_folder(cls) -> RunCache:
        """A cache in a new folder only this user can read, made when the first run is
        kept (a grader killed before that leaves nothing behind), removed by :meth:`remove`
        or when this process exits (never by a child that inherited it)."""
        name = f"autograder-test-runs-{os.getpid()}-{secrets.token_hex(8)}"
        cache = cls(Path(tempfile.gettempdir(), name), made=False)
        atexit.register(cache.remove, owner=os.getpid())
        return cache

    def __init__(self, folder: Path, *, made: bool = True) -> None:
        self.folder = Path(folder)
        self.made = made

    def remove(self, owner: int | None = None) -> None:
        if owner is None or owner == os.getpid():
            shutil.rmtree(self.folder, ignore_errors=True)

    def _make_folder(self) -> bool:
        """Make the folder (only this user may enter it); True when it is this user's own
        folder, made now or by an earlier grading."""
        with contextlib.suppress(FileExistsError):
            os.mkdir(self.folder, 0o700)
        try:
            info = os.lstat(self.folder)
        except OSError:
            return False
        return (
            stat.S_ISDIR(info.st_mode)
            and info.st_uid == os.getuid()
            and stat.S_IMODE(info.st_mode) == 0o700
        )

    def key(
        self,
        tests: Path,
        service: Path,
        environment: Mapping[str, str],
        settings: Mapping[str, object],
    ) -> str | None:
        """The key of a run of ``tests`` against ``service`` (its ``tests`` folder left out)
        with ``environment`` and ``settings``; None when something cannot be hashed (a folder
        too large, a link, a pipe...).

        An environment value naming a file (the grader's model) stands for the content of
        the file's folder (the model and its metadata beside it), not for its path: each
        grading writes it to a new temporary folder.
        """
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
        folders = [("tests", Path(tests), ()), ("service", Path(service), (TESTS_FOLDER,))]
        for name, value in sorted(environment.items()):
            if os.path.isabs(value) and os.path.isfile(value):
                folders.append((f"env {name}", Path(value).parent, ()))
                value = Path(value).name
            digest.update(f"\0env\0{name}\0{value}".encode())
        for label, folder, left_out in folders:
            digest.update(f"\0{label}\0".encode())
            if not _hash_folder(folder, digest, left_out):
                return None
        return digest.hexdigest()

    def get(self, key: str, implementation: str) -> TestRun | None:
        """The run kept under ``key`` (named after ``implementation``), or None."""
        try:
            data = json.loads((self.folder / f"{key}.json").read_text())
            tests = [TestOutcome(**test) for test in data.pop("tests")]
            return dataclasses.replace(TestRun(**data, tests=tests), implementation=implementation)
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def put(self, key: str, run: TestRun) -> None:
        """Keep ``run`` under ``key`` when its outcome depends on the files alone."""
        if run.status not in KEPT_STATUSES:
            return
        if not self.made and not self._make_folder():
            return
        with contextlib.suppress(OSError):
            temporary = self.folder / f"{key}.{os.getpid()}.tmp"
            temporary.write_text(json.dumps(dataclasses.asdict(run)))
            os.replace(temporary, self.folder / f"{key}.json")


def _hash_folder(folder: Path, digest, left_out: tuple[str, ...] = ()) -> bool:
    """Add every file under ``folder`` (names and contents; not the top-level folders named
    in ``left_out``) to ``digest``; False when the folder is too large or holds anything but
    folders and regular files (a link could lead to content that changes unseen)."""
    total = 0
    for root, directories, files in os.walk(folder):
        skipped = SKIPPED_NAMES | (set(left_out) if Path(root) == folder else set())
        directories[:] = sorted(name for name in directories if name not in skipped)
        for name in directories:
            if os.path.islink(os.path.join(root, name)):
                return False
        for name in sorted(files):
            if name.endswith(".pyc"):
                continue
            path = Path(root, name)
            try:
                info = os.lstat(path)
                if not stat.S_ISREG(info.st_mode):
                    return False
                total += info.st_size
                if total > MAX_BYTES:
                    return False
                relative = path.relative_to(folder).as_posix()
                digest.update(f"\0file\0{relative}\0{info.st_size}\0".encode())
                digest.update(path.read_bytes())
            except OSError:
                return False
    return True
