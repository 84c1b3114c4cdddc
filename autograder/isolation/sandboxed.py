"""Sandboxed isolation (secure mode): the student's code runs in sandbox processes.

The grading child (the *harness*) never imports the submission: the app is a stand-in that
forwards every request to the student's app in a sandbox, probes run in fresh sandboxes, and
the student's own tests run in one too. How sandboxes are made and confined is the business
of :mod:`autograder.sandbox`; this class is the only way the engine reaches it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from types import ModuleType
from typing import Any

from autograder import sandbox
from autograder import submission as submission_loader
from autograder.isolation.base import Isolation
from autograder.isolation.errors import SandboxError

NOT_BESIDE_THE_CHECKS = (
    "in secure mode the student's modules are never imported beside the checks: this check "
    "must look inside them with a probe (autograder.isolation.call)"
)


class Sandboxed(Isolation):
    """The student's code runs in sandboxes, as another user, in namespaces of its own."""

    name = "sandboxed"
    fresh_processes = True

    # ------------------------------------------------------------ the warm grader

    def prepare(self, preload: tuple[str, ...], suite_module: str) -> tuple[str, ...]:
        # Refuses (SecureModeUnavailable) where the student's code cannot really run as
        # another user; the launcher imports what sandboxes need, the suite's probes too.
        sandbox.clean_up_stale()
        sandbox.prepare((*preload, *sandbox.PRELOAD, suite_module))
        return sandbox.PRELOAD

    def start_method(self) -> str:
        return "fork"  # sandboxes need Linux, where fork always exists

    def before_child(self) -> None:
        sandbox.prepare()  # a launcher that died is replaced

    def after_child(self, pid: int) -> None:
        sandbox.clean_up_after(pid)

    def shut_down(self) -> None:
        sandbox.shut_down()  # every sandbox is gone with the launcher

    # ------------------------------------------------------------ the grading child

    def enter_child(self) -> None:
        from autograder.sandbox import confine

        confine.die_with_parent()

    def open(
        self, folder: Path, *, memory_mb: int, start_timeout: float, import_timeout: float
    ) -> str | None:
        self.folder = sandbox.enable(folder, memory_mb=memory_mb, timeout=start_timeout)
        self.notes = sandbox.copy_notes()
        try:
            entry = submission_loader.entrypoint(folder)
        except submission_loader.SubmissionError as error:
            return str(error)
        started = time.monotonic()
        problem = sandbox.import_problem(import_timeout, entry.file)
        # Timed here, not read from the problem's words (the student's own error can say
        # anything): an import that failed only once its whole time had gone timed out.
        self.import_timed_out = bool(problem) and time.monotonic() - started >= import_timeout
        return problem

    def pytest_arguments(self) -> list[str]:
        return ["--basetemp", str(sandbox.harness_temporary_folder())]

    # ------------------------------------------------------------ what suites use

    def module(self, folder: Path) -> ModuleType:
        raise SandboxError(NOT_BESIDE_THE_CHECKS)

    def app(self, folder: Path, *, reload: bool = False) -> Any:
        return sandbox.SandboxedApp()

    def fresh_app(
        self, app: Any, reimport: Callable[[], AbstractContextManager[Any]]
    ) -> AbstractContextManager[Any]:
        return nullcontext(app)  # every start of a sandboxed app is a new process

    def call(self, probe: Callable[..., Any], *args, timeout: float | None = None, **kwargs):
        from autograder.sandbox import probe as probes

        return probes.call(probe, *args, timeout=timeout, **kwargs)

    def override(self, app: Any, dependency: str, replacement: Callable[..., Any]) -> None:
        app.overrides[dependency] = replacement  # applied in the sandbox when the app starts

    def clear_overrides(self, app: Any) -> None:
        app.overrides.clear()

    @contextmanager
    def serve(
        self, app: Any, *, start_timeout: float = 10.0, keep_serving: bool = False
    ) -> Iterator[str]:
        from autograder.live import free_port

        server = sandbox.SandboxServer(port=free_port())
        server.start()
        keeper = sandbox.KeepServing(server) if keep_serving else None
        try:
            yield server.base_url
        finally:
            if keeper is not None:
                keeper.stop()
            server.stop()

    @contextmanager
    def serve_privately(self, app: Any, *, start_timeout: float = 10.0) -> Iterator[int | str]:
        server = sandbox.SandboxServer(port=None, start_timeout=start_timeout)
        server.start()
        try:
            yield str(server.socket_path)
        finally:
            server.stop()

    def before_check(self) -> None:
        sandbox.KeepServing.ensure_all()  # an app a check's route ended serves again

    def mirror_submission(
        self,
        source: Path,
        workdir: Path,
        extra: Mapping[str, Path] = {},  # noqa: B006 - never changed
    ) -> None:
        for name, folder in extra.items():
            sandbox.copy_into_submission(folder, name)

    def writable_by_app(self, folder: Path) -> Path:
        sandbox.hand_over(folder, sandbox.policy().uid)  # a link itself, never its target
        return folder

    # ------------------------------------------------------------ processes of student code

    def share(self, folder: Path, environment: Mapping[str, str]) -> None:
        sandbox.share_with_sandbox(folder)
        for value in environment.values():
            if Path(value).is_absolute() and Path(value).exists():
                sandbox.share_with_sandbox(Path(value).parent)
        sandbox.hand_over(folder, sandbox.policy().uid)

    def spawn(
        self,
        target: Callable[..., None],
        arguments: tuple,
        fds: list[int],
        *,
        writable: Path | None = None,
    ) -> int:
        # The sandbox launcher forks it (the launcher never has threads to copy).
        return sandbox.spawn(target, arguments, fds, writable=writable)
