"""Lab 05 checks: health checks, request ids, timing, JSON logs and Prometheus metrics.

The app is started (its lifespan runs) afresh for every check, with ``MODEL_PATH`` set first:

* ``model_client``: the grader's own model (``iris_model``, version ``grader-1.0``);
* no model: a path where no file exists, so loading fails (the checks start it themselves);
* ``broken_model_client``: a file that joblib loads but that is not a model (a plain dict),
  with a valid model.json beside it (``broken_model``), so loading may succeed but any
  prediction fails (the app may also refuse it at start-up: the handout leaves that open);
* ``slow_client``: the grader's model, with ``main.get_model`` overridden
  (``support.overridden``) so that every prediction takes at least ``SLOW_SECONDS``: a request
  whose duration is known, to check the units of the timings;
* ``crashing_client``: the grader's model, with ``main.get_model`` overridden the same way by
  a model whose ``predict`` raises (``CrashingModel``): a crash of ``POST /predict`` that does
  not depend on what the app's lifespan does with a broken file.

Metrics accumulate while an app runs, so metric checks compare values before and after their
own requests. Log records are read from the loggers ``iris.access`` and ``iris.predictions``
by a handler the check adds to them, whatever handlers the app sets up (in secure mode the
records the app logs in its sandbox are logged again here, so the same handler sees them);
each record's ``getMessage()`` must be a JSON object. Importing main.py twice, and starting a
fresh app to read its first uptime, happen in a process of their own
(``support.served_apart``): the checks decide on that app's HTTP answers, never on a reply
that code running beside the student's could write.
"""

from __future__ import annotations

import json
import logging
import math
import re
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import Request

from autograder import check
from autograder.iris import GRADER_VERSION
from autograder.suites import support
from autograder.suites.support import SETOSA, VERSICOLOR, VIRGINICA

SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
TEMPLATE = "/flowers/{flower_id}"
MAX_UPTIME = 600.0  # seconds: no grading run lasts this long, an epoch timestamp is far beyond
SLOW_SECONDS = 0.25  # how much slower the slow model predicts
# Seconds between starting a fresh app and its first GET /health: one wait drawn in each
# range, for each grading, asked in an order drawn too, each of a process of its own. A
# first /health must report at least its wait, and at most the time since its process was
# started: an uptime that counts from the first call, plus any constant, misses one of them.
SHORT_WAITS = (0.3, 0.6)
LONG_WAITS = (1.4, 2.0)
WAIT_SLACK = 0.05  # seconds: the app's clock and the grader's are the same monotonic clock


# ---------------------------------------------------------------- starting the app


class ExplainedStatus(int):
    """A status code that, written into a message, also says what the app raised to give
    it: ``500: NotImplementedError (raised at health.py, line 49, in health)``. It compares
    and computes as the plain number."""

    def __new__(cls, value: int, note: str) -> ExplainedStatus:
        status = super().__new__(cls, value)
        status.note = note
        return status

    def __format__(self, spec: str) -> str:
        return f"{int(self)}: {self.note}" if not spec else format(int(self), spec)

    __str__ = __format__


class CrashRecorder:
    """The app, seen by the TestClient: remembers the exception a request raised out of it
    (lab 04's handler answers it with 500 first), so that the check can say where it came
    from. Attributes are the app's own."""

    def __init__(self, app) -> None:
        object.__setattr__(self, "_app", app)
        object.__setattr__(self, "last", None)

    def __getattr__(self, name: str):
        return getattr(self._app, name)

    def __setattr__(self, name: str, value) -> None:
        if name == "last":
            object.__setattr__(self, name, value)
        else:
            setattr(self._app, name, value)

    async def __call__(self, scope, receive, send) -> None:
        try:
            await self._app(scope, receive, send)
        except Exception as error:
            if scope.get("type") == "http":
                self.last = error
            raise


def _explaining_crashes(test_client, recorder: CrashRecorder) -> None:
    """Give each 500 the app answered after raising an :class:`ExplainedStatus`. (The
    exception leaves the app after its 500 is sent, so it is read once the call returns.)"""
    send = test_client.request

    def request(*args, **kwargs):
        recorder.last = None
        response = send(*args, **kwargs)
        if response.status_code == 500 and recorder.last is not None:
            response.status_code = ExplainedStatus(500, support.crash_text(recorder.last))
        recorder.last = None
        return response

    test_client.request = request


@contextmanager
def started(app, model_path: Path, what: str) -> Iterator:
    """A TestClient for ``app`` started (lifespan run) with MODEL_PATH=model_path."""
    recorder = CrashRecorder(app)
    with support.started(
        recorder,
        failure=f"MODEL_PATH pointing to {what}",
        advice="Catch the error, log it and start anyway.",
        environment={"MODEL_PATH": str(model_path)},
        raise_server_exceptions=False,
    ) as test_client:
        _explaining_crashes(test_client, recorder)
        yield test_client


@pytest.fixture
def model_client(app, iris_model: Path) -> Iterator:
    """The app started with the grader's model."""
    with started(app, iris_model, "the grader's model") as test_client:
        yield test_client


def broken_model(iris_model: Path, tmp_path: Path) -> Path:
    """A model file that holds a dict instead of a fitted pipeline, with a valid model.json."""
    import joblib

    folder = tmp_path / "broken"
    folder.mkdir(exist_ok=True)
    joblib.dump({"weights": [0.1, 0.2, 0.3]}, folder / "model.joblib")
    (folder / "model.json").write_text(iris_model.with_suffix(".json").read_text())
    return folder / "model.joblib"


def three_feature_model(iris_model: Path, tmp_path: Path) -> Path:
    """A model file holding a classifier fitted on three measurements (it has predict_proba
    and classes_, and predicting four measurements raises ValueError), with a valid
    model.json."""
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    features, species = load_iris(return_X_y=True)
    classifier = LogisticRegression(max_iter=500).fit(features[:, :3], species)
    folder = tmp_path / "three-features"
    folder.mkdir(exist_ok=True)
    joblib.dump(classifier, folder / "model.joblib")
    (folder / "model.json").write_text(iris_model.with_suffix(".json").read_text())
    return folder / "model.joblib"


@pytest.fixture
def broken_model_client(app, iris_model: Path, tmp_path: Path) -> Iterator:
    """The app started with a model file that holds a dict instead of a fitted pipeline."""
    broken = broken_model(iris_model, tmp_path)
    with started(app, broken, "a file that is not a model") as test_client:
        yield test_client


class SlowModel:
    """The app's own model, made slow: each ``predict`` waits SLOW_SECONDS first."""

    def __init__(self, model) -> None:
        self._model = model

    def __getattr__(self, name: str):
        return getattr(self._model, name)

    def predict(self, measurements):
        time.sleep(SLOW_SECONDS)
        return self._model.predict(measurements)


def slow_model(request: Request) -> SlowModel:
    """The dependency the grader puts in place of get_model: the model the app loaded (from
    the app's own ``main.get_model``, in the process that serves the app), made slow."""
    return SlowModel(sys.modules["main"].get_model(request))


@pytest.fixture
def slow_client(app, iris_model: Path) -> Iterator:
    """The app started with the grader's model, each prediction SLOW_SECONDS slower."""
    missing = "main.py has no get_model: keep `from model import get_model as get_model`"
    with (
        support.overridden(app, "get_model", slow_model, missing=missing),
        started(app, iris_model, "the grader's model") as test_client,
    ):
        yield test_client


class CrashingModel:
    """Looks like the loaded model, but every prediction raises: a bug in the model."""

    version = GRADER_VERSION
    metadata = {"version": GRADER_VERSION}

    def predict(self, measurements):
        raise RuntimeError("the grader's model crashes on purpose")


def crashing_model() -> CrashingModel:
    """The dependency the grader puts in place of get_model to make POST /predict crash."""
    return CrashingModel()


@contextmanager
def started_crashing(app, iris_model: Path) -> Iterator:
    """The app started with the grader's model, get_model giving a model whose every
    prediction raises RuntimeError."""
    missing = "main.py has no get_model: keep `from model import get_model as get_model`"
    with (
        support.overridden(app, "get_model", crashing_model, missing=missing),
        started(app, iris_model, "the grader's model") as test_client,
    ):
        yield test_client


@pytest.fixture
def crashing_client(app, iris_model: Path) -> Iterator:
    """The app started with the grader's model, every prediction raising RuntimeError."""
    with started_crashing(app, iris_model) as test_client:
        yield test_client


# ---------------------------------------------------------------- helpers


def as_text_note(value, wanted) -> str:
    """`` (a text, not a number)`` when a number was logged as its text: "500" for 500."""
    if isinstance(value, str) and is_number(wanted) and value.strip() == str(wanted):
        return " (a text, not a number)"
    return ""


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def fields_of(records: list[logging.LogRecord], logger: str) -> list[dict]:
    """The JSON object in each record's message."""
    found = []
    for record in records:
        message = record.getMessage()
        try:
            fields = json.loads(message)
        except ValueError:
            fields = None
        assert isinstance(fields, dict), (
            f"a record of the {logger!r} logger has the message {message[:200]!r}; "
            "the message must be one JSON object (json.dumps of a dict)"
        )
        found.append(fields)
    return found


def metric_samples(test_client) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of GET /metrics as (sample name, labels, value)."""
    response = test_client.get("/metrics")
    assert response.status_code == 200, f"GET /metrics answered {response.status_code}"
    return parsed_samples(response.text)


def parsed_samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """The samples of a text in the Prometheus format as (sample name, labels, value)."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        families = list(text_string_to_metric_families(text))
    except Exception as error:
        pytest.fail(
            f"GET /metrics is not in the Prometheus text format ({error}); serve "
            "prometheus_client.generate_latest(registry)",
            pytrace=False,
        )
    return [
        (sample.name, dict(sample.labels), float(sample.value))
        for family in families
        for sample in family.samples
    ]


def total(samples, name: str, **labels: str) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels``."""
    return sum(
        value
        for sample, given, value in samples
        if sample == name and all(given.get(key) == wanted for key, wanted in labels.items())
    )


def require_metric(samples, name: str) -> None:
    names = sorted({sample for sample, _, _ in samples})
    if name not in names:
        pytest.fail(
            f"GET /metrics has no {name} samples; it has {names[:15] or 'no samples at all'}",
            pytrace=False,
        )


# ---------------------------------------------------------------- /health


@check(
    points=6,
    hint="/health says the process is alive: its status, the API's own version and its uptime."
    ' Handout: "Liveness and readiness: two different questions" and the contract, '
    '"Routes".',
    more='GET /health returns {"status": "ok", "version": request.app.version, '
    '"uptime_seconds": ...}: the version of the API (FastAPI(version=...)), not of the model.',
)
def test_health_reports_ok_and_the_service_version(model_client):
    """GET /health answers 200 with status "ok", the service's version (the one in
    /openapi.json) and uptime_seconds."""
    response = model_client.get("/health")
    assert response.status_code == 200, f"GET /health answered {response.status_code}"
    answer = support.json_or_fail(response, "GET /health")
    assert answer.get("status") == "ok", f"GET /health answered status={answer.get('status')!r}"
    version = support.json_or_fail(model_client.get("/openapi.json"), "GET /openapi.json")["info"][
        "version"
    ]
    assert answer.get("version") == version, (
        f"GET /health answered version={answer.get('version')!r}; the service's version "
        f"(info.version in /openapi.json) is {version!r}"
    )
    assert "uptime_seconds" in answer, f"GET /health answered {answer}: no uptime_seconds"


@check(
    points=5,
    hint="Uptime is a duration measured from when the service started, with a clock that never"
    ' jumps. Handout: the contract, "Routes".',
    more="uptime_seconds is time.monotonic() now minus time.monotonic() when the service "
    "started (STARTED_AT, not the first call): a float, never an epoch timestamp, never "
    "rounded to whole seconds.",
)
def test_uptime_counts_seconds_since_start(model_client, iris_model: Path, submission_dir: Path):
    """uptime_seconds is a number of seconds, at least 0, that grows as time passes; it
    counts from the start of the service: a first GET /health made some time after the app
    started (freshly imported, in a process of its own) reports at least that time, and no
    more than the time since its process was started. Two fresh apps are asked, one soon
    after its start and one later (waits drawn for each grading, between 0.3 and 2 s)."""
    first = support.json_or_fail(model_client.get("/health"), "GET /health").get("uptime_seconds")
    time.sleep(0.3)
    second = support.json_or_fail(model_client.get("/health"), "GET /health").get("uptime_seconds")
    for value in (first, second):
        assert is_number(value) and 0 <= value < MAX_UPTIME, (
            f"GET /health answered uptime_seconds={value!r}; expected the seconds since the "
            "service started (a number >= 0, not a timestamp)"
        )
    assert 0.1 <= second - first <= 60, (
        f"GET /health answered uptime_seconds={first!r}, then {second!r} 0.3 s later; "
        "the uptime must grow with the time (in seconds, not rounded)"
    )
    draw = secrets.SystemRandom()
    waits = [round(draw.uniform(*SHORT_WAITS), 2), round(draw.uniform(*LONG_WAITS), 2)]
    draw.shuffle(waits)
    for wait in waits:
        first_uptime_fits(iris_model, submission_dir, wait)


def first_uptime_fits(iris_model: Path, submission_dir: Path, wait: float) -> None:
    """A process of its own starts the app; its first GET /health, ``wait`` seconds after the
    app started, reports between ``wait`` and the seconds since that process was started."""
    spawned_at = time.monotonic()
    with support.served_apart(
        submission_dir,
        what="starting the app afresh (a new process, MODEL_PATH set)",
        before_import={"MODEL_PATH": str(iris_model)},
        raise_server_exceptions=False,
        new_process=True,
    ) as served:
        time.sleep(wait)
        response = served.get("/health", what="the first GET /health of a freshly started app")
        since_spawned = time.monotonic() - spawned_at
        fresh = {"status": response.status_code, "text": response.text}
    try:
        uptime = json.loads(fresh["text"]).get("uptime_seconds")
    except (ValueError, AttributeError):
        uptime = None
    assert fresh["status"] == 200 and is_number(uptime) and uptime >= wait - WAIT_SLACK, (
        f"the first GET /health, {wait:g} s after the app started, answered "
        f"{fresh['status']} with uptime_seconds={uptime!r}; expected at least {wait:g}: "
        "count from the start of the service (STARTED_AT), not from the first call"
    )
    assert uptime <= since_spawned + WAIT_SLACK, (
        f"the first GET /health, {wait:g} s after the app started, answered uptime_seconds="
        f"{uptime!r}, but its process had been started only {since_spawned:.2f} s before: "
        "count from the start of the service (time.monotonic() when it started), not from "
        "the first call with something added"
    )


@check(
    points=6,
    hint="Liveness is about the process only: /health must not depend on the model. Handout: "
    '"Liveness and readiness: two different questions".',
    more="Liveness is about the process only: /health must not use the model (no model "
    "dependency, no prediction), and lifespan must catch a failed model load, log it, and let "
    "the app start.",
)
def test_health_is_200_even_without_a_model(app, iris_model: Path, tmp_path: Path):
    """With MODEL_PATH pointing to a missing file, or to a file that is not a model (it cannot
    predict), the app still starts, and GET /health answers 200 with status "ok"."""
    setups = [
        (tmp_path / "nowhere" / "model.joblib", "a file that does not exist", "with no model"),
        (
            broken_model(iris_model, tmp_path),
            "a file that is not a model",
            "with a model that cannot predict",
        ),
    ]
    for model_path, what, setup in setups:
        with started(app, model_path, what) as test_client:
            response = test_client.get("/health")
        assert response.status_code == 200, (
            f"GET /health {setup} answered {response.status_code}; expected 200 "
            "(the process is alive even if it cannot predict: leave the model alone)"
        )
        answer = support.json_or_fail(response, "GET /health")
        assert answer.get("status") == "ok", (
            f'GET /health {setup} answered status={answer.get("status")!r}; expected "ok"'
        )


# ---------------------------------------------------------------- /ready


@check(
    points=6,
    hint="Readiness proves the model works: one smoke prediction, then the answer. Handout: "
    '"Liveness and readiness: two different questions".',
    more='GET /ready runs one smoke prediction and returns {"status": "ready", '
    '"model_version": model.version} when it works.',
)
def test_ready_is_200_with_a_working_model(model_client):
    """With the grader's model loaded, GET /ready answers 200 with status "ready" and the
    model's version (from model.json)."""
    response = model_client.get("/ready")
    assert response.status_code == 200, (
        f"GET /ready with a working model answered {response.status_code}; expected 200"
    )
    answer = support.json_or_fail(response, "GET /ready")
    assert answer.get("status") == "ready", (
        f'GET /ready answered status={answer.get("status")!r}; expected "ready"'
    )
    assert answer.get("model_version") == GRADER_VERSION, (
        f"GET /ready answered model_version={answer.get('model_version')!r}; the loaded "
        f"model.json says {GRADER_VERSION!r}"
    )


@check(
    points=6,
    hint='Without a model the service is alive but not ready. Handout: "Liveness and '
    'readiness: two different questions".',
    more="/ready must answer 503 when no model is loaded: get it through the model "
    "dependency (503 without a model) or check app.state.model yourself.",
)
def test_ready_is_503_without_a_model(app, iris_model: Path, tmp_path: Path):
    """With MODEL_PATH pointing to a missing file, GET /ready answers 503; once the app is
    started with a working model, it answers 200."""
    missing = tmp_path / "nowhere" / "model.joblib"
    with started(app, missing, "a file that does not exist") as test_client:
        response = test_client.get("/ready")
    assert response.status_code == 503, (
        f"GET /ready with no model loaded answered {response.status_code}; expected 503 "
        "(not ready: traffic must not be sent here yet)"
    )
    with started(app, iris_model, "the grader's model") as test_client:
        response = test_client.get("/ready")
    assert response.status_code == 200, (
        f"GET /ready with a working model answered {response.status_code}; expected 200"
    )


@check(
    points=6,
    hint="A loaded file is not yet a working model: what if the smoke prediction raises? "
    'Handout: "Liveness and readiness: two different questions".',
    more="A loaded file is not a working model: /ready must try one prediction and answer "
    "503 if it raises (catch the exception).",
)
def test_ready_is_503_when_the_smoke_prediction_fails(
    broken_model_client, app, iris_model: Path, tmp_path: Path
):
    """With a model file that loads but cannot predict (a dict saved with joblib), the app
    starts and GET /ready answers 503; so it does with a classifier trained on three
    measurements, which has predict_proba and classes_ but raises ValueError on four, and
    with get_model replaced by a model whose predict raises RuntimeError."""
    response = broken_model_client.get("/ready")
    assert response.status_code == 503, (
        f"GET /ready with a model that cannot predict answered {response.status_code}; "
        "expected 503 (the smoke prediction fails, so the service is not ready)"
    )
    three = three_feature_model(iris_model, tmp_path)
    with started(app, three, "a classifier trained on three measurements") as test_client:
        response = test_client.get("/ready")
    assert response.status_code == 503, (
        f"GET /ready with a classifier trained on three measurements (its prediction of four "
        f"raises ValueError) answered {response.status_code}; expected 503: whatever the smoke "
        "prediction raises, the service is not ready"
    )
    with started_crashing(app, iris_model) as test_client:
        response = test_client.get("/ready")
    assert response.status_code == 503, (
        f"GET /ready with get_model giving a model whose predict raises RuntimeError answered "
        f"{response.status_code}; expected 503: whatever the smoke prediction raises (not only "
        "the errors a broken file gives), the service is not ready"
    )


@check(
    points=3,
    hint="The smoke test is not a prediction anyone asked for: it is neither logged nor "
    'counted. Handout: the contract, "Log lines" and "Metrics".',
    more="In /ready call model.predict yourself and keep the result: record_predictions is "
    "for the prediction routes only, so the smoke test is neither logged nor counted.",
)
def test_the_smoke_prediction_is_not_a_served_prediction(model_client):
    """GET /ready (200 with a working model) writes no record on the "iris.predictions" logger
    and leaves predictions_total (which a POST /predict just before has started) as it was:
    its smoke prediction serves no one."""
    served = model_client.post("/predict", json=SETOSA)
    assert served.status_code == 200, f"POST /predict answered {served.status_code}"
    before = metric_samples(model_client)
    require_metric(before, "predictions_total")
    with support.captured("iris.predictions") as records:
        response = model_client.get("/ready")
    assert response.status_code == 200, (
        f"GET /ready with a working model answered {response.status_code}; expected 200"
    )
    lines = [record.getMessage()[:200] for record in records]
    assert not lines, (
        f"GET /ready wrote {len(lines)} records on the 'iris.predictions' logger ({lines}); "
        "its smoke prediction is not a served prediction and writes none"
    )
    change = total(metric_samples(model_client), "predictions_total") - total(
        before, "predictions_total"
    )
    assert change == 0, (
        f"GET /ready made predictions_total grow by {change:g}; its smoke prediction must "
        "not be counted"
    )


# ---------------------------------------------------------------- middleware


@check(
    points=6,
    hint="The middleware decides each request's id and puts it on the response. Handout: \"A "
    'middleware that sees every request" and the contract, "Headers on every response".',
    more="In observe_requests, keep request_id_for(request) in request.state.request_id and "
    "set it as the X-Request-ID header of the response call_next gives back.",
)
def test_caller_request_id_is_echoed(model_client):
    """A request sent with a safe X-Request-ID (1 to 64 letters, capitals too, digits, '-',
    '_' or '.') gets the same value back in the X-Request-ID response header, on a success and
    on a 404."""
    cases = [("/flowers/1", "Lab05-Echo-1"), ("/flowers/99", "lab05.echo_2"), ("/", "7" * 64)]
    for path, sent in cases:
        response = model_client.get(path, headers={"X-Request-ID": sent})
        got = response.headers.get("X-Request-ID")
        assert got == sent, (
            f"GET {path} sent with X-Request-ID: {sent} answered {response.status_code} with "
            f"X-Request-ID: {got}; expected the same id back"
        )


@check(
    points=4,
    hint="No id from the caller means a new one, on every response. Handout: the contract, "
    '"Headers on every response".',
    more="When the caller sends no X-Request-ID, request_id_for returns new_request_id(), "
    "and the middleware sets it on the response.",
)
def test_request_id_is_generated_when_missing(model_client):
    """A request without X-Request-ID still gets one in the response, and two requests get
    two different ids."""
    ids = []
    for _ in range(2):
        response = model_client.get("/flowers/1")
        got = response.headers.get("X-Request-ID")
        assert got and SAFE_ID.fullmatch(got), (
            f"GET /flowers/1 without X-Request-ID answered X-Request-ID: {got}; expected a new "
            "id of letters, digits, '-', '_' or '.'"
        )
        ids.append(got)
    assert ids[0] != ids[1], f"two requests got the same X-Request-ID {ids[0]}; ids must differ"


@check(
    points=3,
    hint="Only a safe id (the contract says which characters, and how long) is echoed; "
    'anything else gets a new one. Handout: the contract, "Headers on every response".',
    more="Echo the caller's id only if it is 1 to 64 letters, digits, '-', '_' or '.' "
    "(re.fullmatch); otherwise (an empty one too) generate a new one.",
)
def test_unsafe_request_id_is_replaced(model_client):
    """An X-Request-ID that is empty, too long or holds other characters (a space, ";", ":",
    "/", "+", "=", a letter outside A to Z such as "ê") is not echoed: the response carries a
    new, safe id instead, a different one for each request (not the caller's id cleaned
    up)."""
    unsafe_ids = ("x" * 65, "id with spaces;and=more", "", "user:42/x=1", "tok+en", "lab05 id")
    for sent in (*unsafe_ids, "crêpe-1"):
        shown = f"{sent[:40]}..." if len(sent) > 40 else repr(sent)
        try:
            # Header values travel as bytes: "crêpe-1" is sent in Latin-1, as HTTP allows.
            response = model_client.get(
                "/flowers/1", headers={"X-Request-ID": sent.encode("latin-1")}
            )
        except UnicodeError:  # the client reads only ASCII headers: the answer echoed "ê"
            pytest.fail(
                f"GET /flowers/1 sent with X-Request-ID: {shown} answered an X-Request-ID that "
                "is not ASCII (the caller's id echoed); expected a new id of 1 to 64 "
                "characters, each an ASCII letter (A to Z, a to z), a digit, '-', '_' or '.'",
                pytrace=False,
            )
        got = response.headers.get("X-Request-ID")
        assert got and SAFE_ID.fullmatch(got) and got.isascii(), (
            f"GET /flowers/1 sent with X-Request-ID: {shown} answered X-Request-ID: "
            f"{got!r}; expected a new id of 1 to 64 characters, each an ASCII letter (A to Z, "
            "a to z), a digit, '-', '_' or '.'"
        )
    unsafe = "two requests, one+unsafe id"
    answered = {
        model_client.get("/flowers/1", headers={"X-Request-ID": unsafe}).headers.get("X-Request-ID")
        for _ in range(2)
    }
    assert len(answered) == 2, (
        f"two requests sent with X-Request-ID: {unsafe!r} both answered X-Request-ID: "
        f"{answered.pop()!r}; expected a new id for each request (an unsafe id is replaced, "
        "not cleaned up)"
    )


@check(
    points=5,
    hint="The middleware times the whole answer, so every response gets the header, errors "
    'too. Handout: "A middleware that sees every request".',
    more="Time call_next(request) with time.perf_counter() in the middleware and set "
    "X-Process-Time to the milliseconds as a number: it then covers error responses too.",
)
def test_every_response_has_a_process_time_header(model_client):
    """X-Process-Time (milliseconds, a decimal number >= 0) is on every response: 200, 404
    and 422, and the answers of the probe GET /health too."""
    cases = (("/flowers/1", 200), ("/flowers/99", 404), ("/flowers/abc", 422), ("/health", 200))
    for path, expected in cases:
        response = model_client.get(path)
        assert response.status_code == expected, (
            f"GET {path} answered {response.status_code}; expected {expected}"
        )
        header = response.headers.get("X-Process-Time")
        try:
            value = float(header) if header is not None else None
        except ValueError:
            value = None
        assert value is not None and math.isfinite(value) and value >= 0, (
            f"GET {path} answered {response.status_code} with X-Process-Time: {header}; "
            "expected the milliseconds it took, as a number >= 0 (e.g. 1.234)"
        )


@check(
    points=5,
    hint="A crash gets what every answer gets: both headers, one access log line with the same "
    "fields and types as any other (status a number), and its count. Handout: the contract, "
    '"Headers on every response", "Log lines" and "Metrics".',
    more="When a route raises, call_next raises too: the middleware catches the exception and "
    "answers with lab 04's handler (request.app.exception_handlers[Exception]), then adds the "
    "headers, the log line and the count as for any response. If your middleware already does, "
    "compare the crash's log line with a normal one: same fields, same types.",
)
def test_a_crash_is_still_timed_logged_and_counted(crashing_client):
    """When a route crashes (the grader gives POST /predict, through main.get_model, a model
    whose predict raises RuntimeError, so it answers 500), the 500 is lab 04's error envelope,
    still has X-Request-ID (the envelope's request_id) and X-Process-Time, writes its access
    log line (method, path, status 500, latency_ms and the answer's request_id, as any line:
    the request is sent with an unsafe X-Request-ID, so that id is a new one),
    is counted in http_requests_total with status="500" and is timed in
    http_request_duration_seconds."""
    labels = {"method": "POST", "route": "/predict", "status": "500"}
    timed = {"method": "POST", "route": "/predict"}
    before_samples = metric_samples(crashing_client)
    before = total(before_samples, "http_requests_total", **labels)
    before_timed = total(before_samples, "http_request_duration_seconds_count", **timed)
    with support.captured("iris.access") as records:
        response = crashing_client.post(
            "/predict", json=SETOSA, headers={"X-Request-ID": "lab05 crash/1"}
        )
    assert response.status_code == 500, (
        f"POST /predict with a model whose predict raises RuntimeError answered "
        f"{response.status_code}; expected 500 (lab 04's handler for unexpected errors). The "
        "grader gives /predict that model through main.get_model: take the model from it "
        "(ModelDep) and do not catch the model's errors"
    )
    headers = {name: response.headers.get(name) for name in ("X-Request-ID", "X-Process-Time")}
    assert headers["X-Request-ID"] and headers["X-Process-Time"], (
        f"the 500 of POST /predict has the headers {headers}; expected a request id and the "
        "time it took, as on every response"
    )
    body = support.json_or_fail(response, "the 500 of POST /predict")
    error = body.get("error") if isinstance(body, dict) else None
    given = error.get("request_id") if isinstance(error, dict) else None
    assert given == headers["X-Request-ID"], (
        f"the 500 of POST /predict answered {str(body)[:200]}; expected lab 04's envelope "
        f'{{"error": {{..., "request_id": "{headers["X-Request-ID"]}"}}}} (answer the crash '
        "with request.app.exception_handlers[Exception])"
    )
    lines = fields_of(records, "iris.access")
    statuses = [line.get("status") for line in lines]
    text = " (text, not a number)" if statuses == ["500"] else ""
    assert statuses == [500], (
        f"the 500 of POST /predict wrote access log lines with statuses {statuses}{text}; "
        "expected one line with status 500, a number"
    )
    after = metric_samples(crashing_client)
    require_metric(after, "http_requests_total")
    change = total(after, "http_requests_total", **labels) - before
    assert change == 1, (
        f"after one POST /predict that answered 500, http_requests_total{labels} grew by "
        f"{change:g}; expected 1"
    )
    # The rest compares the crash with an error the app answers itself (a 404): what that
    # answer gets right, the crash must too (what it gets wrong, other checks say).
    crash_fits = line_fits(lines[0], response, "POST", "/predict")
    error_labels = {"method": "GET", "route": TEMPLATE}
    error_timed = total(after, "http_request_duration_seconds_count", **error_labels)
    with support.captured("iris.access") as records:
        not_found = crashing_client.get("/flowers/99", headers={"X-Request-ID": "lab05 error/2"})
    error_lines = fields_of(records, "iris.access")
    error_line = error_lines[0] if len(error_lines) == 1 else {}
    error_fits = line_fits(error_line, not_found, "GET", "/flowers/99")
    wrong = [field for field, fits in error_fits.items() if fits and not crash_fits[field]]
    assert not wrong, (
        "the access log line of the 500 of POST /predict has "
        + ", ".join(f"{field}={lines[0].get(field)!r}" for field in wrong)
        + f", unlike the line of a 404 of the same app; expected the same fields as any line "
        f"(the answer's X-Request-ID is {headers['X-Request-ID']}; the line: {lines[0]})"
    )
    later = metric_samples(crashing_client)
    if total(later, "http_request_duration_seconds_count", **error_labels) - error_timed < 1:
        return  # a 404 is not timed either: "latency histogram per route" says so
    change = total(after, "http_request_duration_seconds_count", **timed) - before_timed
    assert change == 1, (
        f"after one POST /predict that answered 500, "
        f"http_request_duration_seconds_count{timed} grew by {change:g}; expected 1 (a crash "
        "is timed in the histogram like any other answer, as a 404 is)"
    )


def line_fits(line: dict, response, method: str, path: str) -> dict[str, bool]:
    """Which fields of an access log line are right for ``response``."""
    latency = line.get("latency_ms")
    return {
        "method": line.get("method") == method,
        "path": line.get("path") == path,
        "latency_ms": is_number(latency) and latency >= 0,
        "request_id": line.get("request_id") == response.headers.get("X-Request-ID"),
    }


# ---------------------------------------------------------------- logs


@check(
    points=8,
    hint="One JSON object per request on the access logger, with the fields the contract "
    'lists, each of the right type. Handout: "Structured logs: one JSON object per event"'
    ' and the contract, "Log lines".',
    more='Write one record per request on logging.getLogger("iris.access") whose message is '
    "json.dumps of method, path, status, latency_ms and request_id (in the middleware).",
)
def test_one_access_log_line_per_request(model_client):
    """Each request writes exactly one record on the "iris.access" logger, at level INFO: a
    JSON object with method, path (without the query string), status (a number), latency_ms
    (>= 0) and request_id (the same as the X-Request-ID header, also when the caller's id
    was unsafe and replaced), for successes, errors, GET /metrics and the probes GET /health
    and GET /ready alike."""
    cases = [
        ("/flowers/2", {"X-Request-ID": "lab05-access-1"}, 200),
        ("/flowers/99", {"X-Request-ID": "lab05-access-2"}, 404),
        ("/flowers/3", {}, 200),
        ("/flowers/4", {"X-Request-ID": "bad id!"}, 200),
        ("/flowers", {}, 200),
        ("/metrics", {}, None),  # 200, or a redirect to /metrics/ with a mounted app
        ("/health", {"X-Request-ID": "lab05-access-probe-1"}, 200),
        ("/ready", {"X-Request-ID": "lab05-access-probe-2"}, 200),
    ]
    for path, headers, status in cases:
        sent = f"{path}?limit=2" if path == "/flowers" else path
        with support.captured("iris.access") as records:
            response = model_client.get(sent, headers=headers, follow_redirects=False)
        lines = fields_of(records, "iris.access")
        assert len(lines) == 1, (
            f"GET {sent} wrote {len(lines)} records on the 'iris.access' logger; expected 1"
        )
        levels = {r.levelname for r in records if r.name == "iris.access"}
        assert levels == {"INFO"}, (
            f"the access log record of GET {sent} has level {', '.join(sorted(levels))}; "
            "expected INFO (every access line, an error's too)"
        )
        line = lines[0]
        expected = {"method": "GET", "path": path, "status": status or response.status_code}
        answered, given = response.headers.get("X-Request-ID"), headers.get("X-Request-ID")
        if answered or (given and SAFE_ID.fullmatch(given)):
            expected["request_id"] = answered or given
        else:  # no X-Request-ID in the answer: "request id is generated when missing" says so
            logged = line.get("request_id")
            assert isinstance(logged, str) and SAFE_ID.fullmatch(logged), (
                f"the access log line of GET {sent} has request_id={logged!r}; expected the "
                f"request's own id (the line: {line})"
            )
        for field, wanted in expected.items():
            assert line.get(field) == wanted, (
                f"the access log line of GET {sent} has {field}={line.get(field)!r}"
                f"{as_text_note(line.get(field), wanted)}; expected {wanted!r} (the line: {line})"
            )
        assert is_number(line.get("latency_ms")) and line["latency_ms"] >= 0, (
            f"the access log line of GET {sent} has latency_ms={line.get('latency_ms')!r}; "
            f"expected the milliseconds it took, a number >= 0 (the line: {line})"
        )


@check(
    points=7,
    hint="One JSON object per predicted flower on the predictions logger. Handout: the "
    'contract, "Log lines".',
    more="In the prediction routes, write one record per predicted flower on logging.getLogger("
    '"iris.predictions"): json.dumps of species, model_version and request_id.',
)
def test_one_prediction_log_line_per_flower(model_client):
    """POST /predict writes one JSON record on the "iris.predictions" logger with species,
    model_version and request_id (the X-Request-ID of the response); POST /predict/batch
    writes one per flower, with the id the service made when the caller sent none; and a
    POST /predict whose X-Request-ID is unsafe logs the new id the answer carries."""
    with support.captured("iris.predictions") as records:
        response = model_client.post(
            "/predict", json=SETOSA, headers={"X-Request-ID": "lab05-pred-1"}
        )
    assert response.status_code == 200, f"POST /predict answered {response.status_code}"
    species = support.json_or_fail(response, "POST /predict").get("species")
    request_id = response.headers.get("X-Request-ID") or "lab05-pred-1"
    lines = fields_of(records, "iris.predictions")
    assert len(lines) == 1, (
        f"POST /predict wrote {len(lines)} records on the 'iris.predictions' logger; expected 1"
    )
    levels = {record.levelname for record in records if record.name == "iris.predictions"}
    assert levels == {"INFO"}, (
        f"the prediction log record of POST /predict has level {', '.join(sorted(levels))}; "
        "expected INFO"
    )
    expected = {"species": species, "model_version": GRADER_VERSION, "request_id": request_id}
    for field, wanted in expected.items():
        assert lines[0].get(field) == wanted, (
            f"the prediction log line of POST /predict has {field}={lines[0].get(field)!r}; "
            f"expected {wanted!r} (the line: {lines[0]})"
        )
    items = [SETOSA, VIRGINICA, VERSICOLOR]
    with support.captured("iris.predictions") as records:
        response = model_client.post("/predict/batch", json={"items": items})
    assert response.status_code == 200, f"POST /predict/batch answered {response.status_code}"
    predicted = sorted(item["species"] for item in response.json()["predictions"])
    request_id = response.headers.get("X-Request-ID")
    lines = fields_of(records, "iris.predictions")
    logged = sorted(str(line.get("species")) for line in lines)
    assert logged == predicted, (
        f"POST /predict/batch with 3 flowers (predicted {predicted}) wrote prediction log "
        f"lines for {logged}; expected one line per flower"
    )
    assert request_id and all(line.get("request_id") == request_id for line in lines), (
        f"the prediction log lines of POST /predict/batch, sent without X-Request-ID and "
        f"answered with X-Request-ID: {request_id}, have request_id "
        f"{[line.get('request_id') for line in lines]}; expected the id of the answer "
        "(request.state.request_id), not the caller's header"
    )
    unsafe = "lab05-pred:unsafe/2"
    with support.captured("iris.predictions") as records:
        response = model_client.post("/predict", json=SETOSA, headers={"X-Request-ID": unsafe})
    assert response.status_code == 200, f"POST /predict answered {response.status_code}"
    request_id = response.headers.get("X-Request-ID")
    logged = [line.get("request_id") for line in fields_of(records, "iris.predictions")]
    assert request_id and logged == [request_id], (
        f"POST /predict sent the unsafe X-Request-ID: {unsafe} and was answered with "
        f"X-Request-ID: {request_id}; its prediction log lines have request_id {logged}; "
        "expected one line with the id of the answer (request.state.request_id), never the "
        "caller's header"
    )


# ---------------------------------------------------------------- metrics


@check(
    points=7,
    hint="Label by the route that matched, not by the raw path, or every id makes a new "
    'series. Handout: "Prometheus metrics".',
    more="Label http_requests_total with the route's path template: "
    'request.scope["route"].path after call_next, never request.url.path.',
)
def test_requests_are_counted_by_route_template(model_client):
    """http_requests_total{method, route, status} counts requests by route template: two
    GET /flowers/1 and /flowers/2 add 2 to route="/flowers/{flower_id}", status="200", a
    GET /flowers/99 adds 1 to status="404", and no label holds a raw path. GET /metrics is
    counted too (under any route label), and so are the probes: between two reads of /metrics,
    with GET /health and GET /ready in between, the GET requests with status "200" grow by 5,
    the two flowers, the two probes and the first read."""
    before = metric_samples(model_client)
    model_client.get("/flowers/1")
    model_client.get("/flowers/2")
    model_client.get("/flowers/99")
    probes = [model_client.get(path).status_code for path in ("/health", "/ready")]
    assert probes == [200, 200], f"GET /health and GET /ready answered {probes}; expected 200"
    after = metric_samples(model_client)
    require_metric(after, "http_requests_total")
    ok = {"method": "GET", "status": "200"}
    change = total(after, "http_requests_total", **ok) - total(before, "http_requests_total", **ok)
    assert change == 5, (
        f"between two GET /metrics, with GET /flowers/1, /flowers/2 (200), /flowers/99 (404), "
        f"/health and /ready (200) in between, http_requests_total{ok} (all routes) grew by "
        f"{change:g}; expected 5: the two flowers, the two probes and the first GET /metrics "
        "(count every request, /metrics and the probes too)"
    )
    for status, added in (("200", 2), ("404", 1)):
        labels = {"method": "GET", "route": TEMPLATE, "status": status}
        change = total(after, "http_requests_total", **labels) - total(
            before, "http_requests_total", **labels
        )
        assert change == added, (
            f"after {added} GET /flowers/{{id}} answered {status}, "
            f"http_requests_total{labels} grew by {change:g}; expected {added}"
        )
    sent = {"/flowers/1", "/flowers/2", "/flowers/99"}
    raw = sorted(
        (label, value)
        for label, value in {
            item
            for name, labels, _ in after
            if name == "http_requests_total"
            for item in labels.items()
        }
        if value in sent
    )
    assert not raw, (
        "after GET /flowers/1, /flowers/2 and /flowers/99, http_requests_total has the labels "
        + ", ".join(f"{label}={value!r}" for label, value in raw)
        + f": a raw path, in any label; the contract's labels are method, route (the template "
        f"{TEMPLATE}) and status, never the raw path"
    )


@check(
    points=2,
    hint="A request that matched no route still counts, under one fixed label. Handout: the "
    'contract, "Metrics".',
    more='When no route matched (request.scope has no "route"), use the label route="unmatched".',
)
def test_unknown_paths_are_counted_as_unmatched(model_client):
    """Requests for paths no route serves are counted in http_requests_total with
    route="unmatched" and status="404", timed in http_request_duration_seconds with
    route="unmatched" (when an error of a route, the 422 of GET /flowers/abc, is timed), and no
    label of any metric holds their path."""
    labels = {"method": "GET", "route": "unmatched", "status": "404"}
    timed = {"method": "GET", "route": "unmatched"}
    known = {"method": "GET", "route": TEMPLATE}
    before_samples = metric_samples(model_client)
    before = total(before_samples, "http_requests_total", **labels)
    before_timed = total(before_samples, "http_request_duration_seconds_count", **timed)
    before_known = total(before_samples, "http_request_duration_seconds_count", **known)
    model_client.get("/no-such-page-lab05")
    model_client.get("/wp-admin/lab05.php")
    model_client.get("/flowers/abc")
    after = metric_samples(model_client)
    require_metric(after, "http_requests_total")
    change = total(after, "http_requests_total", **labels) - before
    assert change == 2, (
        f"after GET /no-such-page-lab05 and /wp-admin/lab05.php (both 404), "
        f"http_requests_total{labels} grew by {change:g}; expected 2"
    )
    # Only when a route's error is timed: otherwise "latency histogram per route" says so.
    if total(after, "http_request_duration_seconds_count", **known) - before_known == 1:
        change = total(after, "http_request_duration_seconds_count", **timed) - before_timed
        assert change >= 2, (
            f"after GET /no-such-page-lab05 and /wp-admin/lab05.php (both 404), "
            f"http_request_duration_seconds_count{timed} grew by {change:g}; expected 2 "
            "(every request is timed, also when no route matched, as GET /flowers/abc is)"
        )
    sent = {"/no-such-page-lab05", "/wp-admin/lab05.php"}
    leaked = sorted(
        (
            (name, label, value)
            for name, labels, _ in after
            for label, value in labels.items()
            if value in sent
        ),
        key=lambda item: (item[0] != "http_requests_total", item),
    )
    assert not leaked, (
        "after GET /no-such-page-lab05 and /wp-admin/lab05.php, a metric has a raw path in a "
        "label: "
        + ", ".join(f"{name}{{{label}={value!r}}}" for name, label, value in leaked[:3])
        + '; count them under route="unmatched", and never put the raw path in any label'
    )


@check(
    points=4,
    hint="Durations go in a histogram with the same labels as the counter. Handout: "
    '"Prometheus metrics".',
    more="Observe the seconds each request took in a Histogram "
    "http_request_duration_seconds with labels method and route.",
)
def test_latency_histogram_per_route(model_client):
    """http_request_duration_seconds is a histogram labelled by method and route: two
    GET /flowers/{id} and one for an unknown flower (404: every request is timed) add 3 to
    its _count and a number of seconds >= 0 to its _sum."""
    labels = {"method": "GET", "route": TEMPLATE}
    before = metric_samples(model_client)
    model_client.get("/flowers/4")
    model_client.get("/flowers/5")
    model_client.get("/flowers/99")
    after = metric_samples(model_client)
    require_metric(after, "http_request_duration_seconds_count")
    counted = total(after, "http_request_duration_seconds_count", **labels) - total(
        before, "http_request_duration_seconds_count", **labels
    )
    assert counted == 3, (
        f"after 3 GET /flowers/{{id}} (one a 404), http_request_duration_seconds_count{labels} "
        f"grew by {counted:g}; expected 3 (errors are timed too)"
    )
    added = total(after, "http_request_duration_seconds_sum", **labels) - total(
        before, "http_request_duration_seconds_sum", **labels
    )
    assert 0 <= added < 20, (
        f"after 3 GET /flowers/{{id}}, http_request_duration_seconds_sum{labels} grew by "
        f"{added:g}; expected the seconds they took (a small number >= 0)"
    )
    buckets = [
        given
        for name, given, _ in after
        if name == "http_request_duration_seconds_bucket"
        and all(given.get(key) == value for key, value in labels.items())
    ]
    assert any(given.get("le") == "+Inf" for given in buckets), (
        "http_request_duration_seconds has no buckets for GET /flowers/{flower_id}: "
        "make it a Histogram"
    )


@check(
    points=5,
    hint="The header and the log use milliseconds, the histogram seconds: check the unit of "
    'each. Handout: the contract, "Headers on every response" and "Metrics".',
    more="X-Process-Time and latency_ms are milliseconds: (time.perf_counter() - started) "
    "* 1000. The histogram observes seconds: the difference as it is.",
)
def test_durations_are_in_milliseconds_and_seconds(slow_client):
    """A POST /predict that takes at least 0.25 s (the grader slows the model down) answers
    an X-Process-Time of at least 250 (milliseconds); the latency_ms of its access log line,
    if there is one, is at least 250 (milliseconds), and it adds at least 0.25 to the
    http_request_duration_seconds sum of route "/predict", if there is one (seconds); none of
    them more than the request really took. (A missing log line, latency_ms or histogram loses
    the points of its own check, not these.)"""
    labels = {"method": "POST", "route": "/predict"}
    before = metric_samples(slow_client)
    with support.captured("iris.access") as records:
        started_at = time.perf_counter()
        response = slow_client.post(
            "/predict", json=SETOSA, headers={"X-Request-ID": "lab05-slow-1"}
        )
        took = time.perf_counter() - started_at
    assert response.status_code == 200, (
        f"POST /predict with a slow model answered {response.status_code}; expected 200"
    )
    low, high = SLOW_SECONDS * 0.96, took * 1.5 + 0.1  # seconds
    header = response.headers.get("X-Process-Time")
    try:
        value = float(header) if header is not None else None
    except ValueError:
        value = None
    assert value is not None and low * 1000 <= value <= high * 1000, (
        f"POST /predict took {took * 1000:.0f} ms (at least {SLOW_SECONDS * 1000:.0f}) and "
        f"answered X-Process-Time: {header}; expected the milliseconds it took"
    )
    for record in records:
        try:
            line = json.loads(record.getMessage())
        except ValueError:
            continue  # not JSON: "one access log line per request" says so
        if not isinstance(line, dict) or line.get("request_id") != "lab05-slow-1":
            continue
        latency = line.get("latency_ms")
        if not is_number(latency):
            continue  # no latency: "one access log line per request" says so
        assert low * 1000 <= latency <= high * 1000, (
            f"POST /predict took {took * 1000:.0f} ms (at least {SLOW_SECONDS * 1000:.0f}) and "
            f"its access log line has latency_ms={latency!r}; expected the milliseconds it took"
        )
    after = metric_samples(slow_client)
    counted = total(after, "http_request_duration_seconds_count", **labels) - total(
        before, "http_request_duration_seconds_count", **labels
    )
    if counted != 1:
        return  # no histogram for POST /predict: "latency histogram per route" says so
    added = total(after, "http_request_duration_seconds_sum", **labels) - total(
        before, "http_request_duration_seconds_sum", **labels
    )
    assert low <= added <= high, (
        f"POST /predict took {took:.3f} s (at least {SLOW_SECONDS} s) and "
        f"http_request_duration_seconds_sum{labels} grew by {added:g}; expected the seconds "
        "it took"
    )


@check(
    points=4,
    hint="Count each predicted flower once, under its species: a batch of 3 counts 3. Handout:"
    ' the contract, "Metrics".',
    more="In the prediction routes, PREDICTIONS.labels(species=...).inc() once per "
    "predicted flower (a batch of 3 counts 3).",
)
def test_predictions_are_counted_by_species(model_client):
    """predictions_total{species} grows by one for every flower predicted by /predict and
    /predict/batch, under the predicted species."""
    before = metric_samples(model_client)
    single = model_client.post("/predict", json=SETOSA)
    batch = model_client.post("/predict/batch", json={"items": [VIRGINICA, VIRGINICA, VERSICOLOR]})
    assert single.status_code == 200 and batch.status_code == 200, (
        f"POST /predict answered {single.status_code}, POST /predict/batch "
        f"{batch.status_code}; expected 200"
    )
    predicted = [single.json()["species"]] + [p["species"] for p in batch.json()["predictions"]]
    after = metric_samples(model_client)
    require_metric(after, "predictions_total")
    for species in sorted(set(predicted)):
        wanted = predicted.count(species)
        change = total(after, "predictions_total", species=species) - total(
            before, "predictions_total", species=species
        )
        assert change == wanted, (
            f"after predicting {predicted}, predictions_total{{species={species!r}}} grew by "
            f"{change:g}; expected {wanted}"
        )


@check(
    points=2,
    hint="Metrics in the global registry cannot be created twice: keep your own registry. "
    'Handout: "Prometheus metrics".',
    more="Create your metrics in a CollectorRegistry of your own (registry=...), not in "
    "prometheus_client's global registry, and serve that registry at /metrics.",
)
def test_the_service_can_be_imported_twice(iris_model: Path, submission_dir: Path):
    """main.py can be imported a second time in the same process (as tests do) and the new
    app serves its own http_requests_total at /metrics."""
    with support.served_apart(
        submission_dir,
        what="the app of a second import of main.py did not start",
        importing="in the same process",
        before_import={"MODEL_PATH": str(iris_model)},
        new_process=True,
        imports=2,
    ) as served:
        served.get("/flowers/1", what="GET /flowers/1 (the app of the second import)")
        text = served.get("/metrics", what="GET /metrics (the app of the second import)").text
    require_metric(parsed_samples(text), "http_requests_total")
