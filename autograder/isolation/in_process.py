"""In-process isolation: the student's code runs in the grading child, beside the checks.

This is what a student gets with ``just lab N``: the grading child (a fork of the warm
grader, see :mod:`autograder.runner`) imports the submission and the checks call its app
directly, through a TestClient. The child is the isolation: whatever the code does, the
grader's own process is untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from types import ModuleType
from typing import Any

from autograder import processes
from autograder import submission as submission_loader
from autograder.isolation import fork_server
from autograder.isolation.base import Isolation
from autograder.isolation.errors import SandboxError

COPY_IGNORED = shutil.ignore_patterns("__pycache__", ".venv", ".git", "node_modules")


class InProcess(Isolation):
    """The student's code runs in this process (the grading child)."""

    name = "in-process"
    # Forks the processes the checks start (see fork_server); made when a grading opens.
    fork_server: fork_server.ForkServer | None = None
    fork_server_owner = 0
    # pytest's temporary folders (tmp_path) of the grading under way: made before the child
    # starts and removed once it has ended, whatever the child did. Left to pytest, every
    # grading kept its folder, and the student's copies in it, under /tmp/pytest-of-USER
    # (its lock file was too recent to let a later run remove it), and every grading
    # listed all the folders of the earlier ones: 12 000 of them cost 0.3 s a grading.
    temporary: str | None = None

    def prepare(self, preload: tuple[str, ...], suite_module: str) -> tuple[str, ...]:
        from autograder.run_cache import RunCache

        # The student's tests run on the same files are not run again (labs 06 and 08): a
        # re-grade after an edit of the service pays only for what changed.
        self.test_runs = RunCache.in_temporary_folder()
        return ()

    def before_child(self) -> None:
        self.temporary = tempfile.mkdtemp(prefix="autograder-grading-")

    def after_child(self, pid: int) -> None:
        if self.temporary is not None:
            shutil.rmtree(self.temporary, ignore_errors=True)
            self.temporary = None

    def shut_down(self) -> None:
        if self.test_runs is not None:
            self.test_runs.remove()
            self.test_runs = None

    def open(
        self, folder: Path, *, memory_mb: int, start_timeout: float, import_timeout: float
    ) -> str | None:
        self.folder = Path(folder)
        # Before any student code runs (and starts threads): later processes fork from it.
        self.fork_server = fork_server.start()
        self.fork_server_owner = os.getpid()
        try:
            submission_loader.load(self.folder)
        except submission_loader.SubmissionError as error:
            return str(error)
        return None

    def pytest_arguments(self) -> list[str]:
        if self.temporary is None:  # a child started without before_child (never in a grading)
            return []
        return ["--basetemp", str(Path(self.temporary) / "pytest")]

    def module(self, folder: Path) -> ModuleType:
        return submission_loader.load(folder)

    def app(self, folder: Path, *, reload: bool = False) -> Any:
        return submission_loader.app_of(submission_loader.load(folder, reload=reload))

    def fresh_app(
        self, app: Any, reimport: Callable[[], AbstractContextManager[Any]]
    ) -> AbstractContextManager[Any]:
        return reimport()

    def call(self, probe: Callable[..., Any], *args, timeout: float | None = None, **kwargs):
        try:
            return json.loads(json.dumps(probe(*args, **kwargs), default=str))
        except SandboxError:
            raise
        except Exception as error:
            raise SandboxError(submission_loader.describe_error(error)) from error

    def override(self, app: Any, dependency: str, replacement: Callable[..., Any]) -> None:
        original = submission_loader.find_dependency(app, dependency)
        if original is None:
            raise SandboxError(f"the app has no dependency {dependency}() to override")
        app.dependency_overrides[original] = replacement

    def clear_overrides(self, app: Any) -> None:
        app.dependency_overrides.clear()

    def serve(
        self, app: Any, *, start_timeout: float = 10.0, keep_serving: bool = False
    ) -> AbstractContextManager[str]:
        from autograder.live import serve_in_thread

        return serve_in_thread(app, start_timeout=start_timeout)

    def mirror_submission(
        self,
        source: Path,
        workdir: Path,
        extra: Mapping[str, Path] = {},  # noqa: B006 - never changed
    ) -> None:
        shutil.copytree(source, workdir, symlinks=True, ignore=COPY_IGNORED, dirs_exist_ok=True)
        for name, folder in extra.items():
            shutil.copytree(folder, workdir / name, dirs_exist_ok=True)

    def spawn(
        self,
        target: Callable[..., None],
        arguments: tuple,
        fds: list[int],
        *,
        writable: Path | None = None,  # not enforced: normal mode trusts the student's code
    ) -> int:
        if self.fork_server is not None and self.fork_server_owner == os.getpid():
            return self.fork_server.spawn(target, arguments, fds)
        pid = processes.fork_with_retries()
        if pid == 0:  # pragma: no cover - runs in the new process
            try:
                os.setpgid(0, 0)
                # Only the given pipes stay open: student code cannot write to the grader's.
                processes.keep_only_descriptors(fds)
                processes.silence_output()
                target(fds, *arguments)
            finally:
                os._exit(0)
        return pid
