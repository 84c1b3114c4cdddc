"""The example apps of lab 07 (examples/07-auth/) do what the handout says."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from fastapi.testclient import TestClient

from autograder.course import find_lab
from tests.example_apps import load_example

EXAMPLES = find_lab(7).examples_dir


def load(name: str):
    """Import examples/07-auth/<name>.py as a fresh module."""
    return load_example(EXAMPLES / f"{name}.py")


# ---------------------------------------------------------------- api_key.py


@pytest.fixture
def station(monkeypatch):
    monkeypatch.setenv("STATION_KEYS", json.dumps({"roof": "k-roof-123", "garden": "k-g-456"}))
    return TestClient(load("api_key").app)


def test_a_known_key_names_its_station(station):
    response = station.post("/readings?celsius=21.5", headers={"X-API-Key": "k-g-456"})
    assert response.status_code == 200
    assert response.json() == {"station": "garden", "celsius": 21.5}


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "k-roof-12"}, {"X-API-Key": b"k\xe9"}])
def test_a_missing_wrong_or_odd_key_is_401(station, headers):
    assert station.post("/readings?celsius=1", headers=headers).status_code == 401


# ---------------------------------------------------------------- tokens.py


@pytest.fixture
def library():
    module = load("tokens")
    return module, TestClient(module.app)


def log_in(client, name, password):
    return client.post("/token", data={"username": name, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_reader_logs_in_and_lists_books(library):
    module, client = library
    response = log_in(client, "rex", "novels")
    assert response.status_code == 200
    token = response.json()["access_token"]
    claims = jwt.decode(token, module.SECRET, algorithms=["HS256"])
    assert claims["sub"] == "rex" and claims["role"] == "reader"
    assert client.get("/books", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(("name", "password"), [("rex", "poems"), ("nobody", "novels")])
def test_a_wrong_password_or_an_unknown_name_is_401(library, name, password):
    _, client = library
    response = log_in(client, name, password)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_only_a_librarian_removes_books(library):
    _, client = library
    reader = log_in(client, "rex", "novels").json()["access_token"]
    assert client.delete("/books/1", headers=bearer(reader)).status_code == 403
    librarian = log_in(client, "lin", "shelves").json()["access_token"]
    assert client.delete("/books/1", headers=bearer(librarian)).status_code == 204
    assert client.delete("/books/1").status_code == 401


def test_bad_tokens_are_401(library):
    module, client = library
    now = int(time.time())
    valid = {"sub": "rex", "role": "reader", "exp": now + 60}
    assert client.get("/books", headers=bearer(jwt.encode(valid, module.SECRET))).status_code == 200
    for claims, key, algorithm in (
        ({**valid, "exp": now - 60}, module.SECRET, "HS256"),
        (valid, "another-key-of-at-least-32-bytes!!", "HS256"),
        (valid, None, "none"),
        ({"sub": "rex", "role": "reader"}, module.SECRET, "HS256"),
    ):
        token = jwt.encode(claims, key, algorithm=algorithm)
        assert client.get("/books", headers=bearer(token)).status_code == 401
