"""Lab 09 checks: slow work that never makes other requests wait, batch jobs, CSV upload and
download, and a cache of predictions.

The grader's settings are in the environment for the whole lab (its model, its secret, an
API key, an admin, the cheapest Argon2 cost, a database file in a folder of the lab's own);
most checks start the app afresh, so that its cache and its jobs are its own, and the few
that need other settings (no model, a small cache) set them before that start.

* ``def`` vs ``async def`` is graded on uvicorn on a loopback port, by the order in which
  answers arrive (the health check answers while the blocking work is still running) and by
  a generous bound (eight waits of 2 s end well before 16 s), never by a tight ratio;
* jobs are polled with a deadline, never waited for with a fixed sleep; a job is seen at
  work (``running``) by holding the grader's model in the middle of its prediction (files,
  no timing: :class:`HeldPipeline`), the app answering as a server does, its background
  tasks after the answer (:class:`AnswersFirst`);
* the cache is graded by the counter of model calls the contract defines (``GET /cache``,
  ``model_calls``), never by timing;
* "refused before it is read": a raw socket announces a 64 MiB body, sends a little of it
  and waits for the answer: a server that reads every byte before it checks the size never
  answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from autograder import check, isolation
from autograder.bounded_client import WrappedApp
from autograder.held_model import HeldPipeline
from autograder.iris import FEATURES
from autograder.suites import support

SETOSA = dict(zip(FEATURES, (5.1, 3.5, 1.4, 0.2), strict=True))
VERSICOLOR = dict(zip(FEATURES, (7.0, 3.2, 4.7, 1.4), strict=True))
VIRGINICA = dict(zip(FEATURES, (6.3, 3.3, 6.0, 2.5), strict=True))
ADMIN, ADMIN_PASSWORD = "ada", "ada-reloads-models-9"
CLIENT = "grader-robot"
API_KEY = secrets.token_urlsafe(24)
SECRET = secrets.token_hex(32)
KEY = {"X-API-Key": API_KEY}
JOB_STATUSES = {"queued", "running", "done", "failed"}
MAX_JOB_ITEMS = 10_000
NEAR = 0.001  # cm: how little a measurement changes to make another flower (another key)
JOB_DEADLINE = 30.0  # seconds a small job may take to finish (a loaded machine)
BROKEN_MODEL_DEADLINE = 10.0  # seconds a job of one flower may take to fail (no work done)
# How long POST /jobs may take to answer once its job's model is at work: a job that runs
# after the answer lets it answer at once; one that runs inside the request never does.
ANSWER_GRACE = 3.0
UPLOAD_LIMIT = 1024 * 1024
BLOCKING_SECONDS = 4.0
WAITS, WAIT_SECONDS = 8, 2.0
THREADS = 40  # the worker threads FastAPI runs plain def routes in (AnyIO's default)
MAX_SECONDS = 5.0  # the most seconds a /simulate route takes
MANY_WAITS, MANY_SECONDS = THREADS + 8, MAX_SECONDS
# Types an upload is refused with (415): the contract takes text/csv only, not a type that
# merely mentions CSV, nor the ones browsers and curl give a .csv file.
NOT_CSV_TYPES = (
    "text/plain",
    "application/json",
    "application/csv",
    "text/csv-schema",
    "application/vnd.ms-excel",
    "application/octet-stream",
)


def flower(number: int) -> dict:
    """A valid flower of its own for each number (so checks never share a cache entry)."""
    return {
        "sepal_length": 5.0 + number / 100,
        "sepal_width": 3.0 + number / 1000,
        "petal_length": 1.5,
        "petal_width": 0.2 + number / 1000,
    }


# ---------------------------------------------------------------- settings and app starts


def hashed_admin() -> str:
    """The USERS setting: the admin, with a cheap Argon2 hash of their password."""
    (password_hash,) = support.password_hashes({ADMIN: ADMIN_PASSWORD}).values()
    return json.dumps({ADMIN: {"password_hash": password_hash, "role": "admin"}})


def writable_folder(folder: Path) -> Path:
    """A folder the app may write into (in secure mode: the sandbox user's)."""
    folder.mkdir(parents=True, exist_ok=True)
    return isolation.current().writable_by_app(folder)


@pytest.fixture(scope="module", autouse=True)
def grader_settings(iris_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The service's settings, in the environment while this lab's checks run."""
    database = writable_folder(tmp_path_factory.mktemp("lab09-data") / "data") / "log.db"
    environment = {
        "MODEL_PATH": str(iris_model),
        "JWT_SECRET": SECRET,
        "API_KEYS": json.dumps({CLIENT: API_KEY}),
        "USERS": hashed_admin(),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "64",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        patch.delenv("CACHE_SIZE", raising=False)
        yield


@contextmanager
def fresh(app) -> Iterator:
    """The app as a new process would see it: in secure mode every start is a new sandbox
    process already; in normal mode the submission is imported afresh, so that no cache or
    job of another check is left in its modules."""
    with isolation.current().fresh_app(app, support.reimported_app) as new_app:
        yield new_app


@contextmanager
def started(app, what: str = "the grader's settings") -> Iterator:
    """A TestClient for a fresh start of ``app`` with the current environment."""
    with (
        fresh(app) as new_app,
        support.started(new_app, failure=what, raise_server_exceptions=False) as test_client,
    ):
        yield test_client


# ---------------------------------------------------------------- a job seen at work


def held_model(iris_model: Path, folder: Path) -> Path:
    """The grader's model (model.joblib and model.json, the same version) as a HeldPipeline
    whose files ``hold`` and ``working`` are in ``folder`` (which the app may write in)."""
    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    model_path = support.copy_model(iris_model, folder)
    joblib.dump(HeldPipeline(joblib.load(iris_model), str(folder)), model_path)
    writable_folder(folder)
    return model_path


class AnswersFirst(WrappedApp):
    """The app as a server runs it: the client has its answer as soon as the answer's last
    byte is sent, and the request's background tasks run on after it (a TestClient would
    wait for them before it answered). In secure mode the app's own server does this
    already."""

    def __init__(self, app) -> None:
        super().__init__(app)
        object.__setattr__(self, "_after_answers", set())

    async def __call__(self, scope, receive, send) -> None:
        if scope.get("type") != "http":
            await self._app(scope, receive, send)
            return
        answered = asyncio.Event()

        async def forward(message) -> None:
            if answered.is_set():
                return
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered.set()

        work = asyncio.ensure_future(self._app(scope, receive, forward))
        waiting = asyncio.ensure_future(answered.wait())
        await asyncio.wait({work, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if not answered.is_set():
            waiting.cancel()
            await work  # ended without an answer: its error is the client's (a 500)
            return
        # Answered: what runs after the answer (background tasks) is no longer the
        # client's; an error there is the app's own, as on a server.
        self._after_answers.add(work)
        work.add_done_callback(self._after_answers.discard)
        work.add_done_callback(lambda task: task.cancelled() or task.exception())


@contextmanager
def started_as_served(app, what: str) -> Iterator:
    """:func:`started`, the app answering as a server does (:class:`AnswersFirst`)."""
    with (
        fresh(app) as new_app,
        support.started(
            AnswersFirst(new_app), failure=what, raise_server_exceptions=False
        ) as test_client,
    ):
        yield test_client


@pytest.fixture
def fresh_client(app) -> Iterator:
    """A fresh start of the app: its cache empty, no jobs."""
    with started(app) as test_client:
        yield test_client


# ---------------------------------------------------------------- requests


def expect_status(response, status: int, what: str) -> None:
    """:func:`support.expect_status`, showing up to 300 characters of an error's body."""
    support.expect_status(response, status, what, body_chars=300)


def expect_envelope(response, status: int, what: str) -> dict:
    """The answer is ``status`` in lab 04's envelope; returns its ``error``."""
    expect_status(response, status, what)
    body = support.json_or_fail(response, what)
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict) and error.get("code"), (
        f"{what} answered {status} with {json.dumps(body)[:200]}; expected the error envelope "
        '{"error": {"code": ..., "message": ..., "request_id": ...}}'
    )
    return error


def predict(test_client, measurement: dict) -> dict:
    response = test_client.post("/predict", json=measurement, headers=KEY)
    expect_status(response, 200, "POST /predict")
    return support.json_or_fail(response, "POST /predict")


def needs_a_caller(test_client, method: str, path: str, **request) -> None:
    """``method path`` without credentials answers 401 in the envelope (every new route
    but the two /simulate ones needs a caller)."""
    response = test_client.request(method, path, **request)
    expect_envelope(response, 401, f"{method} {path} without credentials")


def cache_stats(test_client) -> dict:
    """GET /cache: its five counters, each an integer."""
    response = test_client.get("/cache", headers=KEY)
    expect_status(response, 200, "GET /cache")
    body = support.json_or_fail(response, "GET /cache")
    names = ("size", "max_size", "hits", "misses", "model_calls")
    assert isinstance(body, dict) and all(isinstance(body.get(name), int) for name in names), (
        f"GET /cache answered {json.dumps(body)[:200]}; expected the integers {', '.join(names)}"
    )
    return body


def model_calls(test_client) -> int:
    return cache_stats(test_client)["model_calls"]


def admin_bearer(test_client) -> dict:
    """The Authorization header of a bearer token for the admin (POST /token)."""
    response = test_client.post("/token", data={"username": ADMIN, "password": ADMIN_PASSWORD})
    expect_status(response, 200, "POST /token for the admin")
    token = support.json_or_fail(response, "POST /token").get("access_token")
    return {"Authorization": f"Bearer {token}"}


def reload_model(test_client, refused: bool = False) -> None:
    """POST /model/reload as the admin: 200 (or, with ``refused``, 503 too: an app may
    refuse a model file that cannot predict, and keep the one it had)."""
    response = test_client.post("/model/reload", headers=admin_bearer(test_client))
    if not (refused and response.status_code == 503):
        expect_status(response, 200, "POST /model/reload as the admin")


def csv_text(rows: list[dict], columns: list[str] | None = None) -> str:
    columns = columns or FEATURES
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def upload(test_client, text: str | bytes, content_type: str = "text/csv"):
    return test_client.post(
        "/predict/csv", files={"file": ("flowers.csv", text, content_type)}, headers=KEY
    )


def csv_answer(response, what: str) -> list[dict]:
    """A CSV download: text/csv, saved as a file (Content-Disposition: attachment), streamed
    (no Content-Length: a streamed answer's length is not known when it starts); its rows."""
    expect_status(response, 200, what)
    kind = response.headers.get("content-type", "")
    assert kind.split(";")[0].strip().lower() == "text/csv", (
        f"{what} answered Content-Type {kind!r}; expected text/csv"
    )
    disposition = response.headers.get("content-disposition", "")
    assert "attachment" in disposition.lower() and "filename=" in disposition.lower(), (
        f"{what} answered Content-Disposition {disposition!r}; expected "
        'attachment; filename="..." (a file to save)'
    )
    length = response.headers.get("content-length")
    assert length is None, (
        f"{what} answered Content-Length: {length}: the file was built whole before it was "
        "sent; the contract says the download is streamed (sent in pieces as they are made, "
        "so its length is not known in advance and no Content-Length is sent)"
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    wanted = {*FEATURES, "species", "probability"}
    columns = set(rows[0]) if rows else set()
    assert wanted <= columns, (
        f"{what}: the CSV has the columns {sorted(columns)}; expected at least {sorted(wanted)}"
    )
    return rows


def close(value, expected: float) -> bool:
    try:
        return abs(float(value) - expected) <= 1e-6
    except (TypeError, ValueError):
        return False


def poll_job(
    test_client, location: str, wait: float = JOB_DEADLINE, job: str = "the job"
) -> tuple[dict, list[str]]:
    """GET the job's Location until it is done or failed (or ``wait`` seconds pass); the
    last answer and every status seen. ``job`` says which job it is, for a failure."""
    seen: list[str] = []
    deadline = time.monotonic() + wait
    while True:
        response = test_client.get(location, headers=KEY)
        expect_status(response, 200, f"GET {location}")
        body = support.json_or_fail(response, f"GET {location}")
        status = body.get("status") if isinstance(body, dict) else None
        assert status in JOB_STATUSES, (
            f"GET {location} answered status {status!r}; expected one of {sorted(JOB_STATUSES)}"
        )
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ("done", "failed"):
            return body, seen
        if time.monotonic() > deadline:
            pytest.fail(
                f"{job} was still {status!r} after {wait:g} s (statuses seen: "
                f"{' -> '.join(seen)}): does its background task end, and record how it ended?",
                pytrace=False,
            )
        time.sleep(0.05)


def submit_job(test_client, items: list[dict]) -> tuple[dict, str]:
    """POST /jobs: 202, the job (queued) and its Location (as a path)."""
    response = test_client.post("/jobs", json={"items": items}, headers=KEY)
    expect_status(response, 202, "POST /jobs")
    body = support.json_or_fail(response, "POST /jobs")
    location = response.headers.get("location", "")
    assert isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"], (
        f"POST /jobs answered {json.dumps(body)[:200]}; expected the job, with its id (a string)"
    )
    path = urlsplit(location).path
    assert path.rstrip("/") == f"/jobs/{body['id']}", (
        f"POST /jobs answered Location {location!r}; expected /jobs/{body['id']}"
    )
    return body, path


def answered_in_time(pending: Future, hold: Path):
    """The result of a request sent while the held model waits, once it comes, and True;
    when it has not come within ANSWER_GRACE (the app cannot answer while its model works:
    the work runs inside the request, or holds the event loop), the hold is ended first,
    and the second value is False."""
    with contextlib.suppress(TimeoutError):
        return pending.result(timeout=ANSWER_GRACE), True
    hold.unlink(missing_ok=True)
    return pending.result(), False


def held_the_loop(request: str) -> None:
    """Fail: ``request``, sent while a queued job's model was predicting, was answered only
    once the job's work ended."""
    pytest.fail(
        f"{request}, sent while the job's model was predicting its flowers, got no answer "
        f"within {ANSWER_GRACE:g} s, only once the job's work had ended: the work held the "
        "event loop, so nobody was served meanwhile (an async def task that calls the model "
        "without await runs on the event loop; a plain def task runs in a worker thread)",
        pytrace=False,
    )


def status_or_error(test_client, path: str) -> int | str:
    """GET ``path``: the status it answered, or what went wrong reading its answer."""
    try:
        return test_client.get(path, headers=KEY).status_code
    except Exception as error:  # noqa: BLE001 - a broken answer is the app's
        return f"{type(error).__name__}: {error}"


def job_at_work(
    test_client, items: list[dict], folder: Path
) -> tuple[str, dict | None, int | str | None]:
    """POST /jobs while the held model (:class:`HeldPipeline`, files in ``folder``) holds
    every prediction, then GET the job and its result once its model is at work: the job's
    Location, the job GET answered then and the status its result answered then (or what
    went wrong reading it); None and None when the job ended without asking its model, or
    when its work ran inside POST /jobs (the 202 check grades that). An app that answers
    POST /jobs but no GET while its job's model works (the work holds the event loop)
    fails."""
    hold, working = folder / "hold", folder / "working"
    hold.touch()
    try:
        with ThreadPoolExecutor(1) as pool:
            submitted = pool.submit(submit_job, test_client, items)
            deadline = time.monotonic() + JOB_DEADLINE
            while not (working.exists() or submitted.done()) and time.monotonic() < deadline:
                time.sleep(0.01)
            (accepted, location), in_time = answered_in_time(submitted, hold)
            if not in_time and accepted.get("status") == "queued":
                held_the_loop(f"POST /jobs (answered {json.dumps(accepted)[:120]} only then)")
            if not in_time:
                return location, None, None  # the work ran inside POST /jobs
            seen: list[str] = []
            while not working.exists():
                response = test_client.get(location, headers=KEY)
                expect_status(response, 200, f"GET {location}")
                status = support.json_or_fail(response, f"GET {location}").get("status")
                if not seen or seen[-1] != status:
                    seen.append(status)
                if status == "done":
                    pytest.fail(
                        f"the job ended done (statuses seen: {' -> '.join(map(str, seen))}) "
                        "without its model predicting: the grader's model, loaded at "
                        "start-up, was never asked about these flowers, which no request had "
                        "sent before. A job predicts its flowers with the model the app "
                        "loaded (app.state.model, or get_model), when it runs",
                        pytrace=False,
                    )
                if status == "failed":
                    return location, None, None  # the check reports its error
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"the job was still {status!r} after {JOB_DEADLINE:g} s (statuses "
                        f"seen: {' -> '.join(map(str, seen))}) and had not asked its model "
                        "to predict: is its background task scheduled, and does it run?",
                        pytrace=False,
                    )
                time.sleep(0.02)
            what = f"GET {location} (while the job's model predicts)"
            response, in_time = answered_in_time(
                pool.submit(test_client.get, location, headers=KEY), hold
            )
            if not in_time:
                held_the_loop(f"GET {location}")
            expect_status(response, 200, what)
            body = support.json_or_fail(response, what)
            result, in_time = answered_in_time(
                pool.submit(status_or_error, test_client, f"{location}/result"), hold
            )
            return location, body if isinstance(body, dict) else None, result if in_time else None
    finally:
        hold.unlink(missing_ok=True)


# ---------------------------------------------------------------- def and async def


@check(
    points=10,
    hint="Blocking work in an `async def` route holds the event loop, and every other request "
    'waits for it. Handout: "`def` or `async def`?".',
    more="Write GET /simulate/blocking as a plain `def` route that calls time.sleep(seconds): "
    "FastAPI runs it in a worker thread, so the event loop keeps answering /health.",
)
def test_blocking_work_leaves_the_server_free(live_server):
    """On uvicorn, GET /simulate/blocking?seconds=4 answers 200 after about 4 s, and a GET
    /health sent while it runs answers well before it ends (at least a second before)."""
    import httpx

    result: dict = {}

    def slow() -> None:
        try:
            with support.loopback_client(base_url=live_server, timeout=60) as http:
                response = http.get("/simulate/blocking", params={"seconds": BLOCKING_SECONDS})
            result["status"], result["body"] = response.status_code, response.text
        except httpx.HTTPError as error:
            result["error"] = f"{type(error).__name__}: {error}"
        result["ended"] = time.monotonic()

    began = time.monotonic()
    worker = threading.Thread(target=slow, daemon=True)
    worker.start()
    time.sleep(0.5)
    with support.loopback_client(base_url=live_server, timeout=60) as http:
        health = http.get("/health")
    health_ended = time.monotonic()
    worker.join(timeout=60)
    assert "error" not in result, f"GET /simulate/blocking failed: {result.get('error')}"
    assert result.get("status") == 200, (
        f"GET /simulate/blocking?seconds={BLOCKING_SECONDS:g} answered {result.get('status')}: "
        f"{str(result.get('body'))[:200]}"
    )
    took = result["ended"] - began
    assert took >= BLOCKING_SECONDS - 0.5, (
        f"GET /simulate/blocking?seconds={BLOCKING_SECONDS:g} answered after {took:.1f} s: it "
        "must do its work (sleep) for that long"
    )
    expect_status(health, 200, "GET /health")
    margin = result["ended"] - health_ended
    assert margin >= 1.0, (
        f"GET /health, sent 0.5 s after the blocking work began, answered only "
        f"{health_ended - began:.1f} s after it began, when the blocking work ended "
        f"({took:.1f} s): the blocking call held the event loop, so every request waited"
    )


@check(
    points=8,
    hint="Waiting in an `async def` route must `await`, so that other requests run meanwhile. "
    'Handout: "`def` or `async def`?".',
    more="Write GET /simulate/io as an `async def` route that does `await "
    "asyncio.sleep(seconds)`; never time.sleep inside async def.",
)
def test_concurrent_waits_overlap(live_server):
    """On uvicorn, one GET /simulate/io answers 200; then eight GET /simulate/io?seconds=2
    sent at once all answer 200, each after about 2 s, and all eight are done well within
    8 s (one after the other would take 16); then 48 GET /simulate/io?seconds=5 (the most
    allowed) sent at once, more than FastAPI's threadpool has threads (40), are all done
    within 7.5 s (in worker threads, 40 at a time, they would take 10)."""
    import httpx

    def one(_: int) -> tuple[int, float]:
        began = time.monotonic()
        with support.loopback_client(base_url=live_server, timeout=90) as http:
            response = http.get("/simulate/io", params={"seconds": WAIT_SECONDS})
        return response.status_code, time.monotonic() - began

    with support.loopback_client(base_url=live_server, timeout=60) as http:
        response = http.get("/simulate/io", params={"seconds": 0.05})
    expect_status(response, 200, "GET /simulate/io?seconds=0.05 (one call alone)")
    began = time.monotonic()
    try:
        with ThreadPoolExecutor(WAITS) as pool:
            answers = list(pool.map(one, range(WAITS)))
    except httpx.HTTPError as error:
        pytest.fail(f"GET /simulate/io failed: {type(error).__name__}: {error}", pytrace=False)
    total = time.monotonic() - began
    statuses = sorted({status for status, _ in answers})
    assert statuses == [200], f"GET /simulate/io?seconds=2 answered {statuses}; expected 200"
    shortest = min(took for _, took in answers)
    assert shortest >= WAIT_SECONDS - 0.3, (
        f"a GET /simulate/io?seconds=2 answered after {shortest:.1f} s: it must wait that long"
    )
    assert total < WAITS * WAIT_SECONDS / 2, (
        f"{WAITS} GET /simulate/io?seconds=2 sent at once took {total:.1f} s in all: they "
        "waited one after the other, not together (a blocking sleep in an async def route?)"
    )
    # More waits than FastAPI's threadpool has threads: awaited waits all overlap, while a
    # plain def route runs THREADS at a time and the others wait for a free thread.
    with support.loopback_client(
        base_url=live_server, timeout=90, limits=httpx.Limits(max_connections=MANY_WAITS)
    ) as http:

        def many(_: int) -> int:
            return http.get("/simulate/io", params={"seconds": MANY_SECONDS}).status_code

        began = time.monotonic()
        try:
            with ThreadPoolExecutor(MANY_WAITS) as pool:
                statuses = sorted(set(pool.map(many, range(MANY_WAITS))))
        except httpx.HTTPError as error:
            pytest.fail(f"GET /simulate/io failed: {type(error).__name__}: {error}", pytrace=False)
        total = time.monotonic() - began
    assert statuses == [200], (
        f"GET /simulate/io?seconds={MANY_SECONDS:g} answered {statuses}; expected 200 "
        f"(seconds is above 0 and at most {MAX_SECONDS:g}, {MAX_SECONDS:g} included)"
    )
    assert total < 1.5 * MANY_SECONDS, (
        f"{MANY_WAITS} GET /simulate/io?seconds={MANY_SECONDS:g} sent at once took "
        f"{total:.1f} s in all, not about {MANY_SECONDS:g}: they waited for worker threads, "
        f"{THREADS} at a time. A plain def route with time.sleep runs in FastAPI's "
        "threadpool; waiting belongs in an async def route that awaits asyncio.sleep, so "
        "that any number of waits overlap"
    )


@check(
    points=2,
    hint='`seconds` is a query parameter with bounds. Handout: the contract, "Routes".',
    more="Declare seconds as Annotated[float, Query(gt=0, le=5)] in both /simulate routes.",
)
def test_simulated_work_takes_only_sensible_seconds(fresh_client):
    """GET /simulate/blocking and /simulate/io answer 200 for seconds=0.05, and 422 in the
    envelope for seconds=0, 5.5 and 11 (above 0, at most 5)."""
    for path in ("/simulate/blocking", "/simulate/io"):
        expect_status(
            fresh_client.get(path, params={"seconds": 0.05}), 200, f"GET {path}?seconds=0.05"
        )
        for bad in (0, 5.5, 11):
            expect_envelope(
                fresh_client.get(path, params={"seconds": bad}), 422, f"GET {path}?seconds={bad}"
            )


# ---------------------------------------------------------------- jobs


@check(
    points=8,
    hint="Long work answers 202 at once and says where to follow it. Handout: "
    '"Background work" and the contract, "Jobs".',
    more="POST /jobs: status_code=202, make a job (status queued), schedule its work with "
    "background_tasks.add_task, set the Location header to /jobs/{id}, return the job. A "
    "body that breaks the contract is 422 and makes no job.",
)
def test_job_is_accepted_with_202_and_a_location(fresh_client):
    """POST /jobs with three flowers answers 202 with the job (an id, status queued, total 3)
    and Location /jobs/{id}; GET of that Location answers the same job; both routes answer
    401 without credentials. A job of 10,000 flowers (the most a job takes; its values
    written to a billionth, so that its body is over 1 MiB of JSON: the 1 MiB limit is the
    upload's alone) is accepted too (202, total 10000); a job with a bad flower,
    with none or with 10,001 is 422."""
    body, location = submit_job(fresh_client, [SETOSA, VERSICOLOR, VIRGINICA])
    assert body.get("status") == "queued", (
        f"POST /jobs answered status {body.get('status')!r}; expected 'queued': the work runs "
        "after the answer, in the background"
    )
    assert body.get("total") == 3, f"POST /jobs of 3 flowers answered total {body.get('total')!r}"
    response = fresh_client.get(location, headers=KEY)
    expect_status(response, 200, f"GET {location}")
    assert support.json_or_fail(response, f"GET {location}").get("id") == body["id"], (
        f"GET {location} answered another job"
    )
    needs_a_caller(fresh_client, "GET", location)
    needs_a_caller(fresh_client, "POST", "/jobs", json={"items": [SETOSA]})
    # Values to a billionth of a cm (5.100000001), as measured data often is: 1.1 MiB.
    precise = [
        {name: value + 1e-9 for name, value in measurement.items()}
        for measurement in (SETOSA, VERSICOLOR)
    ]
    most = json.dumps({"items": precise * (MAX_JOB_ITEMS // 2)})
    response = fresh_client.post(
        "/jobs", content=most, headers={**KEY, "Content-Type": "application/json"}
    )
    expect_status(
        response,
        202,
        f"POST /jobs of {MAX_JOB_ITEMS:,} flowers (the most a job takes; "
        f"{len(most) / UPLOAD_LIMIT:.2f} MiB of JSON: only the upload has a 1 MiB limit)",
    )
    body = support.json_or_fail(response, "POST /jobs")
    assert isinstance(body, dict) and body.get("total") == MAX_JOB_ITEMS, (
        f"POST /jobs of {MAX_JOB_ITEMS:,} flowers answered total {body.get('total')!r}; a job "
        f"takes 1 to {MAX_JOB_ITEMS:,} flowers"
    )
    bad = {**SETOSA, "petal_length": -1}
    for items in ([SETOSA, bad], []):
        response = fresh_client.post("/jobs", json={"items": items}, headers=KEY)
        expect_envelope(response, 422, f"POST /jobs with items {json.dumps(items)[:80]}")
    too_many = {"items": [SETOSA] * (MAX_JOB_ITEMS + 1)}
    response = fresh_client.post("/jobs", json=too_many, headers=KEY)
    expect_envelope(
        response,
        422,
        f"POST /jobs of {MAX_JOB_ITEMS + 1:,} flowers (a job takes 1 to {MAX_JOB_ITEMS:,})",
    )


@check(
    points=10,
    hint="The job moves from queued to running to done, and then its result downloads as "
    'CSV. Handout: "Background work" and the contract, "Jobs".',
    more="The background task sets running, predicts every flower with the model loaded "
    "now, keeps the predictions and sets done; GET /jobs/{id}/result answers them with "
    'the CSV download (text/csv, Content-Disposition: attachment; filename="...").',
)
def test_job_runs_to_done_and_its_result_downloads(
    app, iris_model: Path, tmp_path: Path, monkeypatch
):
    """Started with the grader's model wrapped so that the grader can hold it in the middle
    of a prediction (the same version, the same answers), and answering as a server does
    (background tasks after the answer): while its model predicts, a job of four flowers
    (one of them twice) answers at its Location (the work holds no event loop) with status
    running, model_version and error null, and its result is a 409; polled, it goes through
    queued, running and done only (in that order), done with the model_version /predict
    reports and no error, then GET /jobs/{id}/result answers a CSV file: one line per flower in the
    order sent, with the species and probability /predict gives it (and 401 without
    credentials)."""
    folder = tmp_path / "held"
    monkeypatch.setenv("MODEL_PATH", str(held_model(iris_model, folder)))
    with started_as_served(app, "the grader's settings") as test_client:
        flowers = [VIRGINICA, SETOSA, VERSICOLOR, SETOSA]  # one flower twice
        location, working, result = job_at_work(test_client, flowers, folder)
        at_work = working.get("status") if working else None
        assert at_work in (None, "running"), (
            f"GET {location}, sent while the job's model was predicting its flowers (held there "
            f"by the grader), answered status {at_work!r}; expected 'running': a job is running "
            "while its work runs (queued before it, done after it)"
        )
        if working:
            unset = {
                name: working.get(name)
                for name in ("model_version", "error")
                if working.get(name) is not None
            }
            assert not unset, (
                f"GET {location} answered {json.dumps(working)[:200]} while the job was running; "
                "expected model_version and error null: a job has its model_version once it is "
                "done, and an error only when it failed"
            )
        assert result in (None, 409), (
            f"GET {location}/result, sent while the job was running, answered {result!r}; "
            "expected 409: only a done job has a result (a queued or running one is 409, not "
            "only a failed one)"
        )
        body, seen = poll_job(test_client, location)
        seen = [at_work, *seen] if at_work else seen
        assert body.get("status") == "done", (
            f"the job ended {body.get('status')!r} (error: {body.get('error')!r}); expected done"
        )
        order = ["queued", "running", "done"]
        assert [order.index(status) for status in seen] == sorted(order.index(s) for s in seen), (
            f"the job's statuses went {' -> '.join(seen)}; expected queued -> running -> done"
        )
        served = predict(test_client, SETOSA).get("model_version")
        assert body.get("model_version") == served, (
            f"the done job says model_version {body.get('model_version')!r}; the model that "
            f"predicted it is {served!r} (POST /predict's model_version)"
        )
        assert body.get("error") is None, (
            f"the done job says error {body.get('error')!r}; expected null: a job has an error "
            "only when it failed"
        )
        rows = csv_answer(
            test_client.get(f"{location}/result", headers=KEY), f"GET {location}/result"
        )
        assert len(rows) == len(flowers), (
            f"the job's result has {len(rows)} lines of flowers; expected {len(flowers)}: one "
            "line per flower sent, in the order sent (the job has one flower twice)"
        )
        needs_a_caller(test_client, "GET", f"{location}/result")
        for number, (measurement, row) in enumerate(zip(flowers, rows, strict=True), start=1):
            assert all(close(row[name], measurement[name]) for name in FEATURES), (
                f"line {number} of the result is not flower {number} of the job"
            )
            answer = predict(test_client, measurement)
            assert row["species"] == answer.get("species"), (
                f"line {number} of the result says {row['species']!r}; /predict says "
                f"{answer.get('species')!r}"
            )
            expected = (answer.get("probabilities") or {}).get(answer.get("species"), -1)
            assert close(row["probability"], expected), (
                f"line {number}: probability {row['probability']!r}; /predict gives {expected}"
            )


def broken_model(iris_model: Path, model_path: Path) -> None:
    """At ``model_path``: a model file that loads (a scikit-learn classifier never fitted,
    and the grader's model.json) but raises on its first prediction (AttributeError)."""
    import joblib
    from sklearn.linear_model import LogisticRegression

    support.copy_model(iris_model, model_path.parent)
    (model_path.parent / "model.joblib").unlink()
    (model_path.parent / "model.json").rename(model_path.with_suffix(".json"))
    joblib.dump(LogisticRegression(), model_path)


def three_measurement_model(model_path: Path) -> None:
    """Replace the model file at ``model_path`` (its model.json stays) with a classifier
    trained on three measurements, not four: it loads, but raises ValueError when it
    predicts a flower of four."""
    import joblib
    from sklearn.linear_model import LogisticRegression

    rows = [[5.1, 3.5, 1.4], [4.9, 3.0, 1.4], [6.3, 3.3, 6.0], [5.8, 2.7, 5.1]]
    species = ["setosa", "setosa", "virginica", "virginica"]
    joblib.dump(LogisticRegression().fit(rows, species), model_path)


def job_fails(test_client, caplog, why: str, wait: float = JOB_DEADLINE) -> None:
    """A job of one flower, submitted now, ends failed (never left running, within ``wait``
    seconds) with an error, model_version null and an ERROR log record; its result is a
    409. ``why`` says why it must fail."""
    caplog.clear()
    body, location = submit_job(test_client, [SETOSA])
    assert body.get("status") == "queued", (
        f"POST /jobs answered status {body.get('status')!r}; expected 'queued'"
    )
    body, seen = poll_job(test_client, location, wait=wait, job=f"a job {why}")
    assert body.get("status") == "failed", (
        f"a job {why} ended {body.get('status')!r} (statuses seen: {' -> '.join(seen)}); "
        "expected failed: anything that goes wrong in the job's work, not only a missing "
        "model, ends it failed"
    )
    assert isinstance(body.get("error"), str) and body["error"].strip(), (
        f"a job {why} failed with error {body.get('error')!r}; expected the reason (a text)"
    )
    assert body.get("model_version") is None, (
        f"a job {why} failed with model_version {body.get('model_version')!r}; expected null: "
        "a job has a model_version only once it is done"
    )
    assert support.app_errors(caplog.records), (
        f"a job {why} failed (error {body['error']!r}), but the app logged nothing at ERROR "
        "level: a background task's error goes to the log too (logger.exception), where "
        "whoever runs the service looks"
    )
    response = test_client.get(f"{location}/result", headers=KEY)
    expect_envelope(response, 409, f"GET {location}/result of a job {why}")


@check(
    points=8,
    hint="A background task has no client to raise to: its error must be caught, logged and "
    'recorded in the job. Handout: "Background work" (where a task\'s error goes).',
    more="In the job's task, catch every exception (not only the missing model, nor only "
    "the one you have seen): log it (logger.exception), set the job's status to failed and "
    "its error to the reason. A failed job's result is 409.",
)
def test_failed_job_says_it_failed_and_why(
    app, iris_model: Path, tmp_path: Path, monkeypatch, caplog
):
    """Started without a model (MODEL_PATH names no file), the app accepts a job (202); the
    job ends failed with a non-empty error and model_version null, the app logs an ERROR
    record meanwhile, and GET /jobs/{id}/result answers 409 in the envelope (while POST
    /predict/csv of a valid file answers 503 in the envelope: unlike a job, an upload is
    predicted in its request, and needs the model). Then
    MODEL_PATH gets a model file that loads but raises when it predicts (AttributeError:
    never trained), POST /model/reload loads it, and a job ends the same way (never left
    running); and so does a job whose model, reloaded from a file trained on three
    measurements, raises ValueError."""
    model_path = writable_folder(tmp_path / "none") / "missing.joblib"
    monkeypatch.setenv("MODEL_PATH", str(model_path))
    with started(app, "MODEL_PATH naming no file") as test_client:
        response = upload(test_client, csv_text([SETOSA]))
        assert response.status_code == 503, (
            f"POST /predict/csv with no model loaded answered {response.status_code}; expected "
            "503, as /predict: the route takes the model as a dependency (ModelDep), which "
            f"answers 503 when none is loaded. It answered: {response.text[:150]}"
        )
        expect_envelope(response, 503, "POST /predict/csv with no model loaded")
        job_fails(test_client, caplog, "run without a model")
        broken_model(iris_model, model_path)
        reload_model(test_client, refused=True)
        job_fails(
            test_client,
            caplog,
            "whose model raised AttributeError when it predicted (a model file never trained)",
            wait=BROKEN_MODEL_DEADLINE,
        )
        three_measurement_model(model_path)
        reload_model(test_client, refused=True)
        job_fails(
            test_client,
            caplog,
            "whose model raised ValueError when it predicted (trained on three measurements)",
            wait=BROKEN_MODEL_DEADLINE,
        )


@check(
    points=3,
    hint="An id that names no job is a 404, for its status and for its result. Handout: "
    'the contract, "Jobs".',
    more="Look the id up in your job store and raise HTTPException(404) when it is not there.",
)
def test_unknown_job_is_404(fresh_client):
    """GET /jobs/{id} of a job just made answers 200; GET /jobs/no-such-job and
    /jobs/no-such-job/result answer 404 in the envelope."""
    _, location = submit_job(fresh_client, [SETOSA])
    expect_status(fresh_client.get(location, headers=KEY), 200, f"GET {location}")
    for path in ("/jobs/no-such-job", "/jobs/no-such-job/result"):
        expect_envelope(fresh_client.get(path, headers=KEY), 404, f"GET {path}")


# ---------------------------------------------------------------- uploads


@check(
    points=10,
    hint="The file comes in as an UploadFile and goes back as a CSV file to save; the "
    'model predicts it in a worker thread. Handout: "Uploads and downloads", "`def` or '
    '`async def`?" and the contract, "CSV".',
    more="Read the rows by their header names (csv.DictReader), validate each as a "
    "Measurement, predict them all in a plain def route (as /predict), and answer a "
    "StreamingResponse with media_type text/csv and Content-Disposition: attachment; "
    'filename="predictions.csv".',
)
def test_csv_upload_is_predicted_and_downloaded(app, iris_model: Path, tmp_path: Path, monkeypatch):
    """Started with the grader's model wrapped so that the grader can hold it in the middle
    of a prediction (the same version, the same answers): POST /predict/csv with a CSV of
    four flowers, one of them twice (its columns in another order than the handout's, with
    an extra column among them) answers a CSV file (text/csv, attachment, streamed: no
    Content-Length): the four flowers in order, each with the species and probability
    /predict gives it; without credentials it is 401. While an upload's model predicts,
    GET /health answers (the route holds no event loop), and the upload then answers 200."""
    folder = tmp_path / "held"
    monkeypatch.setenv("MODEL_PATH", str(held_model(iris_model, folder)))
    with started(app, "the grader's settings") as test_client:
        flowers = [SETOSA, VIRGINICA, VERSICOLOR, SETOSA]
        columns = ["petal_width", "sepal_length", "collector", "petal_length", "sepal_width"]
        collected = [{**measurement, "collector": "Ana"} for measurement in flowers]
        response = upload(test_client, csv_text(collected, columns))
        if response.status_code == 422:
            pytest.fail(
                "POST /predict/csv of four valid flowers, its header line naming the four "
                "columns in another order and an extra column (collector), answered 422: "
                f"{response.text[:300]}. The columns may come in any order, and extra "
                "columns are ignored",
                pytrace=False,
            )
        rows = csv_answer(response, "POST /predict/csv")
        assert len(rows) == len(flowers), (
            f"POST /predict/csv of {len(flowers)} flowers (the first one twice) answered "
            f"{len(rows)} lines of flowers; expected one line per flower of the file"
        )
        for number, (measurement, row) in enumerate(zip(flowers, rows, strict=True), start=1):
            assert all(close(row[name], measurement[name]) for name in FEATURES), (
                f"line {number} of the answer is not flower {number} of the file (are the "
                "columns read by their names?)"
            )
            answer = predict(test_client, measurement)
            assert row["species"] == answer.get("species"), (
                f"line {number} says {row['species']!r}; /predict says {answer.get('species')!r}"
            )
            expected = (answer.get("probabilities") or {}).get(answer.get("species"), -1)
            assert close(row["probability"], expected), (
                f"line {number}: probability {row['probability']!r}; /predict gives {expected}"
            )
        needs_a_caller(
            test_client,
            "POST",
            "/predict/csv",
            files={"file": ("flowers.csv", csv_text(flowers), "text/csv")},
        )
        upload_at_work(test_client, folder)


def upload_at_work(test_client, folder: Path) -> None:
    """POST /predict/csv while the held model (files in ``folder``) holds its prediction,
    then GET /health: it must answer while the model works (the upload runs in a worker
    thread, not on the event loop); then the upload answers 200. An upload that answers 200
    without its model predicting (the flowers are new: no cache holds them) fails."""
    hold, working = folder / "hold", folder / "working"
    working.unlink(missing_ok=True)
    hold.touch()
    try:
        with ThreadPoolExecutor(2) as pool:
            # flowers of their own: none is in the cache, so the model is asked
            uploaded = pool.submit(upload, test_client, csv_text([flower(31), flower(32)]))
            deadline = time.monotonic() + JOB_DEADLINE
            while not (working.exists() or uploaded.done()) and time.monotonic() < deadline:
                time.sleep(0.01)
            # answered while the hold was on, and the model never asked
            without_model = uploaded.done() and not working.exists()
            if working.exists():
                health, in_time = answered_in_time(pool.submit(test_client.get, "/health"), hold)
                if not in_time:
                    pytest.fail(
                        f"GET /health, sent while POST /predict/csv's model was predicting, "
                        f"got no answer within {ANSWER_GRACE:g} s, only once the prediction "
                        "had ended: the upload held the event loop, so nobody was served "
                        "meanwhile (an async def route that calls the model without await "
                        "runs on the event loop; a plain def route runs in a worker thread)",
                        pytrace=False,
                    )
                expect_status(health, 200, "GET /health (while an upload's model predicts)")
            hold.unlink(missing_ok=True)
            expect_status(
                uploaded.result(), 200, "POST /predict/csv (sent while its model was held)"
            )
            if without_model:
                pytest.fail(
                    "POST /predict/csv of two flowers no request had sent before answered "
                    "200 without its model predicting: the grader's model, loaded at "
                    "start-up, was never asked. An upload predicts its flowers with the "
                    "model the app loaded (get_model)",
                    pytrace=False,
                )
    finally:
        hold.unlink(missing_ok=True)


@check(
    points=5,
    hint='Look at the type the file says it has before reading it. Handout: the contract, "CSV".',
    more="UploadFile.content_type is the part's Content-Type (None when the part has "
    "none): any type but text/csv, parameters aside (application/csv, text/csv-schema, "
    "application/octet-stream, no type at all), is HTTPException(415).",
)
def test_a_file_that_is_not_csv_is_415(fresh_client):
    """A CSV file sent as text/csv answers 200; the same bytes sent as text/plain,
    application/json, application/csv, text/csv-schema, application/vnd.ms-excel (the type
    some browsers give a .csv file) or application/octet-stream (the type curl gives it),
    or sent with no type at all, answer 415 in the envelope, and so does a JSON document
    sent as application/json (the type is checked before the file is read)."""
    text = csv_text([SETOSA])
    expect_status(upload(fresh_client, text), 200, "POST /predict/csv of a text/csv file")
    for kind in NOT_CSV_TYPES:
        expect_envelope(
            upload(fresh_client, text, kind), 415, f"POST /predict/csv of a file sent as {kind}"
        )
    response = upload_without_type(fresh_client, text)
    assert response.status_code == 415, (
        f"POST /predict/csv of a file sent with no Content-Type answered "
        f"{response.status_code}; expected 415: a file whose type is not text/csv is refused, "
        "and a file with no type is not text/csv (UploadFile.content_type is None)"
    )
    expect_envelope(response, 415, "POST /predict/csv of a file with no Content-Type")
    document = json.dumps({"items": [SETOSA]})
    response = upload(fresh_client, document, "application/json")
    assert response.status_code == 415, (
        f"POST /predict/csv of a JSON document sent as application/json answered "
        f"{response.status_code}; expected 415: the file's type is checked first, before its "
        "rows are read, so a file of another type is a 415 whatever it holds"
    )
    expect_envelope(response, 415, "POST /predict/csv of a JSON document")


@check(
    points=4,
    hint="FastAPI refuses an oversized body itself, when you give the route its limit. "
    'Handout: "Body limits".',
    more="@router.post('/predict/csv', max_body_size=1024 * 1024, ...): a body over 1 MiB "
    "answers 413.",
)
def test_an_upload_over_1_mib_is_413(fresh_client):
    """A small CSV answers 200, and so does a valid CSV whose request body is exactly 1 MiB
    (1,048,576 bytes, the multipart framing included: more than 1,000,000); the same upload
    one byte longer (1 MiB and 1 byte of body) answers 413."""
    expect_status(upload(fresh_client, csv_text([SETOSA])), 200, "POST /predict/csv of one flower")
    expect_status(
        upload_of_body_size(fresh_client, UPLOAD_LIMIT),
        200,
        f"POST /predict/csv of a valid CSV whose request body is exactly 1 MiB ({UPLOAD_LIMIT:,} "
        "bytes, the multipart framing included; the limit is at most 1 MiB)",
    )
    response = upload_of_body_size(fresh_client, UPLOAD_LIMIT + 1)
    assert response.status_code == 413, (
        f"POST /predict/csv whose request body is {UPLOAD_LIMIT + 1:,} bytes (1 MiB and one "
        f"byte) answered {response.status_code}; expected 413: the limit is 1 MiB of request "
        "body, the multipart framing included (max_body_size=1024 * 1024, no more)"
    )


def upload_without_type(test_client, text: str):
    """POST /predict/csv of a file part with a file name but no Content-Type header."""
    boundary = "graderboundary0123456789"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="flowers.csv"\r\n\r\n'
        f"{text}\r\n--{boundary}--\r\n"
    ).encode()
    return test_client.post(
        "/predict/csv",
        content=body,
        headers={**KEY, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def upload_of_body_size(test_client, size: int):
    """POST /predict/csv of a valid CSV file whose whole request body (the file and its
    multipart framing) is exactly ``size`` bytes: its values are written with 17
    significant digits, as numpy and pandas export floats, the last one padded with zeros."""
    boundary = "graderboundary0123456789"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="flowers.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    header = csv_text([]).encode()
    line = (",".join(f"{SETOSA[name] + 1e-9:.17g}" for name in FEATURES) + "\n").encode()
    last = ",".join(str(SETOSA[name]) for name in FEATURES).encode()
    room = size - len(head) - len(tail) - len(header) - len(last)
    body = head + header + line * (room // len(line)) + last + b"0" * (room % len(line)) + tail
    assert len(body) == size  # the grader's own arithmetic
    return test_client.post(
        "/predict/csv",
        content=body,
        headers={**KEY, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def raw_upload_answer(base_url: str, announced: int, sent: int, wait: float) -> bytes:
    """Announce a multipart body of ``announced`` bytes to POST /predict/csv, send ``sent``
    bytes of it, and return what the server answers within ``wait`` seconds (b"" if
    nothing)."""
    address = urlsplit(base_url)
    boundary = "graderboundary0123456789"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n" + ",".join(FEATURES) + "\n"
    ).encode()
    request = (
        f"POST /predict/csv HTTP/1.1\r\nHost: {address.hostname}:{address.port}\r\n"
        f"X-API-Key: {API_KEY}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {announced}\r\nConnection: close\r\n\r\n"
    ).encode()
    line = (",".join(str(SETOSA[name]) for name in FEATURES) + "\n").encode()
    body = head + line * ((sent - len(head)) // len(line))
    answer = b""
    with socket.create_connection((address.hostname, address.port), timeout=wait) as sock:
        # the server may stop reading (and close) as soon as it has refused
        with contextlib.suppress(OSError):
            sock.sendall(request + body)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and b"\r\n" not in answer:
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                break
            except OSError:
                break
            if not chunk:
                break
            answer += chunk
    return answer


@check(
    points=6,
    hint="A size check after reading the whole upload comes too late: the bytes are already "
    'in. Handout: "Body limits".',
    more="Let FastAPI count the bytes as they arrive: max_body_size=1024 * 1024 on the "
    "route (never `await file.read()` followed by a length check).",
)
def test_an_oversized_upload_is_refused_before_it_is_read(live_server):
    """On uvicorn: a small CSV upload answers 200; a request that announces a 64 MiB body
    and sends 64 KiB of it is answered 413 within 10 s, without the server waiting for the
    rest."""

    with support.loopback_client(base_url=live_server, timeout=60) as http:
        response = http.post(
            "/predict/csv",
            files={"file": ("flowers.csv", csv_text([SETOSA]), "text/csv")},
            headers=KEY,
        )
    expect_status(response, 200, "POST /predict/csv of one flower (on uvicorn)")
    answer = raw_upload_answer(live_server, announced=64 * UPLOAD_LIMIT, sent=64 * 1024, wait=10)
    status_line = answer.split(b"\r\n", 1)[0].decode("latin-1")
    assert answer, (
        "a POST /predict/csv that announced 64 MiB and sent 64 KiB got no answer in 10 s: the "
        "server waited to read the whole body before checking its size"
    )
    assert status_line.split(" ")[1:2] == ["413"], (
        f"a POST /predict/csv that announced 64 MiB answered {status_line!r}; expected 413"
    )


@check(
    points=7,
    hint="Validate every row, collect every problem, and name each by its row and column; "
    "a problem of the whole file (no rows, a bad header, not UTF-8) names file. Handout: "
    'the contract, "CSV", and "Tasks", 7.',
    more="Number the rows from 1 (the header line is not a row) and report each problem as "
    '{"field": "rows.<n>.<column>", ...} in one 422; a problem of the whole row names no '
    "column (its loc is empty). A problem of the whole file (no rows, a header that lacks "
    "a column, bytes that are not UTF-8: catch UnicodeDecodeError) names file.",
)
def test_bad_rows_are_named_by_row_and_column(fresh_client):
    """A CSV of one good flower answers 200; a CSV whose row 2 has petal_width "wide", whose
    row 3 has sepal_length 0 and petal_width -1, whose row 4 has a petal longer than its
    sepal (each value valid alone), whose row 5 has an empty sepal_width and whose row 6 has
    four empty values (the line ,,,) answers one 422 in the envelope, whose fields name
    rows.2.petal_width, rows.3.sepal_length, rows.3.petal_width, rows.4 (a problem of the
    whole row), rows.5.sepal_width and rows.6.<column>, and nothing of row 1; a CSV with
    its header line and no rows, one saved in Latin-1 (a byte that is not UTF-8) and one
    whose header line lacks petal_width are each a 422 whose field is file."""
    expect_status(upload(fresh_client, csv_text([SETOSA])), 200, "POST /predict/csv of one flower")
    rows = [
        SETOSA,
        {**VIRGINICA, "petal_width": "wide"},
        {**VERSICOLOR, "sepal_length": 0, "petal_width": -1},
        {**VIRGINICA, "petal_length": VIRGINICA["sepal_length"] + 0.5},
        {**SETOSA, "sepal_width": ""},
        dict.fromkeys(FEATURES, ""),  # a line of four empty values: ",,,"
    ]
    error = expect_envelope(
        upload(fresh_client, csv_text(rows)),
        422,
        "POST /predict/csv whose row 2 has a bad value, whose row 3 has two, whose row 4 "
        "has a petal longer than its sepal, whose row 5 has no sepal_width and whose row 6 "
        "has no value at all",
    )
    fields = [
        str(item.get("field")) for item in error.get("fields") or [] if isinstance(item, dict)
    ]
    for wanted in ("rows.2.petal_width", "rows.3.sepal_length"):
        assert wanted in fields, (
            f"the 422 names the fields {fields}; expected {wanted} among them (rows counted "
            "from 1 after the header line)"
        )
    assert "rows.3.petal_width" in fields, (
        f"the 422 names the fields {fields}; expected rows.3.sepal_length and "
        "rows.3.petal_width: row 3 has two bad values, and the 422 names every problem, "
        "not only the first of each row"
    )
    assert "rows.5.sepal_width" in fields, (
        f"the 422 names the fields {fields}; expected rows.5.sepal_width among them: row 5 "
        "has an empty sepal_width, a bad value like any other (a row is never skipped)"
    )
    assert any(field.startswith("rows.6.") for field in fields), (
        f"the 422 names the fields {fields}; expected rows.6.sepal_length (and the other "
        "columns of row 6) among them: row 6 is the line ,,, whose four values are empty, "
        "bad values like any other (a row is never skipped, not even an empty one)"
    )
    assert "rows.4" in fields, (
        f"the 422 names the fields {fields}; expected rows.4 among them: row 4 has a petal "
        "longer than its sepal, a problem of the whole row, which the contract names rows.N "
        "(no column)"
    )
    assert not any(field.startswith("rows.1.") or field == "rows.1" for field in fields), (
        f"the 422 names the fields {fields}: row 1 is a good flower"
    )
    error = expect_envelope(
        upload(fresh_client, csv_text([])), 422, "POST /predict/csv of a header and no rows"
    )
    fields = [
        str(item.get("field")) for item in error.get("fields") or [] if isinstance(item, dict)
    ]
    assert "file" in fields, f"the 422 of a file with no rows names {fields}; expected file"
    # Saved in Latin-1, as older spreadsheets do: the "é" of José is the byte 0xE9, which is
    # not UTF-8. The file is valid otherwise (an extra column is ignored).
    latin = csv_text(
        [{**SETOSA, "collector": "Ana"}, {**VIRGINICA, "collector": "José"}],
        [*FEATURES, "collector"],
    ).encode("latin-1")
    error = expect_envelope(
        upload(fresh_client, latin),
        422,
        "POST /predict/csv of a file saved in Latin-1 (its byte 0xE9, the é of José, is not UTF-8)",
    )
    fields = [
        str(item.get("field")) for item in error.get("fields") or [] if isinstance(item, dict)
    ]
    assert fields and set(fields) == {"file"}, (
        f"the 422 of a file that is not UTF-8 names {fields}; expected file (a problem of the "
        "whole file)"
    )
    present = FEATURES[:3]  # no petal_width
    rows = [{name: row[name] for name in present} for row in (SETOSA, VIRGINICA)]
    lacking = csv_text(rows, present)
    error = expect_envelope(
        upload(fresh_client, lacking),
        422,
        f"POST /predict/csv of a file whose header line lacks the column {FEATURES[3]}",
    )
    fields = [
        str(item.get("field")) for item in error.get("fields") or [] if isinstance(item, dict)
    ]
    assert fields and set(fields) == {"file"}, (
        f"the 422 of a file whose header line lacks the column {FEATURES[3]} names {fields}; "
        "expected one problem naming file: a bad header is a problem of the file, found "
        "before any row is read, not one of each row"
    )


# ---------------------------------------------------------------- the cache


@check(
    points=8,
    hint="A flower the same model has already classified is answered from the cache, "
    'without a model call; any other flower is not. Handout: "Caching predictions".',
    more="Key the cache on the model version and all four measurements; in /predict, "
    "look the key up first and call the model only on a miss, then store its answer.",
)
def test_a_repeated_flower_is_answered_from_the_cache(fresh_client):
    """POST /predict of a flower costs one model call (GET /cache, model_calls) and counts
    one miss; the same flower again costs none, counts one hit and answers the same, and is
    logged as a prediction of its own (another prediction_id, which GET /predictions/{id}
    finds), and costs none asked by another caller (the admin's bearer token); a flower
    that differs in one measurement only (by 0.001 cm) costs one, and so does the flower
    whose sepal_width and petal_width are the first's swapped; GET /cache needs a
    caller."""
    first = flower(1)
    before = cache_stats(fresh_client)
    answer = predict(fresh_client, first)
    stats = cache_stats(fresh_client)
    assert stats["model_calls"] == before["model_calls"] + 1, (
        "a new flower did not cost exactly one model call (GET /cache, model_calls)"
    )
    between = stats
    again = predict(fresh_client, first)
    stats = cache_stats(fresh_client)
    assert stats["model_calls"] == before["model_calls"] + 1, (
        "the same flower, asked again of the same model, cost another model call: it was not "
        "answered from the cache"
    )
    assert again.get("species") == answer.get("species") and again.get(
        "probabilities"
    ) == answer.get("probabilities"), "the cached answer differs from the first one"
    for what, (start, end), expected in (
        ("a new flower", (before, between), (0, 1)),
        ("a cached flower", (between, stats), (1, 0)),
    ):
        counted = (end["hits"] - start["hits"], end["misses"] - start["misses"])
        assert counted == expected, (
            f"POST /predict of {what} counted {counted[0]} hit(s) and {counted[1]} miss(es) in "
            f"GET /cache; expected {expected[0]} and {expected[1]}: each POST /predict looks "
            "its flower up once, and that lookup is one hit or one miss"
        )
    logged = again.get("prediction_id")
    assert isinstance(logged, int) and logged != answer.get("prediction_id"), (
        f"the cached answer has prediction_id {logged!r} (the first: "
        f"{answer.get('prediction_id')!r}): an answer from the cache is still logged, as a "
        "prediction of its own"
    )
    expect_status(
        fresh_client.get(f"/predictions/{logged}", headers=KEY),
        200,
        f"GET /predictions/{logged} (the cached answer's prediction_id)",
    )
    needs_a_caller(fresh_client, "GET", "/cache")
    assert stats["hits"] >= before["hits"] + 1, "GET /cache counted no hit"
    assert stats["misses"] >= before["misses"] + 1, "GET /cache counted no miss"
    response = fresh_client.post("/predict", json=first, headers=admin_bearer(fresh_client))
    expect_status(response, 200, "POST /predict with the admin's bearer token")
    assert model_calls(fresh_client) == before["model_calls"] + 1, (
        "the same flower, asked again by another caller (the admin, with a bearer token), cost "
        "another model call: the cache key is the model's version and the four measurements, "
        "whoever asks"
    )
    for name in FEATURES:
        predict(fresh_client, {**first, name: first[name] + NEAR})
    assert model_calls(fresh_client) == before["model_calls"] + 1 + len(FEATURES), (
        f"a flower that differs in one measurement only (by {NEAR} cm) was answered from the "
        "cache: the key must hold all four measurements as they are (not rounded)"
    )
    swapped = {**first, "sepal_width": first["petal_width"], "petal_width": first["sepal_width"]}
    predict(fresh_client, swapped)
    assert model_calls(fresh_client) == before["model_calls"] + 2 + len(FEATURES), (
        "a flower with the sepal_width and petal_width of an earlier one swapped was answered "
        "from the cache: the same four values in other columns are another flower, so the key "
        "holds each measurement in its place (a tuple in the order of FEATURES, not a set nor "
        f"a sorted list of the values). The flowers: {first} and {swapped}"
    )


@check(
    points=6,
    hint="After a reload the cache holds the old model's answers: empty it. Handout: "
    '"Caching predictions".',
    more="In POST /model/reload, once the new model is in place, call the cache's clear().",
)
def test_a_model_reload_empties_the_cache(fresh_client):
    """A flower asked twice costs one model call; after POST /model/reload (the same file,
    so the same version label), GET /cache reports size 0, and the flower costs a model
    call again."""
    measurement = flower(2)
    predict(fresh_client, measurement)
    calls = model_calls(fresh_client)
    predict(fresh_client, measurement)
    assert model_calls(fresh_client) == calls, "a repeated flower cost another model call"
    reload_model(fresh_client)
    stats = cache_stats(fresh_client)
    assert stats["size"] == 0, (
        f"after a reload GET /cache reports size {stats['size']}; expected 0: a reload must "
        "empty the cache (the old model's answers)"
    )
    calls = stats["model_calls"]
    answer = predict(fresh_client, measurement)
    assert model_calls(fresh_client) == calls + 1, (
        "after a model reload the flower was answered from the cache: the reload must empty it"
    )
    assert answer.get("species"), "after the reload /predict answers no species"


@check(
    points=5,
    hint="A cache without a bound grows until memory runs out. Handout: "
    '"Caching predictions" and the contract, "Settings".',
    more="Keep the entries in an OrderedDict: move a hit to the end (move_to_end), and "
    "after each put drop the first entries (popitem(last=False)) while there are more than "
    "CACHE_SIZE.",
)
def test_the_cache_keeps_only_the_most_recently_used(app, monkeypatch):
    """With CACHE_SIZE=3: GET /cache reports max_size 3; after flowers 1, 2, 3, a hit on 1
    and flower 4, the cache holds 3 entries, flower 1 is still cached (used recently) and
    flower 2 is not (used least recently); after POST /model/reload and four flowers, it
    still reports max_size 3 and holds 3 entries."""
    monkeypatch.setenv("CACHE_SIZE", "3")
    with started(app, "CACHE_SIZE=3") as test_client:
        assert cache_stats(test_client)["max_size"] == 3, "GET /cache: max_size is not CACHE_SIZE"
        for number in (11, 12, 13):
            predict(test_client, flower(number))
        calls = model_calls(test_client)
        predict(test_client, flower(11))
        assert model_calls(test_client) == calls, "a cached flower cost a model call"
        predict(test_client, flower(14))
        stats = cache_stats(test_client)
        assert stats["size"] == 3, f"with CACHE_SIZE=3 the cache holds {stats['size']} entries"
        calls = stats["model_calls"]
        predict(test_client, flower(11))
        assert model_calls(test_client) == calls, (
            "the flower used most recently but one was dropped: drop the least recently used"
        )
        predict(test_client, flower(12))
        assert model_calls(test_client) == calls + 1, (
            "the flower used least recently is still cached, beyond CACHE_SIZE"
        )
        reload_model(test_client)
        for number in (11, 12, 13, 14):
            predict(test_client, flower(number))
        stats = cache_stats(test_client)
        assert (stats["max_size"], stats["size"]) == (3, 3), (
            f"after POST /model/reload and four new flowers, GET /cache reports max_size "
            f"{stats['max_size']} and size {stats['size']}; expected 3 and 3: a reload empties "
            "the cache, and the cache still keeps at most CACHE_SIZE entries"
        )
