"""The example apps of lab 02 (examples/02-request-validation/) do what the handout says."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from autograder.course import ROOT, find_lab
from tests.example_apps import load_example

EXAMPLES = find_lab(2).examples_dir
HANDOUT = ROOT / "labs" / "02-request-validation" / "README.md"
SLIDES = ROOT / "slides" / "02-request-validation.md"


def load(name: str):
    """Import examples/02-request-validation/<name>.py as a fresh module."""
    return load_example(EXAMPLES / f"{name}.py")


def client_for(name: str) -> TestClient:
    return TestClient(load(name).app)


READING = {
    "celsius": 21.5,
    "sensor": "outdoor",
    "place": {"latitude": 48.85, "longitude": 2.35},
}
BAD_READING = {"celsius": -300, "sensor": "garden", "place": {"latitude": 48.8}}


# ---------------------------------------------------------------- body_model.py


def test_body_model_accepts_a_valid_reading():
    response = client_for("body_model").post("/readings", json=READING)
    assert response.status_code == 200
    assert response.json() == {**READING, "comment": None}


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"celsius": -273.15}, ["body", "celsius"]),
        ({"celsius": 100.5}, ["body", "celsius"]),
        ({"sensor": "garden"}, ["body", "sensor"]),
        ({"place": {"latitude": 91, "longitude": 0}}, ["body", "place", "latitude"]),
        ({"comment": "x" * 81}, ["body", "comment"]),
    ],
)
def test_body_model_rejects_each_broken_rule_at_its_location(change, loc):
    response = client_for("body_model").post("/readings", json={**READING, **change})
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [loc]


def test_body_model_reports_every_error_at_once():
    response = client_for("body_model").post("/readings", json=BAD_READING)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [error["loc"] for error in detail] == [
        ["body", "celsius"],
        ["body", "sensor"],
        ["body", "place", "longitude"],
    ]
    assert [error["type"] for error in detail] == ["greater_than", "literal_error", "missing"]


@pytest.mark.parametrize("document", [HANDOUT, SLIDES], ids=lambda path: path.name)
def test_the_422_shown_in_the_handout_and_slides_is_the_real_one(document):
    """Both show the 422 body of BAD_READING; it must be exactly what FastAPI sends."""
    text = document.read_text()
    shown = [
        json.loads(block)
        for block in re.findall(r"^```json\n(.*?)^```", text, re.M | re.S)
        if '"detail"' in block
    ]
    response = client_for("body_model").post("/readings", json=BAD_READING)
    assert response.json() in shown, f"update the 422 example in {document.name}"


# ---------------------------------------------------------------- validators.py

BOOKING = {"guest": "Ada", "size": "M", "check_in": "2025-03-01", "check_out": "2025-03-03"}


def test_validators_tidy_the_values_they_accept():
    response = client_for("validators").post(
        "/bookings", json={**BOOKING, "guest": "  Ada Lovelace ", "size": " m"}
    )
    assert response.status_code == 200
    assert response.json()["guest"] == "Ada Lovelace"
    assert response.json()["size"] == "M"


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"guest": "   "}, ["body", "guest"]),
        ({"size": "XL"}, ["body", "size"]),
        ({"check_out": "2025-03-01"}, ["body"]),
        ({"check_out": "2025-02-27"}, ["body"]),
    ],
)
def test_validators_reject_with_a_location(change, loc):
    response = client_for("validators").post("/bookings", json={**BOOKING, **change})
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [loc]


def test_model_validator_does_not_run_when_a_field_is_invalid():
    response = client_for("validators").post("/bookings", json={**BOOKING, "check_in": "soon"})
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "check_in"]]


# ---------------------------------------------------------------- response_model.py


def test_response_model_hides_the_password_hash_and_answers_201():
    with client_for("response_model") as client:
        response = client.post("/accounts", json={"username": "ada", "password": "correct horse"})
        assert response.status_code == 201
        assert response.json() == {"id": 1, "username": "ada"}
        assert "password" not in response.text
        again = client.get("/accounts/1")
        assert again.status_code == 200
        assert again.json() == {"id": 1, "username": "ada"}


def test_response_model_example_gives_ids_in_order_and_404():
    with client_for("response_model") as client:
        ids = [
            client.post("/accounts", json={"username": name, "password": "12345678"}).json()["id"]
            for name in ("ada", "bob", "cyd")
        ]
        assert ids == [1, 2, 3]
        assert client.get("/accounts/4").status_code == 404
        assert client.get("/accounts/four").status_code == 422


def test_response_model_example_rejects_a_short_password():
    response = client_for("response_model").post(
        "/accounts", json={"username": "ada", "password": "short"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


# ---------------------------------------------------------------- schema_examples.py


def test_schema_example_is_in_openapi_and_is_valid():
    client = client_for("schema_examples")
    spec = client.get("/openapi.json").json()
    examples = spec["components"]["schemas"]["Recipe"]["examples"]
    assert examples == [{"title": "Pancakes", "minutes": 20, "vegetarian": True}]
    body = spec["paths"]["/recipes"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/Recipe"}
    response = client.post("/recipes", json=examples[0])
    assert response.status_code == 201
    assert response.json() == examples[0]
