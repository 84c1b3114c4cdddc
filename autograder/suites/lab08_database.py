"""Lab 08 checks: the prediction log in a SQLite database, its routes, its migration, and the
student's tests of it.

The grader's settings are in the environment for the whole grading (its model, its secret,
an API key, an admin and a user, the cheapest Argon2 cost), and every check gets a database
of its own: ``DATABASE_URL`` names a new file in the check's temporary folder, set before the
app starts (the app reads its settings when it starts). Checks that look at the data do it
through the API, and also open the file itself with ``sqlite3`` where the contract fixes the
table (the migration check builds a database at revision 0001 by hand).

* "survives a restart": two app starts, one after the other, on the same file;
* concurrent writes: many requests at once through uvicorn on a loopback socket;
* the migration: a file made with the old schema, with rows, which the app upgrades when it
  starts;
* the student's tests of the log (``tests/test_prediction_log.py`` with
  ``tests/conftest.py``): they must pass on the student's own service; hidden checks also
  run them against the reference service and buggy copies of it
  (``autograder/lab08/implementations.toml``), as lab 06 does.

In secure mode the app writes its database as the sandbox user, so each check's database
folder is handed to that user first.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from autograder import check, implementations, isolation, sandbox
from autograder.course import lab_for_suite
from autograder.implementations import (
    Bench,
    Implementation,
    load_implementations,
    opaque_folder,
)
from autograder.iris import GRADER_VERSION
from autograder.isolation.commands import Command, python
from autograder.student_test_results import FAILED, TESTS_FOLDER
from autograder.suites import support
from autograder.suites.support import SETOSA, VERSICOLOR, VIRGINICA

SPECIES = ("setosa", "versicolor", "virginica")
ADMIN, ADMIN_PASSWORD = "ada", "ada-reloads-models-9"
USER, USER_PASSWORD = "bea", "bea-predicts-flowers-4"
CLIENT = "grader-robot"
API_KEY = secrets.token_urlsafe(24)
SECRET = secrets.token_hex(32)
# Begins with the first version's name: a filter that matches the start of a version, or a
# part of it, lists the rows of both.
SECOND_VERSION = f"{GRADER_VERSION}.1"
# The version of a model whose rows are never labelled: it has no accuracy entry.
UNLABELLED_VERSION = f"{GRADER_VERSION}.2"
# The version of a model whose labelled rows are all wrong: its entry says correct 0.
ALL_WRONG_VERSION = f"{GRADER_VERSION}.3"
# The first version's name in capitals: another version, which model_version= must not match
# (SQL's LIKE, and lower() on both sides, ignore the case of letters).
CAPITALS_VERSION = GRADER_VERSION.upper()
MAX_PAGE_SIZE = 100
CONCURRENT_REQUESTS = 40
CONCURRENT_THREADS = 16
LAB = lab_for_suite(__file__)
IMPLEMENTATIONS = LAB.data_dir / "implementations.toml"
LOG_TESTS = ("conftest.py", "test_prediction_log.py")  # what the hidden checks run
RUN_TIMEOUT = 100.0  # seconds one run of the student's tests may take (a loaded machine)
JOBS = 2
ALEMBIC_SECONDS = 60  # for `python -m alembic downgrade` (imports SQLModel; a loaded machine)

# The table as revision 0001 makes it (the handout's contract), and the rows the migration
# check writes into it before the app upgrades the file.
OLD_SCHEMA = """
CREATE TABLE prediction (
    id INTEGER NOT NULL PRIMARY KEY,
    created_at DATETIME NOT NULL,
    sepal_length FLOAT NOT NULL,
    sepal_width FLOAT NOT NULL,
    petal_length FLOAT NOT NULL,
    petal_width FLOAT NOT NULL,
    species VARCHAR NOT NULL,
    probabilities JSON NOT NULL,
    model_version VARCHAR NOT NULL,
    request_id VARCHAR NOT NULL,
    caller VARCHAR NOT NULL,
    true_species VARCHAR
);
CREATE INDEX ix_prediction_created_at ON prediction (created_at);
CREATE INDEX ix_prediction_species ON prediction (species);
CREATE INDEX ix_prediction_model_version ON prediction (model_version);
CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version (version_num) VALUES ('0001');
"""
# Their created_at are not in id order (two requests may commit in the other order than they
# began): the list must still come back by id.
OLD_ROWS = [
    (1, "2026-01-06 10:00:00.000000", *SETOSA.values(), "setosa", "old-1.0", "r-1", "lab", None),
    (2, "2026-01-05 09:00:00.000000", *VIRGINICA.values(), "virginica", "old-1.0", "r-2", "lab",
     "versicolor"),
    (3, "2026-01-05 09:30:00.000000", *VERSICOLOR.values(), "versicolor", "old-2.0", "r-3", "ada",
     "versicolor"),
]  # fmt: skip
OLD_INDEXES = {"ix_prediction_created_at", "ix_prediction_species", "ix_prediction_model_version"}


# ---------------------------------------------------------------- settings and databases


def hashed_users() -> str:
    """USERS as the handout's contract gives it: the admin and the user, with their hashes."""
    hashes = support.password_hashes({ADMIN: ADMIN_PASSWORD, USER: USER_PASSWORD})
    return json.dumps(
        {
            ADMIN: {"password_hash": hashes[ADMIN], "role": "admin"},
            USER: {"password_hash": hashes[USER], "role": "user"},
        }
    )


@pytest.fixture(scope="session")
def model_file(iris_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the grader's model that the version checks change (and put back)."""
    return support.copy_model(iris_model, tmp_path_factory.mktemp("served-model"))


@pytest.fixture
def grader_settings(model_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every setting but DATABASE_URL, in the environment while the check runs (not while
    the student's tests run: they set their own)."""
    environment = {
        "MODEL_PATH": str(model_file),
        "JWT_SECRET": SECRET,
        "API_KEYS": json.dumps({CLIENT: API_KEY}),
        "USERS": hashed_users(),
        **support.FAST_ARGON2,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)


# Every database file of a check has the same name, in a folder of the same name, in a
# folder with a name drawn at random (pytest's tmp_path in secure mode): the path
# DATABASE_URL gives the app must not tell it which check started it (the check of an
# in-memory database, which wants the file it names when main.py is imported never made).
DATA_FOLDER, DATABASE_NAME = "data", "log.db"


def writable_folder(folder: Path) -> Path:
    """A folder the app may write its database into (in secure mode: the sandbox user's)."""
    folder.mkdir(parents=True, exist_ok=True)
    return isolation.current().writable_by_app(folder)


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def database(grader_settings: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This check's database file (not there yet: the app creates it), in DATABASE_URL."""
    path = writable_folder(tmp_path / DATA_FOLDER) / DATABASE_NAME
    monkeypatch.setenv("DATABASE_URL", url_of(path))
    return path


@contextmanager
def fresh(app) -> Iterator:
    """The app to start, as a new process would see it.

    In secure mode ``app`` itself: every start is a new sandbox process. In normal mode the
    submission imported afresh (its tables forgotten first), so that nothing one start left
    on the app or in its modules (a session kept on ``app.state``...) is there at the next:
    both modes grade alike.
    """
    with isolation.current().fresh_app(app, support.reimported_app) as new_app:
        yield new_app


@contextmanager
def started(app, what: str = "a new database file") -> Iterator:
    """A TestClient for a fresh start of ``app`` (see :func:`fresh`), whose lifespan ran
    with the current environment."""
    with (
        fresh(app) as new_app,
        support.started(
            new_app, failure=f"DATABASE_URL naming {what}", raise_server_exceptions=False
        ) as test_client,
    ):
        yield test_client


@pytest.fixture
def fresh_client(app, database: Path) -> Iterator:
    """The app, started on this check's own new database file."""
    with started(app) as test_client:
        yield test_client


@contextmanager
def served(app) -> Iterator[str]:
    """A fresh start of the app (see :func:`fresh`) served by uvicorn on a loopback port (a
    sandbox server in secure mode), started with the current environment; yields its base
    URL."""
    with ExitStack() as stack:
        new_app = stack.enter_context(fresh(app))
        try:
            base_url = stack.enter_context(isolation.current().serve(new_app))
        except (RuntimeError, sandbox.SandboxError) as error:
            pytest.fail(f"the app could not be served: {error}", pytrace=False)
        yield base_url


@contextmanager
def model_version_changed(model_file: Path, version: str) -> Iterator[None]:
    """The model file's metadata says ``version`` while the block runs."""
    metadata_file = model_file.with_suffix(".json")
    original = metadata_file.read_text()
    try:
        metadata_file.write_text(json.dumps({**json.loads(original), "version": version}))
        yield
    finally:
        metadata_file.write_text(original)


def rows_in_file(path: Path) -> list[dict]:
    """The rows of the table "prediction", read from (a copy of) the file with sqlite3."""
    return support.table_rows(path, "prediction", order_by="id")


def journal_mode(path: Path) -> str:
    """The journal mode of the database file (``PRAGMA journal_mode``, read from a copy)."""
    with support.database_copy(path) as connection:
        try:
            return str(connection.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        except sqlite3.Error as error:
            what = f"reading the journal mode of the database file: {error}"
            pytest.fail(what, pytrace=False)


# ---------------------------------------------------------------- requests


KEY = {"X-API-Key": API_KEY}


def expect_status(response, status: int, what: str) -> None:
    """:func:`support.expect_status`, showing up to 300 characters of an error's body."""
    support.expect_status(response, status, what, body_chars=300)


def predict(test_client, flower: dict = SETOSA, headers: dict | None = None) -> dict:
    """POST /predict with the grader's API key (or ``headers``); the answer, which must have a
    prediction_id."""
    response = test_client.post("/predict", json=flower, headers=headers or KEY)
    expect_status(response, 200, "POST /predict")
    body = support.json_or_fail(response, "POST /predict")
    assert isinstance(body.get("prediction_id"), int), (
        f"POST /predict answered {json.dumps(body)[:200]}; expected a prediction_id (an integer)"
    )
    body["_request_id"] = response.headers.get("X-Request-ID")
    return body


def predict_batch(test_client, flowers: list[dict]) -> list[dict]:
    """POST /predict/batch with the grader's API key; its predictions, each with the answer's
    model_version and a prediction_id (an integer)."""
    response = test_client.post("/predict/batch", json={"items": flowers}, headers=KEY)
    what = f"POST /predict/batch of {len(flowers)} flowers"
    expect_status(response, 200, what)
    body = support.json_or_fail(response, what)
    answers = body.get("predictions") or []
    ids = [answer.get("prediction_id") for answer in answers]
    assert len(ids) == len(flowers) and all(isinstance(i, int) for i in ids), (
        f"{what} answered prediction_ids {ids}; expected {len(flowers)} integers"
    )
    return [{**answer, "model_version": body.get("model_version")} for answer in answers]


def read(test_client, prediction_id: int) -> dict:
    response = test_client.get(f"/predictions/{prediction_id}", headers=KEY)
    expect_status(response, 200, f"GET /predictions/{prediction_id}")
    return support.json_or_fail(response, f"GET /predictions/{prediction_id}")


def page(test_client, what: str | None = None, **params) -> dict:
    """GET /predictions with ``params``: the page, which must have items and total."""
    response = test_client.get("/predictions", params=params, headers=KEY)
    what = what or f"GET /predictions with {params or 'no parameters'}"
    expect_status(response, 200, what)
    body = support.json_or_fail(response, what)
    assert isinstance(body, dict) and isinstance(body.get("items"), list), (
        f'{what} answered {json.dumps(body)[:200]}; expected {{"items": [...], "total": ...}}'
    )
    assert isinstance(body.get("total"), int), f"{what}: no total (an integer)"
    return body


def ids_of(body: dict) -> list[int]:
    return [item.get("id") for item in body["items"]]


def feedback(test_client, prediction_id: int, changes: dict, status: int = 200) -> dict:
    response = test_client.patch(f"/predictions/{prediction_id}", json=changes, headers=KEY)
    expect_status(response, status, f"PATCH /predictions/{prediction_id} with {changes}")
    return support.json_or_fail(response, "PATCH /predictions/{id}")


def expect_validation_envelope(response, what: str) -> None:
    """A 422 in lab 04's envelope: its code is validation_error, as FastAPI's own 422s are
    once the app's handler wraps them."""
    error = (support.json_or_fail(response, what) or {}).get("error") or {}
    assert error.get("code") == "validation_error", (
        f"{what} answered 422 with the error code {error.get('code')!r}; expected "
        "'validation_error' (lab 04's envelope for every 422): declare the type and bounds "
        "(Query(ge=..., le=...), Field(max_length=...), the species Literal) and let FastAPI "
        "refuse the value, rather than raising HTTPException(422) yourself"
    )


def bearer(test_client, username: str, password: str) -> dict[str, str]:
    response = test_client.post("/token", data={"username": username, "password": password})
    expect_status(response, 200, f"POST /token for {username!r}")
    token = support.json_or_fail(response, "POST /token").get("access_token")
    return {"Authorization": f"Bearer {token}"}


def reload_model(test_client) -> None:
    response = test_client.post("/model/reload", headers=bearer(test_client, ADMIN, ADMIN_PASSWORD))
    expect_status(response, 200, "POST /model/reload as the admin")


def as_utc(text) -> datetime:
    """A created_at of the API as an aware UTC datetime (a time without an offset is UTC)."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        pytest.fail(f"created_at {text!r} is not an ISO 8601 date and time", pytrace=False)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def without_offset(text) -> str:
    """A created_at of the API written in UTC without an offset (which means UTC)."""
    return as_utc(text).astimezone(UTC).replace(tzinfo=None).isoformat()


def in_paris(text) -> str:
    """A created_at of the API written at +02:00 (the same moment, two hours later on the
    clock)."""
    return as_utc(text).astimezone(timezone(timedelta(hours=2))).isoformat()


def close(value, expected) -> bool:
    return isinstance(value, (int, float)) and abs(value - expected) <= 1e-6


# ---------------------------------------------------------------- the log


@check(
    points=5,
    hint="Every prediction becomes a row of the log before the answer leaves, and the answer "
    'says which row. Handout: "One table, several models" and the contract, "Routes".',
    more="In /predict, after the model answers, build a PredictionRecord from the measurement "
    "and the prediction (model version, request.state.request_id, the caller), add it to the "
    "session, commit, refresh, and answer its id as prediction_id.",
)
def test_a_prediction_is_logged(fresh_client):
    """POST /predict answers a prediction_id, and GET /predictions/{id} returns the row:
    the four measurements, the species and probabilities answered, the model version, the
    request id of the POST, the caller (the API key's client name), the time it was logged,
    and no true_species or note yet."""
    before = datetime.now(UTC)
    answer = predict(fresh_client, VIRGINICA)
    after = datetime.now(UTC)
    row = read(fresh_client, answer["prediction_id"])
    for field, value in VIRGINICA.items():
        assert close(row.get(field), value), f"the row has {field} {row.get(field)!r}; sent {value}"
    assert row.get("id") == answer["prediction_id"], "the row's id is not the prediction_id"
    assert row.get("species") == answer["species"], "the row's species is not the answer's"
    probabilities = row.get("probabilities") or {}
    assert set(probabilities) == set(SPECIES) and all(
        close(probabilities[name], answer["probabilities"][name]) for name in SPECIES
    ), f"the row's probabilities {probabilities} are not the answer's"
    assert row.get("model_version") == GRADER_VERSION, (
        f"the row has model_version {row.get('model_version')!r}; expected {GRADER_VERSION!r}"
    )
    assert row.get("caller") == CLIENT, (
        f"the row has caller {row.get('caller')!r}; expected the API key's client {CLIENT!r}"
    )
    assert row.get("request_id") == answer["_request_id"], (
        f"the row has request_id {row.get('request_id')!r}; expected the X-Request-ID of the POST"
    )
    logged = as_utc(row.get("created_at"))
    assert before.timestamp() - 2 <= logged.timestamp() <= after.timestamp() + 2, (
        f"the row was logged at {row.get('created_at')}, not while the request ran (in UTC; "
        "the grader runs the app in another time zone: datetime.now() without UTC is local)"
    )
    assert row.get("true_species") is None and row.get("note") is None, (
        "a new row has no true_species and no note (null)"
    )


@check(
    points=4,
    hint="A batch is many predictions: each has its own row and its own id. Handout: the "
    'contract, "Routes", and "Tasks", 3.',
    more="In /predict/batch, log one row per item (in one transaction), and answer each "
    "prediction with its own prediction_id.",
)
def test_batch_predictions_are_logged_one_row_each(fresh_client):
    """POST /predict/batch logs one row per flower: each prediction of the answer has its own
    prediction_id, whose row holds that flower and that species."""
    flowers = [VIRGINICA, SETOSA, VERSICOLOR]
    response = fresh_client.post("/predict/batch", json={"items": flowers}, headers=KEY)
    expect_status(response, 200, "POST /predict/batch")
    answers = support.json_or_fail(response, "POST /predict/batch").get("predictions") or []
    ids = [item.get("prediction_id") for item in answers]
    assert len(ids) == 3 and len(set(ids)) == 3 and all(isinstance(i, int) for i in ids), (
        f"POST /predict/batch of 3 flowers answered prediction_ids {ids}; expected 3 different"
    )
    for flower, answer, prediction_id in zip(flowers, answers, ids, strict=True):
        row = read(fresh_client, prediction_id)
        assert close(row.get("petal_length"), flower["petal_length"]), (
            f"row {prediction_id} holds another flower than item {flowers.index(flower)}"
        )
        assert row.get("species") == answer.get("species"), f"row {prediction_id}: wrong species"
    assert page(fresh_client)["total"] == 3, "the log holds other rows than the batch's 3"


@check(
    points=7,
    hint="The log lives in the database DATABASE_URL names, opened when the app starts. "
    'Handout: "One engine per app, one session per request" and the contract, "Settings".',
    more="Keep the rows in the SQLite file DATABASE_URL names (create the engine from the "
    "settings in lifespan), never in memory: a new app on the same file must find them.",
)
def test_the_log_survives_a_restart(
    app, database: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch
):
    """Rows written by one start of the app (a prediction and its feedback) are read back by
    a new start on the same DATABASE_URL file, and are in that file; an app started on
    another file does not see them."""
    with started(app) as first:
        prediction_id = predict(first, SETOSA)["prediction_id"]
        feedback(first, prediction_id, {"true_species": "setosa", "note": "kept"})
    with started(app, "the file of the first start") as second:
        row = read(second, prediction_id)
        assert row.get("true_species") == "setosa" and row.get("note") == "kept", (
            f"after a restart the row has true_species {row.get('true_species')!r} and note "
            f"{row.get('note')!r}; expected 'setosa' and 'kept'"
        )
    assert [row["id"] for row in rows_in_file(database)] == [prediction_id], (
        "the database file does not hold exactly the logged row"
    )
    other = writable_folder(tmp_path_factory.mktemp("other") / DATA_FOLDER) / DATABASE_NAME
    monkeypatch.setenv("DATABASE_URL", url_of(other))
    with started(app, "another new file") as elsewhere:
        assert page(elsewhere)["total"] == 0, "an app on a new database file sees rows already"


@check(
    points=4,
    hint="The log holds who asked what: only a caller may read or label it. Handout: the "
    'contract, "Routes" (every route needs a caller).',
    more="Give each route of the log a `caller: Caller` parameter (lab 07's dependency): "
    "FastAPI then answers 401 before the route runs.",
)
def test_the_log_needs_a_caller(fresh_client):
    """GET /predictions, GET and PATCH /predictions/{id} and GET /accuracy answer 401 without
    credentials and with a wrong API key (and the row is not changed)."""
    prediction_id = predict(fresh_client)["prediction_id"]
    path = f"/predictions/{prediction_id}"
    for headers, what in (
        ({}, "without credentials"),
        ({"X-API-Key": "no-such-key"}, "with a wrong API key"),
    ):
        for method, route, options in (
            ("GET", "/predictions", {}),
            ("GET", path, {}),
            ("PATCH", path, {"json": {"note": "not yours"}}),
            ("GET", "/accuracy", {}),
        ):
            response = fresh_client.request(method, route, headers=headers, **options)
            expect_status(response, 401, f"{method} {route} {what}")
    assert read(fresh_client, prediction_id).get("note") is None, (
        f"PATCH {path} without credentials answered 401 but changed the row's note"
    )


@check(
    points=4,
    hint="An id that is not in the log is a 404 in every route that takes one. Handout: the "
    'contract, "Routes".',
    more="session.get(PredictionRecord, prediction_id) is None for an unknown id: raise "
    "HTTPException(404) then, in GET, PATCH and DELETE.",
)
def test_unknown_prediction_is_404(fresh_client):
    """GET /predictions/{id} finds a logged row, and GET, PATCH and DELETE (as the admin) of
    an id that is not in the log answer 404 in the error envelope (code not_found)."""
    read(fresh_client, predict(fresh_client)["prediction_id"])
    admin = bearer(fresh_client, ADMIN, ADMIN_PASSWORD)
    for what, response in (
        ("GET", fresh_client.get("/predictions/999999", headers=KEY)),
        ("PATCH", fresh_client.patch("/predictions/999999", json={"note": "x"}, headers=KEY)),
        ("DELETE", fresh_client.delete("/predictions/999999", headers=admin)),
    ):
        expect_status(response, 404, f"{what} /predictions/999999")
        error = (support.json_or_fail(response, what) or {}).get("error") or {}
        assert error.get("code") == "not_found", f"{what}: the envelope's code is not not_found"


@check(
    points=7,
    hint="Feedback is a partial update: a field not sent is not the same as a field sent as "
    'null. Handout: "Partial updates: `exclude_unset`".',
    more="Update with record.sqlmodel_update(feedback.model_dump(exclude_unset=True)): only "
    "the fields the caller sent change, and an explicit null clears one.",
)
def test_feedback_changes_only_the_fields_sent(fresh_client):
    """PATCH /predictions/{id} with {"true_species"} sets it; then with {"note"} alone (sent
    by a user's bearer token, another caller than the one that predicted) sets the note and
    keeps the true species; an empty {} changes nothing (200); then {"true_species": null}
    clears it and keeps the note, and {"note": null} clears the note. Each answer is the
    updated row, and GET agrees; the row's other fields (its caller and created_at among
    them) stay as they were logged."""
    prediction_id = predict(fresh_client)["prediction_id"]
    logged = read(fresh_client, prediction_id)
    body = feedback(fresh_client, prediction_id, {"true_species": "versicolor"})
    assert body.get("true_species") == "versicolor", "PATCH did not set true_species"
    user = bearer(fresh_client, USER, USER_PASSWORD)
    response = fresh_client.patch(
        f"/predictions/{prediction_id}", json={"note": "measured twice"}, headers=user
    )
    expect_status(response, 200, f"PATCH /predictions/{prediction_id} with a note, as {USER!r}")
    body = support.json_or_fail(response, "PATCH /predictions/{id}")
    expect_unchanged(body, logged, f"the answer to the PATCH of a note by the user {USER!r}")
    assert body.get("note") == "measured twice", "PATCH did not set note"
    assert body.get("true_species") == "versicolor", (
        f'PATCH {{"note"}} alone changed true_species to {body.get("true_species")!r}: '
        "a field the caller did not send must stay as it is"
    )
    response = fresh_client.patch(f"/predictions/{prediction_id}", json={}, headers=KEY)
    assert response.status_code == 200, (
        f"PATCH /predictions/{prediction_id} with an empty body {{}} answered "
        f"{response.status_code}; expected 200 and the row as it is: both fields of the "
        f"feedback are optional, so {{}} is valid feedback that changes nothing. Its body: "
        f"{response.text[:200]}"
    )
    body = support.json_or_fail(response, "PATCH /predictions/{id} with {}")
    found = (body.get("true_species"), body.get("note"))
    assert found == ("versicolor", "measured twice"), (
        f"PATCH {{}} answered true_species, note = {found}; expected ('versicolor', 'measured "
        "twice'): an empty feedback changes nothing"
    )
    body = feedback(fresh_client, prediction_id, {"true_species": None})
    assert body.get("true_species") is None, "PATCH with true_species null did not clear it"
    assert body.get("note") == "measured twice", "PATCH {true_species: null} erased the note"
    row = read(fresh_client, prediction_id)
    assert row.get("true_species") is None and row.get("note") == "measured twice", (
        "GET /predictions/{id} does not show the feedback the PATCH answered"
    )
    body = feedback(fresh_client, prediction_id, {"note": None})
    assert body.get("note") is None, (
        f"PATCH with note null answered note {body.get('note')!r}: null clears the note, as "
        "it clears the true species"
    )
    row = read(fresh_client, prediction_id)
    assert row.get("note") is None, "GET /predictions/{id} still shows the note null cleared"
    expect_unchanged(row, logged, "GET /predictions/{id} after the PATCHes")


def expect_unchanged(row: dict, logged: dict, what: str) -> None:
    """Every field of ``row`` but the feedback (true_species, note) is as ``logged``."""
    changed = sorted(
        field
        for field in set(logged) - {"true_species", "note"}
        if (
            as_utc(row.get(field)) != as_utc(logged[field])
            if field == "created_at"
            else row.get(field) != logged[field]
        )
    )
    assert not changed, (
        f"in {what}, the row's {', '.join(changed)} changed: "
        + "; ".join(f"{field} {logged[field]!r} became {row.get(field)!r}" for field in changed)
        + ". Only the fields sent change: the rest stays as the prediction logged it"
    )


@check(
    points=3,
    hint="Let the feedback model's types and constraints refuse bad values. Handout: the "
    'contract, "Routes" (Feedback).',
    more="Type true_species as the species Literal (or None) and note with "
    "Field(max_length=500) in the update model: FastAPI answers 422 itself.",
)
def test_bad_feedback_is_422(fresh_client):
    """A PATCH with a valid species works, and so does a note of exactly 500 characters; one
    with true_species "rose", or a note longer than 500 characters, answers 422 in the error
    envelope (code validation_error)."""
    prediction_id = predict(fresh_client)["prediction_id"]
    feedback(fresh_client, prediction_id, {"true_species": "virginica"})
    longest = "n" * 500
    response = fresh_client.patch(
        f"/predictions/{prediction_id}",
        json={"true_species": "virginica", "note": longest},
        headers=KEY,
    )
    assert response.status_code == 200, (
        f"PATCH /predictions/{prediction_id} with a note of exactly 500 characters answered "
        f"{response.status_code}; expected 200: a note may have up to 500 characters, 500 "
        "included (Field(max_length=500))"
    )
    assert read(fresh_client, prediction_id).get("note") == longest, (
        "the note of 500 characters was not kept whole"
    )
    for changes in ({"true_species": "rose"}, {"note": "x" * 501}):
        response = fresh_client.patch(f"/predictions/{prediction_id}", json=changes, headers=KEY)
        what = f"PATCH /predictions/{prediction_id} with {str(changes)[:60]}"
        expect_status(response, 422, what)
        expect_validation_envelope(response, what)
    assert read(fresh_client, prediction_id).get("true_species") == "virginica", (
        "a 422 changed the row"
    )


# ---------------------------------------------------------------- listing


@check(
    points=5,
    hint="Pages only fit together when the order is stable and the total ignores the page. "
    'Handout: "Pages in a stable order".',
    more="Order by id (a unique column, so the order is stable), then .offset(offset)"
    ".limit(limit); count the total with the same filters but no offset or limit.",
)
def test_pages_cover_every_row_once_in_id_order(fresh_client):
    """Seven logged rows read in pages of 3 (offset 0, 3, 6) come back once each, in
    increasing id order, with total 7 on every page; the default page holds all 7 and says
    offset 0 and limit 20, a page asked with offset 3 and limit 2 says so, and a page past
    the end is empty. With a species filter, offset skips that many of the matching rows."""
    answers = [predict(fresh_client, flower) for flower in [SETOSA, VIRGINICA] * 3 + [VERSICOLOR]]
    ids = [answer["prediction_id"] for answer in answers]
    seen = []
    for offset in (0, 3, 6):
        body = page(fresh_client, offset=offset, limit=3)
        assert body["total"] == 7, f"offset={offset}: total is {body['total']}; 7 rows are logged"
        seen += ids_of(body)
    assert seen == sorted(ids), (
        f"pages of 3 at offsets 0, 3, 6 listed ids {seen}; expected each of {sorted(ids)} once, "
        "in increasing order"
    )
    default = page(fresh_client)
    assert ids_of(default) == sorted(ids), "the default page does not list the 7 rows"
    for body, offset, limit in ((default, 0, 20), (page(fresh_client, offset=3, limit=2), 3, 2)):
        echoed = (body.get("offset"), body.get("limit"))
        assert echoed == (offset, limit), (
            f"the page asked with offset {offset} and limit {limit} (the defaults: 0 and 20) "
            f"answered offset, limit = {echoed}; a page says which page it is"
        )
    assert ids_of(page(fresh_client, offset=7, limit=3)) == [], "a page past the end is not empty"
    species = answers[1]["species"]
    matching = [answer["prediction_id"] for answer in answers if answer["species"] == species]
    params = {"species": species, "offset": 1, "limit": 2}
    body = page(fresh_client, **params)
    assert ids_of(body) == matching[1:3] and body["total"] == len(matching), (
        f"GET /predictions with {params} listed {ids_of(body)} (total {body['total']}); "
        f"expected {matching[1:3]} (total {len(matching)}) of the rows {matching} that match: "
        "offset skips that many of the matching rows, in id order (it is not an id)"
    )


@check(
    points=3,
    hint="The page parameters have bounds, and declaring them lets FastAPI refuse the rest. "
    'Handout: the contract, "Routes" (the list).',
    more="limit: Annotated[int, Query(ge=1, le=100)] = 20 and offset: Annotated[int, "
    "Query(ge=0)] = 0: FastAPI answers 422 outside the bounds.",
)
def test_page_size_is_bounded(fresh_client):
    """With 101 rows logged (one prediction and a batch of 100), GET /predictions with limit 1
    and 100 answers pages of 1 and 100 rows, and it answers 422 for limit 0 or 101 and for a
    negative offset, in the error envelope (code validation_error)."""
    predict(fresh_client)
    response = fresh_client.post(
        "/predict/batch", json={"items": [SETOSA] * MAX_PAGE_SIZE}, headers=KEY
    )
    expect_status(response, 200, f"POST /predict/batch of {MAX_PAGE_SIZE} flowers")
    for limit in (1, MAX_PAGE_SIZE):
        body = page(fresh_client, limit=limit)
        assert len(body["items"]) == limit, (
            f"GET /predictions?limit={limit} answered {len(body['items'])} rows while "
            f"{body['total']} are logged; expected {limit}: a page holds limit rows whenever "
            "that many match (any limit from 1 to 100, not only the default)"
        )
    for params in ({"limit": 0}, {"limit": MAX_PAGE_SIZE + 1}, {"offset": -1}):
        response = fresh_client.get("/predictions", params=params, headers=KEY)
        expect_status(response, 422, f"GET /predictions with {params}")
        expect_validation_envelope(response, f"GET /predictions with {params}")


@check(
    points=5,
    hint="Each filter given narrows the rows, and the total counts the same rows. Handout: the"
    ' contract, "Routes" (the list).',
    more="Add a .where(...) for each filter given: PredictionRecord.species == species, "
    "PredictionRecord.model_version == model_version; the total uses the same filters.",
)
def test_filters_by_species_and_model_version(fresh_client, model_file: Path):
    """With rows of three model versions (the admin reloads a model whose version changed;
    one version is the first's name in capitals), species= and model_version= each keep only
    the matching rows, together too, and total counts the matching rows."""
    first = [predict(fresh_client, flower) for flower in (SETOSA, VIRGINICA, SETOSA)]
    with model_version_changed(model_file, SECOND_VERSION):
        reload_model(fresh_client)
        second = [predict(fresh_client, flower) for flower in (SETOSA, VERSICOLOR)]
    with model_version_changed(model_file, CAPITALS_VERSION):
        reload_model(fresh_client)
        capitals = [predict(fresh_client, SETOSA)]
    rows = first + second + capitals
    exactly = (
        ": model_version= keeps the rows of exactly that version, the case of its letters "
        f"included (ids by version: {ids_by_version(rows)})"
    )
    for params in (
        {"species": rows[0]["species"]},
        {"model_version": SECOND_VERSION},
        {"model_version": GRADER_VERSION, "species": rows[0]["species"]},
    ):
        expected = [
            row["prediction_id"]
            for row in rows
            if row["species"] == params.get("species", row["species"])
            and row["model_version"] == params.get("model_version", row["model_version"])
        ]
        body = page(fresh_client, **params)
        assert ids_of(body) == expected and body["total"] == len(expected), (
            f"GET /predictions with {params} listed {ids_of(body)} (total {body['total']}); "
            f"expected {expected}{exactly if 'model_version' in params else ''}"
        )


def ids_by_version(rows: list[dict]) -> dict[str, list[int]]:
    """The prediction ids of ``rows`` (answers of POST /predict), by model version."""
    versions: dict[str, list[int]] = {}
    for row in rows:
        versions.setdefault(row["model_version"], []).append(row["prediction_id"])
    return versions


@check(
    points=4,
    hint='Labelled means the row has a true species. Handout: the contract, "Routes" (the list).',
    more="labelled=true keeps rows whose true_species is not null "
    "(col(PredictionRecord.true_species).is_not(None)), labelled=false the others.",
)
def test_filters_labelled_or_not(fresh_client):
    """After feedback on two rows of three, a true species on one and only a note on the
    other, the list without labelled holds all three, labelled=true lists the first only and
    labelled=false the two others (a note is not a label); with limit=1, labelled=true still
    gives that row (the filter is applied before the page is cut), and so it does with every
    other filter given, each matching all rows (filters combine)."""
    ids = [predict(fresh_client)["prediction_id"] for _ in range(3)]
    feedback(fresh_client, ids[1], {"true_species": "setosa"})
    feedback(fresh_client, ids[2], {"note": "petals look odd"})
    body = page(fresh_client)
    assert ids_of(body) == ids and body["total"] == 3, (
        f"GET /predictions without labelled listed {ids_of(body)}; expected every row {ids}: "
        "without the parameter the list holds labelled and unlabelled rows alike (filter only "
        "when labelled is given: `if labelled is not None`)"
    )
    body = page(fresh_client, labelled="true")
    assert ids_of(body) == [ids[1]] and body["total"] == 1, (
        f"labelled=true listed {ids_of(body)}; expected only the row with a true_species "
        f"{ids[1]} (row {ids[2]} has only a note, which is not a label)"
    )
    body = page(fresh_client, labelled="false")
    assert ids_of(body) == [ids[0], ids[2]] and body["total"] == 2, (
        f"labelled=false listed {ids_of(body)}; expected {[ids[0], ids[2]]}, the rows without "
        f"a true_species (row {ids[2]} has only a note, which is not a label)"
    )
    body = page(fresh_client, labelled="true", limit=1)
    assert ids_of(body) == [ids[1]] and body["total"] == 1, (
        f"labelled=true&limit=1 listed {ids_of(body)} (total {body.get('total')}); expected "
        f"the labelled row {ids[1]}: filter the rows first, then cut the page"
    )
    species = read(fresh_client, ids[1]).get("species")
    others = {
        "species": species,
        "model_version": GRADER_VERSION,
        "since": "2000-01-01T00:00:00Z",
        "until": "2999-01-01T00:00:00Z",
    }
    body = page(fresh_client, labelled="true", **others)
    assert ids_of(body) == [ids[1]] and body["total"] == 1, (
        f"labelled=true with {others} (which every row matches) listed {ids_of(body)} (total "
        f"{body.get('total')}); expected the labelled row {ids[1]} alone: filters given "
        "together all apply, a row is listed when it matches every one"
    )


@check(
    points=4,
    hint="since is inclusive, until exclusive, every time is UTC, and the total counts the "
    'rows the page is cut from. Handout: the contract, "Routes" (the list) and the "Hints" '
    "section.",
    more="since keeps created_at >= since, until keeps created_at < until; compare aware "
    "datetimes in UTC: give a time without an offset the UTC zone (as_utc) before comparing. "
    "The total uses the same filters as the page.",
)
def test_filters_by_time_range(fresh_client):
    """For four rows logged a little apart, since= (inclusive) and until= (exclusive), given
    the created_at of rows as GET returned them, keep the rows of that time range, and total
    counts them; the same times written in UTC without an offset do too, and so do they
    written at +02:00."""
    ids = []
    for _ in range(4):
        ids.append(predict(fresh_client)["prediction_id"])
        time.sleep(0.03)
    times = [read(fresh_client, prediction_id).get("created_at") for prediction_id in ids]
    distinct = len({as_utc(moment) for moment in times})
    assert distinct == 4, f"four rows logged 30 ms apart have the times {times}: " + (
        "every row has the same created_at: it must be the time each row was logged, "
        "computed for each new row (default_factory=utc_now), not once (default=utc_now())"
        if distinct == 1
        else "created_at must keep microseconds"
    )
    naive = {"since": without_offset(times[1]), "until": without_offset(times[3])}
    for params, expected in (
        ({"since": times[1]}, ids[1:]),
        ({"until": times[2]}, ids[:2]),
        ({"since": times[1], "until": times[3]}, ids[1:3]),
        (naive, ids[1:3]),
        ({"since": in_paris(times[1]), "until": in_paris(times[3])}, ids[1:3]),
    ):
        body = page(fresh_client, **params)
        # The grader runs the app in a time zone that is not UTC: a time without an offset
        # taken as local time (astimezone on it) misses by hours.
        cause = (
            "a time without an offset is UTC, not the machine's local time"
            if params is naive
            else "total counts every row that matches the filters"
        )
        assert ids_of(body) == expected and body["total"] == len(expected), (
            f"GET /predictions with {params} listed {ids_of(body)} (total {body['total']}); "
            f"expected {expected} (total {len(expected)}): {cause}"
        )


@check(
    points=3,
    hint="Typed query parameters let FastAPI refuse values it cannot read. Handout: the "
    'contract, "Routes" (the list).',
    more="Type the filters (species: the species Literal, since/until: datetime, labelled: "
    "bool): FastAPI then answers 422 for a value it cannot read.",
)
def test_bad_filter_is_422(fresh_client):
    """GET /predictions?species=setosa works; species=rose, since=yesterday,
    until=yesterday and labelled=maybe answer 422 in the error envelope (code
    validation_error)."""
    predict(fresh_client)
    page(fresh_client, species="setosa")
    for params in (
        {"species": "rose"},
        {"since": "yesterday"},
        {"until": "yesterday"},
        {"labelled": "maybe"},
    ):
        response = fresh_client.get("/predictions", params=params, headers=KEY)
        expect_status(response, 422, f"GET /predictions with {params}")
        expect_validation_envelope(response, f"GET /predictions with {params}")


# ---------------------------------------------------------------- accuracy and deletion


@check(
    points=6,
    hint="Accuracy is counted per model version, over labelled rows only, by the database. "
    'Handout: the contract, "Routes" (Accuracy).',
    more="Among rows with a true_species, group by model_version: count them, and count "
    "those whose species equals true_species (func.sum(case(...))); accuracy = correct / "
    "labelled.",
)
def test_accuracy_by_model_version(fresh_client, model_file: Path):
    """GET /accuracy gives, for each model version with labelled rows, ordered by
    model_version, how many are labelled, how many of those the model got right, and their
    ratio; unlabelled rows (some with a note) do not count, a version with none labelled
    has no entry (asked before any feedback, it is an empty list; asked again after it, it
    counts the labels), and a version whose labelled rows are all wrong has correct 0. Rows
    predicted by another caller (a user's token) count as well. The rows of the version that
    comes second in model_version order are logged first, a batch of more rows than a default
    page of the list holds."""
    with model_version_changed(model_file, SECOND_VERSION):
        reload_model(fresh_client)
        later = predict_batch(fresh_client, [VERSICOLOR, SETOSA, VIRGINICA] * 8)
    response = fresh_client.get("/accuracy", headers=KEY)
    expect_status(response, 200, "GET /accuracy before any feedback")
    before = support.json_or_fail(response, "GET /accuracy")
    assert before == [], (
        f"GET /accuracy answered {json.dumps(before)[:300]} before any feedback; expected [] "
        "(a version with no labelled rows has none)"
    )
    reload_model(fresh_client)  # the model of GRADER_VERSION again
    # The row predicted right is predicted by the user, another caller than the one asking.
    right = predict(fresh_client, SETOSA, headers=bearer(fresh_client, USER, USER_PASSWORD))
    wrong, unlabelled = (predict(fresh_client, flower) for flower in (VIRGINICA, SETOSA))
    feedback(fresh_client, unlabelled["prediction_id"], {"note": "a note is not a label"})
    for number, row in enumerate(later):  # one row in three labelled wrong: 2/3 right
        label = row["species"] if number % 3 else next(n for n in SPECIES if n != row["species"])
        feedback(fresh_client, row["prediction_id"], {"true_species": label})
    feedback(fresh_client, right["prediction_id"], {"true_species": right["species"]})
    other = next(name for name in SPECIES if name != wrong["species"])
    feedback(fresh_client, wrong["prediction_id"], {"true_species": other})
    with model_version_changed(model_file, UNLABELLED_VERSION):
        reload_model(fresh_client)
        only_noted = predict(fresh_client, SETOSA)["prediction_id"]
    feedback(fresh_client, only_noted, {"note": "a note is not a label"})
    with model_version_changed(model_file, ALL_WRONG_VERSION):
        reload_model(fresh_client)
        missed_only = predict(fresh_client, VIRGINICA)
    feedback(
        fresh_client,
        missed_only["prediction_id"],
        {"true_species": next(name for name in SPECIES if name != missed_only["species"])},
    )
    response = fresh_client.get("/accuracy", headers=KEY)
    assert response.status_code == 200, (
        f"GET /accuracy answered {response.status_code} once version {ALL_WRONG_VERSION!r} had "
        "one labelled row, predicted wrong; expected 200 and an entry with labelled 1, "
        "correct 0, accuracy 0 (a common cause: SUM(CASE WHEN ... THEN 1 END) is NULL, not "
        f"0, when no row is right). Its body: {response.text[:200]}"
    )
    body = support.json_or_fail(response, "GET /accuracy")
    assert isinstance(body, list), f"GET /accuracy answered {json.dumps(body)[:300]}; a list"
    assert body, (
        f"GET /accuracy answered [] after {len(later) + 3} rows were labelled, as it did "
        "before any feedback: the accuracy counts the labels there are when it is asked (query "
        "the rows at each call, never keep an earlier answer)"
    )
    entries = {item.get("model_version"): item for item in body if isinstance(item, dict)}
    expected = {
        GRADER_VERSION: (2, 1, 0.5),
        SECOND_VERSION: (len(later), len(later) * 2 // 3, 2 / 3),
        ALL_WRONG_VERSION: (1, 0, 0.0),
    }
    assert set(entries) == set(expected) and len(body) == len(expected), (
        f"GET /accuracy listed the versions {list(entries)}; "
        f"expected one entry for each of {sorted(expected)}, counted over every labelled row, "
        f"not a page of them (a version whose rows are all unlabelled, {UNLABELLED_VERSION}, "
        f"has none: its row has a note, and a note alone is not a label). It answered "
        f"{json.dumps(body)[:300]}"
    )
    order = [item.get("model_version") for item in body]
    assert order == sorted(expected), (
        f"GET /accuracy lists the versions in the order {order}; expected them ordered by "
        f"model_version: {sorted(expected)}"
    )
    for version, (labelled, correct, accuracy) in expected.items():
        entry = entries[version]
        found = (entry.get("labelled"), entry.get("correct"), entry.get("accuracy"))
        assert found[:2] == (labelled, correct) and close(found[2], accuracy), (
            f"GET /accuracy for {version}: labelled, correct, accuracy = {found}; expected "
            f"{(labelled, correct, accuracy)} (every labelled row counts, whoever predicted it, "
            "not a page of them; rows without a true_species do not count, even with a note)"
        )


@check(
    points=4,
    hint="Deleting is for admins, as reloading the model was in lab 07. Handout: the contract,"
    ' "Routes", and "Tasks", 6.',
    more="DELETE /predictions/{id} takes admin: AdminUser (lab 07) and answers 204 with no "
    "body; the row is gone afterwards.",
)
def test_only_an_admin_deletes_a_row(fresh_client):
    """DELETE /predictions/{id} answers 401 with an API key only, 403 for a user who is not
    an admin, and 204 with no body for the admin, after which the row is gone (404)."""
    prediction_id = predict(fresh_client)["prediction_id"]
    path = f"/predictions/{prediction_id}"
    expect_status(
        fresh_client.delete(path, headers=KEY), 401, f"DELETE {path} with an API key only"
    )
    user = bearer(fresh_client, USER, USER_PASSWORD)
    expect_status(fresh_client.delete(path, headers=user), 403, f"DELETE {path} as a user")
    read(fresh_client, prediction_id)
    admin = bearer(fresh_client, ADMIN, ADMIN_PASSWORD)
    response = fresh_client.delete(path, headers=admin)
    expect_status(response, 204, f"DELETE {path} as the admin")
    assert not response.content, (
        f"DELETE {path} as the admin answered 204 with the body {response.text[:200]!r}; "
        "expected no body: a 204 has none (return Response(status_code=204))"
    )
    expect_status(fresh_client.get(path, headers=KEY), 404, f"GET {path} after the DELETE")


# ---------------------------------------------------------------- real parts


@check(
    points=8,
    hint='An existing database changes by migration, never by being rebuilt. Handout: "Why '
    '`create_all` is not a migration" and the contract, "Start-up".',
    more="Write the migration 0002 with op.add_column('prediction', sa.Column('note', "
    "sa.String(), nullable=True)), and let lifespan run it (alembic upgrade head): never "
    "drop the table, and never count on create_all, which leaves an existing table as it is.",
)
def test_migration_keeps_the_rows_of_an_old_database(
    app, grader_settings: None, tmp_path: Path, monkeypatch
):
    """A database file at revision 0001 (no note column), holding three rows whose created_at
    are not in id order, is upgraded when the app starts on it: the rows are all there with
    their values, listed by id, their note is null, a note can be set on one, and new
    predictions go on from id 4. Then ``python -m alembic downgrade 0001`` in the lab folder
    takes the note column away again, keeps the four rows and the three indexes of 0001."""
    folder = tmp_path / DATA_FOLDER
    folder.mkdir()
    path = folder / DATABASE_NAME
    connection = sqlite3.connect(path)
    with connection:
        connection.executescript(OLD_SCHEMA)
        connection.executemany(
            "INSERT INTO prediction VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row[:7], json.dumps(dict.fromkeys(SPECIES, 1 / 3)), *row[7:]) for row in OLD_ROWS],
        )
    connection.close()
    writable_folder(folder)
    monkeypatch.setenv("DATABASE_URL", url_of(path))
    with started(app, "a database at revision 0001") as upgraded:
        body = page(upgraded)
        assert ids_of(body) == [1, 2, 3], (
            f"after the upgrade GET /predictions lists ids {ids_of(body)}; the old file held "
            "rows 1, 2 and 3 (listed by id, whatever their created_at and whoever predicted "
            "them)"
        )
        for item, old in zip(body["items"], OLD_ROWS, strict=True):
            expected = {"species": old[6], "model_version": old[7], "caller": old[9]}
            found = {key: item.get(key) for key in expected}
            assert found == expected and item.get("true_species") == old[10], (
                f"row {old[0]} came back as {found}, true_species {item.get('true_species')!r}"
            )
            assert item.get("note") is None, f"row {old[0]} has note {item.get('note')!r}"
            assert as_utc(item.get("created_at")) == as_utc(old[1].replace(" ", "T")), (
                f"row {old[0]} has created_at {item.get('created_at')}; it was {old[1]} UTC"
            )
        feedback(upgraded, 2, {"note": "re-measured"})
        assert read(upgraded, 2).get("note") == "re-measured", "the note of row 2 was not kept"
        assert predict(upgraded)["prediction_id"] == 4, "a new prediction did not get id 4"
    assert len(rows_in_file(path)) == 4, "the file does not hold the 3 old rows and the new one"
    printed = alembic_downgrade(path, "0001")
    rows = rows_in_file(path)
    assert rows and "note" not in rows[0], (
        "after `alembic downgrade 0001` the table prediction still has the column note "
        f"(revision 0002's downgrade must remove it){printed}"
    )
    assert len(rows) == 4, f"`alembic downgrade 0001` left {len(rows)} of the 4 rows{printed}"
    missing = OLD_INDEXES - indexes_in_file(path)
    assert not missing, (
        f"after `alembic downgrade 0001` the table prediction lacks the index(es) "
        f"{', '.join(sorted(missing))} that revision 0001 makes: the downgrade must leave the "
        f"table as 0001 made it{printed}"
    )


def indexes_in_file(path: Path) -> set[str]:
    """The names of the indexes of the table prediction, read from (a copy of) the file."""
    with support.database_copy(path) as connection:
        return {row[1] for row in connection.execute("PRAGMA index_list('prediction')")}


def alembic_downgrade(path: Path, revision: str) -> str:
    """``python -m alembic downgrade REVISION`` in the lab folder, with DATABASE_URL naming
    ``path`` (and the grader's other settings); what it printed, for a failure message."""
    names = ("MODEL_PATH", "JWT_SECRET", "API_KEYS", "USERS", *support.FAST_ARGON2)
    environment = {name: os.environ[name] for name in names if name in os.environ}
    environment["DATABASE_URL"] = url_of(path)
    command = Command(python("-m", "alembic", "downgrade", revision), environment=environment)
    command.start()
    try:
        ended = command.wait(ALEMBIC_SECONDS)
    finally:
        command.stop()
    output = command.output()
    if not ended:
        pytest.fail(
            f"`alembic downgrade {revision}` was still running after {ALEMBIC_SECONDS} s",
            pytrace=False,
        )
    return f"\nIt printed:\n{output}" if output else ""


@check(
    points=7,
    hint="Many requests writing at once to SQLite must wait their turn, not fail. Handout: "
    '"SQLite in a web service" and the contract, "Data".',
    more="Many requests write at once: give SQLite a busy timeout "
    "(connect_args={'timeout': ...} and PRAGMA busy_timeout) and WAL (PRAGMA "
    "journal_mode=WAL), and use one session per request (SessionDep), never a shared one.",
)
def test_concurrent_predictions_all_land(app, database: Path):
    """Forty POST /predict sent by sixteen threads at once to the app served by uvicorn all
    answer 200 with different prediction ids, all forty rows are in the log and in the file,
    and the file is in WAL mode."""

    with served(app) as base_url, support.loopback_client(base_url=base_url, timeout=60) as http:

        def one(number: int):
            flower = (SETOSA, VERSICOLOR, VIRGINICA)[number % 3]
            response = http.post("/predict", json=flower, headers=KEY)
            body = response.json() if response.status_code == 200 else {}
            return response.status_code, body.get("prediction_id")

        with ThreadPoolExecutor(CONCURRENT_THREADS) as pool:
            answers = list(pool.map(one, range(CONCURRENT_REQUESTS)))
        failed = [status for status, _ in answers if status != 200]
        assert not failed, (
            f"{len(failed)} of {CONCURRENT_REQUESTS} concurrent POST /predict failed "
            f"(statuses {sorted(set(failed))})"
        )
        ids = {prediction_id for _, prediction_id in answers}
        assert len(ids) == CONCURRENT_REQUESTS, (
            f"{CONCURRENT_REQUESTS} concurrent predictions got {len(ids)} different ids"
        )
        response = http.get("/predictions", params={"limit": MAX_PAGE_SIZE}, headers=KEY)
        expect_status(response, 200, "GET /predictions after the concurrent writes")
        listed = {item.get("id") for item in response.json().get("items", [])}
        assert listed == ids, (
            f"the log lists {len(listed)} rows after {CONCURRENT_REQUESTS} concurrent predictions; "
            f"{len(ids - listed)} answered ids are missing"
        )
    assert len(rows_in_file(database)) == CONCURRENT_REQUESTS, "the file lacks rows"
    mode = journal_mode(database)
    assert mode == "wal", (
        f"the database file's journal mode is {mode!r} after the app wrote to it; expected "
        "'wal' (PRAGMA journal_mode=WAL on every new connection to a file)"
    )


@check(
    points=4,
    hint="An in-memory SQLite database exists only inside one connection, and the app reads "
    'DATABASE_URL when it starts. Handout: "SQLite in a web service" and the contract, '
    '"Settings".',
    more="An in-memory SQLite database lives in one connection: create its engine with "
    "poolclass=StaticPool (and check_same_thread=False), so every session uses that one. "
    "Read the settings in lifespan (Settings() there), not in a module-level variable.",
)
def test_an_in_memory_database_works(submission_dir: Path, grader_settings: None, tmp_path: Path):
    """With DATABASE_URL=sqlite:// (in memory, no file) the app starts, logs a prediction and
    reads it back. DATABASE_URL is read when the app starts: main.py is imported while it
    names a file, and set to sqlite:// before the app starts (as a test's fixture does); that
    file is never created."""
    at_import = writable_folder(tmp_path / DATA_FOLDER) / DATABASE_NAME
    with support.served_apart(
        submission_dir,
        what="starting the app with DATABASE_URL=sqlite:// (an in-memory database)",
        importing="with DATABASE_URL naming a file",
        before_import={"DATABASE_URL": url_of(at_import)},
        after_import={"DATABASE_URL": "sqlite://"},
        raise_server_exceptions=False,
    ) as served:
        prediction_id = predict(served.client)["prediction_id"]
        assert read(served.client, prediction_id).get("id") == prediction_id
        assert page(served.client)["total"] == 1, "the in-memory log does not hold one row"
    assert not os.path.lexists(at_import), (
        f"main.py was imported while DATABASE_URL named {at_import.name}, then the app started "
        f"with DATABASE_URL=sqlite://, and it opened {at_import.name}: it read DATABASE_URL "
        "when main.py was imported. Read the settings when the app starts (in lifespan): "
        "tests import main.py once and set DATABASE_URL for each test afterwards"
    )


# ---------------------------------------------------------------- the student's tests


def bench_for(reference: Path, implementations, tests: Path, workdir: Path, **options) -> Bench:
    """A bench of the student's tests (``tests``) against services built from ``reference``;
    ``options``: the submission to forget and the model to serve."""
    support.forget_submission_tables()
    return Bench(
        reference,
        implementations,
        tests,
        workdir,
        timeout=RUN_TIMEOUT,
        env={"MODEL_PATH": str(options["model_file"])},
        forget=[reference, options["submission_dir"]],
        jobs=JOBS,
    )


@pytest.fixture(scope="session")
def log_tests(submission_dir: Path, tmp_path_factory) -> Path:
    """A tests/ folder with the student's tests of the log and their conftest.py only."""
    tests = tmp_path_factory.mktemp("log-tests") / TESTS_FOLDER
    tests.mkdir()
    for name in LOG_TESTS:
        # Never through a link: the student's code may have changed its folder (see
        # support.read_own_file).
        data = support.read_own_file(submission_dir / TESTS_FOLDER / name)
        if data is not None:
            (tests / name).write_bytes(data)
    return tests


@pytest.fixture(scope="session")
def own_bench(submission_dir: Path, log_tests: Path, model_file: Path, tmp_path_factory):
    """The student's tests of the log, against a copy of the student's own service."""
    own = [Implementation("reference", True, "your own service")]
    workdir = opaque_folder(tmp_path_factory.getbasetemp())  # a name that says nothing
    options = {"model_file": model_file, "submission_dir": submission_dir}
    bench = bench_for(submission_dir, own, log_tests, workdir, **options)
    yield bench
    bench.close()


@pytest.fixture(scope="session")
def log_bench(submission_dir: Path, log_tests: Path, model_file: Path, tmp_path_factory):
    """The student's tests of the log, against the reference service and buggy copies."""
    tests = log_tests
    workdir = opaque_folder(tmp_path_factory.getbasetemp())  # a name that says nothing
    implementations = load_implementations(IMPLEMENTATIONS)
    bench = bench_for(
        LAB.solution_dir,
        implementations,
        tests,
        workdir,
        model_file=model_file,
        submission_dir=submission_dir,
    )
    yield bench
    bench.close()


@check(
    points=4,
    hint='Your own tests of the log must pass on your own service. Handout: "Tests that '
    'isolate themselves" and the contract, "Grading".',
    more="Run `uv run pytest tests/test_prediction_log.py` in your lab folder: every test "
    "must pass; the file tests the new routes (TODO 8), with the fixtures of tests/conftest.py.",
)
def test_your_tests_pass_on_your_service(own_bench):
    """Your tests of the prediction log (tests/test_prediction_log.py, with
    tests/conftest.py) run and pass on your own service."""
    run = own_bench.run("reference")
    assert run.passed, explain_failure_on_own_service(run)


def explain_failure_on_own_service(run) -> str:
    """Why the student's tests do not pass on the student's own service: which test fails,
    and the two places the mistake may be."""
    if run.status != FAILED:
        return implementations.explain_failure_on_correct(
            "your own service", run, fails_on_reference=False
        )
    return "\n".join(
        [
            "Your tests fail on your own service.",
            run.message,
            "Either your service breaks the contract where that test looks (the other checks "
            "of this lab say where), or the test expects something the contract does not say. "
            "Run `uv run pytest tests/test_prediction_log.py` in your lab folder.",
        ]
    )


def catches(bench: Bench, name: str) -> None:
    """The log tests pass on every correct service and fail on this buggy one."""
    wrong = bench.first_failing_correct()
    if wrong is not None:
        correct, run = wrong
        pytest.fail(
            implementations.explain_failure_on_correct(
                correct.description, run, fails_on_reference=correct.name == "reference"
            ),
            pytrace=False,
        )
    run = bench.run(name)
    assert not run.passed, (
        f"Your tests in tests/test_prediction_log.py pass ({run.summary()}) on a service that "
        f"{bench.implementations[name].description}. Add a test that fails on it."
    )


@check(
    points=3,
    hint="A test of feedback should show that a partial update keeps what it was not sent. "
    'Handout: "Partial updates: `exclude_unset`" and "Tasks", 8.',
    more="Log a prediction, PATCH its true_species, then PATCH only a note: check the "
    "true species is still there.",
    hidden=True,
)
def test_your_tests_catch_feedback_that_erases_fields(log_bench):
    """Your tests of the log pass on correct services and fail on one whose PATCH erases the
    fields the caller did not send."""
    catches(log_bench, "feedback-erases-fields")


@check(
    points=3,
    hint='A test of pages should read them all and look at every id. Handout: "Pages in a '
    'stable order" and "Tasks", 8.',
    more="Log more rows than a page holds and read every page: each id must appear once, in "
    "increasing order.",
    hidden=True,
)
def test_your_tests_catch_a_page_that_repeats_rows(log_bench):
    """Your tests of the log pass on correct services and fail on one whose pages after the
    first repeat a row."""
    catches(log_bench, "page-repeats-rows")


@check(
    points=3,
    hint='A test should ask for an id that is not in the log. Handout: the contract, "Routes",'
    ' and "Tasks", 8.',
    more="GET and PATCH an id far from any logged one (999999) and check the 404 and its "
    "code not_found.",
    hidden=True,
)
def test_your_tests_catch_an_unknown_id_that_is_not_404(log_bench):
    """Your tests of the log pass on correct services and fail on one that answers 500 for an
    id that is not in the log."""
    catches(log_bench, "unknown-id-not-404")
