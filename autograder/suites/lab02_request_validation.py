"""Lab 02 checks: request validation with Pydantic.

Every check sends JSON to ``POST /observations`` (or reads ``GET /observations/{id}``) and
compares the answer with the contract in the handout. Observations are kept in memory by the
app, so a check never assumes which id the app gives next: it creates its own observation and
uses the id that came back. Only the first id of a freshly started app is known (1): the app
is then started by a process of its own (``support.served_apart``), where main.py is imported
afresh, and the check reads the ids from its HTTP answers.

PYTEST_DONT_REWRITE: every assertion carries a message written for the student, so pytest's
own explanation of the failed expression is left out.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
from pathlib import Path

import pytest

from autograder import check, sandbox
from autograder.suites import support

FIELDS = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def valid_body(**changes) -> dict:
    """A correct observation body; keyword arguments replace top-level fields."""
    body = {
        "measurement": {
            "sepal_length": 5.1,
            "sepal_width": 3.5,
            "petal_length": 1.4,
            "petal_width": 0.2,
        },
        "observer": {"name": "Ada", "email": "ada@example.org"},
        "species": "setosa",
        "notes": "by the river",
    }
    body.update(copy.deepcopy(changes))
    return body


def with_measurement(**values) -> dict:
    """A correct body whose measurement has some values replaced."""
    body = valid_body()
    body["measurement"].update(values)
    return body


def with_observer(**values) -> dict:
    """A correct body whose observer has some values replaced."""
    body = valid_body()
    body["observer"].update(values)
    return body


def read(client, path: str):
    """GET ``path``; a route that raises fails the check with what went wrong, in one line."""
    try:
        return client.get(path)
    except Exception as error:  # noqa: BLE001 - a route may raise anything
        crash = crash_text(error)
    pytest.fail(f"GET {path} crashed the app: {crash}", pytrace=False)  # not chained to it


def crash_text(error: Exception) -> str:
    """What a route's exception means for its caller, with the place it was raised."""
    errors = getattr(error, "errors", None)
    if type(error).__name__ == "ResponseValidationError" and callable(errors):
        problems = errors() or [{}]
        returned = problems[0].get("input", "?")
        return (
            f"the route returned {returned!r}, which is not an observation its response "
            "model can send (ResponseValidationError); a real client would get 500 Internal "
            "Server Error"
        )
    return support.crash_text(error)


def describe(body: dict) -> str:
    """A body as short text, for messages."""
    text = repr(body)
    return text if len(text) <= 200 else text[:197] + "..."


def create(client, body: dict) -> dict:
    """POST a body that must be accepted (any 2xx status) and return the JSON answer."""
    response = client.post("/observations", json=body)
    if response.status_code == 422:
        raise AssertionError(
            f"POST /observations rejected the valid body {describe(body)} with 422; the "
            f"errors' locs were {locations(response)}"
        )
    assert response.is_success, (
        f"POST /observations with a valid body answered {response.status_code} "
        f"{response.text[:200]}; expected 201"
        + (
            " (is the POST /observations route declared?)"
            if response.status_code in (404, 405)
            else ""
        )
    )
    data = response.json()
    assert isinstance(data, dict), f"POST /observations answered {data!r}; expected an object"
    return data


def assert_accepted(client, body: dict, what: str, why: str):
    """POST ``body``, which the contract allows; it must be accepted (any 2xx status).
    Returns the response."""
    response = client.post("/observations", json=body)
    if response.status_code == 422:
        raise AssertionError(
            f"POST /observations with {what} answered 422 (the errors' locs were "
            f"{locations(response)}); expected 201: {why}"
        )
    assert response.is_success, (
        f"POST /observations with {what} answered {response.status_code} "
        f"{response.text[:200]}; expected 201"
    )
    return response


def locations(response) -> list[tuple]:
    """The ``loc`` of every error in a 422 answer, as tuples."""
    detail = response.json().get("detail")
    assert isinstance(detail, list), (
        f"the 422 answer has detail={detail!r}; expected FastAPI's list of errors"
    )
    return [tuple(error.get("loc", ())) for error in detail if isinstance(error, dict)]


def assert_rejected(client, body: dict, field: str, what: str) -> None:
    """POST ``body``; it must answer 422 with an error whose ``loc`` ends with ``field``."""
    try:
        response = client.post("/observations", json=body)
    except Exception as error:  # noqa: BLE001 - a route may raise anything
        crash = crash_text(error)
    else:
        crash = None
    if crash is not None:  # failed outside the except block: not chained to the crash
        pytest.fail(
            f"POST /observations with {what} crashed the app: {crash}; expected 422", pytrace=False
        )
    assert response.status_code == 422, (
        f"POST /observations with {what} answered {response.status_code}; expected 422 "
        f"(the answer: {response.text[:200]})"
    )
    found = locations(response)
    assert any(loc and loc[-1] == field for loc in found), (
        f"POST /observations with {what} answered 422, but no error's loc ends with "
        f"{field!r}: the locs were {found}"
    )


def keys_anywhere(value) -> set[str]:
    """Every key of every JSON object inside ``value``."""
    if isinstance(value, dict):
        found = set(value)
        for item in value.values():
            found |= keys_anywhere(item)
        return found
    if isinstance(value, list):
        return set().union(*(keys_anywhere(item) for item in value)) if value else set()
    return set()


# ---------------------------------------------------------------- creating observations


@check(
    points=7,
    hint="A route that creates something answers 201 Created; the route decorator sets the "
    'status and the response model. Handout: Background, "Response models: what leaves '
    'the server".',
    more="Give the POST route status_code=201 and response_model=ObservationOut.",
)
def test_valid_observation_is_created_with_201(client):
    """POST /observations with a valid body answers 201 Created and returns the observation:
    an integer id, the measurement and the notes as received (5.15 stays 5.15, the spaces
    around a note stay), the observer's name and the species. POST /observations answers
    201 itself, not a redirect to /observations/. Lab 01's GET /, GET /hello/Ada, GET /flowers
    and GET /flowers/1 still answer 200, and GET /flowers?species=Setosa still answers []
    (lab 01's filter keeps the species written exactly so: this lab's tidying and its three
    species are for observations only)."""
    body = valid_body(notes="  by the river  ")
    body["measurement"].update(sepal_length=5.15, petal_width=0.25)
    response = client.post("/observations", json=body, follow_redirects=False)
    if response.is_redirect:
        pytest.fail(
            f"POST /observations with a valid body answered {response.status_code}, a redirect "
            f"to {response.headers.get('location')!r}; expected 201 Created from "
            'POST /observations itself: declare the route as "/observations", with no / at '
            "the end",
            pytrace=False,
        )
    assert response.status_code == 201, (
        f"POST /observations with a valid body answered {response.status_code} "
        f"{response.text[:200]}; expected 201 Created"
    )
    data = response.json()
    assert isinstance(data.get("id"), int), (
        f"the answer's id is {data.get('id')!r}; expected an int"
    )
    measurement = data.get("measurement")
    assert isinstance(measurement, dict) and measurement == pytest.approx(body["measurement"]), (
        f"the answer's measurement is {data.get('measurement')!r}; expected {body['measurement']}"
    )
    observer = data.get("observer")
    assert isinstance(observer, dict) and observer.get("name") == "Ada", (
        f"the answer's observer is {observer!r}; expected an object with name 'Ada'"
    )
    assert data.get("species") == "setosa", f"species came back as {data.get('species')!r}"
    assert data.get("notes") == body["notes"], (
        f"notes came back as {data.get('notes')!r}; expected them as received, {body['notes']!r}"
    )
    for path in ("/", "/hello/Ada", "/flowers", "/flowers/1", "/flowers?species=Setosa"):
        answer = client.get(path)
        assert answer.status_code == 200, (
            f"GET {path} answered {answer.status_code}; expected 200: lab 01's routes stay as "
            "they were"
            + (
                " (its species filter takes any text, and a species no flower has gives [])"
                if "?" in path
                else ""
            )
        )
    flowers = answer.json()
    assert flowers == [], (
        "GET /flowers?species=Setosa answered "
        + (f"{len(flowers)} flower(s)" if isinstance(flowers, list) else repr(flowers)[:100])
        + "; expected [] as in lab 01: its filter keeps the flowers whose species is exactly "
        "the text sent (this lab's tidying of the species is for observations only)"
    )


@check(
    points=8,
    hint="What leaves the server is what the response model declares, whatever the function "
    'returns. Handout: "Response models: what leaves the server".',
    more="Answer with an ObservationOut (response_model=ObservationOut): its observer is an "
    "ObserverOut, which has no email field, so the address is filtered out.",
)
def test_observer_email_is_never_returned(client):
    """The observer's e-mail address appears nowhere in the answer of POST /observations,
    nor in the answer of GET /observations/{id}."""
    email = "grace.hopper@example.org"
    response = client.post("/observations", json=with_observer(name="Grace", email=email))
    assert response.is_success, (
        f"POST /observations with a valid body answered {response.status_code} "
        f"{response.text[:200]}; expected 201"
    )
    created = response.json()
    assert email not in response.text.lower() and "email" not in keys_anywhere(created), (
        f"POST /observations returned the observer's e-mail address: {response.text[:300]}"
    )
    response = read(client, f"/observations/{created.get('id')}")
    assert response.status_code == 200, (
        f"GET /observations/{created.get('id')} (just created) answered {response.status_code}"
    )
    assert email not in response.text.lower() and "email" not in keys_anywhere(response.json()), (
        f"GET /observations/{created.get('id')} returned the e-mail address: {response.text[:300]}"
    )


@check(
    points=5,
    hint="Ids start at 1 and grow by one with each observation stored. Handout: The contract, "
    '"Routes".',
    more="Use the number of stored observations plus one as the next id.",
)
def test_each_new_observation_gets_the_next_id(client, submission_dir: Path):
    """Ids count up 1, 2, 3...: two observations created one after the other, with the same
    body (each accepted POST creates a new observation), get ids n and n + 1, and so do two
    sent with a refused body (a petal longer than the sepal, 422) between them: it creates
    nothing and uses up no id. In a freshly started app the first two observations get ids 1
    and 2."""
    first = create(client, valid_body()).get("id")
    second = create(client, valid_body()).get("id")
    assert isinstance(first, int) and first >= 1, f"the first new id was {first!r}; ids start at 1"
    assert second == first + 1, (
        f"two observations created one after the other, with the same body, got ids {first!r} "
        f"and {second!r}; expected {first!r} and {first + 1}: each accepted POST creates a new "
        "observation, even when an earlier one had the same body"
    )
    try:
        refused = client.post(
            "/observations", json=with_measurement(sepal_length=5.0, petal_length=6.2)
        )
    except Exception:  # noqa: BLE001 - a crash on that body is the petal check's to report
        refused = None
    if refused is not None and refused.status_code == 422:
        third = create(client, valid_body(notes="third")).get("id")
        assert third == second + 1, (
            f"two observations created one after the other got ids {second!r} and {third!r}, "
            f"with a refused body (422) sent between them; expected {second!r} and "
            f"{second + 1}: a refused body creates nothing and uses up no id"
        )
    answers = []
    with support.served_apart(
        submission_dir, what="starting your app afresh", importing="in a new process"
    ) as served:
        for notes in ("first", "second"):
            what = "in a freshly started app, a valid POST /observations"
            response = served.post("/observations", valid_body(notes=notes), what=what)
            try:
                data = response.json() if response.is_success else {}
            except ValueError:
                data = {}
            answers.append(
                [response.status_code, data.get("id") if isinstance(data, dict) else None]
            )
    statuses = [status for status, _ in answers]
    assert all(200 <= status < 300 for status in statuses), (
        f"in a freshly started app, two valid POST /observations answered {statuses}; expected 201"
    )
    ids = [observation_id for _, observation_id in answers]
    assert ids == [1, 2], (
        f"in a freshly started app, the first two observations got ids {ids}; expected [1, 2]: "
        "ids start at 1"
    )


@check(
    points=4,
    hint="An optional field has a default; a validator that runs before the type check must "
    "let that default through. Handout: The contract, the request body.",
    more="`species` is Optional with default None, `notes` too; a species validator with "
    "mode='before' must let None through (tidy the value only when it is a str).",
)
def test_species_and_notes_are_optional(client):
    """A body with only a measurement and an observer is accepted, and so is a body that
    sends "species": null and "notes": null; species and notes come back as null, in the
    answer of POST and of GET /observations/{id} (the keys are there, with the value null)."""
    body = valid_body()
    del body["species"], body["notes"]
    for sent, what in (
        (body, "without species and notes"),
        (valid_body(species=None, notes=None), 'with "species": null and "notes": null'),
    ):
        data = create(client, sent)
        answers = [(f"POST /observations {what}", data)]
        try:
            response = client.get(f"/observations/{data.get('id')}")
        except Exception:  # noqa: BLE001 - a GET route that crashes fails the read-back check
            response = None
        read_back = response.json() if response is not None and response.is_success else None
        if isinstance(read_back, dict):  # anything else fails the read-back check
            answers.append((f"GET /observations/{data.get('id')} (created {what})", read_back))
        for request, answer in answers:
            for key in ("species", "notes"):
                assert key in answer, (
                    f'{request}: the answer has no {key!r} key; expected "{key}": null (do not '
                    "leave out the fields that are None, no response_model_exclude_none); the "
                    f"answer: {describe(answer)}"
                )
                assert answer[key] is None, (
                    f"{request}: {key} came back as {answer[key]!r}; expected null"
                )


# ---------------------------------------------------------------- reading them back


def assert_read_back(client, created: dict, name: str) -> None:
    """GET /observations/{id} of ``created`` answers what POST returned for it."""
    observation_id = created.get("id")
    response = read(client, f"/observations/{observation_id}")
    assert response.status_code == 200, (
        f"GET /observations/{observation_id} (created earlier) answered {response.status_code}"
    )
    data = response.json()
    for key in ("id", "species", "notes"):
        assert data.get(key) == created.get(key), (
            f"GET /observations/{observation_id} has {key}={data.get(key)!r}; "
            f"POST returned {created.get(key)!r}"
        )
    measurement, expected = data.get("measurement"), created.get("measurement")
    assert isinstance(measurement, dict) and measurement == pytest.approx(expected), (
        f"GET /observations/{observation_id} has measurement {data.get('measurement')!r}; "
        f"POST returned {created.get('measurement')!r}"
    )
    assert (data.get("observer") or {}).get("name") == name, (
        f"GET /observations/{observation_id} has observer {data.get('observer')!r}; "
        f"expected the name {name!r}"
    )


@check(
    points=7,
    hint="Store each observation under its id and give back exactly what was stored. Handout: "
    'The contract, "Routes".',
    more="Store each observation under its id in `observations`, then look it up; build a "
    "new dict (or model) for every observation, never one shared object.",
)
def test_observation_can_be_read_back_by_id(client):
    """GET /observations/{id} answers 200 with what POST returned for that id (a sepal
    width of 2.95 read back as 2.95), even after another observation was created, and again
    when the same id is read a second time (a read leaves the observation stored);
    GET /observations/abc and /observations/1.5 answer 422 (the id must be an integer)."""
    first = create(client, valid_body(species="virginica", notes="read me back"))
    second_body = with_observer(name="Grace", email="grace@example.org")
    second_body["measurement"] = {
        "sepal_length": 6.4,
        "sepal_width": 2.95,
        "petal_length": 4.3,
        "petal_width": 1.3,
    }
    second_body.update(species="versicolor", notes="another one")
    second = create(client, second_body)
    assert_read_back(client, first, "Ada")
    assert_read_back(client, second, "Grace")
    again = read(client, f"/observations/{first.get('id')}")
    assert again.status_code == 200, (
        f"GET /observations/{first.get('id')} answered 200 the first time and "
        f"{again.status_code} the second; expected 200 each time: reading an observation "
        "leaves it stored (dict.get, not dict.pop)"
    )
    for bad in ("abc", "1.5"):
        response = client.get(f"/observations/{bad}")
        assert response.status_code == 422, (
            f"GET /observations/{bad} answered {response.status_code}; expected 422: "
            "observation_id is an integer"
        )


@check(
    points=5,
    hint="An id that was never given out (0, -1, 99...) is a 404, not a crash and not null. "
    'Handout: The contract, "Routes".',
    more="raise HTTPException(status_code=404) when the id is not a key of `observations` "
    "(a list indexed with id - 1 finds something for 0 and -1).",
)
def test_unknown_observation_is_404(client):
    """GET /observations/999999, /observations/0, /observations/-1 and the id after the one
    just created (no observation has those ids yet) answer 404 Not Found, while the id of an
    observation just created answers 200: the route exists and looks the id up."""
    create(client, valid_body())
    created = create(client, valid_body(notes="the last one created"))
    known = read(client, f"/observations/{created['id']}")
    assert known.status_code == 200, (
        f"GET /observations/{created['id']} (just created) answered {known.status_code}"
    )
    following = created["id"] + 1 if isinstance(created.get("id"), int) else 999998
    for unknown in (999999, 0, -1, following):
        response = read(client, f"/observations/{unknown}")
        assert response.status_code == 404, (
            f"GET /observations/{unknown} answered {response.status_code} "
            f"{response.text[:200]}; expected 404: ids start at 1, and no observation has "
            f"the id {unknown}"
            + (
                f" (the last observation created got {created['id']}: its next id is not given yet)"
                if unknown == following
                else ""
            )
        )


# ---------------------------------------------------------------- the measurement


@pytest.mark.parametrize("value", [0, -1.5], ids=["zero", "negative"])
@check(
    points=5,
    hint='Field bounds: is 0 a valid length? Choose between "greater than" and "greater or '
    'equal". Handout: The contract, the request body.',
    more="Each length needs Field(gt=0, ...): greater than 0, not `ge`.",
)
def test_lengths_must_be_positive(client, value):
    """Each of the four lengths must be greater than 0: a body with one of them at 0 or below
    answers 422, and the error's loc names that field. Just above 0 is fine: widths of
    0.05 cm and a petal of 0.08 cm (below a sepal of 0.5 cm) are accepted."""
    create(client, valid_body())
    if value == 0:  # the boundary itself: anything above 0 is a length
        assert_accepted(
            client,
            with_measurement(
                sepal_length=0.5, sepal_width=0.05, petal_length=0.08, petal_width=0.05
            ),
            "lengths just above 0 (widths of 0.05 cm, a petal of 0.08 cm)",
            "a length must be greater than 0, and nothing more: no minimum of 0.1 or 1",
        )
    for field in FIELDS:
        body = with_measurement(**{field: value})
        assert_rejected(client, body, field, f"measurement.{field}={value}")


@check(
    points=6,
    hint="Field bounds: 10 itself is allowed, 10.01 is not. Handout: The contract, the request"
    " body.",
    more="Each length needs Field(..., le=10): 10 itself is allowed.",
)
def test_lengths_are_at_most_10_cm(client):
    """10 cm is allowed (a body with lengths of exactly 10 is accepted) and anything above is
    not: one length at 10.01 answers 422 with a loc naming that field."""
    data = create(
        client, with_measurement(sepal_length=10, sepal_width=10, petal_length=9, petal_width=10)
    )
    assert data.get("measurement", {}).get("sepal_length") == pytest.approx(10)
    for field in FIELDS:
        body = with_measurement(**{field: 10.01})
        if field == "petal_length":  # keep the petal shorter than the sepal
            body["measurement"]["sepal_length"] = 9.9
        assert_rejected(client, body, field, f"measurement.{field}=10.01")


@check(
    points=7,
    hint="A rule about two fields at once needs a validator of the whole model. Handout: "
    '"Rules a type cannot say: validators".',
    more="Write a model_validator(mode='after') on Measurement that raises ValueError when "
    "petal_length >= sepal_length.",
)
def test_petal_must_be_shorter_than_sepal(client):
    """A petal shorter than the sepal is accepted, even by less than a millimetre (4.96 under
    5.0: the lengths are compared as sent, not rounded), and so is a petal wider than the
    sepal (the rule compares lengths only); a petal as long as the sepal, or longer, answers
    422 with an error whose loc points into the measurement."""
    assert_accepted(
        client,
        with_measurement(sepal_length=5.0, petal_length=4.96),
        "measurement.sepal_length=5.0 and petal_length=4.96",
        "4.96 is shorter than 5.0: compare the lengths as sent, without rounding them",
    )
    assert_accepted(
        client,
        with_measurement(sepal_width=2.0, petal_width=2.5),
        "measurement.sepal_width=2.0 and petal_width=2.5",
        "the rule compares the lengths only, a petal may be wider than the sepal",
    )
    for petal in (5.0, 6.2):
        what = f"measurement.sepal_length=5.0 and petal_length={petal}"
        response = client.post(
            "/observations", json=with_measurement(sepal_length=5.0, petal_length=petal)
        )
        assert response.status_code == 422, (
            f"POST /observations with {what} answered {response.status_code}; expected 422"
        )
        found = locations(response)
        assert any(len(loc) >= 2 and loc[:2] == ("body", "measurement") for loc in found), (
            f"POST /observations with {what} answered 422, but no error's loc starts with "
            f"['body', 'measurement']: the locs were {found}"
        )


# ---------------------------------------------------------------- the observer


@check(
    points=4,
    hint='A field validator can return a tidied value instead of the one sent. Handout: "Rules'
    ' a type cannot say: validators".',
    more="A field_validator on name can return value.strip().",
)
def test_observer_name_is_stripped(client):
    """Spaces around the observer's name are removed, and nothing else changes:
    "  Ada Lovelace  " comes back as "Ada Lovelace", "  Vincent van Gogh  " as
    "Vincent van Gogh" (the capitals as sent), and " Ada  Lovelace " as "Ada  Lovelace"
    (the spaces inside as sent)."""
    for sent, want in (
        ("  Ada Lovelace  ", "Ada Lovelace"),
        ("  Vincent van Gogh  ", "Vincent van Gogh"),
        (" Ada  Lovelace ", "Ada  Lovelace"),
    ):
        data = create(client, with_observer(name=sent))
        name = (data.get("observer") or {}).get("name")
        assert name == want, (
            f"observer.name {sent!r} came back as {name!r}; expected {want!r}: remove the "
            "spaces around the name and keep the rest as sent (no change of capitals, the "
            "spaces inside kept)"
        )


@check(
    points=5,
    hint="Count the characters after the spaces are stripped. Handout: The contract, the "
    'request body, and "Rules a type cannot say: validators".',
    more="Field(min_length=1, max_length=100) for the length, and raise ValueError in the "
    "name validator when nothing is left after strip(); a validator with mode='before' gets "
    "whatever was sent, so it tidies the value only when it is a str.",
)
def test_observer_name_has_1_to_100_characters(client):
    """A name of 100 characters, a name of 1 character and "Jean-Luc O'Brien" (any character
    may be in a name) are accepted; an empty name, a name of only spaces, a name of 101
    characters, and a number or null instead of a string answer 422 with a loc ending in
    "name"."""
    create(client, with_observer(name="x" * 100))
    assert_accepted(
        client,
        with_observer(name="X"),
        "observer.name = 'X' (1 character)",
        "a name has 1 to 100 characters, so one character is enough",
    )
    assert_accepted(
        client,
        with_observer(name="Jean-Luc O'Brien"),
        'observer.name = "Jean-Luc O\'Brien"',
        "a name has 1 to 100 characters, of any kind: hyphens and apostrophes included",
    )
    for name, what in (
        ("", "an empty name"),
        ("   ", "a name of spaces"),
        ("x" * 101, "101 x"),
        (3, "3 (a number, not a string)"),
        (None, "null (not a string)"),
    ):
        assert_rejected(client, with_observer(name=name), "name", f"observer.name = {what}")


@check(
    points=5,
    hint="The contract's rule for an e-mail is simple on purpose: exactly one @, with text on "
    "both sides. Handout: The contract, the request body.",
    more="In a field_validator on email, split the text at '@' (str.partition) and raise "
    "ValueError unless there is exactly one '@' with text on both sides.",
)
def test_observer_email_needs_one_at_sign_between_text(client):
    """ "ada@example.org", "ada@localhost" (the rule asks for no dot), "x@y" (one character
    on each side is enough), "Ada+Iris@my-lab.example" (any other character is fine) and an
    address with 70 characters before the "@" (the rule sets no length limit) are accepted;
    an address without "@", with nothing before or after it, or with two of them, and a number
    or null instead of a string, answer 422 with a loc ending in "email"."""
    create(client, with_observer(email="ada@example.org"))
    for email, why in (
        ("ada@localhost", "the rule is exactly one @ with text on both sides, and asks for no dot"),
        ("x@y", "one character before the @ and one after it are enough"),
        (
            "Ada+Iris@my-lab.example",
            "the rule is exactly one @ with text on both sides; any other character is fine",
        ),
        (
            "a" * 70 + "@example.org",
            "the rule is exactly one @ with text on both sides, and sets no length limit",
        ),
    ):
        local = email.partition("@")[0]
        shown = (
            repr(email)
            if len(local) < 20
            else f"'{email[:3]}...{email[len(local) - 3 :]}' ({len(local)} characters before the @)"
        )
        assert_accepted(client, with_observer(email=email), f"observer.email={shown}", why)
    for email in ("ada.example.org", "@example.org", "ada@", "ada@example@org", 3, None):
        assert_rejected(client, with_observer(email=email), "email", f"observer.email={email!r}")


def stored_email(sent: str) -> str:
    """Probe: the e-mail an Observer of the submission's schemas.py stores."""
    schemas = importlib.import_module("schemas")
    return getattr(schemas.Observer(name="Ada", email=sent), "email", "(no email field)")


@check(
    points=3,
    hint="A validator's return value is what the model keeps. Handout: \"Rules a type cannot "
    'say: validators".',
    more="Return value.lower() from the email validator of Observer.",
)
def test_observer_email_is_stored_in_lower_case(app):
    """The Observer model of schemas.py stores the e-mail in lower case:
    Observer(name="Ada", email="Ada@Example.ORG").email == "ada@example.org"."""
    email = sandbox.call(stored_email, "Ada@Example.ORG")
    assert email == "ada@example.org", (
        f"Observer(name='Ada', email='Ada@Example.ORG').email is {email!r}; "
        "expected 'ada@example.org'"
    )


# ---------------------------------------------------------------- species and notes


@check(
    points=5,
    hint="Tidy the species before the type check sees it: a validator can run before or after "
    'validation. Handout: "Rules a type cannot say: validators".',
    more="A field_validator('species', mode='before') runs before the Literal check: return "
    "value.strip().lower() when value is a str.",
)
def test_species_is_normalised(client):
    """ "  Setosa " is accepted and stored as "setosa"; "VIRGINICA" as "virginica"."""
    for sent, expected in (("  Setosa ", "setosa"), ("VIRGINICA", "virginica")):
        data = create(client, valid_body(species=sent))
        assert data.get("species") == expected, (
            f"species {sent!r} came back as {data.get('species')!r}; expected {expected!r}"
        )


@check(
    points=5,
    hint="A type that allows only a few values makes Pydantic reject the others with 422. "
    "Handout: The contract, the request body.",
    more="Type species as Literal['setosa', 'versicolor', 'virginica'] | None; a validator "
    "with mode='before' must pass a value that is not a str on unchanged, and strip() only "
    "the spaces around a text (those inside stay).",
)
def test_unknown_species_is_422(client):
    """ "versicolor" is accepted; "tulip", "versicolour" and "Iris-setosa" (other spellings),
    "vir" (a part of a name), "vir ginica" (only the spaces around the text are removed), the
    number 3 (not a string), and an empty or blank text or the text "null" ("", "   ",
    "null", which are not null) answer 422 with a loc ending in "species"."""
    data = create(client, valid_body(species="versicolor"))
    assert data.get("species") == "versicolor", f"species came back as {data.get('species')!r}"
    assert_rejected(client, valid_body(species="tulip"), "species", "species='tulip'")
    assert_rejected(
        client,
        valid_body(species="versicolour"),
        "species",
        "species='versicolour' (only the three names as written are species)",
    )
    assert_rejected(
        client,
        valid_body(species="Iris-setosa"),
        "species",
        "species='Iris-setosa' (only the three names as written are species)",
    )
    assert_rejected(
        client, valid_body(species="vir"), "species", "species='vir' (a part of a name)"
    )
    assert_rejected(
        client,
        valid_body(species="vir ginica"),
        "species",
        "species='vir ginica' (only the spaces around the text are removed)",
    )
    assert_rejected(client, valid_body(species=3), "species", "species=3 (a number)")
    for blank in ("", "   ", "null"):
        assert_rejected(
            client,
            valid_body(species=blank),
            "species",
            f"species={blank!r} (a text, not JSON's null: only null means no species)",
        )


@check(
    points=5,
    hint="A length bound on a text field belongs in its Field. Handout: The contract, the "
    "request body.",
    more="notes: str | None = Field(default=None, max_length=500).",
    hidden=True,
)
def test_notes_have_at_most_500_characters(client):
    """Notes of 500 characters (accented ones: characters are counted, not bytes) are accepted
    and returned, and so is an empty text (no lower bound), which comes back as "" (not
    null), from POST and from GET /observations/{id}; 501 characters answer 422 with a loc
    ending in "notes"."""
    assert_accepted(
        client,
        valid_body(notes=""),
        'empty notes ("notes": "")',
        "notes have at most 500 characters and no minimum, so an empty text is a valid note",
    )
    data = create(client, valid_body(notes=""))
    assert data.get("notes") == "", (
        f'empty notes ("notes": "") came back as {data.get("notes")!r}; expected "" as '
        "received: an empty text is a note, not the absence of one (null)"
    )
    assert_read_back(client, data, "Ada")
    notes = "é" * 500
    data = assert_accepted(
        client,
        valid_body(notes=notes),
        "500 characters of notes ('é' * 500)",
        "notes have at most 500 characters, counted as characters (not as bytes)",
    ).json()
    came = data.get("notes") if isinstance(data, dict) else data
    assert came == notes, (
        f"notes of 500 characters ('é' * 500) came back as {repr(came)[:80]} "
        f"({len(came) if isinstance(came, str) else 'not a text'}); expected them unchanged"
    )
    assert_rejected(client, valid_body(notes="n" * 501), "notes", "501 characters of notes")


@check(
    points=4,
    hint="A field without a default is required; the 422's loc says where it was missing. "
    'Handout: "Reading a 422".',
    more="measurement and observer are required fields of ObservationIn.",
)
def test_missing_fields_are_422_with_their_location(client):
    """A body without "observer" answers 422 with a loc ending in "observer"; without
    "measurement", a loc ending in "measurement"; and so does a body that sends null instead
    of either object (only species and notes may be null); a measurement without one of its
    four lengths, a loc ending in that length's name; an observer without "name" or without
    "email", a loc ending in "name" or "email"."""
    create(client, valid_body())
    for field in ("observer", "measurement"):
        body = valid_body()
        del body[field]
        assert_rejected(client, body, field, f"no {field!r} field")
        assert_rejected(
            client, valid_body(**{field: None}), field, f'"{field}": null (it is required)'
        )
    for field in FIELDS:
        body = valid_body()
        del body["measurement"][field]
        assert_rejected(client, body, field, f"a measurement without {field!r}")
    for field in ("name", "email"):
        body = valid_body()
        del body["observer"][field]
        assert_rejected(client, body, field, f"an observer without {field!r}")


# ---------------------------------------------------------------- documentation


def body_examples(spec: dict) -> list:
    """Every example the OpenAPI document gives for the body of POST /observations."""
    content = (
        spec.get("paths", {})
        .get("/observations", {})
        .get("post", {})
        .get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
    )
    schema = content.get("schema", {})
    found = list(schema.get("examples") or [])
    found += [item.get("value") for item in (content.get("examples") or {}).values()]
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[-1]
        found += list(
            spec.get("components", {}).get("schemas", {}).get(name, {}).get("examples") or []
        )
    return [item for item in found if isinstance(item, dict)]


@check(
    points=5,
    hint="A model's configuration can add examples to its JSON schema, which /docs shows. "
    'Handout: "Examples in /docs".',
    more="Add model_config = ConfigDict(json_schema_extra={'examples': [...]}) to "
    "ObservationIn, with one complete, valid body.",
)
def test_openapi_shows_an_example_observation(client):
    """/openapi.json gives at least one example body for POST /observations (in the
    ObservationIn schema or on the request body), and sending that example answers 201."""
    response = client.get("/openapi.json")
    assert response.status_code == 200, f"GET /openapi.json answered {response.status_code}"
    spec = response.json()
    paths = spec.get("paths", {})
    assert "post" in paths.get("/observations", {}), (
        f"/openapi.json lists no POST /observations (its paths: {sorted(paths)}); the "
        "example is looked for on the body of that route"
    )
    examples = body_examples(spec)
    assert examples, (
        "/openapi.json has no example for the body of POST /observations: looked in "
        "components.schemas.ObservationIn.examples and in the request body"
    )
    answers = [client.post("/observations", json=example).status_code for example in examples]
    assert any(200 <= answer < 300 for answer in answers), (
        f"POST /observations with the example(s) from /openapi.json answered {answers}; "
        "at least one example must be a valid body (201)"
    )
