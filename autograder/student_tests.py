"""Running a student's own tests against several implementations of a service (lab 06).

In lab 06 the student writes the tests. A suite grades them by running them against correct
implementations ("wheats": they must pass) and against buggy ones ("chaffs": each one they
fail is a bug caught). The implementations are the reference service with a few exact text
edits written in (:mod:`autograder.variants`), listed in a TOML file::

    [[implementation]]
    name = "batch-limit-off-by-one"
    correct = false
    description = "refuses a batch of exactly 100 flowers"
    [[implementation.edit]]
    file = "schemas.py"
    replace = "max_length=MAX_BATCH_SIZE)"
    with = "max_length=MAX_BATCH_SIZE - 1)"

One run (:func:`run_tests`) copies the student's ``tests/`` folder into a built
implementation and runs pytest there, with the implementation's own ``pytest.ini``, under a
timeout. It runs in a process of its own, so a test that hangs, exits or crashes costs only
that run. Two ways to start that process:

* ``fork`` (the default): a fork of the already-warm grading process runs ``pytest.main``,
  after forgetting every module imported from another implementation or from the submission.
  FastAPI, scikit-learn and pytest are already imported, so a run costs what the tests cost.
* ``subprocess``: a fresh ``python -m pytest``; it pays the imports again on every run.

Measured on lab 06's reference tests (39 tests, 2 cores, no plugin auto-loading): a forked
run costs about 0.9 s of CPU, a subprocess 2.1 s with bytecode caches and 3.5 s without, so a
grading (13 runs) costs about 12 s of CPU instead of 27 to 46 s. :class:`Bench` also runs
two at a time.

Either way the process reports each test's outcome on a pipe, one JSON object per line, so
a run that is killed still says which test was running. In secure mode
(:mod:`autograder.sandbox`) a forked run becomes a sandbox process before it imports any of
the student's code: its own session, the sandbox's limits and user, only the report pipe
left open.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.course import ROOT
from autograder.variants import build_variant

TESTS_FOLDER = "tests"
REPORT_FD_VARIABLE = "AUTOGRADER_STUDENT_TESTS_FD"
AUTOLOAD_VARIABLE = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
MAX_MESSAGE_CHARS = 400
MAX_EVENT_BYTES = 8_000
MAX_FD = 65536
IGNORED = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc")

PASSED, FAILED, TIMEOUT, CRASHED, NO_TESTS, ERROR = (
    "passed",
    "failed",
    "timeout",
    "crashed",
    "no tests",
    "error",
)


# ---------------------------------------------------------------- implementations


@dataclass(frozen=True)
class Implementation:
    """One service the student's tests run against: the reference with a few edits."""

    name: str
    correct: bool
    description: str  # what is different about it, in plain words (shown to students)
    edits: tuple[Mapping[str, str], ...] = ()


def load_implementations(path: Path) -> list[Implementation]:
    """Read the ``[[implementation]]`` entries of a TOML file, in order."""
    data = tomllib.loads(Path(path).read_text())
    found = []
    for entry in data.get("implementation", []):
        found.append(
            Implementation(
                name=entry["name"],
                correct=bool(entry["correct"]),
                description=entry["description"],
                edits=tuple(entry.get("edit", ())),
            )
        )
    names = [item.name for item in found]
    if len(names) != len(set(names)):
        raise ValueError(f"{path}: implementation names must be unique, got {names}")
    return found


def copy_service(source: Path, destination: Path, *, exclude: Iterable[str] = ()) -> Path:
    """Copy a lab folder without its tests (and ``exclude``), solution markers removed.

    The result is the pristine reference every implementation is built from.
    """
    from autograder.sync import strip_markers

    skipped = {TESTS_FOLDER, "models", "__pycache__", ".pytest_cache", *exclude}
    destination.mkdir(parents=True, exist_ok=True)
    for path in sorted(Path(source).iterdir()):
        if path.name in skipped or path.suffix == ".pyc":
            continue
        target = destination / path.name
        if path.is_dir():
            shutil.copytree(path, target, ignore=IGNORED)
        elif path.suffix == ".py":
            target.write_text(strip_markers(path.read_text()))
        else:
            shutil.copy2(path, target)
    return destination


# ---------------------------------------------------------------- one run's results


@dataclass
class TestOutcome:
    """One of the student's tests on one implementation."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    nodeid: str
    outcome: str  # passed, failed, error, skipped
    message: str = ""


@dataclass
class TestRun:
    """The student's tests run once against one implementation."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    implementation: str
    status: str = CRASHED
    message: str = ""  # why the run did not pass, in a few plain lines
    tests: list[TestOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """Every test passed or was skipped, and at least one test passed."""
        return self.status == PASSED

    def count(self, outcome: str) -> int:
        return sum(1 for test in self.tests if test.outcome == outcome)

    def summary(self) -> str:
        counts = ", ".join(
            f"{self.count(outcome)} {outcome}"
            for outcome in ("passed", "failed", "error", "skipped")
            if self.count(outcome)
        )
        return counts or "no test ran"


# ---------------------------------------------------------------- the reporter (in the run)


def _short(text: str) -> str:
    lines = [line.rstrip() for line in str(text).strip().splitlines() if line.strip()]
    shown = "\n".join(lines[:4])
    if len(shown) > MAX_MESSAGE_CHARS:
        shown = shown[:MAX_MESSAGE_CHARS] + "..."
    return shown


def _report_message(report) -> str:
    """The few lines of a pytest report a student needs: the error, not the traceback."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        return _short(longrepr[2])
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", ""):
        return _short(crash.message)
    text = str(longrepr).strip().splitlines()
    errors = [line[1:].strip() for line in text if line.startswith("E ")]
    return _short("\n".join(errors) if errors else "\n".join(text[-4:]))


class Reporter:
    """A pytest plugin that writes each test's outcome on a pipe, one JSON object a line."""

    def __init__(self, fd: int, *, exit_when_finished: bool = False) -> None:
        self.fd = fd
        self.exit_when_finished = exit_when_finished
        self.phases: dict[str, list] = {}

    def send(self, event: str, **fields) -> None:
        line = json.dumps({"event": event, **fields})
        if len(line) > MAX_EVENT_BYTES:
            fields["message"] = str(fields.get("message", ""))[: MAX_EVENT_BYTES // 2] + "..."
            line = json.dumps({"event": event, **fields})
        data = (line + "\n").encode()
        with contextlib.suppress(OSError):
            while data:
                data = data[os.write(self.fd, data) :]

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.send("collect_error", nodeid=report.nodeid, message=_report_message(report))

    def pytest_collection_finish(self, session) -> None:
        self.send("collected", count=len(session.items))

    def pytest_runtest_logstart(self, nodeid: str, location) -> None:
        self.phases[nodeid] = []
        self.send("start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report) -> None:
        self.phases.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid: str, location) -> None:
        outcome, message = "passed", ""
        for report in self.phases.pop(nodeid, []):
            if report.failed:
                outcome = "failed" if report.when == "call" else "error"
                message = _report_message(report)
                if report.when != "call":
                    message = f"(in the {report.when} of a fixture) {message}"
                break
            if report.skipped and outcome == "passed":
                outcome, message = "skipped", _report_message(report)
        self.send("result", nodeid=nodeid, outcome=outcome, message=message)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        self.send("finished", exit_status=int(exitstatus))
        if self.exit_when_finished:
            # Every test and fixture is done. A forked run ends here: pytest's clean-up would
            # only collect garbage in a process that is about to end.
            os._exit(0)


def pytest_configure(config) -> None:
    """Used as ``-p autograder.student_tests`` by a subprocess run: report on the given fd."""
    fd = os.environ.get(REPORT_FD_VARIABLE)
    if fd and not config.pluginmanager.has_plugin("autograder-student-reporter"):
        config.pluginmanager.register(Reporter(int(fd)), "autograder-student-reporter")


# ---------------------------------------------------------------- running


def command_line(folder: Path) -> list[str]:
    """The command line of one run inside an implementation folder."""
    config = folder / "pytest.ini"
    # --basetemp: the tests' tmp_path folders live in the implementation's folder, away
    # from the temporary folders of the grader's own pytest session.
    arguments = [str(folder / TESTS_FOLDER), "--rootdir", str(folder)]
    arguments += ["--basetemp", str(folder / ".tmp")]
    if config.is_file():
        arguments += ["-c", str(config)]
    # Installed plugins are not auto-loaded (nbval alone costs a second a run), except
    # anyio's, which a test of async code may use, as it would on the student's machine.
    if importlib.util.find_spec("anyio") is not None:
        arguments += ["-p", "anyio.pytest_plugin"]
    return arguments + ["-p", "no:cacheprovider", "-q", "-x"]


def install_tests(tests_dir: Path, folder: Path) -> None:
    """Copy the student's tests folder into an implementation folder (replacing any)."""
    target = folder / TESTS_FOLDER
    if target.exists():
        shutil.rmtree(target)
    # Links are copied as links, never followed: the grader must not read through a link
    # the student's code planted (in secure mode a link leads nowhere inside the sandbox).
    shutil.copytree(tests_dir, target, ignore=IGNORED, symlinks=True)


class RunningTests:
    """One run in progress: its process and what it has reported so far."""

    def __init__(self, label: str, timeout: float) -> None:
        self.label = label
        self.timeout = timeout
        self.started = time.monotonic()
        self.pid = 0
        self.process: subprocess.Popen | None = None
        self.fd = -1
        self.events: list[dict] = []
        self._buffer = b""
        self.finished = False
        self.result: TestRun | None = None

    @property
    def deadline(self) -> float:
        return self.started + self.timeout

    def read(self) -> bool:
        """Read what the run has written; True once it is over (finished, or pipe closed)."""
        chunk = os.read(self.fd, 65536)
        if not chunk:
            return True
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                self.events.append(event)
                self.finished = self.finished or event.get("event") == "finished"
        # Done once pytest says so, even if a process the tests started still holds the pipe.
        return self.finished

    def finish(self, *, timed_out: bool) -> TestRun:
        """Stop the run's process (and anything it started) and interpret its events."""
        _kill_group(self.pid)
        ended = _reap(self.pid, self.process)
        with contextlib.suppress(OSError):
            os.close(self.fd)
        run = TestRun(implementation=self.label, seconds=time.monotonic() - self.started)
        _interpret(run, self.events, timed_out=timed_out, timeout=self.timeout, ended=ended)
        self.result = run
        return run


def start_tests(
    tests_dir: Path,
    folder: Path,
    *,
    timeout: float = 20.0,
    env: Mapping[str, str] | None = None,
    mode: str = "fork",
    forget: Iterable[Path] = (),
    label: str | None = None,
) -> RunningTests:
    """Start running the tests of ``tests_dir`` against the implementation in ``folder``.

    ``env`` is added to the environment of the run, ``forget`` names folders whose modules
    a forked run must not reuse (the submission's, other implementations'). Wait for the
    result with :func:`wait_any`.
    """
    folder = Path(folder).resolve()
    running = RunningTests(label or folder.name, timeout)
    if mode not in ("fork", "subprocess"):
        raise ValueError(f"unknown mode {mode!r}: use 'fork' or 'subprocess'")
    if not Path(tests_dir).is_dir():
        message = f"there is no {TESTS_FOLDER}/ folder in the submission"
        running.result = TestRun(running.label, status=NO_TESTS, message=message)
        return running
    install_tests(Path(tests_dir), folder)
    env = {**(env or {}), AUTOLOAD_VARIABLE: "1"}
    if sandbox.enabled():
        _share_with_sandbox_user(folder, env)
    read_fd, write_fd = os.pipe()
    try:
        if mode == "fork":
            running.pid = _start_fork(write_fd, folder, env, [Path(p) for p in forget])
        else:
            running.process = _start_subprocess(write_fd, folder, env)
            running.pid = running.process.pid
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    running.fd = read_fd
    return running


def _share_with_sandbox_user(folder: Path, env: Mapping[str, str]) -> None:
    """Secure mode: the sandbox user owns the implementation and can read the model."""
    uid = sandbox.policy().uid
    sandbox.share_with_sandbox(folder)
    for value in env.values():
        if Path(value).is_absolute() and Path(value).exists():
            sandbox.share_with_sandbox(Path(value).parent)
    for path in [folder, *folder.rglob("*")]:
        with contextlib.suppress(OSError):
            os.lchown(path, uid, uid)


def wait_any(runs: Iterable[RunningTests]) -> list[RunningTests]:
    """Block until at least one of the unfinished ``runs`` ends; return those that ended."""
    pending = [run for run in runs if run.result is None]
    ended: list[RunningTests] = []
    while pending and not ended:
        now = time.monotonic()
        wait = max(min(run.deadline for run in pending) - now, 0)
        ready, _, _ = select.select([run.fd for run in pending], [], [], wait)
        for run in pending:
            if run.fd in ready and run.read():
                run.finish(timed_out=False)
                ended.append(run)
            elif run.fd not in ready and run.deadline <= time.monotonic():
                run.finish(timed_out=True)
                ended.append(run)
    return ended


def run_tests(tests_dir: Path, folder: Path, **options) -> TestRun:
    """Run the tests against one implementation and return the result (see start_tests).

    Never raises because of the tests: a hang, an exit or a crash is described in the run.
    """
    running = start_tests(tests_dir, folder, **options)
    while running.result is None:
        wait_any([running])
    return running.result


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _reap(pid: int, process: subprocess.Popen | None) -> str:
    """Wait for the run's process; describe how it ended."""
    if process is not None:
        code = process.wait()
        return f"killed by signal {-code}" if code < 0 else f"exit status {code}"
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # not our child: the sandbox launcher started (and reaps) it
        return "it ended"
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status)}"


def _start_subprocess(fd: int, folder: Path, env: dict[str, str]) -> subprocess.Popen:
    environment = {**os.environ, **env}
    environment["PYTHONPATH"] = os.pathsep.join([str(folder), str(ROOT)])
    environment[REPORT_FD_VARIABLE] = str(fd)
    command = [sys.executable, "-m", "pytest", *command_line(folder)]
    command += ["-p", "autograder.student_tests"]
    return subprocess.Popen(
        command,
        cwd=folder,
        env=environment,
        pass_fds=(fd,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _start_fork(fd: int, folder: Path, env: dict[str, str], forget: list[Path]) -> int:
    if sandbox.enabled():
        # Secure mode: the sandbox launcher forks the run (it never has threads to copy).
        arguments = (str(folder), dict(env), [str(path) for path in forget])
        return sandbox.spawn(_run_in_sandbox, arguments, [fd])
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked process
        _run_in_fork(fd, folder, env, forget)
    return pid


def _is_under(file: str | None, folders: list[Path]) -> bool:
    if not file:
        return False
    with contextlib.suppress(OSError, ValueError):
        path = Path(file).resolve()
        return any(path.is_relative_to(folder) for folder in folders)
    return False


def forget_modules(folders: list[Path], names: Iterable[str] = ()) -> None:
    """Drop from ``sys.modules`` what came from ``folders`` and the top-level ``names``."""
    names = set(names)
    for name, module in list(sys.modules.items()):
        top = name.partition(".")[0]
        if top in names or _is_under(getattr(module, "__file__", None), folders):
            del sys.modules[name]


def _top_level_names(folder: Path) -> set[str]:
    names = {"conftest"}
    for path in folder.iterdir():
        if path.suffix == ".py":
            names.add(path.stem)
        elif path.is_dir() and not path.name.startswith("."):
            names.add(path.name)
    return names


def _run_in_fork(
    fd: int, folder: Path, env: dict[str, str], forget: list[Path]
):  # pragma: no cover - runs in the forked process
    """Outside secure mode: shed the grader's descriptors, then run the tests. Never returns."""
    try:
        os.setpgid(0, 0)
        # Only the report pipe stays open: the tests cannot write to the grader's pipes.
        os.closerange(3, fd)
        os.closerange(fd + 1, MAX_FD)
        null = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(null, stream)
        os.close(null)
        os.environ.update(env)
    finally:
        _run_here(fd, folder, forget)


def _run_in_sandbox(
    fds: list[int], folder: str, environment: dict[str, str], forget: list[str]
) -> None:  # pragma: no cover - runs in a sandbox process
    """Secure mode: in a sandbox (own namespaces, user, limits), run the tests.

    The tests are student code, so they run as the sandbox runs the student's app.
    """
    try:
        os.environ.update(environment)
    finally:
        _run_here(fds[0], Path(folder), [*map(Path, forget), sandbox.policy().folder])


def _run_here(fd: int, folder: Path, forget: list[Path]):  # pragma: no cover
    """Run pytest on the copied tests inside ``folder``; report on ``fd``. Never returns."""
    reporter = Reporter(fd, exit_when_finished=True)
    from autograder import stages

    stages.sink, stages.start_up_problem = None, ""  # the grader's pipe is not this run's
    try:
        gc.freeze()  # what the grader imported is never garbage: collections skip it
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the process ends here
        os.chdir(folder)
        stale = [Path(p).resolve() for p in forget] + [folder]
        forget_modules(stale, _top_level_names(folder))
        sys.path[:] = [p for p in sys.path if not _is_under(p or ".", stale)]
        sys.path.insert(0, str(folder))
        importlib.invalidate_caches()
        _default_warning_filters()  # as in a fresh Python; the tests' pytest.ini decides
        # Plugins such as anyio's were imported before this run started; pytest would warn
        # that it cannot rewrite their asserts, and the lab's config makes warnings errors.
        quiet = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
        pytest.main([*command_line(folder), *quiet], plugins=[reporter])
    except BaseException as error:  # noqa: BLE001 - anything the tests raise ends the run
        with contextlib.suppress(BaseException):
            reporter.send("crash", message=f"{type(error).__name__}: {error}")
    finally:
        os._exit(0)


def _default_warning_filters() -> None:
    """The warning filters a fresh Python starts with (the grader may have made them errors)."""
    warnings.resetwarnings()
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.filterwarnings("ignore", category=category, append=True)


def _interpret(run: TestRun, events: list[dict], *, timed_out: bool, timeout: float, ended: str):
    """Turn a run's events into its status and a plain message."""
    collect_errors, started, finished, crash = [], None, None, ""
    for event in events:
        kind = event.get("event")
        if kind == "collect_error":
            collect_errors.append(event)
        elif kind == "start":
            started = event["nodeid"]
        elif kind == "result":
            run.tests.append(TestOutcome(event["nodeid"], event["outcome"], event["message"]))
            started = None
        elif kind == "finished":
            finished = event["exit_status"]
        elif kind == "crash":
            crash = event["message"]
    failures = [test for test in run.tests if test.outcome in ("failed", "error")]
    if timed_out:
        run.status = TIMEOUT
        where = f"{_name(started)} did not finish" if started else "the tests did not finish"
        run.message = f"{where} within {timeout:g} s (an endless loop, or a wait that never ends?)"
    elif collect_errors:
        first = collect_errors[0]
        run.status = ERROR
        run.message = f"pytest could not load {first['nodeid'] or 'the tests'}: {first['message']}"
    elif failures:
        run.status = FAILED
        first = failures[0]
        verb = "failed" if first.outcome == "failed" else "could not run"
        run.message = f"{_name(first.nodeid)} {verb}: {first.message}"
    elif crash:
        run.status = ERROR
        run.message = f"pytest could not run the tests: {crash}"
    elif finished is None:
        run.status = CRASHED
        during = f" during {_name(started)}" if started else ""
        run.message = f"the test run stopped{during} ({ended}): did a test exit the process?"
    elif finished == 5 or not run.tests:
        run.status = NO_TESTS
        run.message = (
            f"pytest found no tests in {TESTS_FOLDER}/ (files are named test_*.py and "
            "functions test_*)"
        )
    elif finished not in (0,):
        run.status = CRASHED
        run.message = f"the test run ended early (pytest exit status {finished})"
    elif not run.count("passed"):
        run.status = NO_TESTS
        run.message = (
            f"all {len(run.tests)} tests were skipped (a test that calls pytest.skip, like the "
            "TODOs of a starter, checks nothing)"
        )
    else:
        run.status = PASSED
        run.message = run.summary()


# ---------------------------------------------------------------- explaining a failure


REFERENCE = "reference"  # the name of the service the student was given, as it is

# Lab 06: a failure that shows a 503 or the code model_unavailable: the service had no model.
NO_MODEL = (
    r"<Response \[503|\bmodel_unavailable\b|\bassert 503 == 2\d\d\b",
    "It answered 503: the app had no model. Open the client in a `with TestClient(main.app)` "
    "block, so that lifespan loads the model, and set MODEL_PATH (monkeypatch.setenv) before "
    "that block: the grader's copy of the lab has no models/ folder. Use a client only inside "
    "its own `with` block: a correct service may release its model when the block ends.",
)


def explain_failure_on_correct(
    description: str,
    run: TestRun,
    *,
    fails_on_reference: bool,
    symptoms: Iterable[tuple[str, str]] = (),
) -> str:
    """Why the tests do not pass on a correct service, in words a student can act on.

    ``fails_on_reference``: the tests fail on the service the student was given as well
    (the ``reference`` implementation), so a test contradicts the contract or starts the app
    wrongly; otherwise a test is over-specific. ``symptoms`` are ``(regular expression,
    advice)`` pairs: the advice of each one found in the failure's message is added.
    """
    if run.status == NO_TESTS:
        return f"Nothing was tested: {run.message}."
    if run.status != FAILED:
        return f"On {description}: {run.message}"
    lines = [f"Your tests fail on {description}.", run.message]
    if fails_on_reference:
        also = "" if run.implementation == REFERENCE else " as well"
        lines.append(
            f"They fail on the reference service, the one you were given{also}: a test "
            "contradicts the contract or sets the app up wrongly. Run `uv run pytest` in your "
            "lab folder."
        )
    else:
        lines.append(
            "They pass on the reference service, and this one keeps the contract too, so a "
            "test checks something the contract does not promise (an exact message, a field "
            "order, an internal name...)."
        )
    lines += [advice for pattern, advice in symptoms if re.search(pattern, run.message)]
    return "\n".join(lines)


def _name(nodeid: str | None) -> str:
    """``test_service.py::test_x[1]`` for ``tests/test_service.py::test_x[1]``."""
    if not nodeid:
        return "a test"
    return nodeid.removeprefix(f"{TESTS_FOLDER}/")


# ---------------------------------------------------------------- a bench of implementations


class Bench:
    """The student's tests against every implementation, each run once, when first needed.

    ``reference`` is the lab folder the implementations are built from; they are built under
    ``workdir``. ``forget`` lists folders a forked run must not reuse modules from (the
    submission). Runs are cached, so the checks of a suite can ask for them in any order.

    With ``jobs`` above 1, while a check waits for one run the bench starts the next ones
    (in the order of the implementations) so that ``jobs`` run at the same time; it stops
    doing so once the tests have failed on a correct implementation, because every buggy
    run is then worth nothing.
    """

    def __init__(
        self,
        reference: Path,
        implementations: list[Implementation],
        tests_dir: Path,
        workdir: Path,
        *,
        timeout: float = 20.0,
        env: Mapping[str, str] | None = None,
        mode: str = "fork",
        forget: Iterable[Path] = (),
        jobs: int = 1,
    ) -> None:
        self.implementations = {item.name: item for item in implementations}
        self.tests_dir = Path(tests_dir)
        self.workdir = Path(workdir)
        self.timeout = timeout
        self.env = dict(env or {})
        self.mode = mode
        self.forget = [Path(p).resolve() for p in forget]
        self.jobs = max(1, int(jobs))
        self.pristine = copy_service(Path(reference), self.workdir / "reference-copy")
        self.runs: dict[str, TestRun] = {}
        self.in_flight: dict[str, RunningTests] = {}

    @property
    def correct(self) -> list[Implementation]:
        return [item for item in self.implementations.values() if item.correct]

    @property
    def buggy(self) -> list[Implementation]:
        return [item for item in self.implementations.values() if not item.correct]

    def build(self, name: str) -> Path:
        """The folder of one implementation (built on first use)."""
        item = self.implementations[name]
        folder = self.workdir / name
        if not folder.exists():
            build_variant(self.pristine, folder, item.edits, item.name)
        return folder

    def _start(self, name: str) -> None:
        folder = self.build(name)
        others = [self.workdir / other for other in self.implementations if other != name]
        running = start_tests(
            self.tests_dir,
            folder,
            timeout=self.timeout,
            env=self.env,
            mode=self.mode,
            forget=[*self.forget, *others, self.pristine],
            label=name,
        )
        if running.result is not None:
            self.runs[name] = running.result
        else:
            self.in_flight[name] = running

    def _next_to_start(self) -> str | None:
        if any(not self.runs[item.name].passed for item in self.correct if item.name in self.runs):
            return None
        for name in self.implementations:
            if name not in self.runs and name not in self.in_flight:
                return name
        return None

    def run(self, name: str) -> TestRun:
        """The student's tests on one implementation (run on first request, then cached)."""
        if name not in self.runs and name not in self.in_flight:
            self._start(name)
        while name not in self.runs:
            while len(self.in_flight) < self.jobs and (extra := self._next_to_start()):
                self._start(extra)
            for running in wait_any(list(self.in_flight.values())):
                self.runs[running.label] = running.result
                del self.in_flight[running.label]
        return self.runs[name]

    def close(self) -> None:
        """Stop the runs still in flight (started ahead but never asked for)."""
        for running in self.in_flight.values():
            running.finish(timed_out=True)
        self.in_flight.clear()

    def first_failing_correct(self) -> tuple[Implementation, TestRun] | None:
        """The first correct implementation the tests fail on, or None when they pass all."""
        for item in self.correct:
            run = self.run(item.name)
            if not run.passed:
                return item, run
        return None

    def caught(self, *, budget: float | None = None) -> Iterator[Implementation]:
        """Buggy implementations the tests fail on: finished runs first, then new runs.

        With ``budget`` (seconds), no new run is waited for once that much time has passed.
        """
        started = time.monotonic()
        seen = set()
        for item in self.buggy:
            if item.name in self.runs:
                seen.add(item.name)
                if not self.runs[item.name].passed:
                    yield item
        for item in self.buggy:
            if item.name in seen:
                continue
            if budget is not None and time.monotonic() - started > budget:
                return
            if not self.run(item.name).passed:
                yield item
