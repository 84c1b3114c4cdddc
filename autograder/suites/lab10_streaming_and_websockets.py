"""Lab 10 checks: the explanation streamed as Server-Sent Events and JSON Lines, the WebSocket
of predictions, and the student's Python client of both.

The grader's settings are in the environment for the whole grading (its model, its secret,
an API key, a user, the cheapest Argon2 cost, a database file of its own, and a pause of
``TOKEN_DELAY`` seconds between two tokens). Streams are read with a ``TestClient`` and, where
the contract is about a real connection (a client that leaves, several clients at once),
from the app served by uvicorn on a loopback port (``served``, the plugin's ``live_server``).
The counters of ``GET /stream-stats`` are read before and after, and only their changes count:
the app serves the TestClient and the live server from one process in normal mode, from two
in secure mode.

The student's ``client.py`` runs in a probe, in the student's own process, so what it returns
is only believed with what a relay in front of the served app saw (``RequestCounter``): the
client is given the relay's URL, and the server must have answered each call through it. The
relay of ``explain`` (``MarkingRelay``) also gives each token line a word of its own: the text
the client returns must be those words, which no process but the grader's knows.

Timing is never compared with a fixed number of seconds: the first event must arrive before
half of the whole stream's time, and a generator whose client left must stop growing.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import pytest

from autograder import check, isolation
from autograder.iris import GRADER_VERSION
from autograder.request_counter import RequestCounter
from autograder.suites import support
from autograder.suites.support import SETOSA, VERSICOLOR, VIRGINICA

FLOWERS = {"setosa": SETOSA, "versicolor": VERSICOLOR, "virginica": VIRGINICA}
USER, USER_PASSWORD = "bea", "bea-streams-flowers-4"
ADMIN, ADMIN_PASSWORD = "cy", "cy-reloads-the-model-7"  # for POST /model/reload
API_KEY = secrets.token_urlsafe(24)
KEY = {"X-API-Key": API_KEY}
SECRET = secrets.token_hex(32)
TOKEN_DELAY = 0.04  # seconds between two tokens: a whole explanation takes about a second
# Another pause, for the last tokens of one resumed stream: a pause written in the code
# instead of read from TOKEN_DELAY_SECONDS shows (the default, 0.05 s, is near TOKEN_DELAY).
SLOW_DELAY = 0.2
SLOW_TOKENS = 5
SLOW_LINES = 4  # the first token lines of a JSON Lines stream timed at that pause: they
# must spread over half the pauses between them at least (0.3 s; a pause of 0.05 s
# written in the code spreads them over 0.15 s), a margin a busy machine's delays keep
TIMEOUT = 15  # seconds for one request of the grader
CLOSE_SECONDS = 10  # how long a stream whose client left may take to count as closed
ANSWER_TIMEOUT = 5  # seconds to wait for one WebSocket answer on a real server
RELAY_SETTLE_SECONDS = 0.2  # for the relay in front of the server to read the last bytes
SSE = "/predict/explain"
LINES = "/predict/explain/lines"
LIVE = "/predict/live"
STATS = "/stream-stats"
RESUMED_COUNT = "a resumed stream produces, and counts, only the tokens after Last-Event-ID"
DONE_ID = " id"  # where token_events keeps the id of a done event (no JSON key of the data)


# ---------------------------------------------------------------- settings


def hashed_users() -> str:
    """The USERS setting: a user and an admin, with cheap Argon2 hashes of their passwords."""
    hashes = support.password_hashes({USER: USER_PASSWORD, ADMIN: ADMIN_PASSWORD})
    roles = {USER: "user", ADMIN: "admin"}
    return json.dumps(
        {name: {"password_hash": hashes[name], "role": role} for name, role in roles.items()}
    )


@pytest.fixture(scope="session")
def grader_settings(iris_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The service's settings, in the environment for the whole grading."""
    folder = isolation.current().writable_by_app(tmp_path_factory.mktemp("data"))
    environment = {
        "MODEL_PATH": str(iris_model),
        "JWT_SECRET": SECRET,
        "API_KEYS": json.dumps({"grader-robot": API_KEY}),
        "USERS": hashed_users(),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "64",
        "DATABASE_URL": f"sqlite:///{folder / 'log.db'}",
        "TOKEN_DELAY_SECONDS": str(TOKEN_DELAY),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="module")
def api_client(app, grader_settings) -> Iterator:
    """A TestClient of the app, started with the grader's settings; a route that raises
    answers 500 instead of raising into the check."""
    with support.started(
        app, failure="the grader's settings", raise_server_exceptions=False
    ) as test_client:
        yield test_client


@pytest.fixture
def served_privately(grader_settings, app) -> Iterator[int | str]:
    """The app served where only the grader can connect (see
    :meth:`autograder.isolation.base.Isolation.serve_privately`), for a relay that must see
    every connection a client makes, with a JWT secret of its own: a client that found
    another server of the app on a loopback port could go past the relay, but that server
    refuses the tokens of this one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JWT_SECRET", secrets.token_urlsafe(32))
        with isolation.current().serve_privately(app, start_timeout=20) as target:
            yield target


@pytest.fixture(scope="module")
def served(grader_settings, live_server) -> str:
    """The app served by uvicorn on a loopback port (the plugin's ``live_server``), started
    with the grader's settings."""
    return live_server


# ---------------------------------------------------------------- reading streams


def parse_sse(lines) -> Iterator[dict]:
    """The events of a ``text/event-stream``, as the HTML standard reads them: ``event``,
    ``id`` and ``data`` (the data lines joined with newlines); comments are skipped."""
    event: dict = {}
    data: list[str] = []
    for line in lines:
        if line == "":
            if data or event:
                yield {**event, "data": "\n".join(data)}
            event, data = {}, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name in ("event", "id"):
            event[name] = value
    if data or event:
        yield {**event, "data": "\n".join(data)}


def data_of(event: dict, what: str) -> dict:
    """The JSON object in an event's data."""
    try:
        data = json.loads(event["data"])
    except ValueError:
        pytest.fail(f"{what}: the data of {event} is not JSON", pytrace=False)
    assert isinstance(data, dict), f"{what}: the data of {event} is not a JSON object"
    return data


def status_problem(response, what: str, content_type: str) -> None:
    """Fail unless the answer is 200 with the content type the contract gives."""
    if response.status_code != 200:
        response.read()
        pytest.fail(
            f"{what} answered {response.status_code}; expected 200 (body: {response.text[:300]})",
            pytrace=False,
        )
    got = response.headers.get("content-type", "")
    assert got.split(";")[0].strip() == content_type, (
        f"{what} answered with content type {got!r}; expected {content_type}"
    )


def read_events(response, what: str) -> tuple[list[dict], float | None]:
    """Every SSE event of a streamed answer, and when the first one came (monotonic)."""
    events, first_at = [], None
    try:
        for event in parse_sse(response.iter_lines()):
            first_at = first_at or time.monotonic()
            events.append(event)
    except (httpx.HTTPError, RuntimeError) as error:
        pytest.fail(f"{what} broke off after {len(events)} events: {error!r}", pytrace=False)
    return events, first_at


def token_events(events: list[dict], what: str) -> tuple[list[dict], dict | None]:
    """The token events of a whole stream (ids, texts, and the other keys of their data), and
    the data of the done event that ends it (None when there is none), with the done event's
    own id under ``DONE_ID`` when it has one; fails unless only token events come before it."""
    done = None
    if events and events[-1].get("event") == "done":
        done = data_of(events[-1], what)
        if "id" in events[-1]:
            done[DONE_ID] = events[-1]["id"]
        events = events[:-1]
    names = {str(event.get("event")) for event in events}
    assert names <= {"token"}, (
        f"{what} sent events named {sorted(names)} before the end; expected token events, "
        "then one done event"
    )
    tokens = []
    for event in events:
        data = data_of(event, what)
        text = data.get("text")
        assert isinstance(text, str), f'{what}: token event {event} has no "text" string'
        tokens.append({"id": event.get("id"), "text": text, "other": sorted(set(data) - {"text"})})
    return tokens, done


def sse_stream(test_client, what: str, flower: dict = SETOSA, headers: dict | None = None):
    """A whole SSE stream through ``test_client``: (token list, done data, first-event time,
    total time), both times from the request's start."""
    started = time.monotonic()
    try:
        with test_client.stream(
            "GET", SSE, params=flower, headers={**KEY, **(headers or {})}, timeout=TIMEOUT
        ) as response:
            status_problem(response, what, "text/event-stream")
            events, first_at = read_events(response, what)
    except httpx.HTTPError as error:
        pytest.fail(f"{what} failed: {error!r}", pytrace=False)
    total = time.monotonic() - started
    tokens, done = token_events(events, what)
    return tokens, done, (first_at or time.monotonic()) - started, total


def lines_stream(test_client, what: str, flower: dict = SETOSA):
    """A whole JSON Lines stream through ``test_client``: (the objects of its non-empty lines,
    first-line time, total time), both times from the request's start."""
    started = time.monotonic()
    items, first_at = [], None
    try:
        with test_client.stream(
            "GET", LINES, params=flower, headers=KEY, timeout=TIMEOUT
        ) as response:
            status_problem(response, what, "application/jsonl")
            for line in response.iter_lines():
                if not line.strip():
                    continue
                first_at = first_at or time.monotonic()
                try:
                    items.append(json.loads(line))
                except ValueError:
                    pytest.fail(f"{what}: the line {line[:100]!r} is not JSON", pytrace=False)
    except (httpx.HTTPError, RuntimeError) as error:
        pytest.fail(f"{what} broke off after {len(items)} lines: {error!r}", pytrace=False)
    total = time.monotonic() - started
    return items, (first_at or time.monotonic()) - started, total


def expect_resumed_done(done: dict | None, count: int, what: str) -> None:
    """A resumed stream ends with done, whose tokens is N (the whole explanation's count)."""
    assert done is not None, (
        f"{what} ended without an event named done; expected done, after the tokens left "
        "(none when Last-Event-ID is N or more)"
    )
    assert done.get("tokens") == count, (
        f"{what}: the done event says tokens={done.get('tokens')!r}; expected {count}, the "
        "number of tokens of the whole explanation (not only of those sent again)"
    )


def expect_generated(generated: int | None, sent: int, what: str, why: str) -> None:
    """GET /stream-stats' tokens_generated grew by the tokens the stream sent, no more and
    no fewer: each token counts once, when its generator produces it."""
    assert generated == sent, (
        f"{what} sent {sent} tokens, but tokens_generated grew by {generated}: {why} (each "
        "token counts once, when its generator produces it)"
    )


def expect_ids_from(tokens: list[dict], start: int, what: str) -> None:
    ids = [token["id"] for token in tokens]
    want = [str(number) for number in range(start, start + len(tokens))]
    assert ids == want, (
        f"{what}: the token events have ids {ids[:8]}{'...' if len(ids) > 8 else ''}; expected "
        f"{want[:8]}{'...' if len(want) > 8 else ''} (each token's position, counted from 1)"
    )


def stats(base: str | None = None, test_client=None) -> dict:
    """``GET /stream-stats`` of the live server at ``base`` (or through ``test_client``)."""
    try:
        if test_client is not None:
            response = test_client.get(STATS)
        else:
            response = support.loopback_get(f"{base}{STATS}", timeout=TIMEOUT)
    except httpx.HTTPError as error:
        pytest.fail(f"GET {STATS} failed: {error!r}", pytrace=False)
    assert response.status_code == 200, f"GET {STATS} answered {response.status_code}"
    body = response.json()
    for field in ("tokens_generated", "streams_open", "sockets_open"):
        assert isinstance(body.get(field), int), (
            f"GET {STATS} answered {body}; expected an integer {field}"
        )
    return body


@pytest.fixture(scope="module")
def setosa_stream(api_client):
    """Reads the whole SSE stream of SETOSA through ``api_client`` the first time it is called
    and gives that same reading to every later call: the checks that only look at the
    stream share one (each takes about a second). A stream that failed is read again."""
    readings: list[tuple] = []

    def read() -> tuple:
        if not readings:
            readings.append(sse_stream(api_client, f"GET {SSE}"))
        return readings[0]

    return read


@pytest.fixture(scope="module")
def setosa_lines(api_client):
    """Reads the whole JSON Lines stream of SETOSA through ``api_client`` the first time it
    is called and gives that same reading to every later call, as ``setosa_stream`` does.
    ``read(judged=False)`` gives None instead of failing when the route does not stream JSON
    Lines: a check that only times the stream leaves its content to the lines check.
    ``read.generated`` is how much GET /stream-stats' tokens_generated grew meanwhile."""
    readings: list[tuple] = []

    def read(judged: bool = True) -> tuple | None:
        if not readings:
            try:
                before = stats(test_client=api_client)["tokens_generated"]
                readings.append(lines_stream(api_client, f"GET {LINES}"))
                read.generated = stats(test_client=api_client)["tokens_generated"] - before
            except pytest.fail.Exception:
                if judged:
                    raise
                return None
        return readings[0]

    read.generated = None
    return read


def whole_text(setosa_stream) -> tuple[str, int]:
    """The whole explanation of SETOSA as the SSE stream sends it, and its token count."""
    tokens, _, _, _ = setosa_stream()
    return "".join(token["text"] for token in tokens), len(tokens)


# ---------------------------------------------------------------- WebSockets


def log_in(test_client, username: str = USER, password: str = USER_PASSWORD) -> str:
    response = test_client.post("/token", data={"username": username, "password": password})
    assert response.status_code == 200, f"POST /token answered {response.status_code}"
    return response.json()["access_token"]


def expect_prediction(frame, species: str, what: str) -> None:
    assert isinstance(frame, dict) and frame.get("species") == species, (
        f"{what}: the answer was {json.dumps(frame)[:300]}; expected a prediction whose "
        f"species is {species}"
    )
    probabilities = frame.get("probabilities")
    assert isinstance(probabilities, dict) and abs(sum(probabilities.values()) - 1) < 1e-6, (
        f"{what}: the answer has no probabilities that add up to 1: {json.dumps(frame)[:300]}"
    )
    assert frame.get("model_version") == GRADER_VERSION, (
        f"{what}: model_version is {frame.get('model_version')!r}; expected the loaded "
        f"model's version, {GRADER_VERSION!r}"
    )


def expect_request_id(error: dict, what: str) -> None:
    assert isinstance(error.get("request_id"), str) and error["request_id"], (
        f"{what}: the error frame {json.dumps(error)[:200]} has no request_id; every error "
        "frame has one, as every error envelope does"
    )


def expect_field_problems(fields: list, what: str) -> None:
    """The fields of a validation error frame for {"sepal_length": 99}: one
    {"field": ..., "problem": ...} entry per problem, as in the error envelope, naming each
    measurement (three missing, one too large)."""
    shapes = [sorted(item) if isinstance(item, dict) else type(item).__name__ for item in fields]
    assert all(
        isinstance(item, dict)
        and set(item) == {"field", "problem"}
        and all(isinstance(value, str) and value for value in item.values())
        for item in fields
    ), (
        f'{what}: expected fields [{{"field": ..., "problem": ...}}, ...], as in the error '
        "envelope (field_problems of errors.py turns pydantic's errors into them); the error "
        f"frame's fields have the keys {shapes[:4]}"
    )
    named = " ".join(item["field"] for item in fields)
    missing = [name for name in SETOSA if name not in named]
    assert not missing, (
        f"{what}: the error frame's fields name {named!r}; expected every measurement with a "
        f"problem (three missing, sepal_length too large), not {', '.join(missing)}"
    )


def expect_error_frame(frame, code: str, what: str) -> dict:
    error = frame.get("error") if isinstance(frame, dict) else None
    assert isinstance(error, dict), (
        f"{what}: the answer was {json.dumps(frame)[:300]}; expected an error frame "
        '{"error": {"code": ..., "message": ...}}'
    )
    assert error.get("code") == code, (
        f"{what}: the error code is {error.get('code')!r}; expected {code!r}"
    )
    assert isinstance(error.get("message"), str) and error["message"], (
        f"{what}: the error frame has no message"
    )
    return error


ABNORMAL = " without a close frame: did the route raise?"


class Socket:
    """A TestClient WebSocket whose failures are short messages."""

    def __init__(self, test_client, path: str) -> None:
        self.test_client, self.path, self.ws = test_client, path, None

    def __enter__(self):
        from starlette.websockets import WebSocketDisconnect

        try:
            self.context = self.test_client.websocket_connect(self.path)
            self.ws = self.context.__enter__()
        except WebSocketDisconnect as closed:
            pytest.fail(
                f"the WebSocket {LIVE} was closed before it was accepted (code {closed.code}): "
                "accept the connection first",
                pytrace=False,
            )
        except Exception as error:  # noqa: BLE001 - the app may raise anything
            pytest.fail(
                f"opening the WebSocket {LIVE} failed: {type(error).__name__}: {error}",
                pytrace=False,
            )
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(Exception):  # the check already has its result
            self.context.__exit__(None, None, None)

    def ask(self, text: str, what: str):
        from starlette.websockets import WebSocketDisconnect

        try:
            self.ws.send_text(text)
            return json.loads(self.ws.receive_text())
        except WebSocketDisconnect as closed:
            pytest.fail(
                f"{what}: the server closed the WebSocket (code {closed.code})"
                + (ABNORMAL if closed.code == 1006 else ""),
                pytrace=False,
            )
        except ValueError:
            pytest.fail(f"{what}: the answer is not JSON", pytrace=False)
        except (anyio.ClosedResourceError, anyio.EndOfStream):  # the app's task ended
            pytest.fail(
                f"{what}: the WebSocket ended without an answer and{ABNORMAL}", pytrace=False
            )
        except Exception as error:  # noqa: BLE001
            pytest.fail(f"{what}: {type(error).__name__}: {error}", pytrace=False)


def ws_url(base: str, token: str | None) -> str:
    url = "ws" + base.removeprefix("http") + LIVE
    return url if token is None else f"{url}?token={token}"


async def live_session(base: str, token: str, flowers: list[str], opened: asyncio.Event | None):
    """One client on the live server: connect, wait until every client is connected, then
    ask for each flower in turn; the species of the answers."""
    from websockets.asyncio.client import connect

    async with connect(ws_url(base, token), open_timeout=TIMEOUT) as websocket:
        if opened is not None:
            await opened.wait()
        answers = []
        for name in flowers:
            await websocket.send(json.dumps(FLOWERS[name]))
            answers.append(json.loads(await asyncio.wait_for(websocket.recv(), ANSWER_TIMEOUT)))
        return answers


@contextlib.contextmanager
def garbage_collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the block runs, in this process.

    A generator that nobody closes runs its ``finally`` only when the collector happens to
    find it, which is often in a busy process and seldom in a quiet one. With the collector
    paused, a stream counts as closed only when it was really closed: the same outcome
    whether the app runs here (normal mode) or in a quiet sandbox process (secure mode).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def wait_until(condition, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# ---------------------------------------------------------------- the client (client.py)


def run_client_function(folder: str, name: str, args: list, kwargs: dict) -> dict:
    """Probe: call ``client.<name>(*args, **kwargs)`` from the submission's client.py (in a
    sandbox process in secure mode). ``explain`` gets an ``on_token`` that records each
    token and when it came (none with ``without_on_token=True``). Returns ``{"returned":
    ..., "tokens": [...], "times": [...]}`` (the monotonic time of each on_token call),
    ``{"http_status": status}`` when it raised ``httpx.HTTPStatusError``, or ``{"problem":
    message}``."""
    import httpx

    where = Path(folder).resolve()
    if not (where / "client.py").is_file():
        return {"problem": "client.py is missing from the lab folder"}
    loaded = sys.modules.get("client")
    loaded_file = getattr(loaded, "__file__", None)
    if loaded is not None and (not loaded_file or Path(loaded_file).resolve().parent != where):
        del sys.modules["client"]
    try:
        module = importlib.import_module("client")
    except Exception as error:  # noqa: BLE001
        return {"problem": f"client.py did not import: {type(error).__name__}: {error}"}
    function = getattr(module, name, None)
    if not callable(function):
        return {"problem": f"client.py has no function {name}()"}
    tokens: list[str] = []
    times: list[float] = []

    def on_token(text: str) -> None:
        times.append(time.monotonic())
        tokens.append(text)

    without_on_token = kwargs.pop("without_on_token", False)
    if name == "explain" and not without_on_token:
        kwargs = {**kwargs, "on_token": on_token}
    try:
        returned = function(*args, **kwargs)
        return {"returned": returned, "tokens": tokens, "times": times}
    except httpx.HTTPStatusError as error:
        return {"http_status": error.response.status_code}
    except TypeError as error:
        if not without_on_token:
            raise
        return {
            "problem": f"{name}() called without on_token raised TypeError: {error}: on_token "
            "is optional (None by default), so call it only when it is given"
        }
    except NotImplementedError:
        return {"problem": f"{name}() raised NotImplementedError: it is still a TODO"}
    except ValueError as error:
        if name != "explain":
            raise
        return {
            "problem": f"{name}() raised {type(error).__name__}: {error}: a line of the stream "
            "may reach the client in several pieces, as on any network (the grader's relay "
            "sends each line in two); read whole lines, with response.iter_lines()"
        }


@pytest.fixture(scope="module")
def client_py(submission_dir: Path):
    """Calls a function of the submission's client.py; returns its outcome dict."""

    def call(name: str, *args, **kwargs) -> dict:
        try:
            outcome = isolation.call(
                run_client_function, str(submission_dir), name, list(args), kwargs
            )
        except isolation.SandboxError as error:
            pytest.fail(f"client.{name}() raised {error}", pytrace=False)
        if "problem" in outcome:
            pytest.fail(outcome["problem"], pytrace=False)
        return outcome

    return call


MARKED_CONNECTIONS = 8  # relayed at a time by a MarkingRelay; the others are closed at once
MARKED_BYTES = 1 << 20  # the most of one answer a MarkingRelay passes on
SPLIT_PAUSE = 0.005  # seconds between the two pieces of a line a MarkingRelay passes on


class BoundedHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server that serves MARKED_CONNECTIONS connections at a time and
    closes the others at once: the client it serves must not grow the grader's threads."""

    daemon_threads = True

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.slots = threading.BoundedSemaphore(MARKED_CONNECTIONS)

    def process_request(self, request, client_address) -> None:
        if not self.slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


class MarkingRelay:
    """``with MarkingRelay(served) as relay:`` relays ``relay.url`` to the app served at
    ``served``, and puts in the "text" of every token line of the answers it passes on a word
    of its own, drawn for that line: what a client returns is only the server's stream when
    it holds those words, since the client's process, which reports what it returned, could
    otherwise write the explanation itself and read nothing of the stream. The lines keep the
    server's pace, each passed on in two pieces (a client must read whole lines, as on any
    network); ``relay.answers()`` are the server's statuses by (path, status),
    ``relay.texts`` the words of each answer, in the order it sent them, and
    ``relay.sent_at`` when it passed on each token line of each answer (monotonic, the
    clock of every process on the machine)."""

    def __init__(self, served: str) -> None:
        self.served = served
        self.lock = threading.Lock()
        self.statuses: dict[tuple[str, int], int] = {}
        self.texts: list[list[str]] = []
        self.sent_at: list[list[float]] = []
        self.queries: list[str] = []  # the query of every request, in order
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one answer per connection, ended by its close
            timeout = TIMEOUT
            disable_nagle_algorithm = True  # each piece of a line leaves at once

            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                relay.relay(self)

            def log_message(self, *args) -> None:
                pass

        self.server = BoundedHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> MarkingRelay:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answers(self) -> dict[tuple[str, int], int]:
        with self.lock:
            return dict(self.statuses)

    def marked(self, line: bytes, texts: list[str]) -> bytes:
        """``line`` with a word of the relay's as its text when it is a token line."""
        try:
            item = json.loads(line)
        except (ValueError, RecursionError):
            return line
        if not (isinstance(item, dict) and item.get("event") == "token"):
            return line
        if not isinstance(item.get("text"), str):
            return line
        word = ("" if not texts else " ") + secrets.token_hex(4)
        texts.append(word)
        return json.dumps({**item, "text": word}).encode()

    @staticmethod
    def send_in_two(handler: BaseHTTPRequestHandler, line: bytes) -> None:
        """Pass ``line`` on in two pieces, a moment apart, as a network may: a client must
        read whole lines, never take each piece it receives for one."""
        half = len(line) // 2
        handler.wfile.write(line[:half])
        handler.wfile.flush()
        time.sleep(SPLIT_PAUSE)
        handler.wfile.write(line[half:])

    def relay(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        if not path.startswith("/"):
            handler.send_error(400)
            return
        headers = {
            name: value
            for name, value in handler.headers.items()
            if name.lower() in ("x-api-key", "authorization", "accept")
        }
        headers["Accept-Encoding"] = "identity"  # the lines as they are, never inflated here
        texts: list[str] = []
        sent_at: list[float] = []
        try:
            with (
                support.loopback_client(base_url=self.served, timeout=TIMEOUT) as upstream,
                upstream.stream("GET", path, headers=headers) as answer,
            ):
                with self.lock:
                    where = (urlsplit(path).path, answer.status_code)
                    self.statuses[where] = self.statuses.get(where, 0) + 1
                    self.queries.append(urlsplit(path).query)
                    self.texts.append(texts)
                    self.sent_at.append(sent_at)
                handler.send_response(answer.status_code)
                kind = answer.headers.get("content-type")
                if kind:
                    handler.send_header("Content-Type", kind)
                handler.end_headers()
                rest, size = b"", 0
                for chunk in answer.iter_raw():
                    size += len(chunk)
                    if size > MARKED_BYTES:
                        return
                    *lines, rest = (rest + chunk).split(b"\n")
                    for line in lines:
                        self.send_in_two(handler, self.marked(line, texts) + b"\n")
                    handler.wfile.flush()
                    sent_at.extend([time.monotonic()] * (len(texts) - len(sent_at)))
                if rest:
                    handler.wfile.write(self.marked(rest, texts))
                    sent_at.extend([time.monotonic()] * (len(texts) - len(sent_at)))
        except (httpx.HTTPError, OSError):
            return  # the server or the client broke off: what was relayed stands


def expect_marked(relay: MarkingRelay, outcome: dict, what: str) -> tuple[list[str], list[float]]:
    """The client returned the words of one answer the relay passed on, and that answer had
    token lines: its words, and when the relay passed on each of their lines."""
    returned = outcome.get("returned")
    with relay.lock:
        relayed = [
            (list(texts), list(sent_at))
            for texts, sent_at in zip(relay.texts, relay.sent_at, strict=True)
            if texts
        ]
    if not relayed:
        asked = sorted({f"{path} ({code})" for path, code in relay.answers()})
        pytest.fail(
            f"{what}: no answer of the server at the base_url explain() was given had token "
            f"lines (it saw {', '.join(asked) or 'no request at all'}): the text and the "
            "tokens must be the ones the service streams, read from that URL",
            pytrace=False,
        )
    found = next((answer for answer in relayed if "".join(answer[0]) == returned), None)
    assert found is not None, (
        f"{what}: explain() returned {str(returned)[:120]!r}, not the text of the stream it "
        f"was sent ({''.join(relayed[-1][0])[:120]!r}): the grader's relay gave each token a "
        "word of its own, so only a client that returns the tokens it read can return them"
    )
    return found


def measurement_of(query: str) -> dict:
    """The four measurements of a request's query (as numbers where they are), the others
    left out."""
    values = {}
    for name, given in parse_qs(query).items():
        if name in SETOSA and len(given) == 1:
            try:
                values[name] = float(given[0])
            except ValueError:
                values[name] = given[0]
    return values


def expect_asked(relay: MarkingRelay | RequestCounter, status: int, what: str) -> None:
    """The server answered ``GET /predict/explain/lines`` with ``status`` through ``relay``:
    the client's process runs the probe that reports its outcome, so only the relay can tell
    that the outcome came from the server."""
    # The relay reads an answer's head before passing it on: the client had it after that.
    answers = relay.answers()
    asked = sorted({f"{path} ({code})" for path, code in answers})
    assert answers.get((LINES, status)), (
        f"{what}: the server never answered GET {LINES} with {status} at the base_url "
        f"explain() was given (it saw {', '.join(asked) or 'no request at all'}): the text "
        "and the tokens must be the ones the service streams, read from that URL"
    )


# ---------------------------------------------------------------- Server-Sent Events


@check(
    points=8,
    hint="A path operation that yields, with response_class=EventSourceResponse, streams "
    'each item as an event. Handout: "Server-Sent Events" and the contract.',
    more="Yield ServerSentEvent(event='token', id=str(position), data={'text': token}) for "
    "each token, positions counted from 1.",
)
def test_explanation_streams_as_token_events_in_order(setosa_stream):
    """GET /predict/explain answers text/event-stream: one event named token per token, ids
    1, 2, 3... in order, each data a JSON object with the token's "text" and nothing else
    (the name and the id are the event's own fields)."""
    tokens, _, _, _ = setosa_stream()
    assert len(tokens) >= 5, f"GET {SSE} sent {len(tokens)} token events; expected the whole text"
    expect_ids_from(tokens, 1, f"GET {SSE}")
    other = next((token["other"] for token in tokens if token["other"]), [])
    assert not other, (
        f"GET {SSE}: the data of a token event has the keys {other} besides "
        '"text"; expected {"text": "<the token>"} alone (the event\'s name and id are its '
        "event: and id: fields, not its data)"
    )
    text = "".join(token["text"] for token in tokens)
    assert "setosa" in text, f"the streamed text {text!r} does not name the predicted species"


@check(
    points=5,
    hint="The client needs to know the stream is over, and with what. Handout: the contract, "
    '"GET /predict/explain: Server-Sent Events" (the done row).',
    more="After the last token, yield one event named done whose data has tokens (the "
    "count), species and model_version.",
)
def test_stream_ends_with_a_done_event(setosa_stream):
    """The last event of the stream is named done, with no id; its data gives the number of
    tokens, the predicted species and the model version, and nothing else (not the event's
    name)."""
    tokens, done, _, _ = setosa_stream()
    assert done is not None, (
        f"GET {SSE} ended after {len(tokens)} token events without an event named done"
    )
    assert done.get("tokens") == len(tokens), (
        f"the done event says tokens={done.get('tokens')!r}; the stream sent {len(tokens)}"
    )
    assert done.get("species") == "setosa" and done.get("model_version") == GRADER_VERSION, (
        f"the done event is {done}; expected species 'setosa' and model_version {GRADER_VERSION!r}"
    )
    assert DONE_ID not in done, (
        f"the done event has the id {done[DONE_ID]!r}; expected none (only token events have "
        "an id: a client that resumes from the last id it saw must resume after a token)"
    )
    extra = sorted(set(done) - {"tokens", "species", "model_version", DONE_ID})
    assert not extra, (
        f"the data of the done event has the keys {extra} besides tokens, species and "
        'model_version; expected {"tokens": N, "species": ..., "model_version": ...} alone '
        "(the event's name is its event: field, never repeated in its data)"
    )


@check(
    points=8,
    hint="Yield each token as soon as it exists, in both streams: a stream that collects "
    'first and sends after is one big answer. Handout: "Streaming is yielding as you go".',
    more="Loop over the tokens with `await asyncio.sleep(delay)` between them and yield "
    "inside the loop; never build a list of every event first, in the SSE route or in the "
    "JSON Lines one.",
)
def test_first_event_arrives_before_the_stream_ends(app, setosa_stream, setosa_lines, monkeypatch):
    """The first token event reaches the client in less than half the time the whole stream
    takes (the tokens are TOKEN_DELAY_SECONDS apart: the stream is not built in advance); so
    does the first line of GET /predict/explain/lines, the same stream as JSON Lines (when
    that route streams JSON Lines at all: its content is the lines check's business). With
    TOKEN_DELAY_SECONDS set to another value, the last tokens of a resumed stream, and the
    first token lines of the JSON Lines stream, come that far apart (the pause is the
    setting's, not a number written in the code)."""
    tokens, _, first_at, total = setosa_stream()
    assert first_at < total / 2, (
        f"GET {SSE}: the first event came after {first_at:.2f} s of a {total:.2f} s stream of "
        f"{len(tokens)} tokens: the events were sent together at the end"
    )
    reading = setosa_lines(judged=False)
    if reading is not None and len(reading[0]) >= 3:  # else the lines check says why
        items, first_at, total = reading
        assert first_at < total / 2, (
            f"GET {LINES}: the first line came after {first_at:.2f} s of a {total:.2f} s stream "
            f"of {len(items)} lines: the lines were sent together at the end (the JSON Lines "
            "route sends each event as it comes, as the SSE route does)"
        )
    if len(tokens) > SLOW_TOKENS:
        expect_the_delay_setting(app, len(tokens), monkeypatch)


def expect_the_delay_setting(app, count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Start the app afresh with TOKEN_DELAY_SECONDS=SLOW_DELAY and resume its SETOSA stream
    before its last SLOW_TOKENS tokens: they must come (almost) the setting's pause apart."""
    monkeypatch.setenv("TOKEN_DELAY_SECONDS", str(SLOW_DELAY))
    resume_after = count - SLOW_TOKENS
    what = f"GET {SSE} with TOKEN_DELAY_SECONDS={SLOW_DELAY:g} and Last-Event-ID: {resume_after}"
    with (
        isolation.current().fresh_app(app, support.reimported_app) as new_app,
        support.started(new_app, failure=f"TOKEN_DELAY_SECONDS={SLOW_DELAY:g}") as slow,
    ):
        resumed, _, first_at, total = sse_stream(
            slow, what, headers={"Last-Event-ID": str(resume_after)}
        )
        lines_what = f"GET {LINES} with TOKEN_DELAY_SECONDS={SLOW_DELAY:g}"
        line_times = first_line_times(slow, lines_what, SLOW_LINES)
    if len(resumed) >= 2:  # else nothing to time: resuming is the Last-Event-ID check's business
        expected = (len(resumed) - 1) * SLOW_DELAY
        assert total - first_at >= 0.75 * expected, (
            f"{what}: {len(resumed)} tokens came within {total - first_at:.2f} s of the first; "
            f"{SLOW_DELAY:g} s apart they take about {expected:.2f} s: the pause between tokens "
            "must be the TOKEN_DELAY_SECONDS setting (read from the settings, never written in "
            "the code)"
        )
    if len(line_times) < SLOW_LINES:
        return  # no stream of lines to time: the lines check says why
    expected = (SLOW_LINES - 1) * SLOW_DELAY
    spread = line_times[-1] - line_times[0]
    assert spread >= 0.5 * expected, (
        f"{lines_what}: its first {SLOW_LINES} token lines came within {spread:.2f} s; "
        f"{SLOW_DELAY:g} s apart they take about {expected:.2f} s: the JSON Lines stream "
        "pauses between tokens as the SSE stream does, for the TOKEN_DELAY_SECONDS setting "
        "(read from the settings, never written in the code)"
    )


def first_line_times(test_client, what: str, count: int) -> list[float]:
    """When each of the first ``count`` token lines of SETOSA's JSON Lines stream came
    (monotonic), read through ``test_client``; fewer when the route does not stream them
    (its content is the lines check's business). The stream is left after them."""
    times: list[float] = []
    try:
        with test_client.stream(
            "GET", LINES, params=SETOSA, headers=KEY, timeout=TIMEOUT
        ) as response:
            if response.status_code != 200:
                return times
            for line in response.iter_lines():
                try:
                    item = json.loads(line)
                except ValueError:
                    continue
                if isinstance(item, dict) and item.get("event") == "token":
                    times.append(time.monotonic())
                if len(times) == count:
                    break
    except (httpx.HTTPError, RuntimeError):
        pass
    return times


@check(
    points=8,
    hint="A reconnecting client sends the id of the last event it got in the Last-Event-ID "
    'header. Handout: "Resuming with Last-Event-ID".',
    more="Declare last_event_id: Annotated[int | None, Header(ge=0)] = None (FastAPI then "
    "answers 422 for abc or -1) and skip the tokens up to that position; ids keep their "
    "positions.",
)
def test_last_event_id_resumes_after_that_token(api_client, setosa_stream):
    """With Last-Event-ID: 5 the stream starts at token 6 (same texts, same ids as the full
    stream), then ends with done; a Last-Event-ID at the end, or far past it, gets only done,
    at once (no pause for the tokens skipped); in each, done counts every token of the
    explanation (N, not the tokens resent), and GET /stream-stats' tokens_generated grows by
    the tokens sent (none past the end). Last-Event-ID: 0 gets the
    whole stream. A Last-Event-ID that is not a whole number of 0 or more (abc, -1) is
    refused with 422, in the error envelope."""
    full, _, _, whole = setosa_stream()
    what = f"GET {SSE} with Last-Event-ID: 5"
    before = stats(test_client=api_client)["tokens_generated"]
    rest, done, _, _ = sse_stream(api_client, what, headers={"Last-Event-ID": "5"})
    generated = stats(test_client=api_client)["tokens_generated"] - before
    assert rest, f"{what} sent no token event; expected tokens 6 to {len(full)}"
    expect_ids_from(rest, 6, what)
    assert rest == full[5:], (
        f"{what} sent {len(rest)} tokens starting {rest[0]}; expected the {len(full) - 5} "
        f"tokens after the fifth, starting {full[5]}"
    )
    expect_resumed_done(done, len(full), what)
    expect_generated(generated, len(rest), what, RESUMED_COUNT)
    for last in (len(full), len(full) + 1000):
        what = f"GET {SSE} with Last-Event-ID: {last}"
        before = stats(test_client=api_client)["tokens_generated"]
        after_end, done, _, took = sse_stream(
            api_client, what, headers={"Last-Event-ID": str(last)}
        )
        generated = stats(test_client=api_client)["tokens_generated"] - before
        assert after_end == [], f"{what} sent {len(after_end)} tokens again; expected only done"
        expect_resumed_done(done, len(full), what)
        expect_generated(generated, 0, what, RESUMED_COUNT)
        assert took < whole / 2, (
            f"{what} took {took:.2f} s to send only done, against {whole:.2f} s for the whole "
            "stream; expected done at once: a resumed stream pauses only between the tokens it "
            "sends, never for the tokens it skips"
        )
    what = f"GET {SSE} with Last-Event-ID: 0 (a whole number, 0 or more)"
    from_zero, done, _, _ = sse_stream(api_client, what, headers={"Last-Event-ID": "0"})
    assert from_zero == full, (
        f"{what} sent {len(from_zero)} tokens; expected the whole explanation, all "
        f"{len(full)} tokens from id 1 (0 is a whole number, and no token comes at or before it)"
    )
    expect_resumed_done(done, len(full), what)
    for value in ("abc", "-1"):
        response = api_client.get(SSE, params=SETOSA, headers={**KEY, "Last-Event-ID": value})
        assert response.status_code == 422, (
            f"GET {SSE} with Last-Event-ID: {value} answered {response.status_code}; expected "
            "422 (an id is a whole number, 0 or more)"
        )
        assert "error" in response.json(), f"the 422 is not in the envelope: {response.text[:200]}"


@check(
    points=3,
    hint="The stream is a prediction: the same dependencies as POST /predict, checked before "
    'the first byte. Handout: the contract, "GET /predict/explain: Server-Sent Events".',
    more="Take the measurements as Annotated[Measurement, Query()] and the Caller dependency.",
)
def test_stream_needs_a_caller_and_good_measurements(api_client):
    """Without an API key the stream is refused with 401 (the JSON Lines stream too), and
    with a bad measurement with 422, in the error envelope (a good request, with a
    Last-Event-ID past the end to keep it short, answers 200 with text/event-stream)."""
    sse_stream(api_client, f"GET {SSE} with Last-Event-ID: 1000", headers={"Last-Event-ID": "1000"})
    for path in (SSE, LINES):
        response = api_client.get(path, params=SETOSA)
        assert response.status_code == 401, (
            f"GET {path} with no key answered {response.status_code}; expected 401 (the stream "
            "needs a caller, as /predict does)"
        )
    response = api_client.get(SSE, params={**SETOSA, "petal_length": -1}, headers=KEY)
    assert response.status_code == 422, (
        f"GET {SSE} with petal_length=-1 answered {response.status_code}; expected 422"
    )
    assert "error" in response.json(), f"the 422 is not in the envelope: {response.text[:200]}"


@check(
    points=6,
    hint="A generator path operation with no response class streams JSON Lines. Handout: "
    '"The same stream as JSON Lines".',
    more='Yield {"event": "token", "id": position, "text": token} per token, then the done '
    "object, from a route without response_class.",
)
def test_json_lines_carry_the_same_events(setosa_stream, setosa_lines):
    """GET /predict/explain/lines answers application/jsonl: one JSON object per line, a
    token object (event, id, text) per token, in the SSE stream's order, then done; GET
    /stream-stats' tokens_generated grows by its tokens, as for the SSE stream. The done line
    gives the same tokens, species and model_version as the SSE stream's done event; each line
    holds exactly the keys of the contract."""
    text, count = whole_text(setosa_stream)
    what = f"GET {LINES}"
    items, _, _ = setosa_lines()
    assert items and all(isinstance(item, dict) for item in items), f"{what}: {items[:3]}"
    assert items[-1].get("event") == "done", f"{what}: the last line is {items[-1]}; expected done"
    wanted = {"tokens": count, "species": "setosa", "model_version": GRADER_VERSION}
    wrong = sorted(key for key, value in wanted.items() if items[-1].get(key) != value)
    assert not wrong, (
        f"{what}: the done line is {items[-1]}; expected {wanted} in it, as in the done event "
        f"of the SSE stream (wrong or missing: {', '.join(wrong)})"
    )
    extra = sorted(set(items[-1]) - {"event", *wanted})
    assert not extra, (
        f"{what}: the done line is {items[-1]}; it has the keys {extra} besides event, tokens, "
        'species and model_version; expected {"event": "done", "tokens": N, "species": ..., '
        '"model_version": ...} alone'
    )
    tokens = items[:-1]
    assert [item.get("event") for item in tokens] == ["token"] * count, (
        f"{what} sent {len(tokens)} lines before done; expected {count} token lines"
    )
    odd = next((item for item in tokens if set(item) != {"event", "id", "text"}), None)
    assert odd is None, (
        f"{what}: the token line {odd} has the keys {sorted(odd or {})}; expected "
        '{"event": "token", "id": <position>, "text": "<token>"} alone'
    )
    assert [item.get("id") for item in tokens] == list(range(1, count + 1)), (
        f"{what}: the ids are {[item.get('id') for item in tokens][:8]}...; expected 1, 2, 3..."
    )
    joined = "".join(str(item.get("text")) for item in tokens)
    assert joined == text, f"{what} sent the text {joined!r}; the SSE stream sent {text!r}"
    expect_generated(
        setosa_lines.generated,
        count,
        what,
        "a JSON Lines stream counts its tokens as the SSE stream does (both yield the events "
        "of the one counted generator)",
    )


@check(
    points=6,
    hint="uvicorn sends each event as the generator yields it; so must your route. Handout: "
    '"Streaming is yielding as you go".',
    more="Stream from an async generator that awaits between tokens; test it with curl -N.",
)
def test_a_real_server_streams_event_by_event(served):
    """Served by uvicorn on a real socket, the SSE stream has the contract's content type,
    its first event arrives before half the stream's time, and it ends with done."""
    with support.loopback_client(base_url=served, timeout=TIMEOUT) as http:
        tokens, _, first_at, total = sse_stream(http, f"GET {SSE} on a real server")
    expect_ids_from(tokens, 1, f"GET {SSE} on a real server")
    assert first_at < total / 2, (
        f"on a real server the first event came after {first_at:.2f} s of a {total:.2f} s "
        "stream: the events were sent together at the end"
    )


@check(
    points=9,
    hint="When the client leaves, the generator must stop: nothing may keep producing tokens "
    'for nobody. Handout: "When the client leaves".',
    more="Produce the tokens in the generator the route yields from (never in a task of its "
    "own), and update the counters in try/finally.",
)
def test_a_client_that_leaves_stops_the_generator(served, setosa_lines):
    """On a real server: a stream read to its end leaves streams_open as it was before it
    (it stops counting once). Then a client reads one event and closes the connection. The
    count of tokens generated then stops growing, well before the whole explanation, and the
    stream, counted once in GET /stream-stats while it ran, no longer counts as open. The
    same for a JSON Lines stream left after its first line (when that route streams its
    lines): it counts as open while it runs, and no longer once its client left."""
    with garbage_collector_paused():
        with support.loopback_client(base_url=served, timeout=TIMEOUT) as http:
            initial = stats(served)["streams_open"]
            tokens, _, _, _ = sse_stream(http, f"GET {SSE} on a real server")
            # a stream read to its end stops counting, once (its finally may run just after
            # its last bytes)
            wait_until(lambda: stats(served)["streams_open"] == initial)
            before = stats(served)
            assert before["streams_open"] == initial, (
                f"streams_open was {initial} before a whole stream on a real server and "
                f"{before['streams_open']} after it ended; expected {initial} again: a stream "
                "that ends stops counting once (in finally), never twice"
            )
            with http.stream("GET", SSE, params=SETOSA, headers=KEY) as response:
                status_problem(response, f"GET {SSE}", "text/event-stream")
                events = parse_sse(response.iter_lines())  # kept: dropped, it closes the stream
                next(events, None)
                during = stats(served)["streams_open"]
        time.sleep(10 * TOKEN_DELAY)
        first = stats(served)
        time.sleep(10 * TOKEN_DELAY)
        second = stats(served)
        still_open = [second["streams_open"]]  # the last count read while the collector is paused

        def stream_closed() -> bool:
            still_open[0] = stats(served)["streams_open"]
            return still_open[0] <= before["streams_open"]

        # as long as a loaded machine may take to run the generator's finally (a correct
        # stream is seen closed at once; only a stream that never closes waits it out)
        closed = wait_until(stream_closed, seconds=CLOSE_SECONDS)
        lines = setosa_lines(judged=False)
        paced = lines is not None and len(lines[0]) >= 3
        paced = paced and lines[2] >= (len(lines[0]) - 2) * TOKEN_DELAY / 2 > 2 * lines[1]
        # a stream of lines sent together, or with no pause, is the other checks' business
        lines_left = leave_a_lines_stream(served) if paced else None
    produced = second["tokens_generated"] - before["tokens_generated"]
    assert second["tokens_generated"] == first["tokens_generated"], (
        f"after the client left, tokens_generated kept growing ({first['tokens_generated']} "
        f"then {second['tokens_generated']}): the generator still runs for nobody"
    )
    assert produced < len(tokens), (
        f"the client read one event and left, yet {produced} tokens were generated: the whole "
        f"explanation ({len(tokens)}) was produced anyway"
    )
    assert closed, (
        f"streams_open was still {still_open[0]} {CLOSE_SECONDS:g} s after the client left "
        f"(it was {before['streams_open']} before): the stream was never counted as closed "
        "(is its generator an async def, with the count lowered in finally?)"
    )
    assert during == before["streams_open"] + 1, (
        f"streams_open was {during} while one Server-Sent Events stream was open (it was "
        f"{before['streams_open']} before it); expected {before['streams_open'] + 1}: each "
        "running stream counts once (count it in explanation_events alone, not again in the "
        "route)"
    )
    if lines_left is None:
        return
    ahead, during, lines_closed = lines_left
    assert during == ahead + 1, (
        f"streams_open was {during} while a JSON Lines stream was open (it was {ahead} "
        f"before it); expected {ahead + 1}: a JSON Lines stream counts as open while it runs, "
        "as a Server-Sent Events stream does (both use the one counted generator)"
    )
    assert lines_closed, (
        f"streams_open was still above {ahead} {CLOSE_SECONDS:g} s after the client of a "
        f"JSON Lines stream left: that stream was never counted as closed (is the {LINES} "
        "route an async def generator that yields from explanation_events?)"
    )


def leave_a_lines_stream(served: str) -> tuple[int, int, bool]:
    """On the live server, open SETOSA's JSON Lines stream, read its first line, and leave:
    (streams_open before it, streams_open after its first line, whether streams_open came
    back to its value before within CLOSE_SECONDS of leaving)."""
    ahead = stats(served)["streams_open"]
    with (
        support.loopback_client(base_url=served, timeout=TIMEOUT) as http,
        http.stream("GET", LINES, params=SETOSA, headers=KEY) as response,
    ):
        status_problem(response, f"GET {LINES} on a real server", "application/jsonl")
        lines = response.iter_lines()  # kept: a dropped iterator would close the stream
        next((line for line in lines if line.strip()), None)
        during = stats(served)["streams_open"]
    closed = wait_until(lambda: stats(served)["streams_open"] <= ahead, seconds=CLOSE_SECONDS)
    return ahead, during, closed


# ---------------------------------------------------------------- the WebSocket


@check(
    points=8,
    hint="One connection carries many messages: receive, answer, and loop until the client "
    'leaves. Handout: "A WebSocket of predictions".',
    more="while True: text = await websocket.receive_text(); await websocket.send_json(...)",
)
def test_websocket_answers_many_messages_on_one_connection(api_client):
    """On one connection to /predict/live?token=..., three flowers sent one after another get
    three predictions (species, probabilities, model_version), in order."""
    token = log_in(api_client)
    with Socket(api_client, f"{LIVE}?token={token}") as socket:
        for species, flower in FLOWERS.items():
            what = f"the {species} flower sent over {LIVE}"
            expect_prediction(socket.ask(json.dumps(flower), what), species, what)


@check(
    points=8,
    hint="A bad message is the client's mistake, not the end of the conversation, and a "
    "missing model is no reason to hang up either: answer with an error frame and keep "
    'reading. Handout: "A WebSocket of predictions" (the table of answers).',
    more="Catch the JSON error and pydantic's ValidationError for each message, look at the "
    'model before predicting, and send {"error": {"code": "invalid_json", '
    '"validation_error" or "model_unavailable", "message": ..., ...}}.',
)
def test_bad_message_gets_an_error_frame_and_the_socket_stays_open(
    api_client, app, iris_model: Path, tmp_path: Path, monkeypatch
):
    """Text that is not JSON gets an error frame with code invalid_json; JSON that is not
    the four valid measurements (some missing, one out of range, or not an object at all)
    gets validation_error, with its fields (at least one entry for a JSON value that is not an
    object, whose field may be empty); each error frame has a request_id, and only a
    validation_error frame has fields; the same
    connection then still predicts. Started afresh without a model (MODEL_PATH names no
    file), the app answers two valid flowers sent on one connection with two
    model_unavailable error frames, each with its request_id; once an admin's POST
    /model/reload has loaded a model, the same connection predicts with it."""
    token = log_in(api_client)
    with Socket(api_client, f"{LIVE}?token={token}") as socket:
        expect_prediction(socket.ask(json.dumps(SETOSA), "a flower"), "setosa", "a flower")
        what = "the text 'not json' sent over the WebSocket"
        error = expect_error_frame(socket.ask("not json", what), "invalid_json", what)
        expect_request_id(error, what)
        assert set(error) <= {"code", "message", "request_id"}, (
            f"{what}: the error frame {json.dumps(error)[:200]} has the keys "
            f"{sorted(set(error) - {'code', 'message', 'request_id'})} besides code, message "
            "and request_id; expected none (only a validation_error frame has fields)"
        )
        what = 'the message {"sepal_length": 99} sent over the WebSocket'
        error = expect_error_frame(
            socket.ask('{"sepal_length": 99}', what), "validation_error", what
        )
        expect_request_id(error, what)
        fields = error.get("fields")
        assert isinstance(fields, list) and fields, f"{what}: the error frame has no fields list"
        expect_field_problems(fields, what)
        out_of_range = {**SETOSA, "petal_width": -1}
        what = f"the message {json.dumps(out_of_range)} sent over the WebSocket"
        expect_error_frame(socket.ask(json.dumps(out_of_range), what), "validation_error", what)
        what = "the message [1, 2] (JSON, but not an object) sent over the WebSocket"
        error = expect_error_frame(socket.ask("[1, 2]", what), "validation_error", what)
        fields = error.get("fields")
        assert (
            isinstance(fields, list)
            and fields
            and all(
                isinstance(item, dict)
                and set(item) == {"field", "problem"}
                and isinstance(item["field"], str)
                and isinstance(item["problem"], str)
                and item["problem"]
                for item in fields
            )
        ), (
            f"{what}: the error frame has fields={json.dumps(fields)[:200]}; expected a list of "
            'at least one {"field": ..., "problem": ...} entry, as for any validation_error '
            "(its field may be empty: no one measurement is to blame)"
        )
        what = "a flower sent after four bad messages"
        expect_prediction(socket.ask(json.dumps(VIRGINICA), what), "virginica", what)
    missing = isolation.current().writable_by_app(tmp_path) / "missing.joblib"
    monkeypatch.setenv("MODEL_PATH", str(missing))
    with (
        isolation.current().fresh_app(app, support.reimported_app) as new_app,
        support.started(
            new_app, failure="MODEL_PATH naming no file", raise_server_exceptions=False
        ) as no_model,
    ):
        token = log_in(no_model)
        with Socket(no_model, f"{LIVE}?token={token}") as socket:
            for number, flower in ((1, SETOSA), (2, VIRGINICA)):
                what = (
                    f"valid flower {number} of 2 sent over one connection to {LIVE} while no "
                    "model is loaded (expected a model_unavailable error frame each time)"
                )
                error = expect_error_frame(
                    socket.ask(json.dumps(flower), what), "model_unavailable", what
                )
                expect_request_id(error, what)
            for suffix in (".joblib", ".json"):  # the model and its metadata
                shutil.copyfile(iris_model.with_suffix(suffix), missing.with_suffix(suffix))
            admin = {"Authorization": f"Bearer {log_in(no_model, ADMIN, ADMIN_PASSWORD)}"}
            reloaded = no_model.post("/model/reload", headers=admin)
            assert reloaded.status_code == 200, (
                f"POST /model/reload by an admin, once MODEL_PATH named a model file, answered "
                f"{reloaded.status_code}; expected 200 (body: {reloaded.text[:200]})"
            )
            what = (
                f"a valid flower sent over the same connection to {LIVE} once POST /model/reload "
                "had loaded a model (each message is answered with the model loaded when it "
                "arrives, not the one of when the socket opened)"
            )
            expect_prediction(socket.ask(json.dumps(SETOSA), what), "setosa", what)


@check(
    points=7,
    hint="Accept first, then close with 1008 (policy violation): a client can only read a "
    'close code on a connection that was accepted. Handout: "Who may connect".',
    more="await websocket.accept(); then, when user_from_token raises, await "
    "websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=...) and return.",
)
def test_websocket_without_a_valid_token_is_closed_with_1008_after_accept(api_client):
    """With a valid token the socket predicts; with no token, or a wrong one, the connection
    is accepted and then closed with code 1008 and a reason before any prediction, and it
    never counts in sockets_open."""
    from starlette.websockets import WebSocketDisconnect

    token = log_in(api_client)
    with Socket(api_client, f"{LIVE}?token={token}") as socket:
        expect_prediction(socket.ask(json.dumps(SETOSA), "a flower"), "setosa", "a flower")
    before = stats(test_client=api_client)["sockets_open"]
    for path, who in ((LIVE, "no token"), (f"{LIVE}?token={token}x", "a wrong token")):
        with Socket(api_client, path) as socket:
            try:
                socket.ws.send_text(json.dumps(SETOSA))
                frame = socket.ws.receive_text()
            except WebSocketDisconnect as closed:
                assert closed.code == 1008, (
                    f"with {who} the socket was closed with code {closed.code}; expected 1008"
                )
                assert closed.reason, (
                    f"with {who} the socket was closed with code 1008 but no reason; expected "
                    "a reason that tells the client why"
                )
            else:
                pytest.fail(f"with {who} the socket answered {frame[:200]}", pytrace=False)
    after = stats(test_client=api_client)["sockets_open"]
    assert after <= before, (
        f"sockets_open was {before} before two refused sockets and {after} after them: a "
        "socket refused for its token must not count (count it after the token check)"
    )


@check(
    points=6,
    hint="Each connection is its own conversation: keep nothing of one socket where another "
    'can reach it. Handout: "Several clients, and cleaning up".',
    more="Keep the websocket in the route's local variables, never in a module global.",
)
def test_several_clients_at_once_get_their_own_answers(api_client, served):
    """On a real server three clients connect at once and ask, interleaved, for their own
    flowers: each gets the answers to its own messages. (A refused client is the 1008
    check's business, not this one's.)"""
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    token = log_in(api_client)
    plans = [["setosa", "virginica"], ["versicolor", "setosa"], ["virginica", "versicolor"]]

    async def everyone():
        opened = asyncio.Event()
        tasks = [asyncio.create_task(live_session(served, token, plan, opened)) for plan in plans]
        await asyncio.sleep(0.3)
        opened.set()
        return await asyncio.gather(*tasks)

    try:
        answers = asyncio.run(everyone())
    except InvalidStatus as refused:
        pytest.fail(f"the WebSocket was refused: {refused}", pytrace=False)
    except (OSError, ConnectionClosed, TimeoutError) as error:
        pytest.fail(f"a client's connection failed: {type(error).__name__}: {error}", pytrace=False)
    for number, (plan, got) in enumerate(zip(plans, answers, strict=True), start=1):
        for species, frame in zip(plan, got, strict=True):
            expect_prediction(frame, species, f"client {number}'s {species} flower")


@check(
    points=5,
    hint="A socket that ends, however it ends, must give back what it took: clean up in "
    'finally. Handout: "Several clients, and cleaning up".',
    more="STATS.sockets_open += 1 after the token check; -= 1 in the finally of the loop's try.",
)
def test_a_closed_websocket_frees_its_resources(api_client, served):
    """On a real server, GET /stream-stats counts two open sockets while two clients are
    connected (two flowers each: a socket counts once, not once per message), and none of
    them once they have closed."""
    from websockets.sync.client import connect

    token = log_in(api_client)
    before = stats(served)["sockets_open"]
    try:
        with (
            connect(ws_url(served, token), open_timeout=TIMEOUT) as one,
            connect(ws_url(served, token), open_timeout=TIMEOUT) as two,
        ):
            for websocket in (one, two):
                for species in ("setosa", "virginica"):
                    websocket.send(json.dumps(FLOWERS[species]))
                    answer = json.loads(websocket.recv(timeout=ANSWER_TIMEOUT))
                    expect_prediction(answer, species, f"a {species} flower")
            during = stats(served)["sockets_open"]
    except Exception as error:  # noqa: BLE001 - websockets raises many kinds
        pytest.fail(f"a WebSocket client failed: {type(error).__name__}: {error}", pytrace=False)
    assert during == before + 2, (
        f"sockets_open was {during} with two clients connected, two flowers each (it was "
        f"{before} before); expected {before + 2}: each open socket counts once, however many "
        "messages it carries"
    )
    assert wait_until(lambda: stats(served)["sockets_open"] == before), (
        f"sockets_open is {stats(served)['sockets_open']} after both clients closed "
        f"(it was {before} before): a finished socket is still counted"
    )


# ---------------------------------------------------------------- client.py


@check(
    points=5,
    hint="httpx.stream reads the answer as it arrives; iter_lines gives one JSON Lines "
    'object at a time. Handout: "A Python client".',
    more="with httpx.stream('GET', url, params=..., headers=...) as response: "
    "response.raise_for_status(); for line in response.iter_lines(): ...",
)
def test_client_explain_returns_the_streamed_text(setosa_lines, served, client_py):
    """client.explain(base_url, api_key, flower, on_token) asks for the explanation of that
    flower (a versicolor: its four measurements in the query), returns the whole explanation
    your service streams, and calls on_token once per token, in order, as each arrives: the calls
    spread over at least half the time the tokens take to come (TOKEN_DELAY_SECONDS apart),
    not all at once after the last line (when the JSON Lines route streams: the first-event
    check grades a route that sends its lines together). The server must have answered its
    GET /predict/explain/lines through a relay in front of it, which gives the text of each
    token line a word of its own, and passes each line on in two pieces, a moment apart: the
    client returns those words, as it read them, line by line."""
    with MarkingRelay(served) as relay:
        outcome = client_py("explain", relay.url, API_KEY, VERSICOLOR)
    if "http_status" in outcome:
        pytest.fail(f"explain() raised for status {outcome['http_status']}", pytrace=False)
    expect_asked(relay, 200, "explain() with the right key")
    words, sent_at = expect_marked(relay, outcome, "explain() with the right key")
    asked = [measurement_of(query) for query in relay.queries]
    assert VERSICOLOR in asked, (
        f"explain() was given the flower {VERSICOLOR}, but asked the server for "
        f"{asked[:2]}: it must stream the explanation of the measurement it is given, in the "
        "query"
    )
    count = len(words)
    assert outcome["tokens"] == words, (
        f"on_token was called {len(outcome['tokens'])} times; expected once per token "
        f"({count}), with each token's text, in order"
    )
    lines = setosa_lines(judged=False)
    if lines is None or lines[1] >= lines[2] / 2:
        return  # the route sends its lines together: no client could hand them out sooner
    times = outcome["times"]
    spread, streamed = times[-1] - times[0], (count - 1) * TOKEN_DELAY
    assert spread >= streamed / 2, (
        f"explain() called on_token for all {count} tokens within {spread:.3f} s, although "
        f"they came {TOKEN_DELAY:g} s apart (about {streamed:.2f} s in all): it read the whole "
        "answer before handing out its tokens; call on_token as each line arrives "
        "(httpx.stream and iter_lines, never httpx.get and .text)"
    )
    # The times of the on_token calls are taken in the client's process: a client that
    # read the whole answer could spread its calls with pauses of its own. The relay saw
    # when the last token left it; the first token must have been handed out before that.
    assert times[0] < sent_at[-1], (
        f"explain() handed out its first token {times[0] - sent_at[-1]:.3f} s after the "
        f"grader's relay had passed on the last of the {count} token lines (they came "
        f"{TOKEN_DELAY:g} s apart): it read the whole answer before handing out its "
        "tokens; call on_token as each line arrives (httpx.stream and iter_lines, never "
        "httpx.get and .text)"
    )


@check(
    points=3,
    hint='httpx raises for an error status only when asked to. Handout: "A Python client".',
    more="Call response.raise_for_status() inside the `with httpx.stream(...)` block.",
)
def test_client_explain_raises_on_an_error_status(api_client, served, client_py):
    """client.explain raises httpx.HTTPStatusError when the API key is wrong (401), and
    returns the text when it is right (called without on_token, which is optional): the server
    answered both requests, with 200 and 401 (a relay in front of it sees)."""
    with MarkingRelay(served) as relay:
        returned = client_py("explain", relay.url, API_KEY, SETOSA, without_on_token=True)
    if "http_status" in returned:
        pytest.fail(
            f"explain() with the right key (and no on_token) raised for status "
            f"{returned['http_status']}",
            pytrace=False,
        )
    expect_asked(relay, 200, "explain() with the right key (and no on_token)")
    expect_marked(relay, returned, "explain() with the right key (and no on_token)")
    with MarkingRelay(served) as relay:
        outcome = client_py("explain", relay.url, API_KEY + "x", SETOSA)
    if outcome.get("http_status") != 401:
        with api_client.stream("GET", LINES, params=SETOSA, headers={"X-API-Key": "x"}) as answer:
            refused = answer.status_code
        assert refused == 401, (
            f"GET {LINES} with a wrong API key answered {refused}, so explain() had no error "
            "status to raise for: the JSON Lines route needs a caller, as /predict does"
        )
    assert outcome.get("http_status") == 401, (
        f"explain() with a wrong API key returned {str(outcome.get('returned'))[:100]!r}; "
        "expected it to raise httpx.HTTPStatusError"
    )
    expect_asked(relay, 401, "explain() with a wrong API key")


@check(
    points=5,
    hint='Open one connection, then send and receive once per flower. Handout: "A Python client".',
    more="with websockets.sync.client.connect(url) as websocket: for each flower, "
    "websocket.send(json.dumps(flower)) and json.loads(websocket.recv()).",
)
def test_client_predict_live_answers_every_flower(served_privately, client_py):
    """client.predict_live(base_url, token, flowers) returns one answer per flower, in order,
    the error frame of a bad one included, over one WebSocket connection."""
    with (
        RequestCounter(served_privately) as door,
        support.loopback_client(door.url, timeout=TIMEOUT) as private,
    ):
        token = log_in(private)
    flowers = [VERSICOLOR, {"sepal_length": 99}, SETOSA]
    # The client is given a relay in front of the server: it counts the WebSocket
    # connections the client asks for, whatever library or trick it uses to open them.
    with RequestCounter(served_privately) as relay:
        outcome = client_py("predict_live", relay.url, token, flowers)
        time.sleep(RELAY_SETTLE_SECONDS)  # the last bytes the relay read
        connections = sum(relay.upgrades.values())
    answers = outcome.get("returned")
    assert isinstance(answers, list) and len(answers) == 3, (
        f"predict_live() with 3 flowers returned {str(answers)[:200]}; expected 3 answers"
    )
    expect_prediction(answers[0], "versicolor", "predict_live()'s first answer")
    expect_error_frame(answers[1], "validation_error", "predict_live()'s second answer")
    expect_prediction(answers[2], "setosa", "predict_live()'s third answer")
    # Exactly one: answers that came over no connection were made up in the client's own
    # process (the probe runs there, so only the relay in front of the server can tell).
    assert connections, (
        "predict_live() opened no WebSocket connection to the base_url it was given: its "
        "answers must be the server's, over one connection"
    )
    assert connections == 1, (
        f"predict_live() opened {connections} WebSocket connections for 3 flowers; "
        "the contract asks for one connection for all of them"
    )
