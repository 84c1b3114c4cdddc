"""The examples of lab 06 (examples/06-testing/) do what the handout and slides say.

The handout and the slides quote the tests below: they are the kinds of tests lab 06 teaches
(a fixture, a fake through dependency_overrides, parametrize, both sides of a limit).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from autograder.course import find_lab
from tests.example_apps import load_example

EXAMPLES = find_lab(6).examples_dir


def load(name: str):
    """Import examples/06-testing/<name>.py as a fresh module."""
    return load_example(EXAMPLES / f"{name}.py")


startup_state = load("startup_state")
fake_dependency = load("fake_dependency")


# ---------------------------------------------------------------- lifespan


def test_without_with_lifespan_never_runs():
    client = TestClient(startup_state.app)  # no `with`: the app is never started
    with pytest.raises(AttributeError):
        client.get("/greet/Ada")  # app.state.greeting does not exist


def test_with_runs_lifespan_first():
    with TestClient(startup_state.app) as client:  # start-up runs here
        response = client.get("/greet/Ada")
    assert response.status_code == 200  # shutdown ran at the end of the block
    assert response.json() == {"message": "Hello, Ada!"}


# ---------------------------------------------------------------- a fake through a dependency


class FakeModel:
    """Same interface as WordModel, an answer fixed in advance, nothing to load."""

    version = "fake-7"

    def score(self, text: str) -> float:
        return 0.75


@pytest.fixture
def client():
    """A client of the app as a server runs it: lifespan runs before the first request."""
    with TestClient(fake_dependency.app) as test_client:
        yield test_client


@pytest.fixture
def fake_client(client):
    """The same client, but every route that depends on get_model gets a FakeModel."""
    app = fake_dependency.app
    app.dependency_overrides[fake_dependency.get_model] = FakeModel
    yield client
    app.dependency_overrides.clear()  # runs after the test, passed or failed


def test_score_is_the_models_answer(fake_client):
    response = fake_client.post("/reviews/score", json={"text": "Not bad at all"})
    assert response.status_code == 200
    body = response.json()
    assert body["score"] == pytest.approx(0.75)
    assert body["positive"] is True
    assert body["model_version"] == "fake-7"


def test_real_model_scores_between_0_and_1(client):
    response = client.post("/reviews/score", json={"text": "A lovely, great film"})
    assert response.status_code == 200
    assert 0 <= response.json()["score"] <= 1


def test_override_is_gone_after_the_fixture(client):
    response = client.post("/reviews/score", json={"text": "great"})
    assert response.json()["model_version"] == "words-1.0"


# ------------------------------------------------ parametrize, both sides of a limit


@pytest.mark.parametrize("length", [1, 200])
def test_text_within_the_limits_is_accepted(fake_client, length):
    response = fake_client.post("/reviews/score", json={"text": "a" * length})
    assert response.status_code == 200


@pytest.mark.parametrize("length", [0, 201])
def test_text_outside_the_limits_is_422(fake_client, length):
    response = fake_client.post("/reviews/score", json={"text": "a" * length})
    assert response.status_code == 422


# ---------------------------------------------------------------- the example apps themselves


def test_word_model_counts_happy_words():
    model = fake_dependency.WordModel()
    assert model.score("good film, great cast") == pytest.approx(0.5)
    assert model.score("   ") == 0


def test_shutdown_releases_the_greeting():
    with TestClient(startup_state.app):
        assert startup_state.app.state.greeting == "Hello"
    assert not hasattr(startup_state.app.state, "greeting")
