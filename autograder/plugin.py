"""The pytest plugin every suite runs under.

It adds ``--submission DIR`` (default: the student's folder for the suite's lab), the
fixtures suites share (``submission_dir``, ``app``, ``client``, ``live_server``,
``iris_model``), and a short, student-readable message on every failed check.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder import isolation, stages
from autograder import submission as submission_loader
from autograder.bounded_client import WrappedApp, bound_test_clients
from autograder.checks import MARKER, info_for
from autograder.course import lab_for_suite

MESSAGE_KEY = pytest.StashKey[str]()
MAX_MESSAGE_LINES = 12
MAX_LINE_CHARS = 500


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograder")
    group.addoption(
        "--submission",
        default=os.environ.get("AUTOGRADER_SUBMISSION"),
        help="lab folder to grade (default: labs/NN-slug for the suite's lab)",
    )


def pytest_configure(config: pytest.Config) -> None:
    bound_test_clients()
    config.addinivalue_line(
        "markers", f"{MARKER}(points, hint, name=None, hidden=False): a graded check"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    isolation.current().before_check()  # an app a check's route ended serves again


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "suites" in Path(str(item.path)).parts:
            info_for(item)  # every test in a suite must declare its points and hint


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def submission_dir(request: pytest.FixtureRequest) -> Path:
    """The folder being graded (in secure mode, the sandbox's private copy of it)."""
    if isolation.current().folder is not None:
        return isolation.current().folder
    chosen = request.config.getoption("--submission")
    if chosen:
        return opened(Path(chosen).resolve())
    lab = lab_for_suite(request.node.path if hasattr(request.node, "path") else "")
    if lab is None:
        for item in request.session.items:
            lab = lab_for_suite(item.path)
            if lab is not None:
                break
    if lab is None:
        raise pytest.UsageError("pass --submission DIR: this suite belongs to no lab")
    return opened(lab.starter_dir)


def opened(folder: Path) -> Path:
    """``folder``, opened as the grader opens it (the in-process isolation imports it, with the
    folder first on ``sys.path``), for a suite run directly with ``pytest``: its commands
    start there and its modules import. A submission that does not import is left to the
    checks, which report it."""
    isolation.current().folder = folder
    with contextlib.suppress(submission_loader.SubmissionError):
        isolation.current().module(folder)
    return folder


@pytest.fixture(scope="session", autouse=True)
def open_submission(request: pytest.FixtureRequest) -> None:
    """A suite run directly with ``pytest`` opens its submission before the first check, as
    the grader does (commands of the student's start in its folder)."""
    if isolation.current().folder is None:
        request.getfixturevalue("submission_dir")


@pytest.fixture(scope="session")
def submission(submission_dir: Path):
    """The submission's imported ``main`` module (never available in secure mode)."""
    try:
        return isolation.current().module(submission_dir)
    except submission_loader.SubmissionError as error:
        pytest.fail(f"the submission did not import: {error}", pytrace=False)
    except isolation.SandboxError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def app(submission_dir: Path):
    """The submission's FastAPI application (in secure mode, a stand-in that forwards
    every request to it in a sandbox process)."""
    try:
        return isolation.current().app(submission_dir)
    except submission_loader.SubmissionError as error:
        pytest.fail(f"the submission did not import: {error}", pytrace=False)


class AppExit(Exception):
    """The app raised SystemExit or KeyboardInterrupt while handling a request."""


class _Guarded(WrappedApp):
    """The submission's app, seen by the TestClient: a ``sys.exit()`` in a route handler
    (or in the lifespan) fails the check that called it, as an ordinary error, instead of
    stopping the client's event loop (which would fail every later check that shares the
    client). Attributes are the app's own: ``client.app.state``, ``.dependency_overrides``.
    """

    async def __call__(self, scope, receive, send) -> None:
        try:
            await self._app(scope, receive, send)
        except (SystemExit, KeyboardInterrupt) as error:
            if scope.get("type") == "lifespan":
                what = "while starting or stopping (lifespan)"
            else:
                what = f"while answering {scope.get('method', '')} {scope.get('path', '')}"
            if isinstance(error, SystemExit):
                text = f"the app called sys.exit({error.code!r}) {what}"
            else:
                text = f"the app raised KeyboardInterrupt {what}"
            raise AppExit(text).with_traceback(error.__traceback__) from None


@pytest.fixture(scope="module")
def client(app) -> Iterator:
    """A TestClient with the app's lifespan running (start-up before, shutdown after)."""
    from fastapi.testclient import TestClient

    with TestClient(_Guarded(app)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def live_server(app) -> Iterator[str]:
    """The app served by uvicorn on a free local port; yields its base URL."""
    stages.refuse_if_start_up_failed()
    # An app whose process ends (in secure mode) is started again for the next check.
    serving = isolation.current().serve(app, start_timeout=stages.start_timeout, keep_serving=True)
    with serving as base_url:
        yield base_url


@pytest.fixture(scope="session")
def iris_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained by the grader (not the student) and saved in the lab's format.

    Returns the path of ``model.joblib``; ``model.json`` (the metadata) lies beside it.
    """
    from autograder.iris import save_model

    return save_model(tmp_path_factory.mktemp("model"))


# ---------------------------------------------------------------- failure messages


def _without_explanation(text: str) -> str:
    """A check's own assertion message, without the ``assert 404 == 200`` and ``+ where``
    lines pytest adds after it; a bare assert keeps pytest's explanation."""
    lines = text.strip().splitlines()
    for number, line in enumerate(lines[1:], start=1):
        if line.startswith("assert "):
            return "\n".join(lines[:number])
    return text


def _raised_by_submission(excinfo: pytest.ExceptionInfo, folder: Path | None) -> bool:
    """True when the innermost frame of the error is the submission's (an ``assert`` in
    the student's code, as opposed to one of the check's own)."""
    if folder is None or excinfo.tb is None:
        return False
    tb = excinfo.tb
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = tb.tb_frame.f_code.co_filename
    return os.path.isabs(filename) and submission_loader._inside(filename, folder) is not None


def short_message(excinfo: pytest.ExceptionInfo, folder: Path | None) -> str:
    """The first lines a student needs: the assertion text, or the error and where it came from."""
    error = excinfo.value
    if isinstance(error, pytest.fail.Exception):
        text = str(error.msg)
    elif isinstance(error, AssertionError) and not _raised_by_submission(excinfo, folder):
        try:
            text = _without_explanation(str(error)) or "assertion failed"
        except Exception:  # noqa: BLE001 - an assertion message that cannot be printed
            text = "assertion failed"
    else:
        explained = isinstance(error, AppExit)
        text = str(error) if explained else submission_loader.error_text(error)
        where = submission_loader.where_in_submission(excinfo.tb, folder) if folder else None
        if where:
            text += f" (raised at {where})"
    lines = text.strip().splitlines() or ["the check failed"]
    if len(lines) > MAX_MESSAGE_LINES:
        lines = lines[:MAX_MESSAGE_LINES] + ["..."]
    return "\n".join(line[:MAX_LINE_CHARS] for line in lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.failed and call.excinfo is not None and MESSAGE_KEY not in item.stash:
        folder = None
        try:
            chosen = item.config.getoption("--submission")
            folder = Path(chosen).resolve() if chosen else None
        except ValueError:
            folder = None
        try:
            message = short_message(call.excinfo, folder)
        except Exception:  # noqa: BLE001 - never let a message hide the failure itself
            message = f"{type(call.excinfo.value).__name__} (its message could not be shown)"
        if report.when == "setup":
            message = f"could not prepare the check: {message}"
        item.stash[MESSAGE_KEY] = message
    if MESSAGE_KEY in item.stash:
        report.autograder_message = item.stash[MESSAGE_KEY]
    return report
