"""Helpers every suite may use: the plumbing a check needs, so that a check reads like the
handout (send a request, compare with the contract, say what was wrong).

Import it as ``from autograder.suites import support`` and call ``support.json_or_fail(...)``.
Each helper fails the check with one plain line (``pytest.fail(..., pytrace=False)``), never
with a traceback: a student reads that line under the check's name.

What is here:

* sample flowers: :data:`SETOSA`, :data:`VERSICOLOR`, :data:`VIRGINICA` and :func:`flower`;
* answers: :func:`json_or_fail` (the JSON body, or a failed check that shows what came back)
  and :func:`expect_status`;
* crashes: :func:`crash_text`, an exception the student's code raised, in one line with the
  place in their files where it was raised;
* starting the app: :func:`started` (a ``TestClient`` whose lifespan ran with the given
  environment, or a failed check that says the app did not start) and :func:`overridden`
  (a dependency replaced for a block, or a failed check with the suite's hint);
* the grader's model and settings: :func:`copy_model`, :func:`password_hashes`,
  :data:`FAST_ARGON2`;
* log records: :func:`captured` (what one logger writes while a block runs),
  :func:`app_errors` and :func:`formatted`;
* live servers on loopback: :func:`loopback_client` and :func:`loopback_get`;
* SQLite files the app wrote: :func:`database_copy` and :func:`table_rows`
  (from :mod:`autograder.suites.databases`).

This module is not a suite: pytest never collects it (only the suites ``course.toml`` names
are collected), and it holds no checks and no fixtures.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from autograder import sandbox, submission
from autograder.iris import FEATURES
from autograder.own_files import read_own_file as read_own_file  # suites read through here
from autograder.own_files import read_own_text as read_own_text
from autograder.own_files import replace_own_file as replace_own_file  # ...and replace
from autograder.suites.databases import database_copy as database_copy  # SQLite files
from autograder.suites.databases import table_rows as table_rows

# ---------------------------------------------------------------- sample flowers


def flower(sepal_length: float, sepal_width: float, petal_length: float, petal_width: float):
    """A request body for one flower: ``{"sepal_length": 5.1, ...}`` in the labs' field order."""
    values = (sepal_length, sepal_width, petal_length, petal_width)
    return dict(zip(FEATURES, values, strict=True))


# The first flower of each species in the given flowers.py (and in iris): the grader's model
# predicts each one's species with no doubt.
SETOSA = flower(5.1, 3.5, 1.4, 0.2)
VERSICOLOR = flower(7.0, 3.2, 4.7, 1.4)
VIRGINICA = flower(6.3, 3.3, 6.0, 2.5)


# ---------------------------------------------------------------- answers


def json_or_fail(response, what: str, *, body_chars: int = 200):
    """The JSON body of ``response``; when it is not JSON, fail the check with
    ``<what> answered <status> with a body that is not JSON: <the start of the body>``.

    ``what`` names the request as the student reads it (``"POST /token"``); ``body_chars``
    is how much of the body the message shows (0: none).
    """
    try:
        return response.json()
    except ValueError:
        shown = f": {response.text[:body_chars]!r}" if body_chars else ""
        pytest.fail(
            f"{what} answered {response.status_code} with a body that is not JSON{shown}",
            pytrace=False,
        )


def expect_status(response, status: int, what: str, *, body_chars: int = 200) -> None:
    """Fail the check unless ``response`` has ``status``: ``<what> answered 404; expected
    200``, followed by the start of the body when the answer was an error (4xx, 5xx)."""
    assert response.status_code == status, (
        f"{what} answered {response.status_code}; expected {status}"
        + (f" (body: {response.text[:body_chars]})" if response.status_code >= 400 else "")
    )


# ---------------------------------------------------------------- crashes


def crash_text(error: BaseException, folder: Path | None = None) -> str:
    """An exception the student's code raised, in one line, with where it was raised:
    ``NotImplementedError: TODO 3 (raised at main.py, line 19, in predict)``.

    ``folder`` is the submission's folder (default: the folder of the imported ``main.py``;
    where there is none, as in secure mode, the place is left out). A message whose first
    line only announces the next one (``1 validation error:``) keeps both.
    """
    text = submission.error_text(error)
    lines = [line.strip() for line in _message(error).splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":") and text.endswith(lines[0]):
        text = f"{text} {lines[1]}"
    where = None
    try:
        where = submission.where_in_submission(
            error.__traceback__, submission.entry_folder() if folder is None else folder
        )
    except Exception:  # noqa: BLE001 - no main module here (secure mode): no place to name
        where = None
    return text + (f" (raised at {where})" if where else "")


def _message(error: BaseException) -> str:
    try:
        return str(error).strip()
    except Exception:  # noqa: BLE001 - a student's exception may fail to print itself
        return ""


# ---------------------------------------------------------------- importing the submission again


def forget_submission_tables() -> None:
    """Forget the SQLModel tables an import of the submission defined.

    SQLModel's metadata and class registry are global: importing the submission's modules a
    second time (a fresh app, or a forked run of the student's tests) defines the same tables
    again, which SQLAlchemy refuses ("table already defined") or warns about.
    """
    sqlmodel = sys.modules.get("sqlmodel")
    if sqlmodel is None:
        return
    sqlmodel.SQLModel.metadata.clear()
    registry = getattr(getattr(sqlmodel, "main", None), "default_registry", None)
    classes = getattr(registry, "_class_registry", None)
    if classes is not None:
        classes.clear()


@contextmanager
def reimported_app() -> Iterator:
    """The submission imported again (its tables forgotten first); yields its ``app``.

    Pass it to ``isolation.current().fresh_app(app, reimported_app)``: in normal mode nothing
    one start left in the student's modules (a cache, a job, a session) is there at the next,
    as in secure mode, where every start is a new process. A failed import fails the check.
    """
    folder = submission.entry_folder()
    forget_submission_tables()
    with ExitStack() as stack:
        try:
            module = stack.enter_context(submission.imported_afresh(folder))
        except Exception as error:
            pytest.fail(
                "the submission did not import again: "
                f"{submission.describe_import_error(error, folder)}",
                pytrace=False,
            )
        yield submission.app_of(module)


# ---------------------------------------------------------------- starting the app


@contextmanager
def started(
    app,
    *,
    failure: str | None,
    environment: Mapping[str, str] | None = None,
    workdir: Path | None = None,
    advice: str = "",
    **client_options,
) -> Iterator:
    """A ``TestClient`` for ``app`` whose lifespan ran, stopped at the end of the block.

    ``environment`` is set (and ``workdir`` made the working directory) before the app
    starts and put back after it stops: ``environment={"MODEL_PATH": str(model)}`` starts it
    with a model. ``client_options`` go to ``TestClient`` (``raise_server_exceptions=False``
    turns a route's exception into a 500 answer).

    When lifespan raises, the check fails with ``the app did not start with <failure>:
    lifespan raised <error>`` and ``advice`` after it; ``failure=None`` lets the exception
    through, for a suite that explains it itself.
    """
    from fastapi.testclient import TestClient

    with pytest.MonkeyPatch.context() as patch:
        for name, value in (environment or {}).items():
            patch.setenv(name, value)
        if workdir is not None:
            patch.chdir(workdir)
        test_client = TestClient(app, **client_options)
        try:
            test_client.__enter__()
        except Exception as error:
            if failure is None:
                raise
            pytest.fail(
                f"the app did not start with {failure}: lifespan raised "
                f"{type(error).__name__}: {error}" + (f". {advice}" if advice else ""),
                pytrace=False,
            )
        try:
            yield test_client
        finally:
            test_client.__exit__(None, None, None)


@contextmanager
def overridden(app, dependency: str, replacement, *, missing: str) -> Iterator[None]:
    """While the block runs, the app's dependency ``dependency`` (a function of ``main``,
    such as ``"get_model"``) is replaced by ``replacement`` through
    ``app.dependency_overrides``, in whichever process serves the app.

    When the submission has no such dependency the check fails with ``missing``: the
    suite's hint, naming what the handout asks the student to keep.
    """
    try:
        sandbox.override(app, dependency, replacement)
    except sandbox.SandboxError:
        pytest.fail(missing, pytrace=False)
    try:
        yield
    finally:
        sandbox.clear_overrides(app)


# ---------------------------------------------------------------- the grader's model and settings


def copy_model(model_path: Path, folder: Path, version: str | None = None) -> Path:
    """Copy the grader's model (``model.joblib`` and the ``model.json`` beside it) into
    ``folder``; return the copy of ``model.joblib``. With ``version``, the copy's
    model.json says that version instead (a check can then tell which model was loaded)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "model.joblib"
    shutil.copyfile(model_path, target)
    metadata = model_path.with_suffix(".json")
    if version is None:
        shutil.copyfile(metadata, target.with_suffix(".json"))
    else:
        changed = {**json.loads(metadata.read_text()), "version": version}
        target.with_suffix(".json").write_text(json.dumps(changed))
    return target


# The Argon2 cost the grader gives an app through its settings (ARGON2_TIME_COST and
# ARGON2_MEMORY_COST, in KiB): as cheap as Argon2 allows, so that logins grade fast.
FAST_ARGON2 = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "64"}


def password_hashes(passwords: Mapping[str, str]) -> dict[str, str]:
    """{user: Argon2 hash of their password}, made with pwdlib at the smallest cost (a
    hash records its cost, so an app verifies it whatever cost its settings give)."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
    return {user: hasher.hash(password) for user, password in passwords.items()}


# ---------------------------------------------------------------- log records


class _Records(logging.Handler):
    """A handler that keeps every record it is given."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured(name: str) -> Iterator[list[logging.LogRecord]]:
    """The INFO (and above) records written to logger ``name`` while the block runs, in the
    list the block receives (it fills as the app logs)."""
    logger = logging.getLogger(name)
    handler = _Records()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def app_errors(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    """The records at ERROR level or above that the app wrote (not the server's own)."""
    return [
        record
        for record in records
        if record.levelno >= logging.ERROR and not record.name.startswith("uvicorn")
    ]


def formatted(record: logging.LogRecord) -> str:
    """A log record as a handler would write it, traceback included."""
    try:
        return logging.Formatter().format(record)
    except Exception:  # noqa: BLE001 - a record whose arguments do not fit its message
        return str(record.msg)


# ---------------------------------------------------------------- live servers on loopback


def loopback_client(base_url: str = "", **options):
    """An ``httpx.Client`` for a server the grading started on loopback (plain HTTP).

    ``httpx.get(...)`` and a default ``httpx.Client`` first build a TLS context and load the
    whole CA bundle: about 30 ms of CPU, which a plain-HTTP request never uses (the request
    itself takes 1-2 ms). A check that asks a server again and again, until its workers
    have all answered, spent most of its time there.
    """
    import httpx

    return httpx.Client(base_url=base_url, verify=False, **options)


def loopback_get(url: str, **options):
    """``GET url`` on a new connection to a server on loopback (see :func:`loopback_client`)."""
    with loopback_client() as client:
        return client.get(url, **options)


# ---------------------------------------------------------------- files the student's code wrote
