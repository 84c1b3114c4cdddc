"""Lab 01 · Hello, API: the checks.

Every check below tests one behaviour of the contract in the lab's README. The server checks
call the app in-process with a ``TestClient``; the client checks run the app with uvicorn on a
real socket (``live_server``) and call the functions of ``client.py`` against it.

Assertions are not rewritten (PYTEST_DONT_REWRITE): a student sees only the message of a
failed assertion, which says what was sent and what came back.
"""

from __future__ import annotations

import importlib
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests

from autograder import check, sandbox, stages
from autograder.request_counter import RequestCounter
from autograder.suites import support

FIELDS = ("id", "species", "sepal_length", "sepal_width", "petal_length", "petal_width")
MEASUREMENTS = FIELDS[2:]

# The fifteen flowers of the given flowers.py: id -> (species, sepal length, sepal width,
# petal length, petal width).
FLOWERS = {
    1: ("setosa", 5.1, 3.5, 1.4, 0.2),
    2: ("setosa", 5.4, 3.7, 1.5, 0.2),
    3: ("setosa", 5.4, 3.4, 1.7, 0.2),
    4: ("setosa", 4.8, 3.1, 1.6, 0.2),
    5: ("setosa", 5.0, 3.5, 1.3, 0.3),
    6: ("versicolor", 7.0, 3.2, 4.7, 1.4),
    7: ("versicolor", 5.0, 2.0, 3.5, 1.0),
    8: ("versicolor", 5.9, 3.2, 4.8, 1.8),
    9: ("versicolor", 5.5, 2.4, 3.8, 1.1),
    10: ("versicolor", 5.5, 2.6, 4.4, 1.2),
    11: ("virginica", 6.3, 3.3, 6.0, 2.5),
    12: ("virginica", 6.5, 3.2, 5.1, 2.0),
    13: ("virginica", 6.9, 3.2, 5.7, 2.3),
    14: ("virginica", 7.4, 2.8, 6.1, 1.9),
    15: ("virginica", 6.7, 3.1, 5.6, 2.4),
}
ROUTES = ("/", "/hello/{name}", "/flowers", "/flowers/{flower_id}")
TIMEOUT = 5  # seconds for the grader's own requests to the live server


# ---------------------------------------------------------------- helpers


class Api:
    """The app's TestClient, reporting an exception raised by a route in one short message."""

    def __init__(self, client, folder: Path) -> None:
        self.client = client
        self.folder = folder

    def get(self, path: str):
        try:
            return self.client.get(path)
        except Exception as error:  # noqa: BLE001 - a route may raise anything
            crash = support.crash_text(error, self.folder)
        # failed outside the except block: the student's exception (which may not even print
        # itself) is not chained to the failure
        pytest.fail(
            f"GET {path} crashed the app with {crash}; "
            "a real client would get 500 Internal Server Error",
            pytrace=False,
        )


def run_client_function(
    folder: str, name: str, args: list, kwargs: dict, earlier: list | None = None
) -> dict:
    """Probe: call ``client.<name>(*args, **kwargs)`` from the submission's client.py.

    ``earlier``: the keyword arguments of calls of the same function made first, in the same
    process, whose results are not kept (state left behind by one call must not change the
    next one's answer).

    It runs where the student's modules can be imported (in a sandbox process in secure
    mode), so it returns plain JSON data: ``{"returned": value}``, ``{"http_error": status}``
    when the function raised ``requests.HTTPError`` (``None`` when the error carries no
    response), or ``{"problem": message}``; the first two also hold ``"requests"``: the
    method, path and "has a timeout" of each request the function sent with ``requests``.
    """
    import requests

    where = Path(folder).resolve()
    if not (where / "client.py").is_file():
        return {"problem": "client.py is missing from the lab folder"}
    loaded = sys.modules.get("client")
    loaded_file = getattr(loaded, "__file__", None)
    if loaded is not None and (not loaded_file or Path(loaded_file).resolve().parent != where):
        del sys.modules["client"]  # a client module from somewhere else: not the student's
    try:
        module = importlib.import_module("client")
    except Exception as error:  # noqa: BLE001 - report any import failure to the student
        advice = (
            ""
            if isinstance(error, SyntaxError)
            else '; code outside functions runs on import: keep it under if __name__ == "__main__":'
        )
        return {"problem": f"client.py did not import: {support.crash_text(error, where)}{advice}"}
    function = getattr(module, name, None)
    if not callable(function):
        return {"problem": f"client.py has no function {name}()"}
    # Every request of requests goes through HTTPAdapter.send, which receives the timeout:
    # record the timeout of each request the function sends (None: it would wait forever).
    from requests.adapters import HTTPAdapter

    sent: list = []
    send = HTTPAdapter.send

    def recording_send(adapter, prepared, *send_args, **send_kwargs):
        timeout = send_kwargs.get("timeout", send_args[1] if len(send_args) > 1 else None)
        sent.append([prepared.method, prepared.path_url, timeout is not None])
        return send(adapter, prepared, *send_args, **send_kwargs)

    HTTPAdapter.send = recording_send
    try:
        for earlier_kwargs in earlier or []:
            function(*args, **earlier_kwargs)
        return {"returned": function(*args, **kwargs), "requests": sent}
    except requests.HTTPError as error:
        response = getattr(error, "response", None)
        return {"http_error": getattr(response, "status_code", None), "requests": sent}
    finally:
        HTTPAdapter.send = send


class ClientFunctions:
    """Calls the functions of the submission's client.py; each failure is one short message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def shown(name: str, args: tuple, kwargs: dict) -> str:
        """``fetch_flowers(base_url, species='setosa')``: the call as the student reads it."""
        parts = ["base_url", *map(repr, args[1:])]
        parts += [f"{key}={value!r}" for key, value in kwargs.items()]
        return f"{name}({', '.join(parts)})"

    def outcome(self, name: str, *args, after: tuple = (), **kwargs) -> dict:
        """``{"returned": ...}`` or ``{"http_error": status}``; anything else fails the check.

        ``after``: keyword arguments of calls of the same function made first, in the same
        process (their results are not kept).
        """
        call = self.shown(name, args, kwargs)
        try:
            outcome = sandbox.call(
                run_client_function, str(self.folder), name, list(args), kwargs, list(after)
            )
        except sandbox.SandboxError as error:
            pytest.fail(f"{call} raised {error}", pytrace=False)
        if "problem" in outcome:
            pytest.fail(outcome["problem"], pytrace=False)
        for method, path, timed in outcome.get("requests", []):
            if not timed:
                pytest.fail(
                    f"{call} sent {method} {path} without a timeout; pass timeout=TIMEOUT to "
                    "requests.get: without one, a server that never answers makes the client "
                    "wait forever",
                    pytrace=False,
                )
        return outcome

    def call(self, name: str, *args, after: tuple = (), **kwargs):
        """What ``client.<name>(*args, **kwargs)`` returns; raising anything fails the check."""
        outcome = self.outcome(name, *args, after=after, **kwargs)
        if "http_error" in outcome:
            pytest.fail(
                f"{self.shown(name, args, kwargs)} raised requests.HTTPError "
                f"(status {outcome['http_error']}); expected it to return the answer",
                pytrace=False,
            )
        return outcome["returned"]


@pytest.fixture(scope="module")
def api(client, submission_dir: Path) -> Api:
    return Api(client, submission_dir)


def shown(response) -> str:
    """The start of a response body, for a failure message."""
    text = response.text.strip()
    return text if len(text) <= 160 else text[:160] + "..."


def json_of(response, request: str):
    """The JSON body of a 200 response; fail with what came back otherwise."""
    assert response.status_code == 200, (
        f"{request} answered {response.status_code} ({shown(response)}); expected 200"
    )
    try:
        return response.json()
    except ValueError:
        pytest.fail(f"{request} answered 200 but the body is not JSON: {shown(response)}")


def flower_list(api, query: str = "") -> list[dict]:
    """GET /flowers with a query string; check the answer is a list of flower objects."""
    request = f"GET /flowers{query}"
    body = json_of(api.get(f"/flowers{query}"), request)
    assert isinstance(body, list), f"{request} answered {body!r}; expected a JSON list"
    for item in body:
        assert isinstance(item, dict) and isinstance(item.get("id"), int), (
            f"{request} answered a list holding {item!r}; expected flower objects with an id"
        )
    return body


def ids(flowers: list[dict]) -> list[int]:
    return [flower["id"] for flower in flowers]


def brief(value) -> str:
    """A list of flowers as "the flowers [1, 2]"; anything else as its (short) repr."""
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return f"the flowers {[item.get('id') for item in value]}"
    text = repr(value)
    return text if len(text) <= 120 else text[:120] + "..."


def expected_flower(flower_id: int) -> dict:
    species, *measurements = FLOWERS[flower_id]
    return {
        "id": flower_id,
        "species": species,
        **dict(zip(MEASUREMENTS, measurements, strict=True)),
    }


def same_flower(got, flower_id: int) -> bool:
    """True when ``got`` has the six fields (and no other) with the values of flower
    ``flower_id``."""
    want = expected_flower(flower_id)
    if not isinstance(got, dict) or set(got) != set(FIELDS):
        return False
    numbers_ok = all(
        isinstance(got[name], (int, float)) and got[name] == pytest.approx(want[name])
        for name in MEASUREMENTS
    )
    return got["id"] == flower_id and got["species"] == want["species"] and numbers_ok


def status_of(api, path: str) -> int:
    return api.get(path).status_code


def grader_get(url: str, params: dict | None = None) -> requests.Response:
    """The grader's own request to the live server, with a time limit (a hung route fails
    the check that needs it, quickly, instead of holding the grading)."""
    limit = min(TIMEOUT, stages.time_for_a_request())
    try:
        return requests.get(url, params=params, timeout=limit)
    except requests.Timeout:
        stages.request_hung()
        pytest.fail(f"GET {url} did not answer within {limit:g} s", pytrace=False)


def live_json(base_url: str, path: str, params: dict | None = None):
    """What the student's own server answers, to compare the client's result with."""
    response = grader_get(f"{base_url}{path}", params=params)
    request = f"GET {response.request.path_url}"
    assert response.status_code == 200, (
        f"your server answered {request} with {response.status_code}; "
        "the client functions need that route working first"
    )
    return response.json()


@pytest.fixture(scope="module")
def api_url(live_server: str):
    """The base URL of the submission's app served by uvicorn, with its error log silenced.

    uvicorn logs a traceback for every 500 from its own thread; formatting it while pytest
    formats a failure in the main thread can crash Python 3.11's parser, and nobody reads
    that log during grading.
    """
    logger = logging.getLogger("uvicorn.error")
    was_disabled = logger.disabled
    logger.disabled = True
    yield live_server
    logger.disabled = was_disabled


@pytest.fixture(scope="module")
def relay(api_url: str) -> Iterator[RequestCounter]:
    """A relay in front of the submission's server, counting the requests it answered: the
    client functions are given its URL. They run in the student's own process (a probe, in
    secure mode), where an answer could be made up without asking the API at all; only a
    relay on the way to the server can tell."""
    with RequestCounter(urlsplit(api_url).port) as counter:
        yield counter


RELAY_SECONDS = 2.0  # how long the relay may take to see the answer the client already has


def answered(relay: RequestCounter, path: str | None = None) -> int:
    """How many requests (for ``path``, or for any path) the server answered through the
    relay so far (with a 2xx)."""
    counted = relay.counted()
    return sum(counted.values()) if path is None else counted.get(path, 0)


def expect_asked(relay: RequestCounter, before: int, call: str, path: str) -> None:
    """``call`` sent at least one request for ``path`` through the relay that the server
    answered (``before``: ``answered(relay, path)`` before the call)."""
    deadline = time.monotonic() + RELAY_SECONDS
    while answered(relay, path) <= before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert answered(relay, path) > before, (
        f"{call} returned without a request for {path} reaching the API at the base_url it "
        "was given: a client's answer must be the server's (send the request with "
        "requests.get)"
    )


def unavailable_app():
    """A stand-in Iris API whose flowers answer 503 (odd ids) or 429 (even ids), for the
    client's error check."""
    from fastapi import FastAPI, HTTPException

    stand_in = FastAPI()

    @stand_in.get("/flowers/{flower_id}")
    def unavailable(flower_id: int) -> dict:
        if flower_id % 2 == 0:
            raise HTTPException(status_code=429, detail="Too Many Requests")
        raise HTTPException(status_code=503, detail="Service Unavailable")

    return stand_in


@pytest.fixture(scope="module")
def unavailable_url():
    """The base URL of :func:`unavailable_app`, served by the grader on a free local port."""
    from autograder.live import serve_in_thread

    with serve_in_thread(unavailable_app()) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def client_module(submission_dir: Path) -> ClientFunctions:
    """The functions of the submission's ``client.py`` (of the sandbox's copy in secure mode)."""
    return ClientFunctions(submission_dir)


# ---------------------------------------------------------------- GET / and /hello/{name}


@check(
    points=5,
    hint='A route\'s return value becomes the JSON body. Handout: Background, "Your first app".',
    more="Return a dict such as {'message': 'Welcome'}: FastAPI sends it as JSON.",
)
def test_root_answers_a_message(api):
    """GET / answers 200 with a JSON object whose "message" is a non-empty string."""
    body = json_of(api.get("/"), "GET /")
    assert isinstance(body, dict), f"GET / answered {body!r}; expected a JSON object"
    message = body.get("message")
    assert isinstance(message, str) and message.strip(), (
        f"GET / answered {body!r}; expected a non-empty string under the key 'message'"
    )


@check(
    points=8,
    hint="The name is a path parameter: it is written in the route's path and is a parameter "
    'of the function. Handout: "Path parameters, and why 422".',
    more="Add @app.get('/hello/{name}') and build the text with f'Hello, {name}!'.",
)
def test_hello_greets_by_name(api):
    """GET /hello/Ada answers {"message": "Hello, Ada!"} and nothing else; the name is used
    exactly as sent, even the spaces around it: /hello/%20Ada%20 greets the name " Ada ",
    spaces kept."""
    for name in ("Ada", "Grace Hopper", "ada lovelace", " Ada "):
        path = f"/hello/{quote(name)}"
        body = json_of(api.get(path), f"GET {path}")
        want = f"Hello, {name}!"
        assert isinstance(body, dict) and body.get("message") == want, (
            f"GET {path} (the name {name!r}) answered {body!r}; expected {{'message': {want!r}}}"
        )
        extra = sorted(str(key) for key in body if key != "message")
        assert not extra, (
            f"GET {path} answered {body!r}; expected {{'message': {want!r}}} and no other key "
            f"(it also has {', '.join(extra)})"
        )


@check(
    points=7,
    hint="A function parameter that is not in the path is a query parameter; its type and "
    'default say how it is read. Handout: "Query parameters: types, defaults, bounds".',
    more="Add a parameter `shout: bool = False` to the hello function and use message.upper().",
)
def test_hello_shouts_when_asked(api):
    """GET /hello/Ada?shout=true answers "HELLO, ADA!" and ?shout=false answers "Hello, Ada!";
    shout is a boolean, so the other spellings of one work too: True and False (what
    requests sends for a Python bool), 1 and 0, yes and no, on and off."""
    for value, want in (
        ("true", "HELLO, ADA!"),
        ("false", "Hello, Ada!"),
        ("True", "HELLO, ADA!"),
        ("False", "Hello, Ada!"),
        ("1", "HELLO, ADA!"),
        ("0", "Hello, Ada!"),
        ("yes", "HELLO, ADA!"),
        ("off", "Hello, Ada!"),
    ):
        request = f"GET /hello/Ada?shout={value}"
        response = api.get(f"/hello/Ada?shout={value}")
        if response.status_code == 422 and value not in ("true", "false"):
            pytest.fail(
                f"{request} answered 422 ({shown(response)}); expected {{'message': {want!r}}}: "
                f"{value} is a boolean too (FastAPI reads true, True, 1, yes and on as true; "
                "requests sends True and False for a Python bool). Annotate shout as bool and "
                "let FastAPI read it, instead of comparing texts",
                pytrace=False,
            )
        body = json_of(response, request)
        assert isinstance(body, dict) and body.get("message") == want, (
            f"{request} answered {body!r}; expected {{'message': {want!r}}}"
        )


@check(
    points=4,
    hint="FastAPI validates a parameter against its type annotation and answers 422 itself "
    'when it does not fit. Handout: "Path parameters, and why 422".',
    more="Annotate shout as bool: FastAPI then rejects values that are not booleans with 422.",
)
def test_shout_that_is_not_a_boolean_is_422(api):
    """GET /hello/Ada?shout=maybe answers 422: shout is a boolean, not any text."""
    response = api.get("/hello/Ada?shout=maybe")
    assert response.status_code == 422, (
        f"GET /hello/Ada?shout=maybe answered {response.status_code} ({shown(response)}); "
        "expected 422"
    )


# ---------------------------------------------------------------- GET /flowers


@check(
    points=8,
    hint="Read the contract of GET /flowers: what limit and offset are when the caller leaves "
    'them out. Handout: The contract, "GET /flowers".',
    more="Check the defaults (limit 5, offset 0) and keep the flowers in the order of FLOWERS.",
)
def test_flowers_default_to_the_first_five_in_id_order(api):
    """GET /flowers answers the flowers 1 to 5, in id order, each with its six fields."""
    body = flower_list(api)
    assert ids(body) == [1, 2, 3, 4, 5], (
        f"GET /flowers answered the flowers {ids(body)}; expected [1, 2, 3, 4, 5]"
    )
    for flower in body:
        assert same_flower(flower, flower["id"]), (
            f"GET /flowers answered {flower!r}; expected {expected_flower(flower['id'])!r}"
        )


@check(
    points=7,
    hint="Choosing the flowers of one species comes before taking a page of them. Handout: The"
    ' contract, "GET /flowers".',
    more="Keep only the flowers whose 'species' equals the species parameter, before paging.",
)
def test_flowers_filter_by_species(api):
    """GET /flowers?species=virginica answers flowers 11 to 15; species=versicolor&limit=2: 6, 7."""
    for query, want in (
        ("?species=virginica", [11, 12, 13, 14, 15]),
        ("?species=versicolor&limit=2", [6, 7]),
    ):
        body = flower_list(api, query)
        assert ids(body) == want, (
            f"GET /flowers{query} answered the flowers {ids(body)}; expected {want}"
        )


@check(
    points=3,
    hint="A filter that matches nothing is still a successful answer; compare species exactly "
    'as sent. Handout: The contract, "GET /flowers".',
    more="A species with no flowers is not an error: answer an empty list. Compare with ==.",
)
def test_unknown_species_gives_an_empty_list(api):
    """GET /flowers?species=rose answers 200 with an empty list; so do Setosa, seto, " setosa"
    and "setosa " (a space before or after it) and an empty species (no flower's species is
    the empty text)."""
    for species in ("rose", "Setosa", "seto", " setosa", "setosa ", ""):
        query = f"?species={quote(species)}"
        body = flower_list(api, query)
        assert body == [], (
            f"GET /flowers{query} (the species {species!r}) answered the flowers {ids(body)}; "
            "expected []: only a species that is exactly the same text matches (do not change "
            "the case of the text sent, nor remove spaces from it)"
        )


@check(
    points=2,
    hint="offset skips flowers of the filtered list, limit caps what is left: think of a "
    'slice. Handout: The contract, "GET /flowers".',
    more="Filter by species first, then skip `offset` of the flowers that are left and take at "
    "most `limit`: a slice [offset : offset + limit] of the filtered list.",
)
@pytest.mark.parametrize(
    ("query", "want"),
    [
        ("?limit=3&offset=4", [5, 6, 7]),
        ("?offset=13", [14, 15]),
        ("?offset=100", []),
        ("?species=versicolor&offset=3", [9, 10]),
    ],
    ids=["limit=3&offset=4", "offset=13", "offset=100", "species=versicolor&offset=3"],
)
def test_flowers_page_with_limit_and_offset(api, query, want):
    """GET /flowers skips `offset` flowers (after filtering by species), then answers `limit`."""
    body = flower_list(api, query)
    assert ids(body) == want, (
        f"GET /flowers{query} answered the flowers {ids(body)}; expected {want}"
    )


@check(
    points=6,
    hint="Bounds on a query parameter belong in its declaration, so FastAPI answers 422 "
    'outside them. Handout: "Query parameters: types, defaults, bounds".',
    more="Declare limit as Annotated[int, Query(ge=1, le=50)] = 5: FastAPI answers 422 outside.",
)
def test_limit_must_be_an_integer_from_1_to_50(api):
    """limit=1 and limit=50 are accepted; limit=0, 51, ten and 2.5 answer 422."""
    for limit, count in (("1", 1), ("50", 15)):
        body = flower_list(api, f"?limit={limit}")
        assert len(body) == count, (
            f"GET /flowers?limit={limit} answered {len(body)} flowers; expected {count}"
        )
    for limit in ("0", "51", "ten", "2.5"):
        status = status_of(api, f"/flowers?limit={limit}")
        assert status == 422, f"GET /flowers?limit={limit} answered {status}; expected 422"


@check(
    points=4,
    hint="Bounds on a query parameter belong in its declaration, so FastAPI answers 422 "
    'outside them. Handout: "Query parameters: types, defaults, bounds".',
    more="Declare offset as Annotated[int, Query(ge=0)] = 0: a negative offset is 422.",
)
def test_offset_must_not_be_negative(api):
    """offset=0 is accepted and offset=1000000 is not refused (no upper bound); offset=-1, x and
    1.5 (not an integer) answer 422."""
    flower_list(api, "?offset=0")
    response = api.get("/flowers?offset=1000000")  # the page itself: the check of offset=100
    assert response.status_code != 422, (
        f"GET /flowers?offset=1000000 answered 422 ({shown(response)}); expected 200: offset "
        "has no upper bound (an offset past the end answers [])"
    )
    for offset in ("-1", "x", "1.5"):
        status = status_of(api, f"/flowers?offset={offset}")
        assert status == 422, f"GET /flowers?offset={offset} answered {status}; expected 422"


# ---------------------------------------------------------------- GET /flowers/{flower_id}


@check(
    points=8,
    hint='Find the flower by its "id" field, not by its position in the list. Handout: The '
    'contract, "GET /flowers/{flower_id}".',
    more="Loop over FLOWERS and return the one whose 'id' equals flower_id.",
)
def test_flower_is_found_by_id(api):
    """GET /flowers/1, /flowers/8 and /flowers/15 answer those flowers with their six fields."""
    for flower_id in (1, 8, 15):
        body = json_of(api.get(f"/flowers/{flower_id}"), f"GET /flowers/{flower_id}")
        assert same_flower(body, flower_id), (
            f"GET /flowers/{flower_id} answered {body!r}; expected {expected_flower(flower_id)!r}"
        )


@check(
    points=7,
    hint="When nothing matches, the route must not return None: an unknown id (0, -1, 16...) "
    'is an error the caller can see. Handout: "404: raise, never return None".',
    more="After the loop, raise HTTPException(status_code=404, detail=...): never return None.",
)
def test_unknown_flower_is_404(api):
    """GET /flowers/1 answers 200, and GET /flowers/0, /flowers/-1, /flowers/16 and
    /flowers/999 answer 404 Not Found."""
    json_of(api.get("/flowers/1"), "GET /flowers/1")  # a 404 counts only where 200 is possible
    for flower_id in (0, -1, 16, 999):
        response = api.get(f"/flowers/{flower_id}")
        assert response.status_code == 404, (
            f"GET /flowers/{flower_id} answered {response.status_code} ({shown(response)}); "
            "expected 404"
        )


@check(
    points=4,
    hint="The type annotation of a path parameter is what makes FastAPI reject /flowers/abc. "
    'Handout: "Path parameters, and why 422".',
    more="Annotate the path parameter: flower_id: int. FastAPI then answers 422.",
)
def test_non_integer_flower_id_is_422(api):
    """GET /flowers/1 answers 200, and GET /flowers/abc and /flowers/1.5 answer 422."""
    json_of(api.get("/flowers/1"), "GET /flowers/1")
    for bad in ("abc", "1.5"):
        response = api.get(f"/flowers/{bad}")
        assert response.status_code == 422, (
            f"GET /flowers/{bad} answered {response.status_code} ({shown(response)}); expected 422"
        )


# ---------------------------------------------------------------- /openapi.json and /docs


@check(
    points=5,
    hint="Open /docs: every route you declared is listed there, under the app's title. "
    'Handout: "/docs and /openapi.json".',
    more="Open /docs: every route must be listed. Keep FastAPI(title='Iris API').",
)
def test_openapi_and_docs_list_every_route(api):
    """/openapi.json has the title "Iris API" and a GET for each of the 4 paths; /docs is HTML."""
    schema = json_of(api.get("/openapi.json"), "GET /openapi.json")
    title = schema.get("info", {}).get("title")
    assert title == "Iris API", f"/openapi.json has the title {title!r}; expected 'Iris API'"
    paths = schema.get("paths", {})
    missing = [path for path in ROUTES if "get" not in paths.get(path, {})]
    assert not missing, f"/openapi.json lists no GET for {missing}; it lists {sorted(paths)}"
    docs = api.get("/docs")
    kind = docs.headers.get("content-type", "")
    assert docs.status_code == 200 and kind.startswith("text/html"), (
        f"GET /docs answered {docs.status_code} ({kind}); expected 200 with an HTML page"
    )


# ---------------------------------------------------------------- client.py, against a live server


@check(
    points=4,
    hint="The client sends the same request you make in /docs and returns part of the JSON "
    'answer. Handout: "Being a client: requests".',
    more="requests.get(f'{base_url}/hello/{name}', params={'shout': shout}), then the message.",
)
def test_client_greet_returns_the_message(api_url, relay, client_module):
    """client.greet(base_url, "Ada") returns the message the API sends (shout is False
    unless given); shout=True shouts; the name is sent as given, so "grace hopper" and
    " Ada " (spaces around it) get the API's answer for those very names."""
    for shout in (False, True):
        want = live_json(api_url, "/hello/Ada", {"shout": str(shout).lower()})["message"]
        before = answered(relay, "/hello/Ada")
        got = client_module.call("greet", relay.url, "Ada", shout=shout)
        expect_asked(relay, before, f"greet(base_url, 'Ada', shout={shout})", "/hello/Ada")
        assert got == want, (
            f"greet(base_url, 'Ada', shout={shout}) returned {got!r}; expected {want!r}"
        )
    want = live_json(api_url, "/hello/Ada", {"shout": "false"})["message"]
    got = client_module.call("greet", relay.url, "Ada")
    assert got == want, (
        f"greet(base_url, 'Ada') returned {got!r}; expected {want!r} (shout=False unless given)"
    )
    for name in ("grace hopper", " Ada "):
        want = live_json(api_url, f"/hello/{quote(name)}", {"shout": "false"})["message"]
        got = client_module.call("greet", relay.url, name, shout=False)
        assert got == want, (
            f"greet(base_url, {name!r}, shout=False) returned {got!r}; expected {want!r}, your "
            "API's answer for that name: send the name exactly as given (same capitals, spaces "
            "kept)"
        )


@check(
    points=4,
    hint="Query parameters go in the params argument of requests.get; leave out the ones that "
    'are None. Handout: "Being a client: requests".',
    more="Pass params={'limit': limit, 'species': species} to requests.get and return .json().",
)
def test_client_fetch_flowers_sends_species_and_limit(api_url, relay, client_module):
    """client.fetch_flowers returns the list the API sends for the species and limit given;
    a species that is not None is sent even when it is the empty text (species=""), and it is
    sent exactly as given: "Setosa", " setosa" and "setosa&versicolor" get the API's answer
    for them ([]). A call sends its own parameters only: fetch_flowers(base_url, limit=3) right
    after a call with a species gets the first three flowers of all species."""
    earlier = {"species": "versicolor", "limit": 2}
    for kwargs, after in (
        ({}, ()),
        (earlier, ()),
        ({"limit": 3}, (earlier,)),
        ({"species": ""}, ()),
        ({"species": "Setosa"}, ()),
        ({"species": " setosa"}, ()),
        ({"species": "setosa&versicolor"}, ()),
    ):
        want = live_json(api_url, "/flowers", {"limit": 5, **kwargs})
        before = answered(relay, "/flowers")
        got = client_module.call("fetch_flowers", relay.url, after=after, **kwargs)
        call = client_module.shown("fetch_flowers", ("base_url",), kwargs)
        expect_asked(relay, before, call, "/flowers")
        if after and got != want:
            pytest.fail(
                f"{call}, called right after "
                f"{client_module.shown('fetch_flowers', ('base_url',), earlier)}, returned "
                f"{brief(got)}; expected {brief(want)}, your API's answer to limit=3 (no "
                "species): each call sends its own parameters only (build a new params dict in "
                "every call, instead of one kept between calls)",
                pytrace=False,
            )
        if kwargs.get("species") == "" and got != want:
            pytest.fail(
                f"{call} returned {brief(got)}; expected {brief(want)}, your API's answer to "
                "species='': send species whenever it is not None, even '' "
                "(`if species is not None:`, not `if species:`)",
                pytrace=False,
            )
        if kwargs.get("species") in ("Setosa", " setosa") and got != want:
            pytest.fail(
                f"{call} returned {brief(got)}; expected {brief(want)}, your API's answer to "
                f"species={kwargs['species']!r}: send the species exactly as given (do not "
                "change its capitals nor remove its spaces)",
                pytrace=False,
            )
        if kwargs.get("species") == "setosa&versicolor" and got != want:
            pytest.fail(
                f"{call} returned {brief(got)}; expected {brief(want)}, your API's answer to "
                "the species 'setosa&versicolor': send the species exactly as given, in the "
                "params argument of requests.get, which escapes the & (written into the URL "
                "by hand, the & ends the species after 'setosa')",
                pytrace=False,
            )
        assert got == want, f"{call} returned {got!r}; expected {want!r}"


@check(
    points=4,
    hint='Build the URL of one flower and return the decoded JSON body. Handout: "Being a '
    'client: requests".',
    more="GET f'{base_url}/flowers/{flower_id}' and return response.json().",
)
def test_client_fetch_flower_returns_the_flower(api_url, relay, client_module):
    """client.fetch_flower(base_url, 7) returns the flower object the API sends for /flowers/7."""
    want = live_json(api_url, "/flowers/7")
    before = answered(relay, "/flowers/7")
    got = client_module.call("fetch_flower", relay.url, 7)
    expect_asked(relay, before, "fetch_flower(base_url, 7)", "/flowers/7")
    assert got == want, f"fetch_flower(base_url, 7) returned {got!r}; expected {want!r}"


@check(
    points=4,
    hint="requests does not raise for a 404 or a 503 by itself: the response has a method that"
    ' does. Handout: "Being a client: requests".',
    more="Call response.raise_for_status() before response.json(): it raises for 4xx and 5xx.",
)
def test_client_fetch_flower_raises_on_an_error_status(api_url, unavailable_url, client_module):
    """client.fetch_flower raises requests.HTTPError for your API's 404 of flower 999, and for
    the 503 and the 429 of a stand-in API whose flowers are all unavailable: any 4xx or 5xx
    must raise, with an error that carries the response (error.response.status_code)."""
    base_url = api_url
    status = grader_get(f"{api_url}/flowers/999").status_code
    if status < 400:
        # The server does not answer an error for flower 999 (the server checks report that):
        # test the client with a base URL under which no route exists, so it gets a 404.
        base_url = f"{api_url}/no-such-prefix"
        status = grader_get(f"{base_url}/flowers/999").status_code
    for url, flower_id, api, answer in (
        (base_url, 999, f"your API answered {status}", status),
        (unavailable_url, 3, "the grader's stand-in API answered 503", 503),
        (unavailable_url, 4, "the grader's stand-in API answered 429", 429),
    ):
        outcome = client_module.outcome("fetch_flower", url, flower_id)
        if "http_error" not in outcome:
            pytest.fail(
                f"fetch_flower(base_url, {flower_id}) returned {outcome['returned']!r} although "
                f"{api}; expected it to raise requests.HTTPError for any 4xx or 5xx status",
                pytrace=False,
            )
        if outcome["http_error"] != answer:
            carried = outcome["http_error"]
            pytest.fail(
                f"fetch_flower(base_url, {flower_id}) raised requests.HTTPError when {api}, but "
                + (
                    "the error carries no response"
                    if carried is None
                    else f"its error.response has the status {carried}"
                )
                + f"; expected error.response.status_code {answer}: call "
                "response.raise_for_status(), which raises the error with the response in it",
                pytrace=False,
            )
