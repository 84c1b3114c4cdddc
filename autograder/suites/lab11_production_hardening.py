"""Lab 11 checks: settings from ``IRIS_*`` variables that refuse a bad configuration, CORS with
explicit origins, a token bucket per caller, /v1 beside /v2, and the body, host and
compression limits.

The grader's settings are in the environment while the checks run; the app is imported
afresh and started with them (its middleware is built from the settings when the app is
created, so an app imported before they were set would not show them). In secure mode every
start is a new sandbox process that imports the submission with them already.

Each check that predicts uses an API key of its own: every caller has its own bucket of
``CAPACITY`` tokens, and a token comes back every ``1 / REFILL`` seconds (64 s), so no check
drains another's. The refill is graded with the clock the handout names, ``get_clock``,
replaced by one that reads the time from a request header: no check ever sleeps.

Whether the app refuses to start, and what its settings read from a ``.env`` file, is decided
on what a process of its own shows the grader (:mod:`autograder.suites.app_starts`): how it
refused, or its HTTP answers. A probe's reply is written by the process that imported the
student's code, which could write it instead; only what the settings object is made of
(``SecretStr`` fields, a cached ``get_settings``, a ``repr`` that hides the secrets) is still
read in a probe, since no answer over HTTP shows it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest
from fastapi import Request

from autograder import check, isolation, processes, submission
from autograder.iris import GRADER_VERSION
from autograder.suites import support
from autograder.suites.app_starts import start_in_turn
from autograder.suites.support import SETOSA, VERSICOLOR, VIRGINICA

SECRET = secrets.token_hex(32)
ORIGIN = "https://app.iris.example"
# IRIS_CORS_ORIGINS lists two origins: every one of them is approved, not only the first.
ORIGINS = [ORIGIN, "https://admin.iris.example"]
FOREIGN = "https://evil.example"
# Not listed either: the settings' default (a local dev server), the listed host over plain
# http (an origin is a scheme, a host and a port: all three must match), and "null", the
# Origin of a sandboxed page or of a local file, which any page can make itself.
OTHER_FOREIGN = ("http://localhost:5173", "http://app.iris.example", "null")
HOSTS = ["testserver", "127.0.0.1", "localhost", "iris.internal.example"]
GZIP_MINIMUM = 1000  # bytes: answers this large or larger are compressed, smaller ones not
CAPACITY = 3
REFILL = 1 / 64  # tokens per second: one every 64 s (exact in binary, so no rounding)
MAX_BODY = 4096
CLOCK_HEADER = "X-Grader-Clock"
CALLERS = [
    "burst",
    "retry",
    "refill",
    "one",
    "two",
    "override",
    "v1",
    "sunset",
    "v2",
    "v2-default",
    "v2-bounds",
    "body",
    "upload",
    "stream",
]
KEYS = {caller: secrets.token_urlsafe(24) for caller in CALLERS}
# The app knows each caller by a name and a key drawn for each grading, listed in an order
# drawn too: names (or keys, or places in the list) that told which check calls would let
# the app answer each check differently (capacity 1 for the check that replaces get_settings).
CLIENT_NAMES = {caller: f"client-{secrets.token_hex(6)}" for caller in CALLERS}
LISTED = secrets.SystemRandom().sample(CALLERS, len(CALLERS))
V1, V1_BATCH, V2 = "/v1/predict", "/v1/predict/batch", "/v2/predict"
STREAMS = {"/predict/explain/lines": "JSON Lines", "/predict/explain": "Server-Sent Events"}
GZIP = {"Accept-Encoding": "gzip"}


# A user who logs in with a password (lab 07) is a caller too, with a bucket of their own.
USER = f"user-{secrets.token_hex(6)}"
USER_PASSWORD = secrets.token_urlsafe(16)


def key(caller: str) -> dict[str, str]:
    """The X-API-Key header of one of the grader's callers."""
    return {"X-API-Key": KEYS[caller]}


# ---------------------------------------------------------------- settings and the app


@pytest.fixture(scope="module", autouse=True)
def grader_settings(iris_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The service's settings, as IRIS_* variables, while this lab's checks run."""
    data = tmp_path_factory.mktemp("lab11-data") / "data"
    data.mkdir()
    database = isolation.current().writable_by_app(data) / "log.db"
    (password_hash,) = support.password_hashes({USER: USER_PASSWORD}).values()
    environment = {
        "IRIS_ENVIRONMENT": "development",
        "IRIS_MODEL_PATH": str(iris_model),
        "IRIS_JWT_SECRET": SECRET,
        "IRIS_API_KEYS": json.dumps({CLIENT_NAMES[caller]: KEYS[caller] for caller in LISTED}),
        "IRIS_USERS": json.dumps({USER: {"password_hash": password_hash, "role": "user"}}),
        "IRIS_ARGON2_TIME_COST": "1",
        "IRIS_ARGON2_MEMORY_COST": "64",
        "IRIS_DATABASE_URL": f"sqlite:///{database}",
        "IRIS_CORS_ORIGINS": json.dumps(ORIGINS),
        "IRIS_ALLOWED_HOSTS": json.dumps(HOSTS),
        "IRIS_RATE_LIMIT_CAPACITY": str(CAPACITY),
        "IRIS_RATE_LIMIT_REFILL_PER_SECOND": str(REFILL),
        "IRIS_MAX_BODY_BYTES": str(MAX_BODY),
        "IRIS_TOKEN_DELAY_SECONDS": "0",  # lab 10's streams, without their pauses
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        yield


@contextmanager
def started(app, what: str = "the grader's settings") -> Iterator:
    """A TestClient of a fresh start of ``app`` with the current environment."""
    with (
        isolation.current().fresh_app(app, support.reimported_app) as new_app,
        support.started(new_app, failure=what, raise_server_exceptions=False) as test_client,
    ):
        yield test_client


@pytest.fixture(scope="module")
def api(app) -> Iterator:
    """The app, started once with the grader's settings, for the checks that share it."""
    with started(app) as test_client:
        yield test_client


def grader_clock(request: Request) -> float:
    """Replaces the submission's get_clock: the time is the request's X-Grader-Clock
    header (0 without one), so a check moves time by sending a later number."""
    return float(request.headers.get(CLOCK_HEADER, "0"))


OVERRIDE_REFILL = 1 / 16  # tokens per second in one_token_settings: one every 16 s


def one_token_settings():
    """Replaces the submission's get_settings: its own Settings, with buckets of 1 token
    that gain one every 16 s."""
    from app.core.config import Settings

    return Settings(rate_limit_capacity=1, rate_limit_refill_per_second=OVERRIDE_REFILL)


MISSING_CLOCK = (
    "the app has no dependency get_clock(): keep the clock the rate limit reads in a "
    'dependency of that name (handout: "A clock the tests can replace")'
)
MISSING_SETTINGS = (
    "the app has no dependency get_settings(): the routes must read the settings through "
    'it (handout: "Settings with pydantic-settings")'
)


@contextmanager
def overridden_and_started(app, dependency: str, replacement, missing: str) -> Iterator:
    """A fresh start of ``app`` with one dependency replaced."""
    with (
        isolation.current().fresh_app(app, support.reimported_app) as new_app,
        support.overridden(new_app, dependency, replacement, missing=missing),
        support.started(
            new_app, failure="the grader's settings", raise_server_exceptions=False
        ) as test_client,
    ):
        yield test_client


# ---------------------------------------------------------------- probes


START_SECONDS = 30  # for the starts of one process (imports, lifespans, serving)


def start_variables(environment: dict[str, str | None]) -> dict[str, str]:
    """The grader's IRIS_* settings with ``environment`` on top (None: unset)."""
    variables = {name: value for name, value in os.environ.items() if name.startswith("IRIS_")}
    for name, value in environment.items():
        if value is None:
            variables.pop(name, None)
        else:
            variables[name] = value
    return variables


def start_folder(workdir: Path, env_file: str | None) -> str:
    """``workdir``, made and handed to the app, with a .env file holding ``env_file``."""
    workdir.mkdir(parents=True, exist_ok=True)
    if env_file is not None:
        (workdir / ".env").write_text(env_file)
    isolation.current().writable_by_app(workdir)
    return str(workdir)


@contextmanager
def started_in_turn(
    submission_dir: Path, starts: list[tuple[Path, dict[str, str | None], str | None]]
) -> Iterator[tuple[list[dict], httpx.Client | None]]:
    """Start the app in one process of its own, once per ``(working folder, environment on
    top of the grader's settings (None: unset), .env text or None)`` of ``starts``: what each
    start but the last came to (``refused`` with its message, or ``started``), and a client
    of the last one when it serves over HTTP (None, and its refusal in the list, when not).
    The process runs :func:`autograder.suites.app_starts.start_in_turn`."""
    import tempfile

    where = isolation.current()
    entry = submission.entrypoint(submission_dir)
    steps = [
        {"workdir": start_folder(workdir, env_file), "variables": start_variables(env)}
        for workdir, env, env_file in starts
    ]
    # The starts that are not served run in an order drawn for each grading: what a start's
    # code can count (its turn) says nothing about which case of a check it is.
    order = list(range(len(steps) - 1))
    secrets.SystemRandom().shuffle(order)
    order.append(len(steps) - 1)
    settings = {
        "folder": str(where.folder or submission_dir),
        "module": entry.module,
        "attribute": entry.attribute,
        "starts": [steps[number] for number in order],
    }
    place = Path(tempfile.mkdtemp(prefix="starts-"))
    try:
        with support.spawned_on_socket(start_in_turn, settings, place) as (report, socket_path):
            found: list[dict] = [{}] * len(steps)
            for turn, outcome in enumerate(read_start_reports(report, len(steps))):
                found[order[turn]] = outcome
            if found[-1].get("serving") is not True:
                yield found, None
                return
            with support.unix_socket_client(socket_path, "127.0.0.1") as client:
                try:
                    client.get("/health", timeout=5)
                except httpx.TransportError:
                    pytest.fail("the app's process said the app served, but it answered nothing")
                yield found[:-1], client
    finally:
        shutil.rmtree(place, ignore_errors=True)


def read_start_reports(report: int, count: int) -> list[dict]:
    """What :func:`autograder.suites.app_starts.start_in_turn` reported of each of its
    ``count`` starts (see its docstring), read from ``report`` until the last start's."""
    import time

    found: dict[int, dict] = {}
    received, deadline = b"", time.monotonic() + START_SECONDS
    while count - 1 not in found and len(received) < 1 << 20:
        ready = processes.readable([report], max(deadline - time.monotonic(), 0))
        chunk = os.read(report, 65536) if ready else b""
        if not chunk:
            break
        received += chunk
        for line in received.split(b"\n")[:-1]:
            with contextlib.suppress(ValueError, KeyError, TypeError, RecursionError):
                document = json.loads(line)
                found.setdefault(int(document["start"]), document)
    if count - 1 not in found:
        if time.monotonic() >= deadline:
            pytest.fail(f"the app did not start within {START_SECONDS} s", pytrace=False)
        pytest.fail(
            f"the app's process ended before it said how start {count} of {count} went "
            "(did the app exit the process?)",
            pytrace=False,
        )
    return [found.get(number, {}) for number in range(count)]


def served_answers(client: httpx.Client) -> dict:
    """What a served start answers over HTTP: GET /health, and the statuses of ENV_CAPACITY
    + 1 predictions of one caller (its bucket's capacity shows)."""
    status = client.get("/health").status_code
    answers = [
        client.post(V1, json=SETOSA, headers=key("one")).status_code
        for _ in range(ENV_CAPACITY + 1)
    ]
    return {"refused": False, "status": status, "answers": answers}


def start_outcomes(
    submission_dir: Path, starts: list[tuple[Path, dict[str, str | None], str | None]]
) -> list[dict]:
    """How each start of ``starts`` (see :func:`started_in_turn`) ends: ``refused`` (with
    its ``message``), or started: the last one with what it answers over HTTP (see
    :func:`served_answers`), the others with ``status`` None."""
    with started_in_turn(submission_dir, starts) as (found, client):
        last = None if client is None else served_answers(client)
    ended = []
    for number, outcome in enumerate(found):
        if "refused" in outcome:
            ended.append({"refused": True, "message": str(outcome["refused"])})
        elif outcome.get("started") is True:
            ended.append({"refused": False, "status": None})
        else:
            pytest.fail(
                f"start {number + 1} of {len(starts)} in one process said nothing: its "
                "process ended?",
                pytrace=False,
            )
    return ended if last is None else [*ended, last]


def serves(outcome: dict) -> bool:
    """Whether a start of :func:`start_outcomes` served, and answered GET /health with 200."""
    return not outcome["refused"] and outcome.get("status") == 200


def probe_settings(folder: str) -> dict:
    """Probe: import app/core/config.py afresh and read its get_settings() twice."""
    support.forget_submission_tables()
    try:
        with submission.imported_afresh(Path(folder), "app.core.config") as config:
            get_settings = getattr(config, "get_settings", None)
            if get_settings is None:
                return {"problem": "app/core/config.py has no get_settings()"}
            settings = get_settings()
            again = get_settings()
            secret = getattr(settings, "jwt_secret", None)
            keys = getattr(settings, "api_keys", None) or {}
            reveal = getattr(secret, "get_secret_value", None)
            return {
                "shown": f"{settings!r} {settings!s} {settings.model_dump()!r}",
                "secret": reveal() if callable(reveal) else None,
                "secret_type": type(secret).__name__,
                "key_types": sorted({type(value).__name__ for value in keys.values()}),
                "cached": settings is again,
            }
    except BaseException as error:  # noqa: BLE001 - the student's module may raise anything
        return {"problem": support.crash_text(error, Path(folder))}


ENV_CAPACITY = 7  # the IRIS_RATE_LIMIT_CAPACITY of ENV_FILE
# Smaller than any prediction's body: an app that let .env win over the environment's
# IRIS_MAX_BODY_BYTES would refuse every prediction with 413.
ENV_MAX_BODY = 16
ENV_FILE = (
    f"IRIS_RATE_LIMIT_CAPACITY={ENV_CAPACITY}\nIRIS_MAX_BODY_BYTES={ENV_MAX_BODY}\n"
    "IRIS_NOT_A_SETTING=1\n"
)
ENV_LINES = ENV_FILE.strip().replace("\n", ", ")
PRODUCTION_ENV_FILE = "IRIS_ENVIRONMENT=production\n"


def env_file_answers(submission_dir: Path, workdir: Path) -> str | list[int]:
    """The app started in a folder whose .env holds ENV_FILE, with IRIS_RATE_LIMIT_CAPACITY
    unset (and IRIS_MAX_BODY_BYTES set) in the environment: the statuses of ENV_CAPACITY + 1
    predictions of one caller, over HTTP, or the message it refused to start with."""
    unset = {"IRIS_RATE_LIMIT_CAPACITY": None}
    (outcome,) = start_outcomes(submission_dir, [(workdir, unset, ENV_FILE)])
    return outcome["message"] if outcome["refused"] else outcome["answers"]


BAD_ORIGINS = (
    ["*"],
    [f"{ORIGIN}/"],
    [f"{ORIGIN}?from=ads"],
    ["ftp://app.iris.example"],
    ["http://:5173"],  # a port, but no host
    [ORIGIN, f"{ORIGINS[1]}#top"],  # a valid origin first, a bad one (a fragment) second
)
# each as IRIS_CORS_ORIGINS, and one that is not JSON (no brackets, no quotes)
BAD_ORIGIN_TEXTS = [*(json.dumps(origins) for origins in BAD_ORIGINS), ORIGIN]
# Two bad variables at once: the one line names each of them.
TWO_BAD = {"IRIS_CORS_ORIGINS": json.dumps(["*"]), "IRIS_RATE_LIMIT_CAPACITY": "0"}
TWO_BAD_TEXT = " and ".join(f"{name}={value}" for name, value in TWO_BAD.items())
PRODUCTION = {"IRIS_ENVIRONMENT": "production", "IRIS_JWT_SECRET": None}
PRODUCTION_IN_ENV_FILE = {"IRIS_ENVIRONMENT": None, "IRIS_JWT_SECRET": None}
# Neither development nor production: refused like any invalid setting, in one line that
# names it (the secret's validator then finds no environment in info.data).
UNKNOWN_ENVIRONMENT = {"IRIS_ENVIRONMENT": "staging"}
# The start served at the end: production, in a folder whose .env holds ENV_FILE and the
# grader's secret (neither IRIS_RATE_LIMIT_CAPACITY nor IRIS_JWT_SECRET in the environment):
# what three checks need to see serve.
SERVED = {
    "IRIS_ENVIRONMENT": "production",
    "IRIS_RATE_LIMIT_CAPACITY": None,
    "IRIS_JWT_SECRET": None,
}
SERVED_ENV_FILE = f"{ENV_FILE}IRIS_JWT_SECRET={SECRET}\n"


@pytest.fixture(scope="module")
def starts(submission_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The starts of the settings and refusal checks, in one process of their own (a fresh
    interpreter costs seconds): each bad origin, production without a secret (from the
    environment, then from a .env file), an environment that is neither, and last, served
    over HTTP, production in a folder whose .env holds ENV_FILE and the grader's secret. A
    check whose served start did not serve starts its own (see :func:`start_outcomes`)."""
    base = tmp_path_factory.mktemp("starts")
    plan = {
        **{text: (base / "here", {"IRIS_CORS_ORIGINS": text}, None) for text in BAD_ORIGIN_TEXTS},
        "two bad variables": (base / "here", TWO_BAD, None),
        "production": (base / "here", PRODUCTION, None),
        "production in .env": (base / "in-file", PRODUCTION_IN_ENV_FILE, PRODUCTION_ENV_FILE),
        "unknown environment": (base / "here", UNKNOWN_ENVIRONMENT, None),
        "served": (base / "with-env-file", SERVED, SERVED_ENV_FILE),
    }
    try:
        outcomes = start_outcomes(submission_dir, list(plan.values()))
    except pytest.fail.Exception as failure:
        return {"problem": str(failure), "base": base}
    return {**dict(zip(plan, outcomes, strict=True)), "base": base}


def start_of(starts: dict, name: str) -> dict:
    """The outcome of the start ``name`` of the ``starts`` fixture (the check fails when
    that process did not start at all)."""
    if "problem" in starts:
        pytest.fail(starts["problem"], pytrace=False)
    return starts[name]


def env_file_read(submission_dir: Path, starts: dict) -> str | list[int]:
    """What the app answers started where .env holds ENV_FILE (see :func:`env_file_answers`):
    from the served start of ``starts`` when it served, else from a start of its own
    (without production), asked once."""
    served = start_of(starts, "served")
    if serves(served):
        return served["answers"]
    if "env file alone" not in starts:
        starts["env file alone"] = env_file_answers(
            submission_dir, starts["base"] / "with-env-file-alone"
        )
    return starts["env file alone"]


def reads_env_file(answers: str | list[int]) -> bool:
    """Whether the app of :func:`env_file_answers` took a value from the .env file: the
    capacity of its bucket, or (wrongly) the body limit."""
    if isinstance(answers, str):
        return False
    return 413 in answers or answers == [200] * ENV_CAPACITY + [429]


def env_file_problem(answers: str | list[int]) -> str | None:
    """Why the answers of :func:`env_file_answers` show settings that do not read ENV_FILE
    as they must (ENV_CAPACITY predictions answered 200, the next 429), or None."""
    if isinstance(answers, str):
        return (
            f"with a .env file holding {ENV_LINES}, the app refused to start: "
            f"{answers[:300]!r} (variables the class does not know must be ignored)"
        )
    what = f"with a .env file holding {ENV_LINES} and IRIS_MAX_BODY_BYTES={MAX_BODY}"
    for number, status in enumerate(answers[:ENV_CAPACITY], start=1):
        if status == 413:
            return (
                f"{what} in the environment, prediction {number} answered 413: the app read "
                f"max_body_bytes={ENV_MAX_BODY} from .env, but a variable set in the "
                "environment wins"
            )
        if status == 429:
            return (
                f"{what} in the environment (IRIS_RATE_LIMIT_CAPACITY not), prediction "
                f"{number} of one caller answered 429: its bucket held {number - 1} tokens, "
                f"not the {ENV_CAPACITY} of .env"
            )
        if status != 200:
            return f"{what} in the environment, prediction {number} answered {status}; expected 200"
    if answers[-1] != 429:
        return (
            f"{what} in the environment (IRIS_RATE_LIMIT_CAPACITY not), prediction "
            f"{ENV_CAPACITY + 1} of one caller answered {answers[-1]}, not 429: its bucket held "
            f"more than the {ENV_CAPACITY} tokens of .env (is .env read?)"
        )
    return None


def expect_refusal(outcome: dict, variable: str, what: str) -> None:
    """The start was refused with one line that names ``variable``."""
    status = outcome.get("status")
    how = "its lifespan started" if status is None else f"GET /health answered {status}"
    assert outcome["refused"], f"with {what} the app started ({how}); it must refuse to start"
    message = outcome.get("message", "").strip()
    assert message and "\n" not in message, (
        f"with {what} the start was refused, but not with one line: "
        f"{message[:300] or 'no message at all'!r}"
    )
    assert variable in message, (
        f"with {what} the start was refused with {message[:300]!r}, which does not name {variable}"
    )


# ---------------------------------------------------------------- requests


def predict(test_client, caller: str, path: str = V1, **options):
    """POST one flower (SETOSA unless ``json`` says otherwise) as ``caller``."""
    headers = {**key(caller), **options.pop("headers", {})}
    return test_client.post(path, json=options.pop("json", SETOSA), headers=headers, **options)


def drain(test_client, caller: str, at: float | None = None) -> None:
    """Spend the caller's CAPACITY tokens (at time ``at`` of the grader's clock)."""
    headers = {} if at is None else {CLOCK_HEADER: str(at)}
    for number in range(1, CAPACITY + 1):
        response = predict(test_client, caller, headers=headers)
        assert response.status_code == 200, (
            f"request {number} of {CAPACITY} (the capacity) to POST {V1} answered "
            f"{response.status_code}; expected 200 (body: {response.text[:200]})"
        )


def csv_of(flower: dict, rows: int) -> bytes:
    """A CSV file of ``rows`` copies of ``flower``, with its header line."""
    header = ",".join(flower)
    line = ",".join(str(value) for value in flower.values())
    return "\n".join([header, *[line] * rows, ""]).encode()


def expect_429(response, what: str) -> None:
    assert response.status_code == 429, (
        f"{what} answered {response.status_code}; expected 429 (body: {response.text[:200]})"
    )


def retry_after(response, what: str) -> int:
    """The Retry-After header of a 429, a whole number of seconds."""
    value = response.headers.get("retry-after")
    assert value is not None, f"{what} answered 429 without a Retry-After header"
    assert re.fullmatch(r"\d+", value.strip()), (
        f"{what}: Retry-After is {value!r}; expected a whole number of seconds"
    )
    return int(value)


def header_list(response, name: str) -> set[str]:
    """A comma-separated header as a set of lowercase items."""
    return {item.strip().lower() for item in response.headers.get(name, "").split(",") if item}


def preflight(test_client, origin: str):
    return test_client.options(
        V1,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key, content-type",
        },
    )


def expect_approved(response, origin: str) -> None:
    what = f"a preflight (OPTIONS {V1}) from {origin}"
    assert response.status_code == 200, f"{what} answered {response.status_code}; expected 200"
    allowed = response.headers.get("access-control-allow-origin")
    assert allowed == origin, (
        f"{what} got Access-Control-Allow-Origin {allowed!r}; expected {origin!r}"
    )
    assert response.headers.get("access-control-allow-credentials") == "true", (
        f"{what} got no Access-Control-Allow-Credentials: true"
    )
    assert "post" in header_list(response, "access-control-allow-methods"), (
        f"{what}: POST is not among the allowed methods"
    )
    assert "x-api-key" in header_list(response, "access-control-allow-headers"), (
        f"{what}: X-API-Key is not among the allowed headers"
    )


# ---------------------------------------------------------------- settings


@check(
    points=5,
    hint="One Settings class reads IRIS_* variables (and a .env file), keeps secrets as "
    'SecretStr, and get_settings() builds it once. Handout: "Settings with pydantic-settings".',
    more="model_config = SettingsConfigDict(env_prefix='IRIS_', env_file='.env', "
    "extra='ignore'); jwt_secret: SecretStr; api_keys: dict[str, SecretStr]; @lru_cache on "
    "get_settings.",
)
def test_settings_come_from_iris_variables_and_hide_their_secrets(submission_dir, starts):
    """get_settings() in app/core/config.py reads IRIS_JWT_SECRET and IRIS_API_KEYS, returns
    the same object every time, and printing the settings never shows either secret. Started
    where a .env file sets IRIS_RATE_LIMIT_CAPACITY=7 (not in the environment),
    IRIS_MAX_BODY_BYTES=16 (4096 in the environment, which wins) and an unknown
    IRIS_NOT_A_SETTING, the app starts, and answers 7 predictions of one caller, not 8."""
    outcome = isolation.current().call(probe_settings, str(submission_dir), timeout=60)
    assert "problem" not in outcome, f"reading the settings failed: {outcome.get('problem')}"
    assert outcome["secret_type"] == "SecretStr", (
        f"jwt_secret is a {outcome['secret_type']}; expected a SecretStr"
    )
    assert outcome["key_types"] in ([], ["SecretStr"]) and outcome["key_types"], (
        f"the API keys are {outcome['key_types'] or 'missing'}; expected SecretStr values "
        "read from IRIS_API_KEYS"
    )
    assert outcome["secret"] == SECRET, (
        "jwt_secret is not the value of IRIS_JWT_SECRET: are the variables read with the "
        "IRIS_ prefix?"
    )
    leaked = [
        name for name, value in [("jwt_secret", SECRET), *KEYS.items()] if value in outcome["shown"]
    ]
    assert not leaked, f"printing the settings shows the secret of {leaked[0]}"
    assert outcome["cached"], "get_settings() built new settings on its second call"
    problem = env_file_problem(env_file_read(submission_dir, starts))
    assert problem is None, problem


@check(
    points=7,
    hint="A wildcard or a malformed origin must stop the start, with one line naming each bad "
    'variable. Handout: "Refusing a bad configuration".',
    more="A field_validator on cors_origins raises ValueError for '*' or anything but "
    "scheme://host[:port]; app/main.py turns the ValidationError into "
    "SystemExit(configuration_problem(error)). Keep the given NoDecode fields and their "
    "JSON validator: text that is not JSON is then a ValidationError too.",
)
def test_a_bad_cors_origin_stops_the_start_in_one_line(submission_dir, starts):
    """With IRIS_CORS_ORIGINS set to ["*"], to an origin with a trailing slash or a query, to
    one whose scheme is not http or https, to one with a port but no host, to a valid origin
    followed by one with a fragment, or to an origin that is not JSON (no brackets, no
    quotes), the app refuses to start with one line that names IRIS_CORS_ORIGINS; with ["*"] and
    IRIS_RATE_LIMIT_CAPACITY=0 together, the one line names both variables; started the same
    way with the grader's own settings (valid origins), it serves."""
    for text in BAD_ORIGIN_TEXTS:
        expect_refusal(start_of(starts, text), "IRIS_CORS_ORIGINS", f"IRIS_CORS_ORIGINS={text}")
    both = start_of(starts, "two bad variables")
    for variable in TWO_BAD:
        expect_refusal(both, variable, TWO_BAD_TEXT)
    # A start that refuses whatever it is given is no check of the origins: only an app that
    # serves shows the grader what it accepts (the last start, with the grader's origins).
    valid = start_of(starts, "served")
    if not serves(valid):
        (valid,) = start_outcomes(submission_dir, [(starts["base"] / "here", {}, None)])
    assert serves(valid), (
        f"with the grader's settings (IRIS_CORS_ORIGINS={json.dumps(ORIGINS)}), started the "
        "same way, the app "
        + (
            f"refused to start: {valid.get('message', '')[:300]!r}"
            if valid["refused"]
            else f"answered GET /health with {valid['status']}"
        )
        + "; valid origins must start"
    )


@check(
    points=7,
    hint="Production needs a secret of its own: the development default is public. Handout: "
    '"Refusing a bad configuration".',
    more="In the jwt_secret validator, when info.data.get('environment') is 'production' and "
    "the secret is DEVELOPMENT_SECRET, raise ValueError; a real secret must still start. An "
    "invalid IRIS_ENVIRONMENT is not in info.data at all (info.data['environment'] raises "
    "KeyError, which is no ValidationError).",
)
def test_production_refuses_the_development_secret(submission_dir, starts):
    """With IRIS_ENVIRONMENT=production and no IRIS_JWT_SECRET the app refuses to start with
    one line naming IRIS_JWT_SECRET, whether production comes from the environment or from a
    .env file (when the settings read .env at all: not reading it is the settings check's
    finding); with IRIS_ENVIRONMENT=staging (neither development nor production) it refuses
    with one line naming IRIS_ENVIRONMENT; with a secret of its own it starts, the secret
    set in a .env file (or, for settings that do not read .env, in the environment)."""
    refused = start_of(starts, "production")
    expect_refusal(refused, "IRIS_JWT_SECRET", "IRIS_ENVIRONMENT=production and no secret")
    expect_refusal(
        start_of(starts, "unknown environment"),
        "IRIS_ENVIRONMENT",
        "IRIS_ENVIRONMENT=staging (neither development nor production)",
    )
    from_file = start_of(starts, "production in .env")
    # Only settings that read .env at all can see production there (not reading it is the
    # settings check's finding): that is asked only when this start was not refused.
    if from_file["refused"] or reads_env_file(env_file_read(submission_dir, starts)):
        expect_refusal(
            from_file,
            "IRIS_JWT_SECRET",
            "IRIS_ENVIRONMENT=production in a .env file (not in the environment) and no secret",
        )
    accepted = start_of(starts, "served")  # production, with the grader's secret in .env
    # Settings that read .env at all read the secret from it too (not reading it is the
    # settings check's finding: those are started with the secret in the environment).
    if accepted["refused"] and reads_env_file(env_file_read(submission_dir, starts)):
        pytest.fail(
            "with IRIS_ENVIRONMENT=production, and IRIS_JWT_SECRET set in a .env file (not in "
            f"the environment), the app refused to start: {accepted.get('message', '')[:300]!r}; "
            "a secret set in .env is set (the settings read both)",
            pytrace=False,
        )
    if not serves(accepted):
        production = {"IRIS_ENVIRONMENT": "production"}
        (accepted,) = start_outcomes(submission_dir, [(starts["base"] / "here", production, None)])
    assert not accepted["refused"], (
        "with IRIS_ENVIRONMENT=production and a 64-character IRIS_JWT_SECRET the app refused "
        f"to start: {accepted.get('message', '')[:300]!r}"
    )
    assert accepted["status"] == 200, (
        f"in production with a secret, GET /health answered {accepted['status']}; expected 200"
    )


# ---------------------------------------------------------------- CORS


@check(
    points=6,
    hint="CORSMiddleware with the origins of the settings approves their preflights, "
    'credentials included. Handout: "CORS: which pages may call you".',
    more="app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, "
    "allow_credentials=True, allow_methods=[...POST...], allow_headers=[...X-API-Key...]).",
)
def test_an_allowed_origins_preflight_is_approved(api):
    """A preflight from each origin of IRIS_CORS_ORIGINS (it lists two; POST with X-API-Key)
    gets 200, its own origin in Access-Control-Allow-Origin, and credentials allowed."""
    for origin in ORIGINS:
        expect_approved(preflight(api, origin), origin)


@check(
    points=7,
    hint="Only the listed origins may call: never `*` with credentials, which makes "
    'Starlette echo any origin. Handout: "CORS: which pages may call you".',
    more="allow_origins must be settings.cors_origins, never ['*'] or a regex that matches "
    "everything.",
)
def test_a_foreign_origins_preflight_is_not_approved(api):
    """A preflight from an origin that is not listed (https://evil.example, the settings'
    default http://localhost:5173, the listed host over http, null) gets no
    Access-Control-Allow-Origin (while one from a listed origin is approved)."""
    expect_approved(preflight(api, ORIGIN), ORIGIN)
    response = preflight(api, FOREIGN)
    allowed = response.headers.get("access-control-allow-origin")
    assert allowed is None, (
        f"a preflight from {FOREIGN} (not listed) got Access-Control-Allow-Origin "
        f"{allowed!r}: any web page may call the API with its users' credentials"
    )
    for origin in OTHER_FOREIGN:
        allowed = preflight(api, origin).headers.get("access-control-allow-origin")
        assert allowed is None, (
            f"a preflight from {origin} got Access-Control-Allow-Origin {allowed!r}, but "
            f"IRIS_CORS_ORIGINS lists only {', '.join(ORIGINS)}: only the listed origins may "
            "call (an origin is a scheme, a host and a port, all three)"
        )


@check(
    points=5,
    hint="A browser script reads only the headers the server exposes. Handout: "
    '"CORS: which pages may call you".',
    more="expose_headers=['Retry-After', 'X-Request-ID', ...] in CORSMiddleware.",
)
def test_browsers_may_read_retry_after_and_request_id(api):
    """A GET /health from a listed origin is approved, and Access-Control-Expose-Headers
    names Retry-After and X-Request-ID."""
    response = api.get("/health", headers={"Origin": ORIGIN})
    assert response.headers.get("access-control-allow-origin") == ORIGIN, (
        f"GET /health from {ORIGIN} got Access-Control-Allow-Origin "
        f"{response.headers.get('access-control-allow-origin')!r}; expected {ORIGIN!r}"
    )
    exposed = header_list(response, "access-control-expose-headers")
    missing = [name for name in ("retry-after", "x-request-id") if name not in exposed]
    assert not missing, (
        f"Access-Control-Expose-Headers is {sorted(exposed)}; it lacks {', '.join(missing)}"
    )


# ---------------------------------------------------------------- the rate limit


@check(
    points=7,
    hint="Each caller's bucket holds IRIS_RATE_LIMIT_CAPACITY tokens; a request to any of the "
    "three prediction routes takes one; an empty bucket is 429 in the error envelope. "
    'Handout: "Rate limiting with a token bucket".',
    more="rate_limit takes one token from the caller's bucket and raises HTTPException(429, "
    "headers={'Retry-After': ...}); the error handler puts it in the envelope. Give it to "
    "the /v1 router and to the /v2 router as dependencies, so every route of both has it.",
)
def test_requests_beyond_the_capacity_get_429(api):
    """A caller's first 3 predictions (the capacity: one on each of POST /v1/predict,
    /v1/predict/batch and /v2/predict) get 200; the next, at once, gets 429 on each of the
    three routes, with the envelope's code too_many_requests."""
    calls = [(V1, SETOSA), (V1_BATCH, {"items": [SETOSA]}), (V2, SETOSA)]
    assert len(calls) == CAPACITY
    for number, (path, body) in enumerate(calls, start=1):
        response = api.post(path, json=body, headers=key("burst"))
        assert response.status_code == 200, (
            f"request {number} of {CAPACITY} (the capacity), POST {path}, answered "
            f"{response.status_code}; expected 200 (body: {response.text[:200]})"
        )
    for path, body in calls[1:]:
        expect_429(
            api.post(path, json=body, headers=key("burst")),
            f"POST {path} after one call of each prediction route (every call takes a token)",
        )
    response = predict(api, "burst")
    expect_429(response, f"request {CAPACITY + 1} to POST {V1}")
    body = support.json_or_fail(response, f"the 429 of POST {V1}")
    code = body.get("error", {}).get("code") if isinstance(body, dict) else None
    assert code == "too_many_requests", (
        f"the 429 answered {json.dumps(body)[:200]}; expected the error envelope with the "
        'code "too_many_requests"'
    )


@check(
    points=6,
    hint="Retry-After says in how many whole seconds a token is back, rounded up. Handout: "
    '"Rate limiting with a token bucket" and the contract.',
    more="The wait is (1 - tokens) / refill_per_second; send str(max(1, math.ceil(wait))).",
)
def test_retry_after_counts_the_seconds_until_a_token_is_back(app):
    """With time standing still after 3 requests, the 429's Retry-After is 64 (a token
    every 64 s); 32 seconds later it is 32, 32.75 seconds later still 32 (31.25 s rounded
    up), and 63.75 seconds later 1."""
    with overridden_and_started(app, "get_clock", grader_clock, MISSING_CLOCK) as test_client:
        drain(test_client, "retry", at=1000)
        first = predict(test_client, "retry", headers={CLOCK_HEADER: "1000"})
        expect_429(first, "the request after the burst")
        assert retry_after(first, "the request after the burst") == 64, (
            f"right after the burst Retry-After is {first.headers['retry-after']}; expected "
            "64: a token comes back every 64 s (IRIS_RATE_LIMIT_REFILL_PER_SECOND=1/64)"
        )
        later = predict(test_client, "retry", headers={CLOCK_HEADER: "1032"})
        expect_429(later, "a request 32 s later")
        assert retry_after(later, "a request 32 s later") == 32, (
            f"32 s after the burst Retry-After is {later.headers['retry-after']}; expected 32"
        )
        between = predict(test_client, "retry", headers={CLOCK_HEADER: "1032.75"})
        expect_429(between, "a request 32.75 s later")
        assert retry_after(between, "a request 32.75 s later") == 32, (
            f"32.75 s after the burst Retry-After is {between.headers['retry-after']}; "
            "expected 32: the wait is 31.25 s, rounded up (rounded to the nearest or down, a "
            "client that obeys comes back too early and is refused again)"
        )
        last = predict(test_client, "retry", headers={CLOCK_HEADER: "1063.75"})
        expect_429(last, "a request 63.75 s later")
        assert retry_after(last, "a request 63.75 s later") == 1, (
            f"63.75 s after the burst Retry-After is {last.headers['retry-after']}; expected "
            "1: the wait is 0.25 s, rounded up to a whole second (never 0)"
        )


@check(
    points=7,
    hint="A bucket gains refill_per_second tokens every second, up to its capacity, by the "
    'time of get_clock. Handout: "A clock the tests can replace".',
    more="Before taking a token, add (now - updated) * refill_per_second tokens (at most "
    "capacity) and set updated = now; read now only from get_clock.",
)
def test_a_drained_bucket_refills_with_the_clock(app):
    """After the burst, a request 64 s later (by get_clock) gets 200, and one more at that
    same moment gets 429 again: one token came back, not the whole bucket. 63.5 s later a
    request gets 429, and half a second after it 200 (fractions of a second count). After a
    long idle, a burst is again CAPACITY requests: the bucket never holds more."""
    with overridden_and_started(app, "get_clock", grader_clock, MISSING_CLOCK) as test_client:
        drain(test_client, "refill", at=5000)
        expect_429(
            predict(test_client, "refill", headers={CLOCK_HEADER: "5000"}),
            "the request after the burst",
        )
        response = predict(test_client, "refill", headers={CLOCK_HEADER: "5064"})
        assert response.status_code == 200, (
            f"64 s after the burst (by get_clock) POST {V1} answered {response.status_code}; "
            "expected 200: one token is back"
        )
        expect_429(
            predict(test_client, "refill", headers={CLOCK_HEADER: "5064"}),
            "a second request 64 s after the burst (only one token came back)",
        )
        expect_429(
            predict(test_client, "refill", headers={CLOCK_HEADER: "5127.5"}),
            "a request 63.5 s after the last token was taken",
        )
        response = predict(test_client, "refill", headers={CLOCK_HEADER: "5128"})
        assert response.status_code == 200, (
            f"64 s after the last token was taken (half a second after a refused request), "
            f"POST {V1} answered {response.status_code}; expected 200: the bucket gains "
            "tokens for every fraction of a second too (never only for whole seconds)"
        )
        idle = 5128 + 100 * 64  # long enough for 100 tokens: the bucket holds CAPACITY
        drain(test_client, "refill", at=idle)
        expect_429(
            predict(test_client, "refill", headers={CLOCK_HEADER: str(idle)}),
            f"request {CAPACITY + 1} after an idle of 6400 s (a full bucket holds only "
            f"{CAPACITY} tokens, IRIS_RATE_LIMIT_CAPACITY)",
        )


@check(
    points=5,
    hint="One bucket per caller: one client's burst must not block another. Handout: "
    '"Rate limiting with a token bucket".',
    more="Keep the buckets in a dict keyed by the caller: rate_limit asks for the Caller "
    "dependency (401 before any token is taken), never for a raw header.",
)
def test_each_caller_has_a_bucket_of_its_own(api):
    """When one API key's bucket is empty (429), another client's key still gets 200, and
    a user who logged in (POST /token) is limited too, in a bucket of their own: 3
    predictions with their bearer token get 200, the next 429. A request with no valid
    credentials is no caller: it gets 401 however often it comes, never 429 (nor does it
    spend anyone's tokens)."""
    drain(api, "one")
    expect_429(predict(api, "one"), "the first client's request after its burst")
    response = predict(api, "two")
    assert response.status_code == 200, (
        f"another client's first request answered {response.status_code}; expected 200"
    )
    # Lab 07's login is not this check's rule: without a token, the user's bucket is not asked.
    login = api.post("/token", data={"username": USER, "password": USER_PASSWORD})
    token = login.json().get("access_token") if login.status_code == 200 else None
    bearer = {"Authorization": f"Bearer {token}"}
    statuses = [
        api.post(V1, json=SETOSA, headers=bearer).status_code
        for _ in range(CAPACITY + 1 if isinstance(token, str) else 0)
    ]
    assert not statuses or statuses == [200] * CAPACITY + [429], (
        f"{CAPACITY + 1} predictions of a user with a bearer token (after another client "
        f"drained its own bucket) answered {statuses}; expected {CAPACITY} times 200, then "
        "429: a user is a caller too, with a bucket of their own"
    )
    for headers, what in (({}, "no credentials"), ({"X-API-Key": "not-a-key"}, "a wrong key")):
        statuses = [
            api.post(V1, json=SETOSA, headers=headers).status_code for _ in range(CAPACITY + 2)
        ]
        assert set(statuses) == {401}, (
            f"{CAPACITY + 2} requests with {what} answered {statuses}; expected 401 every "
            "time: the bucket belongs to the caller the Caller dependency finds"
        )


@check(
    points=3,
    hint="The limit reads capacity and refill per request, from the get_settings "
    'dependency, so a test can replace them. Handout: "Settings with pydantic-settings".',
    more="Give rate_limit a `settings: SettingsDep` parameter (Annotated[Settings, "
    "Depends(get_settings)]) instead of reading a global.",
)
def test_the_limit_reads_the_settings_through_get_settings(app):
    """With get_settings replaced by settings whose capacity is 1 and whose refill is a
    token every 16 s, a caller's second request gets 429, with a Retry-After of 16 (15 when
    more than a second passed between the two requests), not the grader's 64."""
    with overridden_and_started(
        app, "get_settings", one_token_settings, MISSING_SETTINGS
    ) as test_client:
        first = predict(test_client, "override")
        assert first.status_code == 200, (
            f"the first request answered {first.status_code}; expected 200"
        )
        what = "the second request with a capacity of 1 (get_settings replaced)"
        second = predict(test_client, "override")
        expect_429(second, what)
        # Its format is the Retry-After check's rule: here only the number of seconds counts.
        wait = second.headers.get("retry-after", "")
        period = round(1 / OVERRIDE_REFILL)
        assert not re.fullmatch(r"\d+(\.\d*)?", wait.strip()) or (
            period - 1 <= float(wait) <= period
        ), (
            f"{what}: Retry-After is {wait}; expected {period}, since the replaced settings "
            f"refill a token every {period} s (rate_limit_refill_per_second=1/{period}): the "
            "refill, like the capacity, comes from the get_settings dependency"
        )


# ---------------------------------------------------------------- versions


@check(
    points=6,
    hint="Version 1 is lab 10's predictions, unchanged, moved under /v1. Handout: the "
    'contract, "/v1".',
    more="Give the predictions router prefix='/v1' and keep its answers exactly as in lab 10; "
    "nothing answers at the old unversioned paths any more.",
)
def test_v1_still_answers_lab_10s_predictions(api):
    """POST /v1/predict answers species, probabilities, model_version and prediction_id;
    POST /v1/predict/batch answers one prediction per item, in order. They moved: the
    unversioned POST /predict and POST /predict/batch of lab 10 answer 404."""
    response = predict(api, "v1", json=VERSICOLOR)
    support.expect_status(response, 200, f"POST {V1}")
    body = support.json_or_fail(response, f"POST {V1}")
    assert body.get("species") == "versicolor", f"POST {V1} answered {body}; expected versicolor"
    probabilities = body.get("probabilities")
    assert isinstance(probabilities, dict) and abs(sum(probabilities.values()) - 1) < 1e-6, (
        f"POST {V1} answered {body}; expected a probabilities object that adds up to 1"
    )
    assert body.get("model_version") == GRADER_VERSION and isinstance(
        body.get("prediction_id"), int
    ), f"POST {V1} answered {body}; expected model_version and prediction_id"
    batch = api.post(V1_BATCH, json={"items": [SETOSA, VIRGINICA]}, headers=key("v1"))
    support.expect_status(batch, 200, f"POST {V1_BATCH}")
    items = support.json_or_fail(batch, f"POST {V1_BATCH}").get("predictions")
    species = [item.get("species") for item in items] if isinstance(items, list) else items
    assert species == ["setosa", "virginica"], (
        f"POST {V1_BATCH} predicted {species}; expected ['setosa', 'virginica']"
    )
    for path, body in (("/predict", SETOSA), ("/predict/batch", {"items": [SETOSA]})):
        old_path = api.post(path, json=body, headers=key("v1"))
        assert old_path.status_code in (404, 405), (
            f"POST {path} answered {old_path.status_code}; lab 10's predictions moved to /v1, "
            "so the old path must be gone (404): a client left there escapes the rate limit "
            "and never hears of the deprecation"
        )


@check(
    points=6,
    hint="Every /v1 answer says it is deprecated and when it stops. Handout: "
    '"Versioning the API" (the exact formats).',
    more="A dependency of the v1 router sets Deprecation: @<unix seconds> (RFC 9745) and "
    "Sunset: <HTTP date in GMT> (RFC 8594) on the response.",
)
def test_v1_answers_carry_deprecation_and_sunset(api):
    """Both /v1 routes answer with Deprecation as @ and a Unix time, and Sunset as an HTTP
    date in GMT later than that."""
    answers = [
        (f"POST {V1}", predict(api, "sunset")),
        (f"POST {V1_BATCH}", api.post(V1_BATCH, json={"items": [SETOSA]}, headers=key("sunset"))),
    ]
    for what, response in answers:
        support.expect_status(response, 200, what)
        deprecation = response.headers.get("deprecation", "")
        assert re.fullmatch(r"@-?\d+", deprecation.strip()), (
            f"{what}: Deprecation is {deprecation!r}; expected @ and a Unix time (@1764547200)"
        )
        sunset = response.headers.get("sunset", "")
        try:
            moment = parsedate_to_datetime(sunset)
        except (TypeError, ValueError):
            moment = None
        assert moment is not None and sunset.strip().endswith("GMT"), (
            f"{what}: Sunset is {sunset!r}; expected an HTTP date (Wed, 30 Jun 2027 23:59:59 GMT)"
        )
        assert moment.timestamp() > int(deprecation.strip()[1:]), (
            f"{what}: the Sunset date comes before the Deprecation date"
        )


@check(
    points=6,
    hint="Version 2 answers the k most probable species, most probable first. Handout: the "
    'contract, "/v2".',
    more="Sort the probabilities from high to low and answer the first k as "
    "{'species': ..., 'probability': ...} in top_classes; k is a query parameter, 1 to 3, "
    "3 by default. The /v2 router takes rate_limit, not /v1's deprecation headers.",
)
def test_v2_lists_the_k_most_probable_species(api):
    """POST /v2/predict?k=2 answers species, top_classes (the 2 most probable species by
    POST /v1/predict's probabilities, most probable first, the first being the species),
    model_version and the prediction_id of its row in the log (GET /predictions/{id}), with
    no Deprecation or Sunset header; without k it lists 3 (for a setosa: setosa first, then by
    probability); k=0 and k=4 are 422."""
    response = predict(api, "v2", V2, json=VIRGINICA, params={"k": 2})
    support.expect_status(response, 200, f"POST {V2}?k=2")
    body = support.json_or_fail(response, f"POST {V2}?k=2")
    top = body.get("top_classes")
    assert isinstance(top, list) and len(top) == 2, (
        f"POST {V2}?k=2 answered {json.dumps(body)[:300]}; expected top_classes with 2 items"
    )
    probabilities = [item.get("probability") for item in top if isinstance(item, dict)]
    assert len(probabilities) == 2 and probabilities == sorted(probabilities, reverse=True), (
        f"POST {V2}?k=2: top_classes {top} are not from the most probable down"
    )
    assert body.get("species") == top[0].get("species") == "virginica", (
        f"POST {V2}?k=2 answered {json.dumps(body)[:300]}; expected virginica first"
    )
    marked = [name for name in ("Deprecation", "Sunset") if name in response.headers]
    assert not marked, (
        f"POST {V2} answered with {' and '.join(marked)}: only /v1 is deprecated, /v2 is "
        "its successor (its answers carry neither header)"
    )
    v1 = support.json_or_fail(predict(api, "v2", V1, json=VIRGINICA), f"POST {V1}")
    v1_probabilities = v1.get("probabilities") if isinstance(v1, dict) else None
    if isinstance(v1_probabilities, dict):
        most = sorted(v1_probabilities, key=lambda name: v1_probabilities[name], reverse=True)
        listed = [item.get("species") for item in top]
        assert listed == most[:2], (
            f"POST {V2}?k=2 lists {listed}; expected the 2 most probable species, {most[:2]} "
            f"(the model, POST {V1}, gives {v1_probabilities})"
        )
        for item in top:
            model_says = v1_probabilities.get(item.get("species"))
            assert isinstance(model_says, float) and item.get("probability") == model_says, (
                f"POST {V2}?k=2 lists {item}; the model (POST {V1}) says {model_says!r}: a "
                "probability of /v2 is the model's, never rounded"
            )
    assert body.get("model_version") == GRADER_VERSION and isinstance(
        body.get("prediction_id"), int
    ), f"POST {V2} answered {json.dumps(body)[:300]}; expected model_version and prediction_id"
    logged = api.get(f"/predictions/{body['prediction_id']}", headers=key("v2"))
    logged_species = logged.json().get("species") if logged.status_code == 200 else None
    assert logged_species == "virginica", (
        f"GET /predictions/{body['prediction_id']} (the prediction_id of POST {V2}) answered "
        f"{logged.status_code} {logged.text[:200]}; expected the logged virginica: a /v2 "
        "prediction is logged as /v1's are"
    )
    default = support.json_or_fail(predict(api, "v2-default", V2), f"POST {V2}")
    assert isinstance(default.get("top_classes"), list) and len(default["top_classes"]) == 3, (
        f"POST {V2} without k answered {json.dumps(default)[:300]}; expected 3 top_classes"
    )
    listed = [item for item in default["top_classes"] if isinstance(item, dict)]
    order = [item.get("species") for item in listed]
    ranked = [item.get("probability") for item in listed]
    assert (
        default.get("species") == "setosa"
        and order[:1] == ["setosa"]
        and len(ranked) == 3
        and ranked == sorted(ranked, reverse=True)
    ), (
        f"POST {V2} for a setosa (without k) answered the species {default.get('species')!r} "
        f"and top_classes in the order {order}; expected setosa first, then the others from "
        f"the most probable down (by probability, not by name): probabilities {ranked}"
    )
    for k in (0, 4):
        bad = predict(api, "v2-bounds", V2, params={"k": k})
        support.expect_status(bad, 422, f"POST {V2}?k={k}")


@check(
    points=4,
    hint='Both versions belong in the schema, v1 marked deprecated. Handout: "Versioning the API".',
    more="APIRouter(prefix='/v1', deprecated=True, ...) marks every v1 operation deprecated "
    "in /openapi.json.",
)
def test_both_versions_are_in_openapi(api):
    """/openapi.json has /v1/predict, /v1/predict/batch (deprecated) and /v2/predict (not)."""
    schema = support.json_or_fail(api.get("/openapi.json"), "GET /openapi.json")
    paths = schema.get("paths", {})
    missing = [path for path in (V1, V1_BATCH, V2) if "post" not in paths.get(path, {})]
    assert not missing, f"/openapi.json has no POST {', '.join(missing)}"
    for path in (V1, V1_BATCH):
        assert paths[path]["post"].get("deprecated") is True, (
            f"/openapi.json does not mark POST {path} deprecated"
        )
    assert not paths[V2]["post"].get("deprecated"), (
        "/openapi.json marks POST /v2/predict deprecated"
    )


# ---------------------------------------------------------------- limits and hosts


@check(
    points=5,
    hint="FastAPI's own max_body_size refuses a body over IRIS_MAX_BODY_BYTES with 413. "
    'Handout: "Limits, hosts and compression".',
    more="FastAPI(..., max_body_size=settings.max_body_bytes) in create_app: the setting "
    "itself, not a number near it.",
)
def test_a_body_over_the_limit_gets_413(api):
    """With IRIS_MAX_BODY_BYTES=4096, a batch body of about 8 KB, or of 4097 bytes, gets 413
    (the 8 KB one sent with a Content-Length or in chunks without one); one of about 3 KB,
    and one of exactly 4096 bytes (not larger than the limit), get 200; and a CSV upload of
    about 8 KB to POST /predict/csv, which keeps lab 09's 1 MiB limit, gets 200."""
    small = json.dumps({"items": [SETOSA] * 30}).encode()
    large = json.dumps({"items": [SETOSA] * 90}).encode()
    exact = small + b" " * (MAX_BODY - len(small))  # JSON may end with spaces
    assert len(small) < MAX_BODY < len(large) and len(exact) == MAX_BODY
    headers = {**key("body"), "Content-Type": "application/json"}
    for body in (large, exact + b" "):
        response = api.post(V1_BATCH, content=body, headers=headers)
        assert response.status_code == 413, (
            f"a {len(body)}-byte body (the limit is {MAX_BODY}: any larger body is refused) "
            f"answered {response.status_code}; expected 413"
        )
    chunked = api.post(V1_BATCH, content=iter([large[:2000], large[2000:]]), headers=headers)
    assert chunked.status_code == 413, (
        f"a {len(large)}-byte body sent in chunks, without Content-Length (the limit is "
        f"{MAX_BODY}), answered {chunked.status_code}; expected 413: the limit counts the "
        "bytes that arrive, not what Content-Length says"
    )
    for body in (small, exact):
        response = api.post(V1_BATCH, content=body, headers=headers)
        assert response.status_code == 200, (
            f"a {len(body)}-byte body (the limit is {MAX_BODY}: only larger ones are refused) "
            f"answered {response.status_code}; expected 200"
        )
    upload = csv_of(SETOSA, rows=300)
    assert MAX_BODY < len(upload) < 1024 * 1024
    files = {"file": ("flowers.csv", upload, "text/csv")}
    response = api.post("/predict/csv", files=files, headers=key("upload"))
    assert response.status_code == 200, (
        f"a CSV upload of {len(upload)} bytes to POST /predict/csv answered "
        f"{response.status_code}; expected 200: uploads keep lab 09's own 1 MiB limit (a "
        "route's max_body_size wins over the app's)"
    )


@check(
    points=4,
    hint="TrustedHostMiddleware answers 400 to a Host the settings do not list. Handout: "
    '"Limits, hosts and compression".',
    more="app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts).",
)
def test_a_foreign_host_gets_400(api):
    """GET /health with Host: evil.example gets 400; with a listed host (testserver, and
    iris.internal.example, which only IRIS_ALLOWED_HOSTS lists), 200."""
    response = api.get("/health", headers={"Host": "evil.example"})
    assert response.status_code == 400, (
        f"GET /health for Host evil.example answered {response.status_code}; expected 400"
    )
    support.expect_status(api.get("/health"), 200, "GET /health for Host testserver")
    listed = HOSTS[-1]
    response = api.get("/health", headers={"Host": listed})
    assert response.status_code == 200, (
        f"GET /health for Host {listed} answered {response.status_code}; expected 200: "
        f"IRIS_ALLOWED_HOSTS lists it (the hosts come from the setting, not from its default)"
    )


@check(
    points=4,
    hint="GZipMiddleware compresses large answers for clients that accept gzip, never "
    'small ones, never streams. Handout: "Limits, hosts and compression".',
    more="app.add_middleware(GZipMiddleware, minimum_size=1000, exclude_content_types=...), "
    "added before lab 05's request middleware so that it wraps it; Starlette leaves "
    "text/event-stream alone, application/jsonl only when told to.",
)
def test_large_answers_are_gzipped_small_ones_not(api):
    """With Accept-Encoding: gzip, GET /openapi.json (tens of KB) and a GET /hello/{name}
    of exactly 1000 bytes come gzip-encoded, and neither GET /health (a few bytes), GET
    /model (a few hundred bytes, under 1000) nor a GET /hello/{name} of exactly 999 bytes
    does, nor lab 10's streams (GET /predict/explain/lines and GET /predict/explain)."""
    large = api.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    encoding = large.headers.get("content-encoding")
    assert encoding == "gzip", f"GET /openapi.json came with Content-Encoding {encoding!r}"
    small = api.get("/health", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers, (
        f"GET /health ({len(small.content)} bytes) came compressed "
        f"({small.headers.get('content-encoding')}): too small to gain anything (GZip "
        "compresses every answer it receives in pieces: is it added after lab 05's "
        "app.middleware('http'), so that it wraps it? Add it right after FastAPI(...))"
    )
    middle = api.get("/model", headers={"Accept-Encoding": "gzip"})
    support.expect_status(middle, 200, "GET /model")
    assert len(middle.content) >= GZIP_MINIMUM or "content-encoding" not in middle.headers, (
        f"GET /model, an answer of {len(middle.content)} bytes, came compressed "
        f"({middle.headers.get('content-encoding')}); only answers of {GZIP_MINIMUM} bytes "
        "or more are (GZipMiddleware's minimum_size)"
    )
    short = api.get("/hello/a", headers=GZIP)
    support.expect_status(short, 200, "GET /hello/a")
    frame = len(short.content) - 1  # the greeting's bytes besides the name
    greeting = api.get(f"/hello/{'a' * (GZIP_MINIMUM - frame)}", headers=GZIP)
    support.expect_status(greeting, 200, "GET /hello/{name}")
    assert len(greeting.content) == GZIP_MINIMUM, (
        f"GET /hello/{{name}} with a name of {GZIP_MINIMUM - frame} letters answered "
        f"{len(greeting.content)} bytes, with one letter {frame + 1}: a greeting's length "
        "grows with its name, as in lab 01"
    )
    encoding = greeting.headers.get("content-encoding")
    assert encoding == "gzip", (
        f"GET /hello/{{name}}, an answer of {GZIP_MINIMUM} bytes, came with Content-Encoding "
        f"{encoding!r}; expected gzip: answers of {GZIP_MINIMUM} bytes or more are compressed "
        f"(minimum_size={GZIP_MINIMUM}, not 1 KiB)"
    )
    below = api.get(f"/hello/{'a' * (GZIP_MINIMUM - 1 - frame)}", headers=GZIP)
    support.expect_status(below, 200, "GET /hello/{name}")
    assert len(below.content) == GZIP_MINIMUM - 1, (
        f"GET /hello/{{name}} with a name of {GZIP_MINIMUM - 1 - frame} letters answered "
        f"{len(below.content)} bytes, with one letter {frame + 1}: a greeting's length "
        "grows with its name, as in lab 01"
    )
    assert "content-encoding" not in below.headers, (
        f"GET /hello/{{name}}, an answer of {GZIP_MINIMUM - 1} bytes, came compressed "
        f"({below.headers.get('content-encoding')}); only answers of {GZIP_MINIMUM} bytes or "
        f"more are (minimum_size={GZIP_MINIMUM}: Starlette's default, 500, compresses from "
        "500 bytes)"
    )
    for path, kind in STREAMS.items():
        headers = {**key("stream"), "Accept-Encoding": "gzip"}
        stream = api.get(path, params=SETOSA, headers=headers)
        support.expect_status(stream, 200, f"GET {path}")
        assert "content-encoding" not in stream.headers, (
            f"GET {path}, a {kind} stream ({stream.headers.get('content-type')}), came "
            f"compressed ({stream.headers.get('content-encoding')}): a compressed stream "
            "reaches the client in blocks, not event by event as each is produced"
        )
