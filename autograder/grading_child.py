"""The grading child: a fork of the warm grader that imports one submission and runs the suite.

It never returns into the grader's code: it reports on its own pipe (:mod:`autograder.events`)
and ends with ``os._exit``. Its standard streams go to /dev/null, its address space is
capped, and a stack dump of every thread goes to a file the parent reads when the child
hangs or crashes (:class:`autograder.processes.Child`).

Where fork is not the start method (``AUTOGRADER_START=spawn``, what a system without fork
gets), the child is a fresh interpreter instead (:func:`start_fresh`): it imports what the
warm grader would have, then runs the same code.
"""

from __future__ import annotations

import base64
import contextlib
import os
import pickle
import sys
from pathlib import Path

import pytest

from autograder import processes, pytest_run
from autograder.channel import Channel
from autograder.isolation import Isolation, activate
from autograder.limits import Limits


class ModuleReport:
    """Tells the parent, before each result, which installed library modules the child
    imported since its last report (files of the submission are never included), so that
    the warm grader imports them before its next fork."""

    def __init__(self, channel: Channel, folder: Path) -> None:
        self.channel = channel
        self.folder = folder
        self.known = set(sys.modules)
        import autograder

        places = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        places.add(os.path.dirname(os.path.abspath(autograder.__file__)))
        self.places = tuple(os.path.join(os.path.abspath(place), "") for place in places)

    def _library(self, name: str) -> bool:
        from autograder.submission import _inside

        file = getattr(sys.modules.get(name), "__file__", None)
        if not isinstance(file, str) or name == "__main__":
            return False
        path = os.path.abspath(file)
        return path.startswith(self.places) and _inside(path, self.folder) is None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logfinish(self) -> None:
        new = set(sys.modules) - self.known
        if new:
            self.known |= new
            names = sorted(name for name in new if self._library(name))
            if names:
                self.channel.send("modules", names=names)


def run_child(
    fd: int,
    dump_fd: int,
    suite: Path,
    folder: Path,
    deselect: list[str],
    limits: Limits,
    isolation: Isolation,
):  # pragma: no cover - runs in the child
    """Import the submission and run the suite, reporting events on ``fd``. Never returns."""
    import faulthandler

    channel = Channel(fd)
    try:
        report = ModuleReport(channel, folder)
        os.setsid()
        isolation.enter_child()
        processes.silence_output()
        # Crashes and timeouts: the parent reads where the code was from this dump.
        faulthandler.enable(file=dump_fd, all_threads=True)
        faulthandler.register(processes.DUMP_SIGNAL, file=dump_fd, all_threads=True)
        processes.cap_memory(limits.memory_mb)
        processes.one_thread_per_library()
        processes.grading_time_zone()
        os.chdir(folder)
        pytest_run.fresh_warnings(strict=limits.strict_warnings)
        from autograder import live, stages

        live.WAIT_FOR_STOP = False  # this process is killed once its last result is in
        stages.sink = channel.send
        stages.start_timeout = limits.start_timeout
        stages.request_timeout = limits.start_timeout
        activate(isolation)
        problem = isolation.open(
            folder,
            memory_mb=limits.memory_mb,
            start_timeout=limits.start_timeout,
            import_timeout=limits.import_timeout,
        )
        for note in isolation.notes:
            channel.send("note", message=note)
        if problem:
            channel.send("import_error", message=problem, timed_out=isolation.import_timed_out)
            os._exit(0)
        channel.send("imported")
        args = pytest_run.suite_arguments(
            suite,
            isolation.folder or folder,
            deselect=deselect,
            strict_warnings=limits.strict_warnings,
            extra=isolation.pytest_arguments(),
        )
        code = pytest_run.run_suite(args, [channel, report])
        channel.send("finished", exit_code=int(code))
    except BaseException as error:  # noqa: BLE001
        with contextlib.suppress(BaseException):
            channel.send("crash", message=f"the grader failed: {type(error).__name__}: {error}")
    finally:
        os._exit(0)


# ---------------------------------------------------------------- a fresh interpreter instead

FRESH_CHILD = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from autograder.grading_child import run_fresh; run_fresh(sys.argv[2])"
)


def start_fresh(
    fd: int,
    dump_fd: int,
    suite: Path,
    folder: Path,
    deselect: list[str],
    limits: Limits,
    isolation: Isolation,
    preload: tuple[str, ...],
) -> int:
    """Start a grading child as a fresh interpreter (no fork); its pid. What the forked
    child would inherit travels with it: the pipe, the dump file, the grading's state."""
    from autograder import stages
    from autograder.course import ROOT

    state = {
        "start_up_problem": stages.start_up_problem,
        "requests_hung": stages.requests_hung,
        "slowest_request": stages.slowest_request,
    }
    request = (fd, dump_fd, suite, folder, deselect, limits, isolation, preload, state)
    encoded = base64.b64encode(pickle.dumps(request)).decode()
    return processes.spawn_python(FRESH_CHILD, [str(ROOT), encoded], [fd, dump_fd])


def run_fresh(encoded: str) -> None:  # pragma: no cover - runs in the fresh child
    """In a fresh interpreter: import what the warm grader would have, then grade."""
    fd, dump_fd, suite, folder, deselect, limits, isolation, preload, state = pickle.loads(
        base64.b64decode(encoded)
    )
    try:
        from autograder import stages
        from autograder.runner import preload as import_modules

        import_modules(preload)
        stages.start_up_problem = state["start_up_problem"]
        stages.requests_hung = state["requests_hung"]
        stages.slowest_request = state["slowest_request"]
    finally:
        run_child(fd, dump_fd, suite, folder, deselect, limits, isolation)
