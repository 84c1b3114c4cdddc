"""What every isolation mode offers: the one interface the engine and the suites use.

An *isolation* decides where the student's code runs during one grading. It is chosen once,
when the grading starts (:func:`autograder.isolation.choose`), and everything after that
(the warm grader, its grading child, the pytest plugin, the suites, the runs of the
student's own tests) calls the same methods, whatever the mode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograder.run_cache import RunCache


class Isolation:
    """Where the student's code runs. Subclasses: ``InProcess`` and ``Sandboxed``."""

    name = "abstract"
    # True where every process of student code starts from one that never imported a
    # submission or a service (a sandbox, forked from the launcher): such a process has no
    # modules to forget, and is never told where the other services are.
    fresh_processes = False

    def __init__(self) -> None:
        self.folder: Path | None = None  # the folder being graded, once opened
        self.notes: list[str] = []  # what opening the submission has to tell the student
        # Set by open() when the import it reports as a problem ran past its time limit.
        self.import_timed_out = False
        # Runs of a student's tests kept between gradings by the files they ran on (see
        # autograder.run_cache); None where a run must never answer for another grading.
        self.test_runs: RunCache | None = None

    # ------------------------------------------------------------ the warm grader

    def prepare(self, preload: tuple[str, ...], suite_module: str) -> tuple[str, ...]:
        """In the warm grader, once: get ready to grade (or refuse with
        :class:`SecureModeUnavailable`). ``preload`` is what the grader imports, and
        ``suite_module`` the suite's module. Returns the modules this mode needs imported in
        the grader as well."""
        return ()

    def start_method(self) -> str:
        """How grading children start (see :func:`autograder.processes.start_method`)."""
        from autograder import processes

        return processes.start_method()

    def before_child(self) -> None:
        """In the warm grader, before each grading child is started."""

    def after_child(self, pid: int) -> None:
        """In the warm grader, once the grading child ``pid`` has ended: clean up after it."""

    def shut_down(self) -> None:
        """In the warm grader, when no more grading will happen."""

    # ------------------------------------------------------------ the grading child

    def enter_child(self) -> None:
        """First thing in a new grading child (its own session is made already)."""

    def open(
        self, folder: Path, *, memory_mb: int, start_timeout: float, import_timeout: float
    ) -> str | None:
        """In the grading child: import the submission in ``folder`` where this mode runs
        student code. Returns why it did not import, or None; :attr:`folder` is then the
        folder the checks grade, :attr:`notes` what the student should know about it, and
        :attr:`import_timed_out` whether the import was stopped at its time limit."""
        raise NotImplementedError

    def pytest_arguments(self) -> list[str]:
        """Extra arguments for the suite's pytest run in the grading child."""
        return []

    # ------------------------------------------------------------ what suites use

    def module(self, folder: Path) -> ModuleType:
        """The imported ``main`` module of ``folder``, beside the checks. Raises
        ``SubmissionError`` (it does not import) or :class:`SandboxError` (not available in
        this mode: a check must use a probe, :meth:`call`)."""
        raise NotImplementedError

    def app(self, folder: Path, *, reload: bool = False) -> Any:
        """The app of the submission in ``folder`` the checks send requests to (an ASGI
        app). ``reload``: import the submission again first (after the checks changed the
        environment). Raises ``SubmissionError`` when it does not import."""
        raise NotImplementedError

    def fresh_app(
        self, app: Any, reimport: Callable[[], AbstractContextManager[Any]]
    ) -> AbstractContextManager[Any]:
        """The app to start as a new process would see it. ``reimport`` is a context manager
        factory that imports the submission afresh and yields its app; a mode where every
        start is already a new process yields ``app`` itself."""
        raise NotImplementedError

    def call(self, probe: Callable[..., Any], *args, timeout: float | None = None, **kwargs):
        """Run ``probe(*args, **kwargs)`` (a module-level function of a suite) where the
        student's modules can be imported; its result comes back as JSON data. An error there
        becomes a :class:`SandboxError` with a one-line message."""
        raise NotImplementedError

    def override(self, app: Any, dependency: str, replacement: Callable[..., Any]) -> None:
        """Replace the student's dependency called ``dependency`` (on ``main`` or wherever a
        route uses it) with ``replacement``, a module-level function of the suite. Raises
        :class:`SandboxError` when the submission has none."""
        raise NotImplementedError

    def clear_overrides(self, app: Any) -> None:
        """Undo :meth:`override`."""
        raise NotImplementedError

    def serve(
        self, app: Any, *, start_timeout: float = 10.0, keep_serving: bool = False
    ) -> AbstractContextManager[str]:
        """Serve ``app`` on a free loopback port while the block runs; yields its base URL.
        ``keep_serving``: an app whose process ends is started again before the next check.
        A start that fails raises ``RuntimeError`` or :class:`SandboxError`."""
        raise NotImplementedError

    @contextmanager
    def serve_privately(self, app: Any, *, start_timeout: float = 10.0) -> Iterator[int | str]:
        """Serve ``app`` where only the grader can connect while the block runs; yields what
        :class:`~autograder.request_counter.RequestCounter` relays to: a loopback port, or
        (where the student's code runs apart and could reach a loopback port past the relay)
        the path of a Unix socket in a folder of the grader's."""
        from urllib.parse import urlsplit

        with self.serve(app, start_timeout=start_timeout) as base_url:
            yield urlsplit(base_url).port

    def before_check(self) -> None:
        """Before each check: whatever must be ready (an app a check ended serves again)."""

    def mirror_submission(
        self,
        source: Path,
        workdir: Path,
        extra: Mapping[str, Path] = {},  # noqa: B006 - never changed
    ) -> None:
        """Prepare the folder the app starts in: the submission ``source`` and the ``extra``
        folders (name -> the grader's folder). Beside the checks that folder is ``workdir``
        (the caller works there); a mode that runs the app in a copy of its own adds
        ``extra`` to that copy."""
        raise NotImplementedError

    def writable_by_app(self, folder: Path) -> Path:
        """Let the student's code write in ``folder`` (a database file, say)."""
        return folder

    # ------------------------------------------------------------ processes of student code

    def share(self, folder: Path, environment: Mapping[str, str]) -> None:
        """Let a process of student code use ``folder`` and the files ``environment`` names."""

    def spawn(
        self,
        target: Callable[..., None],
        arguments: tuple,
        fds: list[int],
        *,
        writable: Path | None = None,
    ) -> int:
        """Start ``target(fds, *arguments)`` in a process of its own (a new process group,
        only ``fds`` kept open, output silenced) where student code may run; its pid.
        ``target`` never returns (it ends its process with ``os._exit``). ``writable``: the
        only folder it may write in, where a mode can enforce it (a sandbox)."""
        raise NotImplementedError
