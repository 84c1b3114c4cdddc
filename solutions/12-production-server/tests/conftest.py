"""Fixtures for the tests in this folder. pytest loads conftest.py by itself.

A fixture prepares something a test needs; a test asks for it by naming it as an argument.
Here: a real model trained for the tests, a client of the service that uses it, a fake
model, and a client of the service whose routes get the fake model instead. Lab 08: every
test gets a database of its own, a new file in its temporary folder, and an admin account.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

import train
from app import main
from app.core.config import get_settings
from app.database import make_engine, migrate
from app.schemas import Measurement, Prediction

TEST_MODEL_VERSION = "test-model-1"
# Lab 07: predictions need a caller. The tests' client is a machine client with this key.
TEST_API_KEY = "test-key-0123456789"
# Lab 08: an admin for the routes only admins may call (DELETE /predictions/{id}).
ADMIN_NAME, ADMIN_PASSWORD = "root", "test-admin-password"


class FakeModel:
    """A stand-in for the real model: the same interface, answers known in advance, no file.

    It calls a flower "setosa" when its petal is shorter than 2.5 cm, "versicolor" when it is
    shorter than 5 cm and "virginica" otherwise, with probability 0.8 for that species and 0.1
    for each of the two others.
    """

    version = "fake-model-1"
    metadata = {
        "version": "fake-model-1",
        "classes": ["setosa", "versicolor", "virginica"],
        "features": ["sepal_length", "sepal_width", "petal_length", "petal_width"],
        "metrics": {"accuracy": 0.5},
    }

    def answer_for(self, petal_length: float) -> Prediction:
        """The prediction the fake makes for a flower with this petal length."""
        if petal_length < 2.5:
            species = "setosa"
        elif petal_length < 5:
            species = "versicolor"
        else:
            species = "virginica"
        probabilities = {name: 0.1 for name in self.metadata["classes"]}
        probabilities[species] = 0.8
        return Prediction(species=species, probabilities=probabilities)

    def predict(self, measurements: list[Measurement]) -> list[Prediction]:
        """One prediction per measurement, in order: what the routes call."""
        return [self.answer_for(measurement.petal_length) for measurement in measurements]


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real model, trained once for the whole test run in a temporary folder.

    The tests never use the lab's models/ folder: they work on a fresh copy of the lab.
    """
    return train.train(tmp_path_factory.mktemp("model"), version=TEST_MODEL_VERSION)


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Lab 11: get_settings reads the environment once and keeps what it read. Each test
    sets an environment of its own, so each one starts and ends with nothing kept."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test's app uses a new, empty database file in the test's own folder, so no
    test sees another's rows, and the lab's predictions.db is never touched."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    monkeypatch.setenv("IRIS_DATABASE_URL", url)
    # Lab 12: the lifespan no longer migrates (app/prestart.py does, once): so do the tests.
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def admin_users() -> str:
    """USERS with one admin, hashed at a tiny Argon2 cost (once for the whole run)."""
    hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=64),))
    admin = {"password_hash": hasher.hash(ADMIN_PASSWORD), "role": "admin"}
    return json.dumps({ADMIN_NAME: admin})


@pytest.fixture
def client(
    model_path: Path, admin_users: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """A client of the real service, started like a server: lifespan loads the model."""
    monkeypatch.setenv("IRIS_MODEL_PATH", str(model_path))
    monkeypatch.setenv("IRIS_API_KEYS", json.dumps({"tests": TEST_API_KEY}))
    monkeypatch.setenv("IRIS_USERS", admin_users)
    monkeypatch.setenv("IRIS_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("IRIS_ARGON2_MEMORY_COST", "64")
    with TestClient(main.app, headers={"X-API-Key": TEST_API_KEY}) as test_client:
        yield test_client


@pytest.fixture
def fake_model() -> FakeModel:
    """A new fake model for each test."""
    return FakeModel()


@pytest.fixture
def fake_client(client: TestClient, fake_model: FakeModel) -> Iterator[TestClient]:
    """The same client, but every route that depends on get_model gets fake_model."""
    main.app.dependency_overrides[main.get_model] = lambda: fake_model
    yield client
    main.app.dependency_overrides.clear()


@pytest.fixture
def admin_headers(client: TestClient) -> dict[str, str]:
    """The Authorization header of the admin, logged in through POST /token."""
    answer = client.post("/token", data={"username": ADMIN_NAME, "password": ADMIN_PASSWORD})
    assert answer.status_code == 200
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}
