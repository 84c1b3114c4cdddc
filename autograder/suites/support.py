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
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from autograder import processes, sandbox, submission
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


# ---------------------------------------------------------------- an app served apart


class ServedApart:
    """An app served over HTTP by a process of its own (see :func:`served_apart`)."""

    def __init__(self, client, reply_fd: int, *, raise_server_exceptions: bool) -> None:
        self.client = client
        self.reply_fd = reply_fd
        self.raise_server_exceptions = raise_server_exceptions
        self.crashes: list[str] | None = None  # served here: the errors the app's code raised
        # served_apart(..., restartable=True): how this mode stops the app and starts it again
        self.restarter: Callable[[dict, str], None] | None = None

    def restart(self, variables: Mapping[str, str | None], *, what: str) -> None:
        """Stop the app (its lifespan's shut-down runs), set ``variables`` (None: unset), and
        start the same app again, from the same imported modules, as a test suite does when
        it enters ``with TestClient(app)`` twice; ``what`` names the new start in the
        message of a check that fails because it did not start. Needs
        ``served_apart(..., restartable=True)``."""
        if self.restarter is None:
            raise RuntimeError("restart() needs served_apart(..., restartable=True)")
        self.restarter(dict(variables), what)

    def request(self, method: str, path: str, *, what: str, json=None):
        """Send a request; ``what`` names it in a failure message. A request the app does
        not answer fails the check; so does one its code raised on, unless the app was
        served with ``raise_server_exceptions=False`` (the answer is then the 500)."""
        import httpx

        try:
            response = self.client.request(method, path, json=json)
        except httpx.HTTPError as error:
            pytest.fail(
                f"{what}: the app did not answer ({type(error).__name__}: its process ended?)",
                pytrace=False,
            )
        if response.status_code >= 500 and self.raise_server_exceptions:
            crash = self.crash()
            if crash:
                pytest.fail(f"{what} raised {crash}", pytrace=False)
        return response

    def get(self, path: str, *, what: str = ""):
        return self.request("GET", path, what=what or f"GET {path}")

    def post(self, path: str, body, *, what: str = ""):
        return self.request("POST", path, what=what or f"POST {path}", json=body)

    def crash(self, wait: float = 1.0) -> str | None:
        """The last error the app's code raised while answering, as its process reported it
        (the server logs it just after sending the 500); None when none came."""
        import os
        import time

        if self.crashes is not None:  # served in this process (see _served_here)
            deadline = time.monotonic() + wait
            while not self.crashes and time.monotonic() < deadline:
                time.sleep(0.01)
            return self.crashes.pop()[:500] if self.crashes else None

        found, data, deadline = None, b"", time.monotonic() + wait
        while True:
            remaining = max(deadline - time.monotonic(), 0)
            ready = processes.readable([self.reply_fd], remaining)
            if not ready:
                break
            chunk = os.read(self.reply_fd, 65536)
            if not chunk:
                break
            data += chunk
            for line in data.split(b"\n")[:-1]:
                try:
                    document = json.loads(line)
                except (ValueError, RecursionError):
                    continue
                if isinstance(document, dict) and isinstance(document.get("crash"), str):
                    found = document["crash"][:500]
            data = data.split(b"\n")[-1]
            if found is not None:
                break
        return found


@contextmanager
def served_apart(
    folder: Path,
    *,
    what: str,
    importing: str = "",
    workdir: Path | None = None,
    before_import: Mapping[str, str | None] | None = None,
    imports: int = 1,
    after_import: Mapping[str, str | None] | None = None,
    copies: Mapping[str, str] | None = None,
    start_timeout: float = 20.0,
    raise_server_exceptions: bool = True,
    new_process: bool = False,
    restartable: bool = False,
) -> Iterator[ServedApart]:
    """Serve the submission's app over HTTP from a new process of student code (a sandbox)
    in secure mode, and yield a :class:`ServedApart` to send it requests. The app's
    lifespan has run when the block starts; the process is ended with the block. In normal
    mode, where the student's code runs beside the checks anyway, the app is imported and
    served the same way in this process instead (a uvicorn thread), and everything it
    changed (variables, working folder, modules) is put back with the block;
    ``new_process=True`` asks for a process of its own in normal mode too, for a check about
    what only a new process shows (state that other modules keep from an earlier import,
    such as a metric registered in prometheus_client's global registry).

    What a check decides this way comes from the app's HTTP answers, which the grader
    receives itself: a probe's reply (``sandbox.call``) is written by the process that
    imports the student's code, so that code can write it instead.

    In that process, in this order: work in ``workdir`` (default: where apps start), set
    the variables of ``before_import`` (None: unset), import the app's module of ``folder``
    ``imports`` times (each import afresh, the app of the last one is served), set the
    variables of ``after_import`` (as tests do: the app must read them when it starts) and
    copy each file ``copies`` names (a path, absolute or in ``workdir``: the file to copy).
    ``what`` says what was being started, and ``importing`` when the import happened
    (``"in an empty folder"``), in the message of a check that fails because of it.
    ``restartable=True`` lets the block stop the app and start it again with
    :meth:`ServedApart.restart`: the lifespan runs again on the same imported modules, so a
    module-level variable the first start set is still set.
    """
    import os
    import tempfile

    from autograder import isolation

    settings = {
        "folder": str(folder),
        "workdir": None if workdir is None else str(workdir),
        "before_import": dict(before_import or {}),
        "imports": imports,
        "after_import": dict(after_import or {}),
        "copies": dict(copies or {}),
        "importing": importing,
        "restartable": restartable,
    }
    place = Path(tempfile.mkdtemp(prefix="served-"))
    if not new_process and not isolation.current().fresh_processes:
        # Normal mode: the student's code already runs in this process, so a process of its
        # own would protect nothing and cost a fork and an import (watch mode re-grades).
        try:
            with _served_here(settings, place, what, start_timeout) as (client, crashes, again):
                served = ServedApart(client, -1, raise_server_exceptions=raise_server_exceptions)
                served.crashes = crashes
                served.restarter = again if restartable else None
                yield served
        finally:
            shutil.rmtree(place, ignore_errors=True)
        return
    try:
        with ExitStack() as stack:
            commands = stack.enter_context(_command_pipe()) if restartable else None
            extra = [] if commands is None else [commands[0]]
            spawned = spawned_on_socket(_serve_apart, settings, place, extra)
            reply_read, socket_path = stack.enter_context(spawned)
            if commands is not None:
                os.close(commands[0])  # the served process has its own copy
                commands[0] = -1
            yield from _talk_to_served(
                reply_read,
                socket_path,
                what,
                start_timeout,
                raise_server_exceptions,
                None if commands is None else commands[1],
            )
    finally:
        shutil.rmtree(place, ignore_errors=True)


def _talk_to_served(
    reply_read: int,
    socket_path: Path,
    what: str,
    start_timeout: float,
    raise_server_exceptions,
    command_fd: int | None = None,
) -> Iterator[ServedApart]:
    """:func:`served_apart`, once its process is spawned: wait for its first line, then
    yield a client of the app it serves (one that can ask it to start the app again when
    ``command_fd`` is given)."""
    import os

    _wait_until_started(reply_read, what, start_timeout)
    with unix_socket_client(socket_path, "testserver", follow_redirects=True) as client:
        served = ServedApart(client, reply_read, raise_server_exceptions=raise_server_exceptions)
        if command_fd is not None:

            def restart(variables: dict, again: str) -> None:
                try:
                    os.write(command_fd, (json.dumps({"restart": variables}) + "\n").encode())
                except OSError:
                    pytest.fail(f"{again}: the app's process had ended", pytrace=False)
                _wait_until_started(reply_read, again, start_timeout)

            served.restarter = restart
        yield served


def _wait_until_started(reply_read: int, what: str, start_timeout: float) -> None:
    """Read the served process's lines until it says the app started; fail the check with
    ``what`` and the reason when it says it did not, ends, or stays silent too long. (Lines
    about errors of requests answered before are passed over.)"""
    import os
    import time

    data, deadline = b"", time.monotonic() + start_timeout
    while True:
        lines = data.split(b"\n")
        data = lines.pop()
        for line in lines:
            try:
                document = json.loads(line)
            except (ValueError, RecursionError):
                document = None
            if isinstance(document, dict) and document.get("started") is True:
                return
            if isinstance(document, dict) and isinstance(document.get("error"), str):
                pytest.fail(f"{what}: {document['error'][:500]}", pytrace=False)
            if not (isinstance(document, dict) and "crash" in document):
                pytest.fail(f"{what}: its process ended before the app started", pytrace=False)
        ready = processes.readable([reply_read], max(deadline - time.monotonic(), 0))
        chunk = os.read(reply_read, 65536) if ready else b""
        if not chunk:
            if time.monotonic() >= deadline:
                pytest.fail(f"{what}: it did not start within {start_timeout:g} s", pytrace=False)
            pytest.fail(f"{what}: its process ended before the app started", pytrace=False)
        data += chunk


@contextmanager
def _command_pipe() -> Iterator[list[int]]:
    """A pipe ``[read, write]`` for the grader to send a served process commands; the ends
    still open (not set to -1) are closed with the block."""
    import os

    ends = list(os.pipe())
    try:
        yield ends
    finally:
        for end in ends:
            if end >= 0:
                os.close(end)


@contextmanager
def spawned_on_socket(
    target, settings: dict, place: Path, extra_fds: list[int] | None = None
) -> Iterator[tuple[int, Path]]:
    """Start ``target([reply, listener, *extra_fds], settings)`` in a new process where
    student code runs (:meth:`autograder.isolation.base.Isolation.spawn`: a sandbox in
    secure mode), with ``listener`` a Unix socket listening at ``place / "app.sock"``.
    Yields the read end of its reply pipe and the socket's path; the process and everything
    it started are stopped with the block."""
    import contextlib
    import os
    import signal
    import socket

    from autograder import isolation, processes

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    reply_read, reply_write = os.pipe()
    pid = None
    try:
        listener.bind(str(place / "app.sock"))
        listener.listen(64)
        try:
            fds = [reply_write, listener.fileno(), *(extra_fds or [])]
            pid = isolation.current().spawn(target, (settings,), fds)
        finally:
            os.close(reply_write)
            listener.close()
        yield reply_read, place / "app.sock"
    finally:
        if pid is not None:
            processes.kill_group(pid)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            processes.reap(pid)
        os.close(reply_read)


def unix_socket_client(socket_path: Path, host: str, **options):
    """An ``httpx.Client`` of an app served on a Unix socket, with ``host`` in its URLs."""
    import httpx

    # No TLS on a Unix socket: verify=False skips loading the CA bundle (20 ms a start).
    transport = httpx.HTTPTransport(uds=str(socket_path), verify=False)
    return httpx.Client(transport=transport, base_url=f"http://{host}", timeout=30, **options)


@contextmanager
def _served_here(settings: dict, place: Path, what: str, start_timeout: float) -> Iterator:
    """:func:`served_apart` in this process: the same steps, the same messages, an httpx
    client of the app served by uvicorn in a thread on a Unix socket; the variables, the
    working folder and the submission's modules are put back on the way out."""
    import socket
    import threading
    import time

    import uvicorn

    from autograder.live import prompt_server

    folder = Path(settings["folder"])
    crashes: list[str] = []
    lifespan_errors: list[str] = []

    class Report(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info and record.exc_info[1] is not None:
                crashes.append(submission.describe_error(record.exc_info[1], folder))

    with ExitStack() as stack:
        patch = stack.enter_context(pytest.MonkeyPatch.context())

        def set_variables(variables: dict) -> None:
            for name, value in variables.items():
                if value is None:
                    patch.delenv(name, raising=False)
                else:
                    patch.setenv(name, value)

        if str(folder) not in sys.path:
            patch.setattr(sys, "path", [str(folder), *sys.path])
        if settings["workdir"] is not None:
            patch.chdir(settings["workdir"])
        set_variables(settings["before_import"])
        done = 0
        try:
            for _ in range(settings["imports"]):
                forget_submission_tables()
                module = stack.enter_context(submission.imported_afresh(folder))
                done += 1
        except (Exception, SystemExit) as error:  # anything the student's import raises
            when = f" {settings['importing']}" if settings["importing"] else ""
            again = " a second time" if done > 0 else ""
            problem = submission.describe_import_error(error, folder)
            pytest.fail(f"{what}: importing main.py{again}{when} failed: {problem}", pytrace=False)
        set_variables(settings["after_import"])
        for target, source in settings["copies"].items():
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        app = submission.app_of(module)

        async def reporting(scope, receive, send):
            try:
                await app(scope, receive, send)
            except BaseException as error:
                if scope["type"] == "lifespan":
                    lifespan_errors.append(
                        f"lifespan raised {submission.describe_error(error, folder)}"
                    )
                raise

        current: dict = {}  # the server, its thread and its listening socket, while it serves

        def start(starting: str) -> None:
            """Serve the app in a thread on a new socket at place/app.sock (its lifespan
            runs); fail the check with ``starting`` and the reason if it does not start."""
            lifespan_errors.clear()
            (place / "app.sock").unlink(missing_ok=True)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            current["listener"] = listener  # closed by stop(), once the server has stopped
            listener.bind(str(place / "app.sock"))
            listener.listen(64)
            config = uvicorn.Config(reporting, lifespan="on", log_level="error", access_log=False)
            logging.getLogger("uvicorn.error").addHandler(report)  # Config reset its handlers
            server = prompt_server(config)
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [listener]}, name="served-here", daemon=True
            )
            thread.start()
            current.update(server=server, thread=thread)
            deadline = time.monotonic() + start_timeout
            while not server.started and thread.is_alive() and time.monotonic() < deadline:
                time.sleep(0.005)
            if not server.started:
                if lifespan_errors:
                    reason = lifespan_errors[-1]
                elif thread.is_alive():
                    reason = f"it did not start within {start_timeout:g} s"
                else:
                    reason = "its lifespan failed at start-up"
                pytest.fail(f"{starting}: {reason}", pytrace=False)

        def stop() -> None:
            if "server" in current:
                current["server"].exit_now()
                current["thread"].join(timeout=10)
            if "listener" in current:
                current["listener"].close()
            current.clear()

        def restart(variables: dict, starting: str) -> None:
            stop()
            set_variables(variables)
            start(starting)

        report = Report()
        stack.callback(logging.getLogger("uvicorn.error").removeHandler, report)
        stack.callback(stop)
        start(what)
        client = stack.enter_context(
            unix_socket_client(place / "app.sock", "testserver", follow_redirects=True)
        )
        yield client, crashes, restart


def _serve_apart(fds: list[int], settings: dict) -> None:
    """In the new process of :func:`served_apart`: import the app as ``settings`` say and
    serve it on the listening socket ``fds[1]``; tell ``fds[0]`` it started (or why not),
    then every error the app's code raises while answering."""
    import contextlib
    import os
    import threading
    import time

    import uvicorn

    from autograder.live import prompt_server

    reply, listener = fds[0], fds[1]
    folder = Path(settings["folder"])

    def write(document: dict) -> None:
        with contextlib.suppress(OSError):
            os.write(reply, (json.dumps(document) + "\n").encode())

    def set_variables(variables: dict) -> None:
        for name, value in variables.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    failures: list[str] = []

    class Report(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info and record.exc_info[1] is not None:
                failures.append(submission.describe_error(record.exc_info[1], folder))
                write({"crash": failures[-1]})

    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    done = 0
    # Kept open while the app serves: closing it (or losing it) would take the imported
    # modules out of sys.modules, and a module the app imports later (Alembic's env.py
    # imports the tables' module) would then run a second time.
    imports = ExitStack()
    try:
        if settings["workdir"] is not None:
            os.chdir(settings["workdir"])
        set_variables(settings["before_import"])
        for _ in range(settings["imports"]):
            forget_submission_tables()  # the tables of an earlier import are defined again
            module = imports.enter_context(submission.imported_afresh(folder))
            done += 1
    except BaseException as error:  # noqa: BLE001 - anything the student's code raises
        when = f" {settings['importing']}" if settings["importing"] else ""
        again = " a second time" if done > 0 else ""
        problem = submission.describe_import_error(error, folder)
        write({"error": f"importing main.py{again}{when} failed: {problem}"})
        return
    set_variables(settings["after_import"])
    for target, source in settings["copies"].items():
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    app = submission.app_of(module)

    async def reporting(scope, receive, send):
        # A lifespan that raises at start-up is only logged by uvicorn as a traceback's
        # text: the error itself is kept here, to name it and where it was raised.
        try:
            await app(scope, receive, send)
        except BaseException as error:
            if scope["type"] == "lifespan":
                failures.append(f"lifespan raised {submission.describe_error(error, folder)}")
            raise

    options = {"fd": listener, "lifespan": "on", "log_level": "error", "access_log": False}
    report = Report()

    def start() -> tuple[object, threading.Thread] | None:
        """Serve the app in a thread (its lifespan runs); None, said on ``reply``, if it
        did not start."""
        failures.clear()  # what an earlier start reported is not this one's reason
        config = uvicorn.Config(reporting, **options)
        # uvicorn logs an error a route raised on "uvicorn.error"; Report passes it on.
        # (Added once the Config has set up uvicorn's logging, which replaces that logger's
        # handlers.)
        logging.getLogger("uvicorn.error").addHandler(report)
        server = prompt_server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started and thread.is_alive():
            time.sleep(0.005)
        if not server.started:
            write({"error": failures[-1] if failures else "its lifespan failed at start-up"})
            return None
        write({"started": True})
        return server, thread

    serving = start()
    if serving is None:
        return
    if len(fds) > 2:  # restartable: each line on fds[2] asks for a new start
        with os.fdopen(fds[2], "rb") as commands:
            for line in commands:
                server, thread = serving
                server.exit_now()
                thread.join()
                set_variables(json.loads(line)["restart"])
                serving = start()
                if serving is None:
                    return
    serving[1].join()
