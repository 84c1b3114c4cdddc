"""Lab 04 checks: one error envelope for every 4xx and 5xx, request ids, a friendlier 422,
a 500 that leaks nothing, and model failures as 503.

The app runs with the grader's own model (``iris_model``, version ``grader-1.0``): every check
starts it afresh, with ``MODEL_PATH`` pointing to that model or, for the checks about a missing
model, to a file that does not exist (and once to a damaged model.joblib). To cause an
unexpected error the grader replaces the handout's ``get_model`` dependency
(``app.dependency_overrides``) with a model whose ``predict`` raises a ``RuntimeError``
carrying a secret-looking message (``support.overridden``, so that the same check works when
the app runs in a sandbox), and for one check also a model whose ``predict`` raises
``ModelMeltdown``, an exception class of the grader's own that derives from ``Exception`` only
(so a catch-all registered for a narrower class than ``Exception`` leaves it unanswered); the
same way, another replacement raises an ``HTTPException`` with a status that
``HTTP_ERROR_CODES`` does not hold and a header of its own. Log records of ``uvicorn`` loggers
are ignored: they are the server's, not the app's.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import site
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, get_args

import pytest
from fastapi import HTTPException
from pydantic import BaseModel, Field, ValidationError
from pydantic_core.core_schema import ErrorType

from autograder import check
from autograder.iris import GRADER_VERSION
from autograder.suites import support
from autograder.suites.support import SETOSA

REQUEST_ID = "X-Request-ID"
OBSERVER = {"name": "Ada", "email": "ada@example.org"}
# A refused value the 422 must not repeat (it stands for a caller's private data).
REFUSED_NUMBER = -7.31  # a negative petal_length: refused, and never repeated
REFUSED_WORD = "wide-private-7f3a"
# Pydantic's error types ("missing", "float_parsing"...): a problem is words, not one of these.
ERROR_TYPES = frozenset(get_args(ErrorType))
# The words of the handout's own validators (schemas.py, given): a problem is their message as
# it is, without Pydantic's leading "Value error, ".
PETAL_RULE = "petal_length must be shorter than sepal_length"
EMAIL_RULE = "email must look like name@example.org"
BAD_EMAIL = "ada-at-example.org"


class GraderMeasurement(BaseModel):
    """The handout's Measurement fields with their limits: the grader validates a refused flower
    with it to learn Pydantic's own message for each problem (its msg)."""

    sepal_length: float = Field(gt=0, le=10)
    sepal_width: float = Field(gt=0, le=10)
    petal_length: float = Field(gt=0, le=10)
    petal_width: float = Field(gt=0, le=10)


def pydantic_messages(body: dict) -> dict[str, str]:
    """{field: Pydantic's msg} for the problems of ``body`` as a flower."""
    try:
        GraderMeasurement.model_validate(body)
    except ValidationError as error:
        return {".".join(map(str, item["loc"])): item["msg"] for item in error.errors()}
    return {}


# What the broken model says when it fails: none of it may reach the caller.
SECRET_MESSAGE = "database password hunter2 rejected by /srv/iris/secrets.py"
LEAKS = ("database password", "hunter2", "/srv/iris", "secrets.py", "RuntimeError", "Traceback")
# What a 503 must not tell about the failed loading of the model (besides the folder of the
# missing file, a folder of this grading): the error's text and class, as Python writes them.
LOADING_LEAKS = ("No such file", "Errno", "FileNotFoundError")
# What a traceback or a file path looks like: a Python file, a traceback's frame line.
LEAK_PATTERNS = {
    "a Python file name": re.compile(r"\.pyc?\b"),
    "a traceback line": re.compile(r'File "|line \d+, in '),
}

# The HTTPException the grader raises from get_model: a status HTTP_ERROR_CODES does not hold,
# with a header of its own.
TEAPOT_STATUS = 418
TEAPOT_DETAIL = "The grader's teapot refuses to predict"
TEAPOT_HEADER = ("X-Custom", "grader-teapot-1")
# And one with a status HTTP_ERROR_CODES holds beside 404 and 405: its code comes from the table.
CONFLICT_STATUS = 409
CONFLICT_DETAIL = "The grader's model is busy with another flower"


# ---------------------------------------------------------------- helpers


def expect(condition: object, message: str) -> None:
    """Fail the check with ``message`` alone (no assertion dump) unless ``condition``."""
    if not condition:
        pytest.fail(message, pytrace=False)


@contextmanager
def started(app, model_path: Path, **client_options) -> Iterator:
    """The app started (lifespan run) with MODEL_PATH set to ``model_path``."""
    environment = {"MODEL_PATH": str(model_path)}
    with support.started(
        app, failure=None, environment=environment, workdir=model_path.parent, **client_options
    ) as test_client:
        yield test_client


@contextmanager
def started_with_override(app, model_path: Path, replacement, **client_options) -> Iterator:
    """The app started with get_model replaced by ``replacement``."""
    missing = "main.py has no get_model: keep the dependency that gives routes the model"
    with (
        support.overridden(app, "get_model", replacement, missing=missing),
        started(app, model_path, **client_options) as test_client,
    ):
        yield test_client


@contextmanager
def started_without_model(app, missing_model: Path, naming: str = "a missing file") -> Iterator:
    """The app started with MODEL_PATH naming a file that does not exist (or, as ``naming``
    says, one that cannot be loaded)."""
    missing_model.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        try:
            test_client = stack.enter_context(started(app, missing_model))
        except Exception as error:
            pytest.fail(
                f"with MODEL_PATH naming {naming} the app did not start: "
                f"{type(error).__name__}: {error}",
                pytrace=False,
            )
        yield test_client


# What a damaged model file holds: bytes joblib cannot load (the first is no pickle opcode,
# so nothing in them is ever run), while its model.json is the grader's own.
DAMAGED_MODEL = b"\xa5 damaged by the grader \x00\xff" + bytes(range(256))


def damaged_model(folder: Path, iris_model: Path) -> Path:
    """``folder``/model.joblib holding DAMAGED_MODEL, with the grader's model.json beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / "model.joblib"
    model.write_bytes(DAMAGED_MODEL)
    shutil.copyfile(iris_model.with_suffix(".json"), model.with_suffix(".json"))
    return model


def envelope(response, what: str) -> dict:
    """The "error" object of an error answer, after checking the envelope's shape (and that
    it says it is JSON)."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    expect(
        kind == "application/json" or kind.endswith("+json"),
        f"{what} answered {response.status_code} with Content-Type {kind or 'none'!r}; "
        "expected application/json: the envelope is JSON, and says so (JSONResponse)",
    )
    body = support.json_or_fail(response, what)
    expect(
        isinstance(body, dict) and set(body) == {"error"},
        f"{what} answered {response.status_code} with {json.dumps(body)[:300]}; expected the "
        'envelope {"error": {"code": ..., "message": ..., "request_id": ...}} and nothing else',
    )
    error = body["error"]
    expect(isinstance(error, dict), f'{what}: "error" must be an object, got {error!r}')
    for key in ("code", "message", "request_id"):
        value = error.get(key)
        expect(
            isinstance(value, str) and value,
            f'{what}: "error" must hold a non-empty string "{key}", got {json.dumps(error)[:300]}',
        )
    return error


def expect_status(response, status: int, what: str) -> None:
    expect(
        response.status_code == status,
        f"{what} answered {response.status_code}; expected {status} "
        f"(body: {response.text[:200]!r})",
    )


def expect_code(error: dict, code: str, what: str) -> None:
    expect(error["code"] == code, f"{what} answered code {error['code']!r}; expected {code!r}")


def expect_words(problem: str, expected: str, field: str, what: str) -> None:
    """The problem is the error's msg as it is: only a leading "Value error, " is removed (the
    check of a rule on the whole body tests that part)."""
    expect(
        problem.removeprefix("Value error, ").strip() == expected,
        f"{what}: the problem of {field!r} is {problem!r}; expected the error's msg as it is, "
        f'{expected!r}: remove a leading "Value error, " and nothing else '
        "(str.removeprefix, not lstrip, split or a slice)",
    )


def problems_by_field(error: dict, what: str) -> dict[str, str]:
    """{field: problem} from the "fields" list of a validation error."""
    fields = error.get("fields")
    expect(
        isinstance(fields, list) and fields,
        f'{what}: the error must hold a non-empty list "fields", got {json.dumps(error)[:300]}',
    )
    found = {}
    for item in fields:
        expect(
            isinstance(item, dict), f'{what}: each entry of "fields" must be an object: {item!r}'
        )
        field, problem = item.get("field"), item.get("problem")
        expect(
            isinstance(field, str) and isinstance(problem, str) and problem.strip(),
            f'{what}: each entry of "fields" needs a string "field" and a non-empty string '
            f'"problem", got {item!r}',
        )
        found[field] = problem
    return found


class BrokenModel:
    """Looks like the loaded model, but every prediction fails, and so does reading its
    metadata (GET /model)."""

    version = GRADER_VERSION

    @property
    def metadata(self) -> dict:
        raise RuntimeError(SECRET_MESSAGE)

    def predict(self, measurements):
        raise RuntimeError(SECRET_MESSAGE)


def broken_model() -> BrokenModel:
    """The dependency the grader puts in place of get_model."""
    return BrokenModel()


class ModelMeltdown(Exception):
    """An exception no handler of the contract knows: not a RuntimeError, nor any
    built-in error a handler might take, only an Exception."""


class MeltingModel(BrokenModel):
    """Looks like the loaded model, but every prediction raises ModelMeltdown."""

    def predict(self, measurements):
        raise ModelMeltdown("the grader's model melted down")


def melting_model() -> MeltingModel:
    """The dependency the grader puts in place of get_model for the second kind of crash."""
    return MeltingModel()


def teapot_model() -> NoReturn:
    """A dependency in place of get_model that raises an HTTPException of an unusual status."""
    name, value = TEAPOT_HEADER
    raise HTTPException(status_code=TEAPOT_STATUS, detail=TEAPOT_DETAIL, headers={name: value})


def conflict_model() -> NoReturn:
    """A dependency in place of get_model that raises an HTTPException whose status
    HTTP_ERROR_CODES holds (409: "conflict"), but that no route of the handout raises."""
    raise HTTPException(status_code=CONFLICT_STATUS, detail=CONFLICT_DETAIL)


def folders_to_hide(submission_dir: Path) -> dict[str, str]:
    """{absolute path: what it is} for the folders a 500 must never show: the submission's,
    the Python installation's and the home folder."""
    places = {
        "the submission's folder": [submission_dir],
        "the Python installation": [sys.prefix, sys.base_prefix, sys.exec_prefix],
        "the installed packages": [*site.getsitepackages(), site.getusersitepackages()],
        "the home folder": [],
    }
    with contextlib.suppress(RuntimeError):  # no home folder is known
        places["the home folder"].append(Path.home())
    found = {}
    for what, paths in places.items():
        for path in paths:
            for text in {str(path), str(Path(path).resolve())}:
                if len(text) > 1 and text not in found:  # never "/" alone
                    found[text] = what
    return found


def leaks_in(text: str, folders: dict[str, str]) -> list[str]:
    """What of the error (or of where the code runs) shows in ``text``."""
    leaked = [repr(item) for item in LEAKS if item in text]
    leaked += [what for what, pattern in LEAK_PATTERNS.items() if pattern.search(text)]
    leaked += [f"{what} ({path})" for path, what in folders.items() if path in text]
    return leaked


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def model_client(app, iris_model: Path) -> Iterator:
    """The app started with the grader's model."""
    with started(app, iris_model) as test_client:
        yield test_client


@pytest.fixture
def missing_model(tmp_path: Path) -> Path:
    """A MODEL_PATH that names no file (with a name of its own, that a 503 must not show)."""
    return tmp_path / "models" / "grader-absent-model.joblib"


@pytest.fixture
def client_without_model(app, missing_model: Path) -> Iterator:
    """The app started with MODEL_PATH naming a file that does not exist."""
    with started_without_model(app, missing_model) as test_client:
        yield test_client


@pytest.fixture
def broken_client(app, iris_model: Path) -> Iterator:
    """The app whose model raises a RuntimeError; server errors come back as 500 answers."""
    with started_with_override(
        app, iris_model, broken_model, raise_server_exceptions=False
    ) as test_client:
        yield test_client


@pytest.fixture
def teapot_client(app, iris_model: Path) -> Iterator:
    """The app whose get_model raises HTTPException(418) with an X-Custom header."""
    with started_with_override(
        app, iris_model, teapot_model, raise_server_exceptions=False
    ) as test_client:
        yield test_client


# The routes the broken model makes fail: (method, path, body, what of the model raises).
BROKEN_ROUTES = (
    ("POST", "/predict", SETOSA, "predict"),
    ("POST", "/predict/batch", {"items": [SETOSA, SETOSA]}, "predict"),
    ("GET", "/model", None, "metadata"),
)


def broken_predict(
    model_client,
    request_id: str = "grader-500-check",
    raised: str = "RuntimeError",
    route: tuple = BROKEN_ROUTES[0],
):
    method, path, body, failing = route
    response = model_client.request(method, path, json=body, headers={REQUEST_ID: request_id})
    expect(
        response.status_code == 500,
        f"{method} {path} with a model whose {failing} raises {raised} answered "
        f"{response.status_code}; expected 500. The grader replaces get_model through "
        f"app.dependency_overrides: {path} must take its model from get_model and must not "
        f"catch the model's errors (body: {response.text[:200]!r})",
    )
    return response


# ---------------------------------------------------------------- the envelope


@check(
    points=6,
    hint="Every error leaves through a handler you register, which answers the envelope with "
    'the exception\'s status. Handout: "Your own exception classes, and their handlers" '
    'and the contract, "The error envelope".',
    more="Register a handler for HTTPException that answers "
    '{"error": {"code": "not_found", "message": exc.detail, "request_id": ...}} '
    "with the exception's status code (build it with error_response in errors.py). Leave "
    '"fields" out of every error but a 422.',
)
def test_unknown_flower_is_404_in_the_envelope(model_client):
    """GET /flowers/1 still works, and GET /flowers/99 and GET /observations/999 answer 404
    in the error envelope with code "not_found", the HTTPException's detail as message, and
    no "fields" (only a 422 lists fields)."""
    expect_status(model_client.get("/flowers/1"), 200, "GET /flowers/1")
    for path, detail in (
        ("/flowers/99", "Flower 99 not found"),
        ("/observations/999", "Observation 999 not found"),
    ):
        response = model_client.get(path)
        expect_status(response, 404, f"GET {path}")
        error = envelope(response, f"GET {path}")
        expect_code(error, "not_found", f"GET {path}")
        expect(
            error["message"] == detail,
            f"GET {path} answered message {error['message']!r}; expected the HTTPException's "
            f"detail {detail!r}",
        )
        expect(
            error.get("fields") is None,
            f'GET {path} answered "fields": {json.dumps(error.get("fields"))}; only a 422 has '
            '"fields": leave it out of other errors',
        )


@check(
    points=4,
    hint="Your HTTPException handler serves every status, not only 404 and 405: its code comes "
    "from the table, and it keeps the status and every header the exception carries. "
    'Handout: "HTTPException: status, detail and headers" and the contract, "The error '
    'envelope".',
    more="In the HTTPException handler, the code is HTTP_ERROR_CODES.get(status, "
    '"http_error") (409 gives "conflict": read the table, do not list the statuses you have '
    "seen), and the answer keeps the status and all of exc.headers (not only Allow).",
)
def test_other_http_exception_keeps_its_status_and_headers(teapot_client, app, iris_model: Path):
    """An HTTPException with a status that HTTP_ERROR_CODES does not hold (the grader makes
    get_model raise HTTPException(418, detail=..., headers={"X-Custom": ...})) answers that
    status in the envelope, code "http_error", the detail as message, and keeps its header;
    one with a status the table holds besides 404 and 405 (get_model raises
    HTTPException(409, detail=...)) answers 409 with the table's code, "conflict"."""
    name, value = TEAPOT_HEADER
    response = teapot_client.post("/predict", json=SETOSA)
    what = f"POST /predict (get_model raises HTTPException({TEAPOT_STATUS}))"
    expect_status(response, TEAPOT_STATUS, what)
    error = envelope(response, what)
    expect_code(error, "http_error", what)
    expect(
        error["message"] == TEAPOT_DETAIL,
        f"{what} answered message {error['message']!r}; expected the HTTPException's detail "
        f"{TEAPOT_DETAIL!r}",
    )
    expect(
        response.headers.get(name) == value,
        f"{what}: the exception carried the header {name}: {value}, the answer has "
        f"{name}: {response.headers.get(name)!r}; keep every header of the exception",
    )
    with started_with_override(
        app, iris_model, conflict_model, raise_server_exceptions=False
    ) as test_client:
        response = test_client.post("/predict", json=SETOSA)
    what = f"POST /predict (get_model raises HTTPException({CONFLICT_STATUS}))"
    expect_status(response, CONFLICT_STATUS, what)
    error = envelope(response, what)
    expect(
        error["code"] == "conflict",
        f"{what} answered code {error['code']!r}; expected 'conflict', "
        f"HTTP_ERROR_CODES[{CONFLICT_STATUS}]: the code of every status comes from the table, "
        "not only 404's and 405's",
    )
    expect(
        error["message"] == CONFLICT_DETAIL,
        f"{what} answered message {error['message']!r}; expected the HTTPException's detail "
        f"{CONFLICT_DETAIL!r}",
    )


@check(
    points=7,
    hint="An unknown path never reaches your routes: the framework raises its own exception. "
    'Which class does your handler catch? Handout: "Unknown routes and wrong methods: '
    "Starlette's HTTPException\".",
    more="Register the handler for starlette.exceptions.HTTPException, not fastapi's: Starlette "
    "raises its own HTTPException for a path no route matches.",
)
def test_unknown_route_is_404_in_the_envelope(model_client):
    """A path that no route matches (GET /no/such/page, POST /nothing-here) answers 404 in the
    envelope with code "not_found"."""
    for method, path in (("GET", "/no/such/page"), ("POST", "/nothing-here")):
        response = model_client.request(method, path)
        expect_status(response, 404, f"{method} {path}")
        expect_code(envelope(response, f"{method} {path}"), "not_found", f"{method} {path}")


@check(
    points=7,
    hint="A handler that builds a new answer loses the headers the exception carried unless it"
    " passes them on. Handout: \"Unknown routes and wrong methods: Starlette's "
    'HTTPException".',
    more="The HTTPException handler must pass exc.headers on to the answer: Starlette's 405 "
    "carries an Allow header that says which methods the path accepts.",
)
def test_wrong_method_is_405_in_the_envelope_with_allow(model_client):
    """DELETE /flowers/1 and GET /predict answer 405 in the envelope with code
    "method_not_allowed", and keep the Allow header naming the methods the path accepts."""
    for method, path, allowed in (("DELETE", "/flowers/1", "GET"), ("GET", "/predict", "POST")):
        response = model_client.request(method, path)
        what = f"{method} {path}"
        expect_status(response, 405, what)
        expect_code(envelope(response, what), "method_not_allowed", what)
        allow = response.headers.get("Allow")
        expect(allow is not None, f"{what} answered 405 without an Allow header")
        methods = {part.strip().upper() for part in allow.split(",")}
        expect(
            allowed in methods,
            f"{what} answered 405 with Allow header {allow!r}; it must name {allowed}",
        )


# ---------------------------------------------------------------- request ids


# 52 characters: longer than a UUID (36), within the contract's 64
LONG_REQUEST_ID = "Grader-Echo-Long-0123456789-abcdefghij-KLMNOPQRST-52"
# 64 characters: the longest id the contract echoes
LONGEST_REQUEST_ID = "Grader-Echo-Longest-0123456789-abcdefghij-KLMNOPQRSTUVWXYZ-xy-64"


@check(
    points=7,
    hint="A caller's id comes back exactly as sent (up to 64 characters), in the header and in"
    ' the envelope. Handout: "Middleware and request.state: the request id" and the '
    'contract, "The request id".',
    more="In the middleware, use request.headers.get('X-Request-ID') when it is there (as it "
    "is: no case change, no strip), keep it in request.state.request_id, and set "
    "response.headers['X-Request-ID'].",
)
def test_request_id_is_echoed(model_client):
    """A request that sends X-Request-ID (1 to 64 letters of both cases, digits and "-") gets
    exactly the same value back in the X-Request-ID header, on a success and on an error, and
    in the envelope's request_id: a short id, one longer than a UUID, one of 64 characters
    (the longest the contract echoes) and one of a single digit (the shortest)."""
    for sent in ("Grader-Echo-200-aB", LONG_REQUEST_ID, LONGEST_REQUEST_ID, "7"):
        response = model_client.get("/flowers/1", headers={REQUEST_ID: sent})
        expect_status(response, 200, "GET /flowers/1")
        expect(
            response.headers.get(REQUEST_ID) == sent,
            f"GET /flowers/1 sent X-Request-ID: {sent} ({len(sent)} characters) and got back "
            f"X-Request-ID: {response.headers.get(REQUEST_ID)!r}; echo it exactly (any id of 1 "
            "to 64 letters, digits and '-' is echoed: 64 characters and a "
            "single digit too)",
        )
    sent = "Grader-Echo-404-cD"
    response = model_client.get("/flowers/99", headers={REQUEST_ID: sent})
    expect(
        response.headers.get(REQUEST_ID) == sent,
        f"GET /flowers/99 sent X-Request-ID: {sent} and got back "
        f"X-Request-ID: {response.headers.get(REQUEST_ID)!r}; echo it exactly",
    )
    error = envelope(response, "GET /flowers/99")
    expect(
        error["request_id"] == sent,
        f"GET /flowers/99 sent X-Request-ID: {sent}; the envelope says request_id "
        f"{error['request_id']!r}",
    )


@check(
    points=5,
    hint="No id, or an empty one, means a new id for each request, the same in the header and "
    'in the envelope. Handout: the contract, "The request id".',
    more="When the caller sends no X-Request-ID, make a new one (uuid.uuid4()) for each "
    "request, and use that same id in the header and in the envelope.",
)
def test_request_id_is_generated_when_missing(model_client):
    """Without an X-Request-ID header (or with an empty one), each response still has one, new
    for every request, and an error's envelope carries the same id as its header (without the
    header and with an empty one)."""
    first = model_client.get("/flowers/1").headers.get(REQUEST_ID)
    second = model_client.get("/flowers/1").headers.get(REQUEST_ID)
    expect(
        first and second,
        f"two GET /flowers/1 without X-Request-ID answered X-Request-ID {first!r} and "
        f"{second!r}; expected a generated id on each",
    )
    expect(first != second, f"two requests got the same generated request id {first!r}")
    given_empty = model_client.get("/flowers/1", headers={REQUEST_ID: ""}).headers.get(REQUEST_ID)
    expect(
        given_empty and given_empty.strip(),
        f"GET /flowers/1 sent an empty X-Request-ID and got back X-Request-ID {given_empty!r}; "
        "an empty header counts as none: make a new id",
    )
    for sent, how in ((None, "without X-Request-ID"), ("", "with an empty X-Request-ID")):
        response = model_client.get(
            "/flowers/99", headers={} if sent is None else {REQUEST_ID: sent}
        )
        header = response.headers.get(REQUEST_ID)
        error = envelope(response, f"GET /flowers/99 {how}")
        expect(
            header and error["request_id"] == header,
            f"GET /flowers/99 {how} answered the header {header!r} but the envelope "
            f"request_id {error['request_id']!r}; they must be the same new id",
        )


# ---------------------------------------------------------------- validation errors


@check(
    points=8,
    hint="A friendlier 422 is still a 422: one entry per problem, built from where and what, "
    'never from the value sent. Handout: "A friendlier 422 that stays 422".',
    more="Register a handler for RequestValidationError that answers 422 (not 400) with code "
    '"validation_error" and one {"field", "problem"} per entry of exc.errors(). Build each '
    'entry from "loc" and "msg" only: never copy "input" (or the whole error) into the answer.'
    ' The problem is msg as it is, only without a leading "Value error, " (str.removeprefix).',
)
def test_validation_error_stays_422_and_lists_each_field(model_client):
    """POST /predict with a word for sepal_width, a negative petal_length and no petal_width
    answers 422 in the envelope, code "validation_error", with a "fields" entry (field and
    problem) for each of the three, each problem in words rather than Pydantic's error type
    (such as "missing"), each problem the error's msg as Pydantic wrote it, and the answer (body
    and headers) repeats neither the refused word nor the refused number; nor does the 422 of
    a flower whose petal is longer than its sepal repeat the body it refused (here with one
    more key, a secret). The problems of the handout's own validators (that flower's rule,
    and an observer's e-mail without "@") are their messages, without "Value error, "."""
    body = {"sepal_length": 5.1, "sepal_width": REFUSED_WORD, "petal_length": REFUSED_NUMBER}
    response = model_client.post("/predict", json=body)
    what = f"POST /predict with {json.dumps(body)}"
    expect_status(response, 422, what)
    error = envelope(response, what)
    expect_code(error, "validation_error", what)
    found = problems_by_field(error, what)
    missing = {"sepal_width", "petal_length", "petal_width"} - set(found)
    expect(
        not missing, f"{what}: fields names {sorted(found)}; it must also name {sorted(missing)}"
    )
    for field, problem in found.items():
        expect(
            problem.strip() not in ERROR_TYPES,
            f"{what}: the problem of {field!r} is {problem!r}, an error type; the problem is "
            "the error's msg, in plain words (such as 'Field required')",
        )
    expected = pydantic_messages(body)
    for field in ("sepal_width", "petal_length", "petal_width"):
        expect_words(found[field], expected[field], field, what)
    for refused in (REFUSED_WORD, str(REFUSED_NUMBER)):
        expect(
            refused not in response.text + str(response.headers),
            f"{what} answered 422 with the refused value {refused!r} in it: "
            f"{response.text[:300]!r}; never copy an error's input into the answer",
        )
    body = {**SETOSA, "petal_length": 6.0, "password": REFUSED_WORD}
    response = model_client.post("/predict", json=body)
    what = f"POST /predict with {json.dumps(body)} (a petal longer than its sepal)"
    expect_status(response, 422, what)
    error = envelope(response, what)
    expect(
        REFUSED_WORD not in response.text + str(response.headers),
        f"{what} answered 422 with the refused body's {REFUSED_WORD!r} in it: "
        f"{response.text[:300]!r}; never copy an error's input (here the whole body) into "
        "the answer",
    )
    # The handout's own validators: the flower's rule, and the observer's e-mail.
    for field, problem in problems_by_field(error, what).items():
        expect_words(problem, PETAL_RULE, field, what)
    body = {"measurement": SETOSA, "observer": {**OBSERVER, "email": BAD_EMAIL}}
    response = model_client.post("/observations", json=body)
    what = f"POST /observations with the observer e-mail {BAD_EMAIL!r}"
    expect_status(response, 422, what)
    for field, problem in problems_by_field(envelope(response, what), what).items():
        expect_words(problem, EMAIL_RULE, field, what)


# Each case: the requests it sends, as (method, path, body, the field "fields" must name).
NESTED_CASES = {
    "nested-body-field": [
        (
            "POST",
            "/observations",
            {"measurement": {**SETOSA, "petal_length": "long"}, "observer": OBSERVER},
            "measurement.petal_length",
        )
    ],
    "batch-item": [
        (
            "POST",
            "/predict/batch",
            {"items": [SETOSA, {**SETOSA, "petal_width": -1.0}]},
            "items.1.petal_width",
        )
    ],
    # A query parameter, and a path parameter (loc ("path", "flower_id")).
    "query-parameter": [
        ("GET", "/flowers?limit=0", None, "limit"),
        ("GET", "/flowers/abc", None, "flower_id"),
    ],
    "whole-body-rule": [("POST", "/predict", {**SETOSA, "petal_length": 6.0}, "body")],
}


@check(
    points=2,
    hint="Each problem names its field by the path Pydantic gives (its loc), written as the "
    'contract says. Handout: the contract, "Validation errors".',
    more='Join the error\'s loc with "." after dropping its first item ("body", "query"...): '
    '("body", "items", 1, "petal_width") is "items.1.petal_width"; when nothing is left, keep '
    'that first item ("body"). Remove a leading "Value error, " from the problem.',
)
@pytest.mark.parametrize("case", list(NESTED_CASES))
def test_bad_value_is_named_by_its_path(model_client, case):
    """A bad value inside a nested object, inside a list, in the query string or in the path
    is named by its dotted path in "fields": measurement.petal_length, items.1.petal_width,
    limit, flower_id (GET /flowers/abc); a rule on the whole body (a petal longer than its
    sepal) is named "body", and its problem has no leading "Value error, "."""
    for method, path, body, field in NESTED_CASES[case]:
        response = model_client.request(method, path, json=body)
        what = f"{method} {path}" + (f" with {json.dumps(body)}" if body else "")
        error = envelope(response, what)
        expect_code(error, "validation_error", what)
        found = problems_by_field(error, what)
        location = ' (its loc starts with "path")' if path.startswith("/flowers/") else ""
        expect(
            field in found,
            f'{what}: "fields" names {sorted(found)}; expected {field!r}{location}: the '
            'contract drops a first item "body", "query", "path", "header" or "cookie"',
        )
        expect(
            not found[field].startswith("Value error"),
            f"{what}: the problem of {field!r} is {found[field]!r}; remove Pydantic's leading "
            '"Value error, "',
        )


# ---------------------------------------------------------------- unexpected errors


@check(
    points=6,
    hint="The catch-all handler answers every exception no other handler takes, whatever its "
    'class, outside your middleware. Handout: "The catch-all: a 500 that leaks nothing".',
    more="Register a handler for Exception itself (not a subclass such as RuntimeError): it "
    'answers 500 with code "internal_error". It runs outside your middleware, so '
    "error_response must set X-Request-ID itself.",
)
def test_unexpected_error_is_500_in_the_envelope(app, iris_model: Path):
    """When the model raises an unexpected error, a RuntimeError or an exception of a class
    of the grader's own (derived from Exception only), POST /predict answers 500 in the
    envelope with code "internal_error", and the X-Request-ID header and request_id are both
    the id the request sent; so do POST /predict/batch (the model's predict raises a
    RuntimeError) and GET /model (reading the model's metadata raises one)."""
    for replacement, raised, routes in (
        (broken_model, "RuntimeError", BROKEN_ROUTES),
        (melting_model, f"{ModelMeltdown.__name__}, a plain Exception subclass", BROKEN_ROUTES[:1]),
    ):
        with started_with_override(
            app, iris_model, replacement, raise_server_exceptions=False
        ) as test_client:
            answers = [
                (route, broken_predict(test_client, raised=raised, route=route)) for route in routes
            ]
        for (method, path, _, failing), response in answers:
            what = f"{method} {path} (the model's {failing} raises {raised})"
            error = envelope(response, what)
            expect_code(error, "internal_error", what)
            header = response.headers.get(REQUEST_ID)
            expect(
                header and header == error["request_id"],
                f"{what} answered 500 with X-Request-ID {header!r} and request_id "
                f"{error['request_id']!r}; every answer, even a 500, carries the request id in "
                "both",
            )
            sent = "grader-500-check"
            expect(
                header == sent,
                f"{what} sent X-Request-ID: {sent} and the 500 answered X-Request-ID "
                f"{header!r}; a 500 keeps the request's id (the one the middleware chose, here "
                "the caller's), it does not make a new one",
            )


@check(
    points=8,
    hint="What went wrong inside belongs in the log, never in the answer (body or headers). "
    'Handout: "The catch-all: a 500 that leaks nothing".',
    more="The 500 message must be a fixed sentence: never str(exc), the exception's class, a "
    "traceback or a file path, in the body or in a header. Those go to the log.",
)
def test_500_leaks_no_internals(broken_client, submission_dir: Path):
    """The 500 answer to an unexpected error is the envelope and contains nothing of the
    error, in its body or in its headers: not its message, its class name, a traceback or a
    file path (a .py file, the app's folder, the Python installation, the home folder). The
    same holds for POST /predict/batch and GET /model with the same broken model."""
    folders = folders_to_hide(submission_dir)
    for route in BROKEN_ROUTES:
        method, path, _, failing = route
        response = broken_predict(broken_client, route=route)
        what = f"{method} {path} (broken model)"
        expect_code(envelope(response, what), "internal_error", what)
        raised = f"the model's {failing} raised RuntimeError({SECRET_MESSAGE!r})"
        leaked = leaks_in(response.text, folders)
        expect(
            not leaked,
            f"{raised} and the 500 answer of {method} {path} shows in its body "
            f"{', '.join(leaked)}: {response.text[:300]!r}",
        )
        for name, value in response.headers.items():
            leaked = leaks_in(f"{name}: {value}", folders)
            expect(
                not leaked,
                f"{raised} and the 500 answer of {method} {path} has a header "
                f"{name}: {value[:200]!r} that shows {', '.join(leaked)}",
            )


@check(
    points=6,
    hint='A log record carries a traceback only when you give it the exception. Handout: "The '
    'catch-all: a 500 that leaks nothing".',
    more="In the Exception handler call logger.error('...', exc_info=exc) (a logger from "
    "logging.getLogger(__name__)): exc_info puts the traceback in the log.",
)
def test_500_is_logged_with_its_traceback(broken_client, caplog):
    """The unexpected error is logged at ERROR level with its traceback and message, so
    whoever runs the service can find the bug."""
    caplog.clear()
    broken_predict(broken_client)
    texts = [support.formatted(record) for record in support.app_errors(caplog.records)]
    expect(
        any("Traceback" in text and "hunter2" in text for text in texts),
        "the model raised RuntimeError during POST /predict, but no ERROR log record carries "
        f"its traceback; the ERROR records were: {[text[:120] for text in texts] or 'none'}",
    )


# ---------------------------------------------------------------- model failures


@check(
    points=7,
    hint="Degrade, don't die: a model that fails to load is logged, and the app starts without"
    ' it. Handout: "Degrade, don\'t die: 503 and Retry-After".',
    more="In lifespan, wrap load_model in try/except, log the error with logger.exception (it "
    "adds the traceback, which says why the loading failed) and set app.state.model = None: "
    "the API must start without its model.",
)
def test_server_starts_without_a_model(app, missing_model, iris_model: Path, tmp_path, caplog):
    """With MODEL_PATH naming a missing file, and then a damaged one (model.joblib holding
    bytes that are no model, beside a good model.json), the app still starts (GET /flowers/1
    answers 200) and logs the loading error at ERROR level with its traceback."""
    damaged = damaged_model(tmp_path / "damaged", iris_model)
    for model_path, naming in (
        (missing_model, "a missing file"),
        (damaged, "a damaged model.joblib (bytes that are no model; its model.json is fine)"),
    ):
        caplog.clear()
        with started_without_model(app, model_path, naming) as test_client:
            response = test_client.get("/flowers/1")
        expect_status(response, 200, f"with MODEL_PATH naming {naming}, GET /flowers/1")
        records = support.app_errors(caplog.records)
        expect(
            records,
            f"with MODEL_PATH naming {naming} the model could not be loaded, but nothing was "
            "logged at ERROR level at start-up",
        )
        texts = [support.formatted(record) for record in records]
        expect(
            any("Traceback" in text for text in texts),
            f"with MODEL_PATH naming {naming} the model could not be loaded, but no ERROR log "
            "record carries the loading error's traceback (the log must say why): the ERROR "
            f"records were {[text[:120] for text in texts]}; log it with logger.exception "
            "inside the except",
        )


@check(
    points=7,
    hint="Every model route gets its model through one dependency; that is the one place to "
    'refuse when there is none. Handout: "Degrade, don\'t die: 503 and Retry-After".',
    more="Make get_model raise ModelUnavailableError when no model is loaded, and answer it "
    'with a handler: 503, code "model_unavailable". Every model route, /models/{version} '
    "included, takes its model from get_model.",
)
def test_missing_model_is_503_in_the_envelope(client_without_model, missing_model: Path):
    """Without a model, POST /predict, POST /predict/batch, GET /model and
    GET /models/grader-1.0 answer 503 in the envelope with code "model_unavailable", and
    say nothing of why the model could not be loaded (neither the path of the model file, nor
    its name, nor the loading error's text, in the body or in a header): that goes to the
    log."""
    for method, path, body in (
        ("POST", "/predict", SETOSA),
        ("POST", "/predict/batch", {"items": [SETOSA]}),
        ("GET", "/model", None),
        ("GET", f"/models/{GRADER_VERSION}", None),
    ):
        response = client_without_model.request(method, path, json=body)
        what = f"{method} {path} (no model loaded)"
        expect_status(response, 503, what)
        expect_code(envelope(response, what), "model_unavailable", what)
        answer = response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        leaked = [
            repr(text)
            for text in (
                *LOADING_LEAKS,
                str(missing_model.parent),
                missing_model.parents[1].name,
                missing_model.name,
            )
            if text in answer
        ]
        expect(
            not leaked,
            f"{what}: the 503 tells why the model could not be loaded; it must say only that "
            "no model is loaded: the path and the loading error go to the log (the file's name "
            f"too). It shows {', '.join(leaked[:2])}: {response.text[:200]!r}",
        )


@check(
    points=5,
    hint="A 503 tells the caller when to come back, in a header. Handout: \"Degrade, don't die:"
    ' 503 and Retry-After".',
    more="Give the 503 a Retry-After header: a whole number of seconds as a string, "
    'e.g. headers={"Retry-After": "30"}.',
)
def test_503_says_when_to_retry(client_without_model):
    """The 503 of POST /predict without a model has a Retry-After header: a whole number of
    seconds, more than 0."""
    response = client_without_model.post("/predict", json=SETOSA)
    expect_status(response, 503, "POST /predict (no model loaded)")
    value = response.headers.get("Retry-After")
    expect(
        value is not None and value.strip().isdigit() and int(value) > 0,
        f"POST /predict (no model loaded) answered 503 with Retry-After {value!r}; expected a "
        "whole number of seconds such as '30'",
    )


# ---------------------------------------------------------------- model versions


@check(
    points=4,
    hint="GET /models/{version} answers the loaded model's metadata for its own version. "
    'Handout: the contract, "Routes".',
    more="GET /models/{version} answers the loaded model's metadata when version is the "
    "loaded model's version.",
)
def test_loaded_model_version_is_found(model_client, iris_model: Path):
    """GET /models/grader-1.0 (the loaded model's version) answers 200 with its metadata:
    the same version, classes, features and metrics as GET /model."""
    response = model_client.get(f"/models/{GRADER_VERSION}")
    what = f"GET /models/{GRADER_VERSION}"
    expect_status(response, 200, what)
    answer = support.json_or_fail(response, what)
    metadata = json.loads(iris_model.with_suffix(".json").read_text())
    for field in ("version", "classes", "features", "metrics"):
        expect(
            isinstance(answer, dict) and answer.get(field) == metadata[field],
            f"{what} answered {json.dumps(answer)[:200]}; expected {field}={metadata[field]!r} "
            "(the same body as GET /model)",
        )


@check(
    points=5,
    hint="A version that is not the loaded one is an error of your own class, with its own "
    'handler. Handout: "Your own exception classes, and their handlers".',
    more="Compare version == model.version (exactly: no prefix either way, no case folding, no "
    "alias such as latest), raise UnknownModelVersionError otherwise and answer it with a handler: "
    '404, code "unknown_model_version", a message naming the version asked for.',
)
def test_unknown_model_version_is_404_in_the_envelope(model_client):
    """GET /models/0.0.0-nope answers 404 in the envelope with code "unknown_model_version"
    and a message that names the version asked for; so do grader-1, grader-1.0.1, GRADER-1.0
    and latest, which are not exactly the loaded version grader-1.0 (no alias either)."""
    for version in ("0.0.0-nope", "grader-1", f"{GRADER_VERSION}.1", "GRADER-1.0", "latest"):
        response = model_client.get(f"/models/{version}")
        what = f"GET /models/{version}"
        expect(
            response.status_code != 200,
            f"{what} answered 200, but the loaded version is {GRADER_VERSION!r}: a version is "
            "found only when it equals the loaded one exactly (no prefix either way, no case "
            "folding, no alias such as latest)",
        )
        expect_status(response, 404, what)
        error = envelope(response, what)
        expect_code(error, "unknown_model_version", what)
        expect(
            version in error["message"],
            f"{what} answered message {error['message']!r}; it must name the version asked for",
        )
