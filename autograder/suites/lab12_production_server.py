"""Lab 12 · production server: the checks.

Every server here is a real one, started the way the handout starts it (``fastapi run
--workers 2``, ``uvicorn --workers 2``, Gunicorn with ``gunicorn.conf.py``) on a free loopback
port, in the submission's folder, with the grader's settings (:func:`settings`). Requests go
over real sockets; ``SIGTERM`` goes to the server's master process, as a process manager
(Docker, systemd, Kubernetes) would send it. What happened inside the server is read from
the lifecycle log the contract defines: one JSON line per event (``prestart``, ``startup``,
``shutdown``) with the process id that wrote it.

The image description (``Dockerfile``, ``.dockerignore``) is read, never built: hadolint
checks it and the checks parse it. The load test runs the student's ``load_report.py``
against two servers started here, for a few seconds, and compares the report with Locust's
own CSV; latencies are reported, never graded.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

import httpx
import pytest

from autograder import check, isolation, submission
from autograder.isolation.commands import Command, python
from autograder.live import free_port, last_error, port_was_taken
from autograder.request_counter import RequestCounter, _Requests
from autograder.suites import support
from autograder.suites.dockerfiles import (
    BASE_IMAGE_USERS,
    SHELL_OPERATORS,
    SHELLS,
    copied_environment_on_path,
    dockerignore_excludes,
    dockerignore_rules,
    earlier_stages,
    environment_of,
    exec_form,
    final_image,
    first_heredoc_line,
    image_instructions,
    image_stages,
    instructions,
    is_a_script,
    is_loopback,
    made_by_stage,
    option_values,
    run_commands,
    runs_the_prestart,
    script_server_problem,
    server_started,
    server_words,
    shell_runs_the_prestart,
    shell_words,
    split_bind,
    stage_names,
    stages,
    starts_a_server,
    user_is_created,
    uv_installs,
    without_hadolint_comments,
)

API_KEY = "grader-load-" + "k" * 32
START_SECONDS = 90  # two workers, each importing scikit-learn, on a busy shared machine
SLOW_SECONDS = 3  # the in-flight request of the shutdown checks
SLOWEST_REQUEST_SECONDS = 5  # lab 09's /simulate routes take up to 5 s
IN_FLIGHT_SECONDS = 1.0  # how long it has been running when SIGTERM comes
REFUSAL_AFTER_SECONDS = 0.8  # after SIGTERM, a new connection is tried
PRESTART_SECONDS = 60  # migrating an empty database and training the iris model
MAX_MODEL_BYTES = 64 * 1024 * 1024  # a trained iris model is a few kilobytes
LOAD_SECONDS = 2  # each Locust run of the load-test checks
LOAD_USERS = 2  # the --users of those runs
# Locust stops at its --run-time, then lets the users end the request they are in; its
# history has a row a second: a run may span a few seconds more than it was asked for.
RUN_TIME_SLACK = 6
MAX_BATCH_BODY = 1024 * 1024  # of a POST /v1/predict/batch the relay reads (50 flowers: 4 kB)
MAX_DATABASE_BYTES = 64 * 1024 * 1024  # an empty or freshly migrated SQLite file is a few kB
LIFESPAN_SECONDS = 60  # importing the app (scikit-learn) and running its lifespan once
RELAY_SETTLE_SECONDS = 0.2
ASK_AGAIN_SECONDS = 0.02  # between the requests that wait for every worker to answer
MAX_WORKER_ANSWER = 4096  # GET /worker answers {"pid": <int>}
ROUTES = ("/v2/predict", "/v1/predict/batch")
MAX_PORT_TAKEN = 2  # starts again of a server whose port another process took first


# ---------------------------------------------------------------- the grader's settings


def settings(model: Path, data: Path) -> dict[str, str]:
    """The environment every server of this suite starts with: the grader's model, an API
    key, a database and a lifecycle log in ``data`` (a folder of this server alone)."""
    return {
        "IRIS_MODEL_PATH": str(model),
        "IRIS_API_KEYS": json.dumps({"grader-load": API_KEY}),
        "IRIS_JWT_SECRET": "grader-secret-" + "s" * 32,
        "IRIS_DATABASE_URL": f"sqlite:///{data / 'log.db'}",
        "IRIS_LIFECYCLE_LOG": str(data / "lifecycle.jsonl"),
        "IRIS_RATE_LIMIT_CAPACITY": "100000",
        "IRIS_RATE_LIMIT_REFILL_PER_SECOND": "100000",
    }


# ---------------------------------------------------------------- real servers


class Server:
    """A server of the student's, started with a command line of the handout.

    ``command_for(port, data)`` is the command that serves on ``port`` and keeps its
    database and lifecycle log in the folder ``data``, a new one from ``new_folder()``. When
    another process took the port before the server bound it, :meth:`start_again` serves on
    another port, with a new folder (its prestart work ran in the first one).
    """

    def __init__(
        self,
        what: str,
        command_for: Callable[[int, Path], Command],
        new_folder: Callable[[], Path],
    ) -> None:
        self.what = what
        self.command_for = command_for
        self.new_folder = new_folder
        self.starts = 0
        self.start_on(free_port())
        self.problem: str | None = None
        self.waited = False
        self.pids: set[int] = set()  # the worker pids GET /worker has answered
        self.gave_up: int | None = None  # a number of workers waited for in vain

    def start_on(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.data = self.new_folder()
        self.command = self.command_for(port, self.data).start()
        self.starts += 1

    def start_again(self) -> bool:
        """Start the server again on a new port when it stopped because its port was taken
        (at most twice): True when it was started again."""
        if self.starts > MAX_PORT_TAKEN or not port_was_taken(self.command.output()):
            return False
        self.command.stop()
        self.start_on(free_port())
        return True

    def log_lines(self) -> list[str]:
        """The lines of the lifecycle log, as written so far."""
        text = support.read_own_text(self.data / "lifecycle.jsonl")
        return [] if text is None else text.splitlines()

    def events(self, name: str, after: int = 0) -> list[dict]:
        """The lifecycle log's events called ``name``, in the order they were written (only
        those written after its first ``after`` lines)."""
        found = []
        for line in self.log_lines()[after:]:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("event") == name:
                found.append(event)
        return found

    def printed(self) -> str:
        """The end of what the server printed, on lines of its own (or nothing)."""
        output = self.command.output()
        return f"\nThe server printed:\n{output}" if output else ""

    def fail(self, reason: str):
        """Fail the check with ``reason`` and the end of what the server printed."""
        pytest.fail(f"{self.what}: {reason}{self.printed()}", pytrace=False)

    def worker_pids(self, wanted: int, seconds: float = 15) -> set[int]:
        """The process ids GET /worker answers with, asked on new connections until
        ``wanted`` different ones came (or ``seconds`` passed). Each must be the id of the
        server's process that accepted the connection it was asked on (read from /proc)."""
        pids = self.pids  # every pid seen so far: a later check asks again only if needed
        if self.gave_up is not None and wanted >= self.gave_up:
            return set(pids)  # an earlier check already waited for as many, in vain
        deadline = time.monotonic() + seconds
        while len(pids) < wanted and time.monotonic() < deadline:
            try:
                holder, status, body = self.ask_worker()
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
                continue
            if status != 200:
                public = " (it must be public, like /health)" if status in (401, 403) else ""
                self.fail(f"GET /worker answered {status}; expected 200{public}")
            try:
                pid = json.loads(body)["pid"]
            except (ValueError, KeyError, TypeError):
                self.fail(f"GET /worker answered {body[:200]!r}, not {{'pid': <int>}}")
            if not isinstance(pid, int) or isinstance(pid, bool):
                self.fail(f"GET /worker answered pid {pid!r}, not an integer")
            if holder is None:
                continue  # no process of the server took the connection: ask again
            if pid != holder:
                self.fail(
                    f"GET /worker answered pid {pid}, but the server's process that answered "
                    f"is {holder} (it must be os.getpid() of the worker that answers)"
                )
            pids.add(pid)
            if len(pids) < wanted:
                time.sleep(ASK_AGAIN_SECONDS)  # let the other workers take a connection
        if len(pids) < wanted:
            self.gave_up = wanted
        return set(pids)

    def ask_worker(self) -> tuple[int | None, int, bytes]:
        """GET /worker on a new connection: (the server's process that accepted it, read
        from /proc before the request is sent; the status; the body)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.connect()
            holder = self.command.connection_holder(connection.sock, seconds=5)
            connection.request("GET", "/worker")
            response = connection.getresponse()
            return holder, response.status, response.read(MAX_WORKER_ANSWER)
        finally:
            connection.close()


def wait_until_serving(server: Server) -> None:
    """Wait until GET /health answers 200, or note why the server is not serving: it
    stopped, it kept answering another status for a few seconds, or it never answered."""
    deadline = time.monotonic() + START_SECONDS
    first_answer = None
    while time.monotonic() < deadline:
        if not server.command.running():
            if server.start_again():
                continue
            server.problem = "the server stopped before it answered GET /health" + last_error(
                server.command.output()
            )
            return
        try:
            status = support.loopback_get(f"{server.url}/health", timeout=2).status_code
        except httpx.TransportError:
            status = None
        if status == 200:
            return
        if status is not None:
            first_answer = first_answer or time.monotonic()
            if time.monotonic() - first_answer > 3:
                server.problem = f"GET /health answered {status}, not 200"
                return
        time.sleep(0.2)
    server.problem = (
        f"the server did not start within {START_SECONDS} s (GET /health never answered): "
        "the machine may be busy; grade again when it is idle"
    )


def not_serving(server: Server) -> str | None:
    """Why ``server`` does not serve (waiting for it the first time), or None."""
    if not server.waited:
        server.waited = True
        wait_until_serving(server)
    return server.problem


def serving(server: Server) -> Server:
    """``server`` once it serves, or a failed check that says why it does not."""
    if not_serving(server):
        server.fail(server.problem)
    return server


PRESTART = "{python} -m app.prestart && exec "
FASTAPI_RUN = PRESTART + "{python} -m fastapi run --port {port} --workers 2"
UVICORN = PRESTART + "{python} -m uvicorn app.main:app --port {port} --workers 1"
GUNICORN = "exec {python} -m gunicorn -c gunicorn.conf.py --bind 127.0.0.1:{port} app.main:app"


# the fixture through which the checks reach each server
SERVER_FIXTURES = {
    "fastapi": "fastapi_workers",
    "uvicorn": "uvicorn_server",
    "gunicorn": "gunicorn_workers",
}


@pytest.fixture(scope="module")
def servers(request, iris_model, tmp_path_factory) -> Iterator[dict[str, Server]]:
    """The servers of the checks being run, started at once (each check waits for its own);
    every one is killed, with its workers, at the end."""
    started: dict[str, Server] = {}
    ways = {
        "fastapi": ("fastapi run --workers 2", FASTAPI_RUN, {}),
        "uvicorn": ("uvicorn --workers 1", UVICORN, {}),
        "gunicorn": ("gunicorn with WEB_CONCURRENCY=2", GUNICORN, {"WEB_CONCURRENCY": "2"}),
    }
    # A grading that runs some checks only (a re-run after a hang) starts only their servers.
    needed = {
        name
        for name, fixture in SERVER_FIXTURES.items()
        if any(fixture in item.fixturenames for item in request.session.items)
    }
    try:
        for name, (what, command_line, environment) in ways.items():
            if name not in needed:
                continue

            def command_for(port: int, data: Path, line=command_line, environment=environment):
                line = line.format(python=shlex.quote(sys.executable), port=port)
                variables = {**settings(iris_model, data), **environment}
                return Command(["/bin/sh", "-c", line], environment=variables)

            def new_folder() -> Path:
                return isolation.current().writable_by_app(tmp_path_factory.mktemp("server"))

            started[name] = Server(what, command_for, new_folder)
        yield started
    finally:
        for server in started.values():
            server.command.stop()


@pytest.fixture(scope="module")
def fastapi_workers(servers) -> Server:
    """``python -m app.prestart``, then ``fastapi run --workers 2``."""
    return servers["fastapi"]


@pytest.fixture(scope="module")
def uvicorn_server(servers) -> Server:
    """``python -m app.prestart``, then ``uvicorn app.main:app --workers 1``."""
    return servers["uvicorn"]


@pytest.fixture(scope="module")
def gunicorn_workers(servers) -> Server:
    """Gunicorn with the submission's gunicorn.conf.py and WEB_CONCURRENCY=2."""
    return servers["gunicorn"]


def several_workers_answer(server: Server) -> None:
    pids = serving(server).worker_pids(2)
    if len(pids) < 2:
        server.fail(f"only the process(es) {sorted(pids)} answered GET /worker; expected two")


# ---------------------------------------------------------------- workers


@check(
    points=5,
    hint="Add GET /worker, answering the process id of the worker that handles the request. "
    "Handout: the contract, GET /worker.",
    more="os.getpid() is the id of the process running the code: in a route, the worker's.",
)
def test_worker_route_answers_its_process_id(fastapi_workers):
    """GET /worker answers 200 with ``{"pid": <the worker's process id>}``."""
    pids = serving(fastapi_workers).worker_pids(1)
    assert pids, "GET /worker never answered"


@check(
    points=5,
    hint="Start the server the way the handout does (`fastapi run --workers 2`) and make "
    "sure the app starts in every worker. Handout: Task 1, workers.",
    more="Each worker imports app.main on its own and runs the lifespan: anything that may "
    "happen only once (migrations) must not be there.",
)
def test_fastapi_run_serves_with_two_workers(fastapi_workers):
    """``fastapi run --workers 2``: GET /worker asked on new connections is answered by two
    different processes."""
    several_workers_answer(fastapi_workers)


@check(
    points=5,
    hint="`uvicorn app.main:app` must start the same app from the lab folder. Handout: Task 1.",
    more="uvicorn imports the app from the string app.main:app (in every worker), run from "
    "the lab folder; its lifespan logs the worker's startup.",
)
def test_uvicorn_serves_the_app(uvicorn_server, lifespan_run):
    """``uvicorn app.main:app --workers 1``: GET /worker answers, and that process logged
    its ``startup`` event. And the app's lifespan, run once alone with the grader's model at
    ``IRIS_MODEL_PATH``, writes its ``startup`` event once the model is loaded:
    ``app.state.model`` holds it when ``app.lifecycle.record`` writes the event."""
    server = serving(uvicorn_server)
    pids = server.worker_pids(1)
    started = {event.get("pid") for event in server.events("startup")}
    if not pids or not pids <= started:
        server.fail(
            f"the worker {sorted(pids)} logged no startup event ({sorted(started, key=str)})"
        )
    startups = [seen for seen in lifespan_run.get("seen", []) if seen["event"] == "startup"]
    if lifespan_run.get("started") and not startups:
        pytest.fail(
            "the app's lifespan, run once alone, wrote no startup event through "
            "app.lifecycle.record: each worker's lifespan writes it, once the model is loaded "
            "(an event written when app.main is imported is not the lifespan's: `fastapi "
            "run` imports it in its supervisor too)",
            pytrace=False,
        )
    if startups and not startups[0]["model"]:
        pytest.fail(
            "the app's lifespan, run once alone with a model at IRIS_MODEL_PATH, wrote its "
            "startup event before app.state.model held the model: the event says the worker "
            "has loaded its model, so it is written after the model is loaded",
            pytrace=False,
        )


# The server hooks of Gunicorn the checks look for in gunicorn.conf.py.
GUNICORN_HOOKS = ("on_starting", "when_ready", "post_fork", "post_worker_init")


def gunicorn_settings(
    web_concurrency: str | None = "3", environment: dict[str, str] | None = None
) -> dict:
    """A probe: the settings gunicorn.conf.py defines, with ``WEB_CONCURRENCY`` set to
    ``web_concurrency`` in the environment (None: not set, as the handout's own command
    starts Gunicorn) and the variables of ``environment`` set too (a Dockerfile's ``ENV``).
    It is loaded as Gunicorn loads it: a module called ``__config__`` (a file that tests its
    ``__name__`` sees what it sees under Gunicorn)."""
    import importlib.util
    import os

    import app

    before = os.environ.get("WEB_CONCURRENCY")
    os.environ.update(environment or {})
    if web_concurrency is None:
        os.environ.pop("WEB_CONCURRENCY", None)
    else:
        os.environ["WEB_CONCURRENCY"] = web_concurrency
    try:
        path = Path(app.__file__).resolve().parent.parent / "gunicorn.conf.py"
        if not path.exists():
            return {"missing": True}
        spec = importlib.util.spec_from_file_location("__config__", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["__config__"] = module
        spec.loader.exec_module(module)
    finally:
        if before is None:
            os.environ.pop("WEB_CONCURRENCY", None)
        else:
            os.environ["WEB_CONCURRENCY"] = before
    values = {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, str | int | float)
        or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    }
    values["hooks"] = sorted(name for name in GUNICORN_HOOKS if callable(vars(module).get(name)))
    return values


@check(
    points=5,
    hint="gunicorn.conf.py must name the worker class of the uvicorn-worker package and "
    "bind every interface (0.0.0.0). Handout: Task 2, Gunicorn.",
    more="uvicorn.workers.UvicornWorker is deprecated; the class now lives in the "
    "uvicorn_worker package.",
)
def test_gunicorn_config_uses_uvicorn_worker():
    """gunicorn.conf.py sets ``worker_class = "uvicorn_worker.UvicornWorker"``, and a
    ``bind`` of its own that listens on every interface (``0.0.0.0``; Gunicorn's default,
    when it sets none, is ``127.0.0.1:8000``)."""
    try:
        values = isolation.call(gunicorn_settings, timeout=30)
    except isolation.SandboxError as error:
        pytest.fail(f"gunicorn.conf.py did not run: {error}", pytrace=False)
    assert not values.get("missing"), "there is no gunicorn.conf.py in the lab folder"
    worker_class = values.get("worker_class")
    assert worker_class == "uvicorn_worker.UvicornWorker", (
        f"gunicorn.conf.py sets worker_class = {worker_class!r}; expected "
        "'uvicorn_worker.UvicornWorker'"
    )
    bind = values.get("bind")
    binds = [bind] if isinstance(bind, str) else bind if isinstance(bind, list) else []
    hosts = [split_bind(each)[0] for each in binds if not each.startswith(("unix:", "fd:"))]
    if not any(not is_loopback(host) for host in hosts):
        found = f"bind = {bind!r}" if bind is not None else "no bind (Gunicorn's 127.0.0.1:8000)"
        pytest.fail(
            f"gunicorn.conf.py sets {found}; expected a bind that listens on every "
            'interface, such as bind = "0.0.0.0:8000": a --bind on the command line wins '
            "over it, and without one (the image's Gunicorn) the file's bind is the address",
            pytrace=False,
        )


@check(
    points=5,
    hint="Gunicorn's number of workers comes from WEB_CONCURRENCY in gunicorn.conf.py, and "
    "the file must also work when the variable is not set. Handout: Task 2.",
    more="Read WEB_CONCURRENCY from the environment, with a default for when it is absent: "
    "`gunicorn -c gunicorn.conf.py app.main:app`, as the handout starts it, sets none.",
)
def test_gunicorn_serves_with_web_concurrency_workers(gunicorn_workers):
    """gunicorn.conf.py read with ``WEB_CONCURRENCY=3`` sets ``workers = 3``; read with no
    ``WEB_CONCURRENCY`` it runs and sets a positive integer ``workers`` (or none: Gunicorn's
    default); Gunicorn started with ``WEB_CONCURRENCY=2``: two different processes answer
    GET /worker."""
    try:
        values = isolation.call(gunicorn_settings, "3", timeout=30)
    except isolation.SandboxError as error:
        pytest.fail(f"gunicorn.conf.py did not run: {error}", pytrace=False)
    assert not values.get("missing"), "there is no gunicorn.conf.py in the lab folder"
    workers = values.get("workers")
    assert workers == 3, (
        f"with WEB_CONCURRENCY=3 in the environment, gunicorn.conf.py sets workers = "
        f"{workers!r}; expected 3"
    )
    unset = (
        "with no WEB_CONCURRENCY in the environment (`gunicorn -c gunicorn.conf.py app.main:app`)"
    )
    try:
        values = isolation.call(gunicorn_settings, None, timeout=30)
    except isolation.SandboxError as error:
        pytest.fail(
            f"{unset}, gunicorn.conf.py did not run: {error}; Gunicorn would not start. The "
            "contract: a default number of workers when the variable is not set",
            pytrace=False,
        )
    workers = values.get("workers", 1)  # none set: Gunicorn's default
    assert type(workers) is int and workers > 0, (
        f"{unset}, gunicorn.conf.py sets workers = {workers!r}; the contract: a positive "
        "integer when the variable is not set"
    )
    several_workers_answer(gunicorn_workers)


def ran_once(server: Server, scratch: Path) -> None:
    """The prestart event came once, the database has its tables (the prestart work
    migrated it: the lifespan never does), and a startup event from every worker that
    answered."""
    pids = serving(server).worker_pids(2)
    prestarts = server.events("prestart")
    if len(prestarts) != 1:
        server.fail(
            f"the lifecycle log has {len(prestarts)} prestart event(s) with "
            f"{len(pids)} worker(s) answering; the once-only work must run exactly once"
        )
    if not database_tables(server.data / "log.db", scratch):
        server.fail(
            "the server's database (IRIS_DATABASE_URL, empty before it started) has no table "
            "after the prestart work and the workers' start: the prestart work migrates the "
            "database (app.database.migrate) before it writes its prestart event"
        )
    started = {event.get("pid") for event in server.events("startup")}
    missing = pids - started
    if missing:
        server.fail(
            f"the workers {sorted(missing)} answered GET /worker but logged no startup "
            f"event (the log has startup events from {sorted(started, key=str)})"
        )


@check(
    points=5,
    hint="The once-only work (migrating the database, checking the model) belongs in "
    "app/prestart.py, run before the server; never in the lifespan. Handout: Task 3.",
    more="With two workers the lifespan runs twice, at the same moment: two migrations race "
    "on one database.",
)
def test_start_up_work_ran_once_under_fastapi_run(
    fastapi_workers, lifespan_run, prestart_run, tmp_path
):
    """``python -m app.prestart`` then ``fastapi run --workers 2``: the lifecycle log has
    one ``prestart`` event, and a ``startup`` event from each worker. And the app's lifespan,
    run once alone (as each worker runs it) on an empty database, leaves it with no table:
    it never migrates (the prestart event alone would not show an ``alembic upgrade`` of
    its own). The server's database has its tables (the prestart work migrated it), and
    ``prepare(settings)``, run once alone on an empty database (a file with no table, already
    there), writes its ``prestart`` event once the database has its tables."""
    ran_once(fastapi_workers, tmp_path)
    tables = lifespan_run["tables"]
    if tables:
        pytest.fail(
            "importing the app and running its lifespan once, as each worker does, on an "
            f"empty database created the table(s) {', '.join(tables[:5])}: the lifespan (or "
            "the import) migrates the database. Migrating is once-only work: app/prestart.py "
            "does it before the workers start; the lifespan only opens the database",
            pytrace=False,
        )
    if prestart_run.get("tables") == []:
        pytest.fail(
            "prepare(settings) of app/prestart.py, run once on an empty database (its file "
            "there, with no table yet), wrote its prestart event before the database had a "
            "table: prepare() migrates the database, whether its file is new or already "
            "there, then writes the event, which says the database is migrated",
            pytrace=False,
        )
    if "problem" not in prestart_run and prestart_run.get("tables") is None:
        pytest.fail(
            "prepare(settings) of app/prestart.py, run once alone, wrote no prestart event "
            "through app.lifecycle.record: prepare() itself writes it (Gunicorn's on_starting "
            "may call prepare() without main())",
            pytrace=False,
        )


@check(
    points=5,
    hint="Under Gunicorn the once-only work runs in the master before it forks the workers: "
    "a server hook of gunicorn.conf.py. Handout: Task 3.",
    more="on_starting(server) runs once in the master; post_fork runs in every worker.",
)
def test_start_up_work_ran_once_under_gunicorn(gunicorn_workers, tmp_path):
    """Gunicorn with two workers: one ``prestart`` event (run by the master before the
    workers start), the database migrated, and a ``startup`` event from each worker. And
    gunicorn.conf.py defines the ``on_starting`` hook that runs the prestart work (work at
    the top of the file runs whenever the file is read, not when Gunicorn starts)."""
    ran_once(gunicorn_workers, tmp_path)
    try:
        values = isolation.call(gunicorn_settings, "2", timeout=30)
    except isolation.SandboxError as error:
        pytest.fail(f"gunicorn.conf.py did not run: {error}", pytrace=False)
    if "on_starting" not in values.get("hooks", []):
        pytest.fail(
            "gunicorn.conf.py defines no on_starting(server) function: the prestart work runs "
            "in that hook, which Gunicorn calls once, in the master, before it forks the "
            "workers (code at the top of the file runs whenever the file is read: "
            "gunicorn --check-config, a reload on SIGHUP, any tool that reads the settings)",
            pytrace=False,
        )


def run_prestart(model: Path, data: Path) -> str:
    """``python -m app.prestart`` with ``IRIS_MODEL_PATH`` naming ``model``: what it printed
    (the check fails if it is still running after PRESTART_SECONDS)."""
    command = Command(python("-m", "app.prestart"), environment=settings(model, data)).start()
    try:
        ended = command.wait(PRESTART_SECONDS)
    finally:
        command.stop()
    output = command.output()
    shown = f"\nIt printed:\n{output}" if output else ""
    if not ended:
        pytest.fail(
            f"python -m app.prestart was still running after {PRESTART_SECONDS} s{shown}",
            pytrace=False,
        )
    return shown


SETOSA = [5.1, 3.5, 1.4, 0.2]  # one iris flower's measurements


# Unpickling runs whatever the pickle names: a model file the student's code wrote could name a
# module of the submission, which would then run in the probe that loads it and could write the
# probe's reply itself. The probe therefore takes the submission off the import path and
# rebuilds only objects of these modules (as lab 03's checks of train.py do).
MODEL_MODULES = ("sklearn", "numpy", "scipy", "joblib")
# The functions (not classes) of those modules that rebuild pickled arrays, random states and
# compiled scikit-learn objects.
REBUILDERS = {
    "_reconstruct",
    "scalar",
    "_frombuffer",
    "__bit_generator_ctor",
    "__randomstate_ctor",
    "__generator_ctor",
    "newObj",
}


def model_problem(path: str, folder: str) -> str | None:
    """A probe: why the file at ``path`` is not a model the app can load and ask (joblib.load,
    then predict_proba of one flower, as the app does), or None. The submission's ``folder``
    is off the import path meanwhile, and the unpickler rebuilds only objects of
    MODEL_MODULES: no code of the student's runs here."""
    import importlib
    import pickle

    import joblib
    import numpy
    from joblib import numpy_pickle

    class ModelsOnly(numpy_pickle.NumpyUnpickler):
        def find_class(self, module: str, name: str):
            # The module is checked before it is imported: importing is running it.
            if module.split(".")[0] in MODEL_MODULES:
                found = super().find_class(module, name)
                if (
                    isinstance(found, (type, numpy.ufunc))
                    or name in REBUILDERS
                    or name.startswith("__pyx_")
                ):
                    return found
            raise pickle.UnpicklingError(
                f"it names {module}.{name}; a model holds objects of scikit-learn, NumPy and "
                "SciPy only"
            )

    saved, inside = list(sys.path), Path(folder).resolve()
    sys.path[:] = [
        entry for entry in saved if entry and not Path(entry).resolve().is_relative_to(inside)
    ]
    importlib.invalidate_caches()
    plain, numpy_pickle.NumpyUnpickler = numpy_pickle.NumpyUnpickler, ModelsOnly
    try:
        try:
            pipeline = joblib.load(path)
        except Exception as error:
            return f"joblib.load raised {type(error).__name__}: {error}"[:300]
        try:
            classes = [str(name) for name in pipeline.classes_]
            probabilities = pipeline.predict_proba([SETOSA])
        except Exception as error:
            what = type(pipeline).__name__
            return f"it holds a {what}; predict_proba of one flower raised {error!r}"[:300]
        if len(probabilities) != 1 or len(probabilities[0]) != len(classes):
            return f"predict_proba of one flower answered {str(probabilities)[:200]}"
        return None
    finally:
        numpy_pickle.NumpyUnpickler = plain
        sys.path[:] = saved


def check_model(model: Path, shown: str, submission_dir: Path) -> None:
    """Fail the check unless ``model`` loads and predicts: it is the student's file, loaded
    in a probe (a sandbox in secure mode), never in the grader, with no code of the
    student's (see :func:`model_problem`)."""
    try:
        problem = isolation.call(model_problem, str(model), str(submission_dir), timeout=60)
    except isolation.SandboxError as error:
        problem = f"loading it did not finish ({error})"
    if problem:
        pytest.fail(
            f"python -m app.prestart, with IRIS_MODEL_PATH naming a missing file, left a file "
            f"there, but {model.name} is not a model the app can load: {problem}{shown}",
            pytrace=False,
        )


def check_metadata(model: Path, shown: str) -> None:
    """Fail the check unless the metadata the app loads with the model lies beside it: a
    JSON object with a ``version`` in the file of the same name ending in ``.json``."""
    beside = model.with_suffix(".json")
    text = support.read_own_text(beside)
    try:
        metadata = json.loads(text) if text is not None else None
    except ValueError:
        metadata = None
    if not isinstance(metadata, dict) or "version" not in metadata:
        found = "no such file" if text is None else f"{text[:80]!r}"
        pytest.fail(
            f"python -m app.prestart, with IRIS_MODEL_PATH naming a missing file, left a "
            f"model at {model.name}, but {beside.name} beside it is not its metadata ({found}): "
            "the app loads the model with the model.json train.py writes beside it (a JSON "
            "object with its version, classes...), so without it every worker would serve "
            f"without a model{shown}",
            pytrace=False,
        )


@check(
    points=5,
    hint="When there is no model at IRIS_MODEL_PATH, the prestart work trains one there "
    "(the lab's train.py). Handout: Task 3.",
    more="A missing model is once-only work: train it in prepare(), before the workers start, "
    "so every worker finds it at IRIS_MODEL_PATH; a model already there stays.",
)
def test_prestart_trains_a_missing_model(submission_dir, tmp_path_factory):
    """``python -m app.prestart`` with ``IRIS_MODEL_PATH`` naming a file that does not exist
    (``iris-classifier.joblib``, in an empty folder) ends, and a model is there afterwards
    (joblib loads it, and it predicts a flower) with its metadata beside it
    (``iris-classifier.json``, a JSON object with its ``version``, which the app loads with
    it), and its ``prestart`` event is written after the model is there (the lifecycle log
    is older than the model otherwise); run again, it leaves the model that is there as it is
    (it trains only when there is none)."""
    data = isolation.current().writable_by_app(tmp_path_factory.mktemp("prestart"))
    # Not train.py's own name: the model belongs at IRIS_MODEL_PATH, whatever its name.
    model = data / "iris-classifier.joblib"
    shown = run_prestart(model, data)
    # The folder is the app's: its files are read and replaced without following a link.
    trained = support.read_own_file(model, limit=MAX_MODEL_BYTES)
    if trained is None:
        pytest.fail(
            "python -m app.prestart, with IRIS_MODEL_PATH naming a missing file, left no "
            f"model there (a regular file, not a link){shown}",
            pytrace=False,
        )
    check_model(model, shown, submission_dir)
    check_metadata(model, shown)
    # The prestart event says the work is done: it is written after the model is in place.
    log = data / "lifecycle.jsonl"
    try:
        logged, trained_at = os.lstat(log).st_mtime_ns, os.lstat(model).st_mtime_ns
    except OSError:
        logged = trained_at = None
    if logged is not None and trained_at is not None and logged < trained_at:
        pytest.fail(
            "python -m app.prestart, with IRIS_MODEL_PATH naming a missing file, wrote to the "
            f"lifecycle log (its prestart event) before the model it trained was at {model.name}: "
            "prepare() migrates the database, trains a missing model, then writes the event "
            f"that says the work is done{shown}",
            pytrace=False,
        )
    # The model a team deployed: prestart must not replace it.
    deployed = trained + b"\0deployed"
    if not support.replace_own_file(data, model.name, deployed):
        pytest.fail(f"the grader could not put a model of its own at {model.name}", pytrace=False)
    shown = run_prestart(model, data)
    if support.read_own_file(model, limit=MAX_MODEL_BYTES) != deployed:
        pytest.fail(
            "python -m app.prestart, run again with a model at IRIS_MODEL_PATH, replaced it: "
            f"it trains only when there is no model there{shown}",
            pytrace=False,
        )


# ---------------------------------------------------------------- one lifespan, alone


def lifespan_leftovers(folder: str, environment: dict[str, str]) -> dict:
    """A probe: import the app of ``folder`` afresh with ``environment`` set and run its
    lifespan once, as a server's worker does (the ASGI lifespan messages, startup then
    shutdown), opening and closing one connection of its engine (``app.state.engine``)
    while it serves. What it left: ``started`` (whether the startup completed; else
    ``problem``, why not), ``model`` (whether ``app.state.model`` still holds one after the
    shutdown) and ``pooled`` (the connections the engine's pool still holds then; None when
    it cannot tell)."""
    import asyncio
    import contextlib
    import os
    import signal

    saved = {name: os.environ.get(name) for name in environment}
    handlers = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    os.environ.update(environment)  # the settings are read when app.main is imported
    support.forget_submission_tables()
    try:
        with submission.imported_afresh(Path(folder)) as module:
            app = submission.app_of(module)
            seen = watch_the_events(app)
            left = asyncio.run(run_lifespan(app))
            left["seen"] = seen
            return left
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for number, handler in handlers.items():  # a lifespan may install its own
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(number, handler)


def watch_the_events(app) -> list[dict]:
    """Wrap ``app.lifecycle.record`` (in that module, and wherever the submission's modules
    imported it by name) so that each event it writes notes what the app held at that moment:
    ``model`` (whether ``app.state.model`` holds one) and ``pooled`` (the connections the
    engine's pool keeps; None when it cannot tell). The list the notes go to is returned."""
    import sys

    seen: list[dict] = []
    lifecycle = sys.modules.get("app.lifecycle")
    original = getattr(lifecycle, "record", None)
    if not callable(original):
        return seen

    def record(*arguments, **keywords):
        event = keywords.get("event", arguments[1] if len(arguments) > 1 else None)
        engine = getattr(app.state, "engine", None)
        try:
            pooled = int(engine.pool.checkedin())
        except Exception:
            pooled = None
        model = getattr(app.state, "model", None) is not None
        seen.append({"event": str(event), "model": model, "pooled": pooled})
        return original(*arguments, **keywords)

    for name, module in list(sys.modules.items()):
        if name == "app" or name.startswith("app."):
            for attribute, value in list(vars(module).items()):
                if value is original:  # imported by name, under any name
                    setattr(module, attribute, record)
    return seen


async def run_lifespan(app) -> dict:
    """The lifespan of ``app``, run once (see :func:`lifespan_leftovers`)."""
    import asyncio

    received: asyncio.Queue = asyncio.Queue()
    replies: asyncio.Queue = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    running = asyncio.ensure_future(app(scope, received.get, replies.put))

    async def reply() -> str:
        """The type of the app's next lifespan message, or what happened instead."""
        waiting = asyncio.ensure_future(replies.get())
        await asyncio.wait({waiting, running}, return_when=asyncio.FIRST_COMPLETED)
        if waiting.done():
            message = waiting.result()
            return f"{message.get('type')} {message.get('message') or ''}".strip()
        waiting.cancel()
        error = running.exception()
        return f"the lifespan raised {error!r}"[:300] if error else "the lifespan returned"

    await received.put({"type": "lifespan.startup"})
    started = await reply()
    if started != "lifespan.startup.complete":
        running.cancel()
        return {"started": False, "problem": started}
    engine = getattr(app.state, "engine", None)
    if callable(getattr(engine, "connect", None)):
        with engine.connect():
            pass  # one connection, back in the pool
    await received.put({"type": "lifespan.shutdown"})
    stopped = await reply()
    pool = getattr(engine, "pool", None)
    try:
        pooled = int(pool.checkedin())
    except Exception:  # no engine, or a pool that keeps no connections
        pooled = None
    running.cancel()
    return {
        "started": True,
        "stopped": stopped,
        "model": getattr(app.state, "model", None) is not None,
        "pooled": pooled,
    }


def database_tables(database: Path, scratch: Path) -> list[str]:
    """The tables of the SQLite file at ``database`` (with its write-ahead log, if any), read
    from a copy of the grader's; none when there is no file or it is not a database."""
    copy = scratch / "copy.db"
    for suffix in ("", "-wal"):
        data = support.read_own_file(Path(f"{database}{suffix}"), limit=MAX_DATABASE_BYTES)
        if data is None:
            if not suffix:
                return []
            continue
        Path(f"{copy}{suffix}").write_bytes(data)
    try:
        with sqlite3.connect(copy) as connection:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            return sorted(name for (name,) in rows if not name.startswith("sqlite_"))
    except sqlite3.Error:
        return []


def prestart_leftovers(folder: str, environment: dict[str, str], database: str) -> dict:
    """A probe: import ``app.prestart`` of ``folder`` afresh with ``environment`` set and
    call its ``prepare(settings)`` once on an empty SQLite file at ``database`` (made here),
    with ``app.lifecycle.record`` watched: ``tables``, the tables that file had when the
    ``prestart`` event was written (None: no such event was written through it); else
    ``problem``, why it did not run."""
    import os
    import sqlite3
    import sys

    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    support.forget_submission_tables()
    found: dict = {"tables": None}
    # The file is there, with no table: a service whose database file exists already (a
    # volume, an older deployment) is migrated too.
    sqlite3.connect(database).close()
    try:
        with submission.imported_afresh(Path(folder), "app.prestart") as module:
            lifecycle = sys.modules.get("app.lifecycle")
            original = getattr(lifecycle, "record", None)
            config = sys.modules.get("app.core.config")
            if not callable(original) or config is None:
                return {"problem": "app.lifecycle.record or app.core.config is missing"}

            def record(*arguments, **keywords):
                event = keywords.get("event", arguments[1] if len(arguments) > 1 else None)
                if event == "prestart" and found["tables"] is None:
                    try:
                        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
                            rows = db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                            found["tables"] = [name for (name,) in rows]
                    except sqlite3.Error:
                        found["tables"] = []
                return original(*arguments, **keywords)

            for name, each in list(sys.modules.items()):
                own = name == "app" or name.startswith("app.")
                if own and getattr(each, "record", None) is original:
                    each.record = record
            module.prepare(config.get_settings())
    except Exception as error:
        return {"problem": f"{type(error).__name__}: {error}"[:300]}
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return found


@pytest.fixture(scope="module")
def prestart_run(submission_dir, iris_model, tmp_path_factory) -> dict:
    """``prepare(settings)`` of app/prestart.py, run once in a probe on an empty database
    with the grader's model (:func:`prestart_leftovers`)."""
    data = isolation.current().writable_by_app(tmp_path_factory.mktemp("prepare"))
    try:
        return isolation.call(
            prestart_leftovers,
            str(submission_dir),
            settings(iris_model, data),
            str(data / "log.db"),
            timeout=LIFESPAN_SECONDS,
        )
    except isolation.SandboxError as error:
        return {"problem": str(error)}


@pytest.fixture(scope="module")
def lifespan_run(submission_dir, iris_model, tmp_path_factory) -> dict:
    """The app's lifespan, run once alone on an empty database (no file yet) with the
    grader's model: what it left (:func:`lifespan_leftovers`), and the ``tables`` of the
    database afterwards."""
    data = isolation.current().writable_by_app(tmp_path_factory.mktemp("lifespan"))
    try:
        left = isolation.call(
            lifespan_leftovers,
            str(submission_dir),
            settings(iris_model, data),
            timeout=LIFESPAN_SECONDS,
        )
    except isolation.SandboxError as error:
        left = {"started": False, "problem": str(error)}
    left["tables"] = database_tables(data / "log.db", tmp_path_factory.mktemp("tables"))
    return left


# ---------------------------------------------------------------- graceful shutdown


class Shutdown:
    """What a Gunicorn server did when it got SIGTERM during a slow request."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.workers: set[int] = set()
        self.slow: int | str | None = None  # its status, or why there was none
        self.new_connection: str | None = None
        self.ended = False
        self.logged_before = 0  # the lines of the lifecycle log written before SIGTERM


def send_slow_request(port: int) -> socket.socket:
    """A connection with GET /simulate/io?seconds=3 sent in full: from here on the request is
    the server's, whatever the threads of this process do."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    request = f"GET /simulate/io?seconds={SLOW_SECONDS} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    connection.sendall((request + "Connection: close\r\n\r\n").encode())
    return connection


def answer_status(connection: socket.socket) -> int | str:
    """The status of the answer on ``connection``, or why none came."""
    data = b""
    try:
        with connection:
            while chunk := connection.recv(65536):
                data += chunk
    except OSError as error:
        return f"{type(error).__name__}: {error}"
    match = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(match[1]) if match else "the connection was closed with no answer"


def graceful_enough(value: object) -> bool:
    """Whether Gunicorn's ``graceful_timeout`` setting ``value`` (a number, or a string of
    one) gives a request longer than the slowest the service serves."""
    try:
        return float(value) > SLOWEST_REQUEST_SECONDS  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


@pytest.fixture(scope="module")
def shutdown(gunicorn_workers) -> Shutdown:
    """The Gunicorn server with two workers, sent SIGTERM one second into a slow request
    (after the checks above used it)."""
    server = gunicorn_workers
    outcome = Shutdown(server)
    if not_serving(server):
        return outcome
    outcome.workers = server.worker_pids(2)
    try:
        connection = send_slow_request(server.port)
    except OSError as error:
        outcome.slow = f"it could not be sent ({error})"
        return outcome
    time.sleep(IN_FLIGHT_SECONDS)
    outcome.logged_before = len(server.log_lines())
    server.command.signal(signal.SIGTERM)
    # A moment for the signal to reach the workers (a loaded machine is slow to schedule
    # them); the slow request is still in flight for a second or more after it.
    time.sleep(REFUSAL_AFTER_SECONDS)
    try:
        answer = support.loopback_get(f"{server.url}/health", timeout=3)
        outcome.new_connection = f"answered {answer.status_code}"
    except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError):
        # refused, or queued by the kernel and reset when the listening socket closed
        outcome.new_connection = None
    except httpx.HTTPError as error:
        outcome.new_connection = f"was accepted, then {type(error).__name__}"
    outcome.slow = answer_status(connection)
    outcome.ended = server.command.wait(20)
    return outcome


@check(
    points=10,
    hint="On SIGTERM the server must stop accepting, then let running requests finish. "
    "Something in your code ends the process at once. Handout: Task 4, graceful shutdown.",
    more="Gunicorn waits graceful_timeout seconds for the workers; a signal handler of your "
    "own, or a graceful_timeout shorter than a request, cuts requests off.",
)
def test_in_flight_request_finishes_after_sigterm(shutdown):
    """GET /simulate/io?seconds=3, running for a second when SIGTERM comes, still answers
    200. And gunicorn.conf.py gives the workers a ``graceful_timeout`` of more than 5 s (the
    service's slowest requests, /simulate, take up to 5; none set: Gunicorn's 30)."""
    server = serving(shutdown.server)
    try:
        values = isolation.call(gunicorn_settings, None, timeout=30)
    except isolation.SandboxError as error:
        pytest.fail(f"gunicorn.conf.py did not run: {error}", pytrace=False)
    graceful = values.get("graceful_timeout", 30)  # none set: Gunicorn's default
    if not graceful_enough(graceful):
        pytest.fail(
            f"gunicorn.conf.py sets graceful_timeout = {graceful!r}; expected a number of "
            f"seconds above {SLOWEST_REQUEST_SECONDS}: a /simulate request takes up to "
            f"{SLOWEST_REQUEST_SECONDS} s, and a worker still serving one when the timeout "
            "passes is killed, its request cut off",
            pytrace=False,
        )
    if not isinstance(shutdown.slow, int):
        server.fail(f"the request in flight at SIGTERM got no answer ({shutdown.slow})")
    if shutdown.slow != 200:
        server.fail(f"the request in flight at SIGTERM answered {shutdown.slow}")


@check(
    points=5,
    hint="After SIGTERM the server closes its listening socket at once: new clients are "
    "refused and go to another instance. Handout: Task 4.",
    more="Gunicorn's master closes its sockets on SIGTERM; a server kept alive by your own "
    "signal handling keeps accepting.",
)
def test_new_connections_are_refused_after_sigterm(shutdown):
    """The server answered GET /worker before SIGTERM; a new connection opened just after
    SIGTERM is refused."""
    server = serving(shutdown.server)
    if not shutdown.workers:
        server.fail("no worker answered GET /worker before SIGTERM: nothing to compare")
    if shutdown.new_connection is not None:
        server.fail(f"GET /health on a new connection after SIGTERM {shutdown.new_connection}")


@check(
    points=5,
    hint="The lifespan's code after `yield` releases the model and writes the shutdown "
    "event, in every worker. Handout: Task 4 and the lifecycle log.",
    more="Write the event last, after the model and the database are released; a process "
    "that exits on its own never reaches it.",
)
def test_every_worker_ran_its_shutdown(shutdown, lifespan_run):
    """After SIGTERM the server exits, and each worker that answered logged a ``shutdown``
    event after the signal (one written before it does not count). And the app's lifespan,
    run once alone with one database connection opened while it serves, releases the model
    and the database at its shutdown, then writes its ``shutdown`` event (through
    ``app.lifecycle.record``): ``app.state.model`` holds no model afterwards, and the
    engine's pool keeps no connection (``engine.dispose()``)."""
    server = serving(shutdown.server)
    if not shutdown.ended:
        server.fail("the server was still running 20 s after SIGTERM")
    after = server.events("shutdown", after=shutdown.logged_before)
    stopped = {event.get("pid") for event in after}
    missing = shutdown.workers - stopped
    if not shutdown.workers or missing:
        early = {event.get("pid") for event in server.events("shutdown")} - stopped
        before = (
            f"; {sorted(early, key=str)} logged one before SIGTERM, while still serving"
            if early
            else ""
        )
        server.fail(
            f"the workers {sorted(missing)} logged no shutdown event after SIGTERM (the log "
            f"has shutdown events after it from {sorted(stopped, key=str)}{before})"
        )
    if not lifespan_run.get("started"):
        return  # a lifespan that did not start alone: the server above showed its shutdown
    kept = []
    if lifespan_run.get("model"):
        kept.append("the model (app.state.model is not None)")
    if lifespan_run.get("pooled"):
        kept.append(
            f"{lifespan_run['pooled']} database connection(s) in the engine's pool "
            "(engine.dispose() closes them)"
        )
    if kept:
        pytest.fail(
            f"the app's lifespan, run once and shut down, kept {' and '.join(kept)}: after "
            "yield it releases the model and the database, then writes the shutdown event",
            pytrace=False,
        )
    shutdowns = [seen for seen in lifespan_run.get("seen", []) if seen["event"] == "shutdown"]
    if not shutdowns:
        pytest.fail(
            "the app's lifespan, run once alone and shut down, wrote no shutdown event "
            "through app.lifecycle.record: the lifespan writes it after yield, once the model "
            "and the database are released",
            pytrace=False,
        )
    held = []
    if shutdowns and shutdowns[-1]["model"]:
        held.append("the model (app.state.model was not None)")
    if shutdowns and shutdowns[-1]["pooled"]:
        held.append(f"{shutdowns[-1]['pooled']} database connection(s) in the engine's pool")
    if held:
        pytest.fail(
            f"the app's lifespan wrote its shutdown event while it still held "
            f"{' and '.join(held)}: the event says the worker released them, so it is "
            "written last, after app.state.model = None and engine.dispose()",
            pytrace=False,
        )


# ---------------------------------------------------------------- the image description


def listening_addresses(steps: list[tuple[str, str]], folder: Path) -> list[tuple[str, str]]:
    """The (host, port) pairs the server the image starts listens on, read from its command
    line, the image's ``ENV`` and, for Gunicorn, its ``gunicorn.conf.py`` (read in a probe
    with those variables set); none when they cannot be told (a variable, another config
    file, a Unix socket...)."""
    commands = image_instructions(steps, "CMD")
    entrypoints = image_instructions(steps, "ENTRYPOINT")
    listed = exec_form(commands[-1]) if commands else None
    entrypoint = exec_form(entrypoints[-1]) if entrypoints else []
    words = server_words(entrypoint or []) or server_words(listed or [])
    if not words:
        return []
    server = server_started(words)
    variables = environment_of(steps)
    if server == "gunicorn":
        binds = option_values(words, "-b", "--bind")
        if not binds:
            configs = option_values(words, "-c", "--config")
            if "GUNICORN_CMD_ARGS" in variables or (
                configs and PurePosixPath(configs[-1]).name != "gunicorn.conf.py"
            ):
                return []
            plain = {
                name: value
                for name, value in variables.items()
                if "$" not in value and not name.startswith(("PATH", "PYTHON", "LD_"))
            }
            try:
                values = isolation.call(gunicorn_settings, None, plain, timeout=30)
            except isolation.SandboxError:
                return []
            bind = values.get("bind")
            if bind is None:  # Gunicorn's default: $PORT on every interface, or loopback
                port = variables.get("PORT")
                bind = f"0.0.0.0:{port}" if port else "127.0.0.1:8000"
            binds = [bind] if isinstance(bind, str) else list(bind)
        pairs = [split_bind(bind) for bind in binds if not bind.startswith(("unix:", "fd:"))]
    elif server in ("uvicorn", "fastapi"):
        if option_values(words, "--uds", "--fd"):
            return []
        hosts = option_values(words, "--host")
        ports = option_values(words, "--port")
        if server == "uvicorn":
            host = hosts[-1] if hosts else variables.get("UVICORN_HOST", "127.0.0.1")
            port = ports[-1] if ports else variables.get("UVICORN_PORT", "8000")
        else:
            host = hosts[-1] if hosts else "0.0.0.0"
            port = ports[-1] if ports else "8000"
        pairs = [(host, port)]
    else:
        return []
    return [(host, port) for host, port in pairs if "$" not in host + port]


def read_file(folder: Path, name: str) -> str:
    """A file of the lab folder (never through a link: see support.read_own_file)."""
    text = support.read_own_text(folder / name)
    if text is None:
        pytest.fail(f"there is no {name} in the lab folder (a file, not a link)", pytrace=False)
    return text


# The rules the parsing checks below own: each bug costs its own check, not this one too.
OWNED_RULES = ("DL3002", "DL3025")
PARSE_ERROR = "DL1000"  # hadolint's finding for a Dockerfile it could not parse


@check(
    points=5,
    hint="Run `uv run hadolint Dockerfile` and fix each warning it prints. Handout: Task 5.",
    more="Each finding names a rule (DL3008...) with a page that explains it and the fix.",
)
def test_dockerfile_passes_hadolint(submission_dir, tmp_path):
    """hadolint finds nothing at the level "warning" or above in the Dockerfile (with the
    grader's settings: a `.hadolint.yaml` or a `# hadolint` comment of yours does not count)."""
    text = read_file(submission_dir, "Dockerfile")
    keywords = {keyword for keyword, _ in instructions(text)}
    assert {"FROM", "CMD"} <= keywords, "the Dockerfile has no FROM and CMD yet"
    # Run from a folder of the grader's, with its own empty configuration: hadolint would
    # otherwise read a .hadolint.yaml from where it runs, or from the user's home.
    settings = tmp_path / "hadolint.yaml"
    settings.write_text("{}\n")
    tool = Path(sys.executable).parent / "hadolint"
    command = [str(tool), "--config", str(settings), "--disable-ignore-pragma"]
    command += ["--format", "json", "--no-fail"]
    command += [option for rule in OWNED_RULES for option in ("--ignore", rule)]
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    result = subprocess.run(
        [*command, "-"],
        input=without_hadolint_comments(text).encode(),
        capture_output=True,
        cwd=tmp_path,
        env={**environment, "XDG_CONFIG_HOME": str(tmp_path)},
        timeout=60,
        check=False,
    )
    try:
        findings = json.loads(result.stdout or b"[]")
    except ValueError:
        findings = None
    readable = isinstance(findings, list) and all(isinstance(f, dict) for f in findings)
    parsed = readable and not any(f.get("code") == PARSE_ERROR for f in findings)
    heredoc = first_heredoc_line(text)
    if heredoc is not None and not parsed:
        pytest.fail(
            f"hadolint cannot read heredocs (the << of line {heredoc}), so it could not "
            "check this Dockerfile: write those commands in one RUN, joined with &&",
            pytrace=False,
        )
    if not readable:
        pytest.fail(f"hadolint could not read the Dockerfile: {result.stderr[:300]!r}")
    serious = [f for f in findings if f.get("level") in ("error", "warning")]
    assert not serious, "hadolint: " + "; ".join(
        f"line {f.get('line')} {f.get('code')} {f.get('message')}" for f in serious[:5]
    )


@check(
    points=5,
    hint="Build in two stages: one with uv installs the dependencies, the final one copies "
    "only the environment and the code. Handout: Task 5.",
    more="Two FROM lines, the first named (AS builder); in the first a RUN where uv itself "
    "installs the requirements (not pip); COPY --from=builder in the last.",
)
def test_dockerfile_builds_in_two_stages_with_uv(submission_dir):
    """The Dockerfile has at least two stages; a RUN of a stage before the last runs uv to
    install the dependencies (``uv sync``, ``uv pip install`` or ``uv pip sync``: uv copied
    in or installed with pip, by any path; ``uv venv`` alone installs nothing); and the last
    stage copies from an earlier one (COPY --from= that stage's name or number; an image
    does not count), each absolute path it copies being one that stage made (under a path
    its WORKDIR, COPY, RUN or ENV names, or under the base image's own folders), and that
    stage is built on the same Python as the last (version, and Alpine or not)."""
    text = read_file(submission_dir, "Dockerfile")
    steps = instructions(text)
    froms = [arguments for keyword, arguments in steps if keyword == "FROM"]
    assert len(froms) >= 2, f"the Dockerfile has {len(froms)} stage(s) (FROM); expected two"
    runs = [
        arguments
        for stage in stages(steps)[:-1]
        for keyword, arguments in stage
        if keyword == "RUN"
    ]
    if not any(uv_installs(command) for run in runs for command in run_commands(run)):
        found = "; ".join(f"RUN {run[:100]}" for run in runs[:3]) or "no RUN"
        heredoc = (
            " (a heredoc's script is not read: write its commands in one RUN, joined with &&)"
            if first_heredoc_line(text) is not None
            else ""
        )
        pytest.fail(
            "uv installs no dependencies: no RUN of a stage before the last runs uv sync, uv "
            f"pip install or uv pip sync (the contract: uv installs them){heredoc}; those "
            f"stages run: {found}",
            pytrace=False,
        )
    earlier = earlier_stages(steps)
    copies = [arguments for keyword, arguments in stages(steps)[-1] if keyword == "COPY"]
    sources = [found.lower() for c in copies for found in re.findall(r"--from=(\S+)", c)]
    assert any(source in earlier for source in sources), (
        "the last stage copies nothing from an earlier stage (COPY --from= its name or "
        f"number: {', '.join(sorted(earlier)) or 'none'}); it copies from {sources or 'nothing'}"
    )
    # What it copies must be there: a path the stage made (docker build stops otherwise).
    names = stage_names(steps)
    for copy in copies:
        stage = re.search(r"--from=(\S+)", copy)
        number = names.get(stage[1].lower()) if stage else None
        if number is None or number >= len(stages(steps)) - 1:
            continue
        bracket = copy.find("[")
        listed = exec_form(copy[bracket:]) if bracket >= 0 else None
        words = listed if listed is not None else copy.split()
        paths = [word for word in words if not word.startswith("--")][:-1]
        for path in paths:
            if not path.startswith("/") or re.search(r"[$*?\[]", path):
                continue  # relative, a variable or a pattern: not judged
            if not made_by_stage(path, steps, number):
                pytest.fail(
                    f"the last stage copies {path} from the stage {stage[1]} (COPY {copy[:120]}), "
                    "but that stage never makes it: no WORKDIR, COPY destination, RUN or ENV "
                    "of it names that path, and docker build would stop there. Copy the "
                    "environment from where that stage's uv put it",
                    pytrace=False,
                )
        problem = other_python(steps, number)
        if problem:
            pytest.fail(
                f"the last stage copies from the stage {stage[1]} (COPY {copy[:120]}), but "
                f"{problem}: a virtual environment runs with the Python that made it (its "
                "python is a link to that Python, its packages are built for it), so the "
                "image's server would not start. Build both stages from the same Python image",
                pytrace=False,
            )


def python_of(image: str) -> tuple[str, bool] | None:
    """The Python version (``3.12``) of an image reference and whether it is an Alpine
    (musl) one: ``python:3.12-slim``, ``ghcr.io/astral-sh/uv:python3.12-bookworm-slim``; None
    when the reference does not say (``python:3``, ``python:latest``, a variable)."""
    if "$" in image:
        return None
    found = re.search(r"python:?(\d+\.\d+)(?![\d])", image.lower())
    return (found[1], "alpine" in image.lower()) if found else None


def other_python(steps: list[tuple[str, str]], number: int) -> str | None:
    """Why the environment the stage ``number`` made cannot run in the last stage's image
    (another Python version, or Alpine's C library in one of them only), or None when they
    match or cannot be told."""
    found = stages(steps)
    before = [step for stage in found[: number + 1] for step in stage]
    source, _ = final_image(before)
    image, _ = final_image(steps)
    made, runs = python_of(source), python_of(image)
    if made is None or runs is None or made == runs:
        return None
    if made[0] != runs[0]:
        return (
            f"that stage's image ({source}) has Python {made[0]}, the last stage's ({image}) "
            f"Python {runs[0]}"
        )
    return f"one of their images is Alpine's (musl), the other not ({source}, {image})"


@check(
    points=5,
    hint="The server must not run as root in the container. Handout: Task 5.",
    more="Create a user in the last stage (useradd) and switch to it with USER before CMD.",
)
def test_image_runs_as_a_non_root_user(submission_dir):
    """The last stage's last USER names a user other than root (or uid 0), and one the image
    has: a numeric uid, or a name that a RUN of the last stage (or of a stage it is built
    FROM) creates (``useradd``, ``adduser``), or a user the base image has (``nobody``)."""
    steps = instructions(read_file(submission_dir, "Dockerfile"))
    users = image_instructions(steps, "USER")
    assert users, "the last stage has no USER: the server would run as root"
    name = users[-1].split(":")[0].strip()
    assert name not in ("root", "0"), f"the last stage runs as USER {users[-1]}"
    assert user_is_created(name, steps), (
        f"the last stage runs as USER {name}, but no RUN of the last stage (nor of a stage it "
        "is built FROM) creates that user (useradd, adduser): a user made in another stage is "
        "not in the image, and the container would not start. Create it in the last stage, "
        "or give a numeric uid"
    )
    early = user_before_it_is_created(name, steps)
    assert early is None, (
        f"a RUN runs as USER {early} before any RUN creates {name}: that user does not "
        "exist yet, and docker build stops there. Create the user first (useradd), then "
        "switch to it with USER"
    )


def user_before_it_is_created(name: str, steps: list[tuple[str, str]]) -> str | None:
    """The argument of the image's USER instruction that names ``name`` when a RUN comes
    while it is the current user and before a RUN has created it (``useradd``,
    ``adduser``): that RUN would run as a user the image does not have yet. None when no
    RUN does (a user the image has already, or created before USER switches to it)."""
    if name.isdigit() or name in BASE_IMAGE_USERS or "$" in name:
        return None
    found = stages(steps)
    current = None
    for number in image_stages(steps):
        for keyword, arguments in found[number]:
            if keyword == "USER":
                current = arguments
            elif keyword in ("COPY", "ADD") and "passwd" in arguments:
                return None
            elif keyword == "RUN":
                if current is not None and current.split(":")[0].strip() == name:
                    return current
                if any(
                    {"useradd", "adduser"} & {PurePosixPath(word).name for word in command}
                    and name in command
                    for command in run_commands(arguments)
                ):
                    return None
    return None


def shell_script_problem(command: list[str]) -> str | None:
    """Why a ``sh -c SCRIPT`` command (an ENTRYPOINT followed by its CMD, or a CMD) does not
    run the prestart step and then the server as written, or None: a prestart step sent to
    the background (``&``) is still migrating while the server starts; and a script that runs
    ``"$@"`` gets the words after it from the second on (the first is ``$0``, the script's
    name), so a server's program there is lost."""
    for index, word in enumerate(command):
        if PurePosixPath(word).name not in SHELLS:
            continue
        for number, option in enumerate(command[index + 1 :], start=index + 1):
            if not option.startswith("-"):
                return None
            if "c" not in option or number + 1 >= len(command):
                continue
            script, after = command[number + 1], command[number + 2 :]
            step: list[str] = []
            for each in [*shell_words(script), ";"]:
                if each and set(each) <= set("();<>|&"):
                    if each == "&" and runs_the_prestart(step):
                        return (
                            "its script sends the prestart step to the background (&): the "
                            "server starts while the database is still being migrated. Join "
                            "them with &&: the server starts once the prestart step succeeded"
                        )
                    step = []
                else:
                    step.append(each)
            if re.search(r"\$(@|\*|\{@\}|\{\*\})", script) and starts_a_server(after):
                return (
                    f'its script runs "$@", the words after the script from the second on: '
                    f"sh -c gives the first, {after[0]}, to $0 (the script's name), so exec "
                    f'"$@" would run {shlex.join(after[1:])!r} instead of the server. Put a '
                    'name for $0 right after the script: ["sh", "-c", "...", "sh"]'
                )
            return None
        return None
    return None


def shipped_instructions(steps: list[tuple[str, str]], keyword: str) -> list[str]:
    """The ``keyword`` instructions of the image the Dockerfile ships (its last stage, or a
    stage that one is built FROM); a failed check when there is none."""
    found = image_instructions(steps, keyword)
    elsewhere = (
        f" (the {keyword} of another stage is not in the image it ships)"
        if any(name == keyword for name, _ in steps)
        else ""
    )
    assert found, f"the last stage has no {keyword}{elsewhere}"
    return found


@check(
    points=5,
    hint="Write CMD in exec form, a JSON list, so the server is PID 1 and gets SIGTERM. "
    "Handout: Task 5.",
    more='CMD ["gunicorn", "-c", "gunicorn.conf.py", "app.main:app"]: no shell in between, '
    "and Gunicorn runs the prestart step in on_starting; fastapi or uvicorn need it run "
    'first: CMD ["sh", "-c", "python -m app.prestart && exec fastapi run --workers 2"].',
)
def test_cmd_is_exec_form(submission_dir):
    """The Dockerfile's last CMD is a JSON list (exec form) that starts a server, and its
    last ENTRYPOINT, if it has one, is a JSON list too. The server is the program: the first
    word of the ENTRYPOINT, or else of the CMD (an ENTRYPOINT script runs the CMD), is
    gunicorn, fastapi or uvicorn (by any path), ``python -m`` one of them, or one of them
    behind ``uv run``, ``tini`` or ``sh -c``; no element is a shell operator (``&&``,
    ``||``, ``;``, ``|``, ``&``: in exec form it is an argument). The container runs the
    prestart step before a fastapi or uvicorn server: a ``sh -c`` script runs ``python -m
    app.prestart`` (or an ENTRYPOINT script of the image's own runs the CMD: it is not
    read); Gunicorn runs it in its on_starting hook. Such a script runs the prestart step
    before the server (not in the background, ``&``) and starts the server last, with
    ``exec``; a script that runs ``"$@"`` has a name for ``$0`` after it, so that the
    server's program is not taken for it. The CMD is the last stage's
    (or of a stage it is built FROM); a program given by name is on the PATH of what the
    last stage copies from an earlier one; and the server listens on more than loopback (its
    --host or --bind, the image's ENV, or gunicorn.conf.py's ``bind``, read in a probe)."""
    steps = instructions(read_file(submission_dir, "Dockerfile"))
    commands = shipped_instructions(steps, "CMD")
    entrypoints = image_instructions(steps, "ENTRYPOINT")
    entrypoint = exec_form(entrypoints[-1]) if entrypoints else []
    assert entrypoint is not None, (
        f"ENTRYPOINT {entrypoints[-1][:120]} is in shell form: /bin/sh -c runs it, the CMD "
        "is ignored, and the server would not get SIGTERM"
    )
    listed = exec_form(commands[-1])
    assert listed, f"CMD {commands[-1]} is in shell form: the server would not get SIGTERM"
    operators = [word for word in entrypoint + listed if word in SHELL_OPERATORS]
    program = (entrypoint or listed)[0]
    assert not operators, (
        f"CMD {commands[-1][:160]} has {operators[0]!r} as an element: in exec form no shell "
        f"reads it, {program} gets it as an argument and what follows it never runs"
    )
    # An ENTRYPOINT that is not the server (a script, tini) runs the CMD.
    assert starts_a_server(entrypoint) or starts_a_server(listed), (
        f"CMD {commands[-1][:160]} runs {listed[0]}, not gunicorn, fastapi or uvicorn (nor "
        "python -m one of them): in exec form the list's first word is the program that "
        "starts, the others are its arguments"
    )
    # The prestart step runs when the container starts: Gunicorn's on_starting hook runs it;
    # fastapi and uvicorn need it run first (a shell's script, or an ENTRYPOINT script).
    server = server_started(entrypoint) or server_started(listed)
    if server != "gunicorn" and not (
        shell_runs_the_prestart(entrypoint + listed) or is_a_script(entrypoint)
    ):
        pytest.fail(
            f"CMD {commands[-1][:160]} starts {server} without the prestart step: in the "
            "container nothing would migrate the database. Run it first, in a shell that then "
            f'becomes the server: CMD ["sh", "-c", "python -m app.prestart && exec {server} '
            '..."]; or start Gunicorn, whose on_starting hook runs it',
            pytrace=False,
        )
    problem = script_server_problem(entrypoint + listed) or shell_script_problem(
        entrypoint + listed
    )
    if problem:
        pytest.fail(f"CMD {commands[-1][:160]}: {problem}", pytrace=False)
    # The program is found where the last stage put the environment it copied.
    words = server_words(entrypoint) or server_words(listed) or [""]
    run_by_uv = any(
        PurePosixPath(word).name == "uv"
        for each in entrypoint + listed
        for word in [each, *shell_words(each)]
    )
    if (
        "/" not in words[0]
        and not run_by_uv
        and not is_a_script(entrypoint)
        and copied_environment_on_path(steps) is False
    ):
        lacking = (
            "python has none of its packages"
            if words[0].startswith("python")
            else f"PATH has no {words[0]}"
        )
        pytest.fail(
            f"CMD {commands[-1][:160]} runs {words[0]} by name, but the last stage's PATH "
            "has no folder of what it copies from an earlier stage (the virtual "
            f"environment's bin): the image's own {lacking}. Put it on the PATH: "
            'ENV PATH="/app/.venv/bin:$PATH"',
            pytrace=False,
        )
    addresses = listening_addresses(steps, submission_dir)
    if addresses and all(is_loopback(host) for host, _ in addresses):
        hosts = ", ".join(sorted({host for host, _ in addresses}))
        pytest.fail(
            f"CMD {commands[-1][:160]} starts {server} listening on {hosts} only (its "
            "command line, the image's ENV or gunicorn.conf.py's bind; uvicorn's default "
            "host is 127.0.0.1): in a container that is the container's own loopback, which "
            "no client outside it reaches. Listen on every interface: --host 0.0.0.0, or "
            'Gunicorn\'s bind = "0.0.0.0:8000"',
            pytrace=False,
        )


@check(
    points=5,
    hint="Add a HEALTHCHECK that asks GET /health of the server, with a program the image "
    "has. Handout: Task 5.",
    more="The slim image has no curl (nor wget): the image's own Python can make the request.",
)
def test_healthcheck_probes_health(submission_dir):
    """The Dockerfile has a HEALTHCHECK whose command requests /health; a command that runs
    curl or wget needs it in the last stage's image: a python ``-slim`` image has neither
    and an ``-alpine`` one has no curl, unless a RUN of the last stage (or of a stage it is
    built from) names it (installs it). The HEALTHCHECK is the last stage's (or of a stage
    it is built FROM), and a URL it asks names the port the server listens on (80 when it
    names none) and a host the service accepts (lab 11's trusted hosts: the image's
    ``IRIS_ALLOWED_HOSTS``, else localhost, 127.0.0.1 and testserver)."""
    steps = instructions(read_file(submission_dir, "Dockerfile"))
    checks = shipped_instructions(steps, "HEALTHCHECK")
    assert re.search(r"/health(?![\w./-])", checks[-1]), (
        f"HEALTHCHECK {checks[-1][:120]} never asks for /health (the path itself, not one "
        "that begins with it)"
    )
    image, runs = final_image(steps)
    variant = re.search(r"(?:^|/)python:(?:\S*-)?(slim|alpine)", image)
    lacking = {"slim": ("curl", "wget"), "alpine": ("curl",)}[variant[1]] if variant else ()
    for tool in lacking:
        named = rf"(?<![\w.-]){tool}(?![\w.-])"
        if re.search(named, checks[-1]) and not any(re.search(named, run) for run in runs):
            command = " ".join(re.split(r"\bCMD\b", checks[-1], maxsplit=1)[-1].split())
            pytest.fail(
                f"HEALTHCHECK runs {tool} ({command[:80]}), but the last stage's image, "
                f"{image}, has no {tool} and no RUN installs it: the container would never "
                "be healthy",
                pytrace=False,
            )
    url = re.search(r"\b(https?)://([^/\s'\"]+)/health(?![\w./-])", checks[-1])
    if url:
        host, port = split_bind(url[2]) if ":" in url[2] else (url[2], "")
        port = port or {"http": "80", "https": "443"}[url[1]]
        refused = host_refused(host, environment_of(steps))
        if refused:
            pytest.fail(
                f"HEALTHCHECK asks {url[0]}, with the host name {host}, but {refused}: the "
                "service answers 400 (lab 11's trusted hosts) and the container would never be "
                "healthy. Ask http://127.0.0.1:PORT/health or http://localhost:PORT/health",
                pytrace=False,
            )
        addresses = listening_addresses(steps, submission_dir)
        ports = sorted({each for _, each in addresses})
        if port.isdigit() and ports and port not in ports:
            pytest.fail(
                f"HEALTHCHECK asks {url[0]}, port {port}, but the server the CMD starts "
                f"listens on port {', '.join(ports)} (its command line, the image's ENV or "
                "gunicorn.conf.py's bind): the container would never be healthy",
                pytrace=False,
            )


# The hosts the service answers when IRIS_ALLOWED_HOSTS is not set (lab 11's default).
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "testserver")


def host_refused(host: str, variables: dict[str, str]) -> str | None:
    """Why the service in the image answers a request for ``host`` with 400 (its trusted
    hosts: ``IRIS_ALLOWED_HOSTS`` of the image's ENV, else lab 11's default), or None (an
    accepted host, or one that cannot be told: a variable)."""
    given = variables.get("IRIS_ALLOWED_HOSTS")
    if "$" in host or (given is not None and "$" in given):
        return None
    if given is None:
        allowed, source = list(DEFAULT_ALLOWED_HOSTS), "IRIS_ALLOWED_HOSTS (not set) is"
    else:
        try:
            allowed = json.loads(given)
        except ValueError:
            return None
        if not isinstance(allowed, list) or not all(isinstance(h, str) for h in allowed):
            return None
        source = "the image's IRIS_ALLOWED_HOSTS is"
    name = host.strip("[]").lower()
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern in ("*", name) or (pattern.startswith("*.") and name.endswith(pattern[1:])):
            return None
    return f"{source} {json.dumps(allowed)}"


# Files the image needs: the code, the migrations the prestart step runs, the requirements,
# and train.py, which the prestart step runs when the image has no model (models/ stays out).
NEEDED_IN_THE_IMAGE = ("app/main.py", "migrations/env.py", "requirements.txt", "train.py")


@check(
    points=5,
    hint="A .dockerignore keeps local files out of the image: the virtual environment, the "
    "database, caches. Handout: Task 5.",
    more="List .venv, *.db and __pycache__ in .dockerignore.",
)
def test_dockerignore_keeps_out_local_files(submission_dir):
    """.dockerignore keeps out ``.venv`` and SQLite files (``*.db``: predictions.db and any
    other), its lines read in order as Docker reads them: the last line that matches a name
    decides, and a line beginning with ``!`` lets it back in. And it lets in what the image
    needs (app/, migrations/, requirements.txt, train.py, and gunicorn.conf.py when the
    Dockerfile's CMD starts Gunicorn with it), its patterns matched as Docker matches them,
    against a path and the folders it is in."""
    text = read_file(submission_dir, ".dockerignore")
    rules = dockerignore_rules(text)
    for name in (".venv", "predictions.db", "notes.db"):
        decided = [(back_in, line) for back_in, pattern, line in rules if fnmatch(name, pattern)]
        assert decided, f".dockerignore does not keep out {name}"
        back_in, line = decided[-1]
        assert not back_in, (
            f".dockerignore lets {name} back in: its line {line!r}, the last that matches it"
        )
    # What the container needs must still reach the build.
    for path in NEEDED_IN_THE_IMAGE:
        line = dockerignore_excludes(text, path)
        assert line is None, (
            f".dockerignore keeps out {path} (its line {line!r}), which the image needs: "
            "the code, the migrations the prestart step runs, requirements.txt, and train.py "
            "(the prestart step trains a model with it when the image has none)"
        )
    config = gunicorn_config_of_the_image(submission_dir)
    line = dockerignore_excludes(text, config) if config else None
    assert line is None, (
        f".dockerignore keeps out {config} (its line {line!r}), which the image's Gunicorn "
        "reads when the container starts (its worker class, its bind, its on_starting hook): "
        f"let it in (!{config})"
    )


def gunicorn_config_of_the_image(folder: Path) -> str | None:
    """``gunicorn.conf.py`` when the Dockerfile's image starts Gunicorn with that file (its
    ``-c``/``--config``, or none: Gunicorn then reads ./gunicorn.conf.py), else None (no
    Dockerfile, another server, another config file)."""
    text = support.read_own_text(folder / "Dockerfile")
    if text is None:
        return None
    steps = instructions(text)
    commands = image_instructions(steps, "CMD")
    entrypoints = image_instructions(steps, "ENTRYPOINT")
    listed = (exec_form(commands[-1]) if commands else None) or []
    entrypoint = (exec_form(entrypoints[-1]) if entrypoints else None) or []
    words = server_words(entrypoint) or server_words(listed)
    if not words or server_started(words) != "gunicorn":
        return None
    configs = option_values(words, "-c", "--config")
    name = "gunicorn.conf.py"
    if configs and PurePosixPath(configs[-1]).name != name:
        return None
    return name


# ---------------------------------------------------------------- the load test


class LoadRun:
    """The student's load_report.py, run against a 1-worker and a 2-worker server."""

    def __init__(self, out: Path, seconds: int = LOAD_SECONDS) -> None:
        self.out = out
        self.seconds = seconds  # the --run-time it was given
        self.problem: str | None = None
        self.output = ""
        # The requests each server really answered with a 2xx status, by path (counted
        # between the test and it).
        self.received: dict[int, dict[str, int]] = {}
        # How many flowers each POST /v1/predict/batch to each server carried.
        self.batch_sizes: dict[int, list[int]] = {}


class BatchSizes:
    """Reads the requests a client sends on one connection (HTTP/1.1, each body with a
    ``Content-Length``) and notes how many flowers each ``POST /v1/predict/batch`` carried:
    the length of its body's ``items``. A stream it cannot read (a chunked body, a body too
    large) is not read further."""

    def __init__(self) -> None:
        self.buffer = b""
        self.lost = False

    def feed(self, data: bytes) -> list[int]:
        """The sizes of the batches whose request ``data`` completes."""
        if self.lost:
            return []
        self.buffer += data
        sizes: list[int] = []
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            lines = self.buffer[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip().lower()
            length = headers.get("content-length", "0")
            if "chunked" in headers.get("transfer-encoding", "") or not (
                length.isascii() and length.isdigit() and int(length) <= MAX_BATCH_BODY
            ):
                self.lost = True
                return sizes
            if len(self.buffer) < end + 4 + int(length):
                break  # the rest of the body is still to come
            body = self.buffer[end + 4 : end + 4 + int(length)]
            self.buffer = self.buffer[end + 4 + int(length) :]
            method, _, rest = lines[0].partition(" ")
            if method == "POST" and rest.split(" ")[0].split("?")[0] == "/v1/predict/batch":
                try:
                    items = json.loads(body)["items"]
                except (ValueError, KeyError, TypeError):
                    continue
                if isinstance(items, list):
                    sizes.append(len(items))
        if len(self.buffer) > MAX_BATCH_BODY + 64 * 1024:
            self.lost = True
        return sizes


class FlowerCounter(RequestCounter):
    """The load test's relay: it counts the requests a server answered with success (see
    :class:`RequestCounter`) and notes the size of each batch sent (:class:`BatchSizes`)."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.batch_sizes: list[int] = []

    def _reading(self, reader):
        read = super()._reading(reader)
        if not isinstance(reader, _Requests):
            return read  # the server's answers
        batches = BatchSizes()

        def read_batches(data: bytes) -> None:
            read(data)
            sizes = batches.feed(data)
            with self.lock:
                self.batch_sizes += sizes

        return read_batches


@pytest.fixture(scope="module")
def load_run(uvicorn_server, fastapi_workers, tmp_path_factory) -> LoadRun:
    """``python load_report.py --out OUT --users 2 --run-time 2 1=URL 2=URL``, against the
    one-worker Uvicorn server and the two-worker ``fastapi run`` server; run once more, for
    twice as long, when a run sent a server no request or a route was never asked (a busy
    machine can spend a short run starting Locust's users)."""
    one = uvicorn_server
    for server in (one, fastapi_workers):
        if not_serving(server):
            run = LoadRun(tmp_path_factory.mktemp("load"))
            run.problem = (
                f"the server for the load test ({server.what}) did not start "
                f"({server.problem}){server.printed()}"
            )
            return run
    servers = {1: one, 2: fastapi_workers}
    run = run_load_report(servers, LOAD_SECONDS, tmp_path_factory)
    if not run.problem and too_few_requests(run.out):
        run = run_load_report(servers, 2 * LOAD_SECONDS, tmp_path_factory)
    return run


def run_load_report(servers: dict[int, Server], seconds: int, tmp_path_factory) -> LoadRun:
    """One run of the student's load_report.py against ``servers`` (by worker count), for
    ``seconds``. Each target's URL is a relay that counts what reaches its server."""
    out = isolation.current().writable_by_app(tmp_path_factory.mktemp("load"))
    run = LoadRun(out, seconds)
    with ExitStack() as relays:
        counters = {
            workers: relays.enter_context(FlowerCounter(server.port))
            for workers, server in servers.items()
        }
        arguments = ["load_report.py", "--out", str(out), "--users", str(LOAD_USERS)]
        arguments += ["--run-time", str(seconds)]
        # The two-worker server first: the report's workers column is each target's
        # WORKERS, not its position on the command line.
        arguments += [
            f"{workers}={counter.url}" for workers, counter in sorted(counters.items())[::-1]
        ]
        command = Command(python(*arguments), environment={"LOAD_API_KEY": API_KEY}).start()
        try:
            if not command.wait(60 + seconds):
                run.problem = f"load_report.py was still running after {60 + seconds} s"
        finally:
            command.stop()
        time.sleep(RELAY_SETTLE_SECONDS)  # the last bytes the relays read
        run.received = {workers: counter.counted() for workers, counter in counters.items()}
        run.batch_sizes = {
            workers: list(counter.batch_sizes) for workers, counter in counters.items()
        }
    run.output = command.output()
    return run


def too_few_requests(out: Path) -> bool:
    """Whether a server's CSV counts no request, or a route was asked in neither run (a
    missing or unreadable CSV is left to the checks, which say so)."""
    requested = set()
    for workers in (1, 2):
        try:
            rows = locust_rows(out / f"workers-{workers}_stats.csv")
            counted = {route: int(row["Request Count"] or 0) for route, row in rows.items()}
        except (OSError, ValueError, KeyError, csv.Error):
            return False
        if not any(counted.values()):
            return True
        requested |= {route for route, count in counted.items() if count}
    return any(route not in requested for route in ROUTES)


def locust_rows(path: Path) -> dict[str, dict]:
    """Locust's CSV rows by route name (without the Aggregated total)."""
    text = support.read_own_text(path)
    if text is None:
        raise FileNotFoundError(path)
    rows = csv.DictReader(io.StringIO(text, newline=""))
    return {row["Name"]: row for row in rows if row["Name"] != "Aggregated"}


def users_history(path: Path) -> tuple[int, int] | str:
    """From a Locust ``_stats_history.csv`` (a row a second, the first one when Locust
    starts): the largest "User Count", and the seconds from its first "Timestamp" to its
    last (how long Locust ran); or why they cannot be read: Locust's ``--csv`` always writes
    that file, and the contract keeps it in the output folder."""
    text = support.read_own_text(path)
    if text is None:
        return (
            f"there is no {path.name} in the output folder (a file, not a link): Locust's "
            "--csv writes it; leave it there, it says how many users ran"
        )
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        counts = [int(row["User Count"]) for row in rows]
        stamps = [int(float(row["Timestamp"])) for row in rows]
    except (KeyError, TypeError, ValueError, csv.Error):
        return (
            f"{path.name} is not the history Locust writes (no readable User Count and "
            "Timestamp columns)"
        )
    if not counts:
        return f"{path.name} has no rows: Locust writes one when it starts, then one a second"
    return max(counts), max(stamps) - min(stamps)


def fail_run(run: LoadRun, reason: str):
    shown = f"\nload_report.py printed:\n{run.output}" if run.output else ""
    pytest.fail(f"{reason}{shown}", pytrace=False)


@check(
    points=5,
    hint="load_report.py runs Locust headless against each WORKERS=URL with --csv "
    "OUT/workers-N. Handout: Task 6, the load test.",
    more="Every request must succeed: send the API key from LOAD_API_KEY in X-API-Key.",
)
def test_load_test_ran_headless_against_both_servers(load_run):
    """OUT/workers-1_stats.csv and OUT/workers-2_stats.csv exist, each with requests and no
    failures; both routes, /v2/predict and /v1/predict/batch, were requested, and no other;
    the servers answered with success the requests each CSV counts (the URLs given are
    relays that count them); Locust never ran more users than --users asked for, nor for
    longer than --run-time (its _stats_history.csv: a few seconds more are allowed for
    Locust to stop); the batch requests carry several flowers (the relays read their
    ``items``: at least one batch had two or more)."""
    if load_run.problem:
        fail_run(load_run, load_run.problem)
    requested = set()
    for workers in (1, 2):
        path = load_run.out / f"workers-{workers}_stats.csv"
        if not path.exists():
            fail_run(load_run, f"there is no {path.name} in the output folder")
        rows = locust_rows(path)
        counted = {route: int(row["Request Count"] or 0) for route, row in rows.items()}
        if not any(counted.values()):
            fail_run(load_run, f"{path.name} has no requests")
        requested |= {route for route, count in counted.items() if count}
        # Failed requests first: the relays count only those the server answered with success.
        for route, row in rows.items():
            if int(row["Failure Count"] or 0):
                fail_run(
                    load_run, f"{path.name}: {row['Failure Count']} requests to {route} failed"
                )
        received = load_run.received.get(workers, {})
        for route, count in counted.items():
            if count > received.get(route, 0):
                fail_run(
                    load_run,
                    f"{path.name} counts {count} requests to {route}, but the server behind "
                    f"{workers}=URL answered {received.get(route, 0)} with success: the CSV must "
                    "be the one Locust writes, of the requests it sent to that URL",
                )
        history = load_run.out / f"workers-{workers}_stats_history.csv"
        found = users_history(history)
        if isinstance(found, str):
            fail_run(load_run, found)
        most, ran = found
        if most > LOAD_USERS:
            fail_run(
                load_run,
                f"{history.name}: Locust ran {most} users; load_report.py was asked for "
                f"--users {LOAD_USERS}",
            )
        if ran > load_run.seconds + RUN_TIME_SLACK:
            fail_run(
                load_run,
                f"{history.name}: Locust ran for {ran} s (from its first Timestamp to its "
                f"last); load_report.py was asked for --run-time {load_run.seconds}: give "
                "Locust the run time load_report.py is given",
            )
    # Locust picks each user's next task at random: a short run on a slow machine may send
    # a server a few requests only, so each route must appear in one of the runs, not both.
    missing = [route for route in ROUTES if route not in requested]
    if missing:
        fail_run(load_run, f"no run sent requests to {', '.join(missing)} ({sorted(requested)})")
    others = sorted(requested - set(ROUTES))
    if others:
        fail_run(
            load_run,
            f"the load test also sent requests to {', '.join(others)}: it sends exactly two "
            f"kinds, {' and '.join(ROUTES)}",
        )
    sizes = [size for each in load_run.batch_sizes.values() for size in each]
    if sizes and max(sizes) < 2:
        fail_run(
            load_run,
            f"each of the {len(sizes)} POST /v1/predict/batch requests carried "
            f"{max(sizes)} flower(s) in its items: a batch carries several flowers (the "
            "reference sends 50)",
        )


REPORT_COLUMNS = ("workers", "route", "requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms")
# the report's latency columns and the columns of Locust's CSV they are copied from
PERCENTILES = {"p50 ms": "50%", "p95 ms": "95%", "p99 ms": "99%"}
RATE_ROUNDING = 0.5  # req/s may be rounded, to a whole number at most


def same_number(written: str, measured: str) -> bool:
    """Whether the report's ``written`` is the CSV's ``measured`` (``12`` and ``12.0`` are)."""
    try:
        return float(written) == float(measured)
    except ValueError:
        return written.strip() == measured.strip()


def same_rate(written: str, measured: str) -> bool:
    """Whether the report's req/s is the CSV's ``Requests/s``, rounded or not (rounding to
    a whole number moves it by 0.5 at most)."""
    try:
        return abs(float(written) - float(measured)) <= RATE_ROUNDING
    except ValueError:
        return False


def report_table(text: str) -> list[dict[str, str]]:
    """The first Markdown table of the report, as rows keyed by lowercase header."""
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("|")]
    if len(lines) < 3:
        return []
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    header = [name.lower() for name in cells[0]]
    return [dict(zip(header, row, strict=False)) for row in cells[2:]]


@check(
    points=5,
    hint="report.md has one table with a row per worker count and route, copied from "
    "Locust's CSV, and latency.png beside it. Handout: Task 6 and the report's format.",
    more="Columns: workers, route, requests, failures, req/s, p50 ms, p95 ms, p99 ms.",
)
def test_load_report_matches_locust_csv(load_run):
    """OUT/report.md has a row for each (workers, route) Locust measured with the same
    request and failure counts, percentiles and (rounded) requests per second as its CSV,
    and OUT/latency.png is a PNG image."""
    if load_run.problem:
        fail_run(load_run, load_run.problem)
    report = support.read_own_text(load_run.out / "report.md")
    if report is None:
        fail_run(load_run, "there is no report.md in the output folder")
    rows = report_table(report)
    if not rows or not set(REPORT_COLUMNS) <= set(rows[0]):
        fail_run(load_run, "report.md has no table with the contract's columns")
    for workers in (1, 2):
        measured = locust_rows(load_run.out / f"workers-{workers}_stats.csv")
        for route, row in measured.items():
            match = [r for r in rows if r["workers"] == str(workers) and r["route"] == route]
            if not match:
                fail_run(load_run, f"report.md has no row for {workers} worker(s), {route}")
            wanted = (row["Request Count"], row["Failure Count"])
            found = (match[0]["requests"], match[0]["failures"])
            if found != wanted:
                fail_run(
                    load_run,
                    f"report.md gives {workers} worker(s), {route} {found[0]} requests and "
                    f"{found[1]} failures; Locust's CSV says {wanted[0]} and {wanted[1]}",
                )
            if not same_rate(match[0]["req/s"], row["Requests/s"]):
                fail_run(
                    load_run,
                    f"report.md gives {workers} worker(s), {route} req/s = "
                    f"{match[0]['req/s']}; Locust's CSV says Requests/s = {row['Requests/s']}",
                )
            for column, locust_column in PERCENTILES.items():
                if not same_number(match[0][column], row[locust_column]):
                    fail_run(
                        load_run,
                        f"report.md gives {workers} worker(s), {route} {column} = "
                        f"{match[0][column]}; Locust's CSV says {locust_column} = "
                        f"{row[locust_column]}",
                    )
    picture = support.read_own_file(load_run.out / "latency.png", limit=8)
    if picture is None or not picture.startswith(b"\x89PNG"):
        fail_run(load_run, "there is no PNG image latency.png in the output folder")
