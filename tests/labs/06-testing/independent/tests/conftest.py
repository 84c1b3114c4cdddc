"""Fixtures for the tests in this folder. pytest loads conftest.py by itself.

A fixture prepares something a test needs; a test asks for it by naming it as an argument.
Here: a real model trained for the tests, a client of the service that uses it, a fake
model, and a client of the service whose routes get the fake model instead.
"""

from collections.abc import Iterator
from pathlib import Path

import main
import pytest
from fastapi.testclient import TestClient

import train
from schemas import Measurement, Prediction

TEST_MODEL_VERSION = "test-model-1"


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
        answers = []
        for item in measurements:
            answers.append(self.answer_for(item.petal_length))
        return answers


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real model, trained once for the whole test run in a temporary folder.

    The tests never use the lab's models/ folder: they work on a fresh copy of the lab.
    """
    return train.train(tmp_path_factory.mktemp("model"), version=TEST_MODEL_VERSION)


@pytest.fixture
def client(model_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A client of the real service, started like a server: lifespan loads the model."""
    monkeypatch.setenv("MODEL_PATH", str(model_path))
    with TestClient(main.app) as started:
        yield started


@pytest.fixture
def fake_model() -> FakeModel:
    """A new fake model for each test."""
    return FakeModel()


@pytest.fixture
def fake_client(client: TestClient, fake_model: FakeModel) -> Iterator[TestClient]:
    """The same client, but every route that depends on get_model gets fake_model."""
    main.app.dependency_overrides[main.get_model] = lambda: fake_model
    try:
        yield client
    finally:
        main.app.dependency_overrides.pop(main.get_model, None)
