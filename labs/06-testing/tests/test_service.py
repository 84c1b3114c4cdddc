"""Tests of the Iris API. Run them in this folder with `uv run pytest`.

Each test checks one behaviour of the contract in README.md. A good test fails when that
behaviour is broken and passes for every service that keeps the contract, however it is
written inside: check status codes, fields and values the contract fixes, and nothing else.
"""

import json
import shutil

import main
import pytest
from fastapi.testclient import TestClient
from pytest import approx

SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
VERSICOLOR = {"sepal_length": 7.0, "sepal_width": 3.2, "petal_length": 4.7, "petal_width": 1.4}
VIRGINICA = {"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 6.0, "petal_width": 2.5}
SPECIES = {"setosa", "versicolor", "virginica"}
FIELDS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
MAX_BATCH_SIZE = 100
OBSERVATION = {
    "measurement": SETOSA,
    "observer": {"name": "Ada", "email": "ada@example.org"},
    "species": "setosa",
}
SECRET = "db-password-hunter2"


def assert_error(response, status_code: int, code: str | None = None) -> dict:
    """The answer is an error in the service's envelope: check what the contract promises
    (status, code, a message, the request id) and return the "error" object."""
    assert response.status_code == status_code
    error = response.json()["error"]
    if code is not None:
        assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    return error


def crash(measurements):
    """A predict that fails the way a broken model does, with a message that must stay secret.

    monkeypatch.setattr(fake_model, "predict", crash) makes the fake model crash for one test.
    """
    raise RuntimeError(f"cannot connect to the feature store with {SECRET}")


# ---------------------------------------------------------------- Task 4: plain tests


def test_root_answers_with_a_message(client):
    """The example: one request, then checks of the status code and of the body."""
    response = client.get("/")
    assert response.status_code == 200
    assert isinstance(response.json()["message"], str)


def test_known_flower_is_returned(client):
    # TODO 4: GET /flowers/1 answers 200 with the flower whose id is 1 (a setosa).
    pytest.skip("TODO")


def test_unknown_flower_is_404(client):
    # TODO 4: GET /flowers/999 answers 404 in the error envelope, code "not_found" (use
    #         assert_error; do not test the wording of the message).
    pytest.skip("TODO")


# ---------------------------------------------------------------- Task 5: the fake model


@pytest.mark.parametrize("flower", [SETOSA, VERSICOLOR, VIRGINICA])
def test_predict_returns_the_models_answer(fake_client, fake_model, flower):
    # TODO 5: POST /predict answers 200 with the fake model's species, its probabilities
    #         (compare with approx) and its version as model_version.
    pytest.skip("TODO")


def test_batch_answers_in_the_order_of_the_request(fake_client, fake_model):
    # TODO 5: POST /predict/batch with three flowers whose answers are NOT already in
    #         alphabetical order; the predictions come back in the order of the items.
    pytest.skip("TODO")


def test_model_route_describes_the_model(fake_client, fake_model):
    # TODO 5: GET /model answers 200 with the fake model's version and classes.
    pytest.skip("TODO")


# ---------------------------------------------------------------- Task 6: bad input


# TODO 6: parametrize over every field in FIELDS and several bad values (below and at
#         the lower bound, above the upper bound).
def test_measurement_out_of_range_is_422(fake_client, field, value):
    # TODO 6: SETOSA with this field set to value gets 422.
    pytest.skip("TODO")


def test_measurements_at_the_upper_bound_are_accepted(fake_client):
    # TODO 6: 10 cm is allowed: a flower measuring 10 everywhere except a 9.9 cm petal
    #         (the petal must stay shorter than the sepal) gets 200.
    pytest.skip("TODO")


@pytest.mark.parametrize("field", FIELDS)
def test_missing_measurement_is_422(fake_client, field):
    # TODO 6: SETOSA without this field gets 422.
    pytest.skip("TODO")


def test_petal_as_long_as_the_sepal_is_422(fake_client):
    # TODO 6: a petal_length equal to the sepal_length gets 422, code "validation_error".
    pytest.skip("TODO")


# TODO 6: parametrize over the smallest and the largest allowed batch sizes.
def test_batch_within_the_limit_is_accepted(fake_client, size):
    # TODO 6: a batch of `size` flowers gets 200 and `size` predictions.
    pytest.skip("TODO")


# TODO 6: parametrize over the sizes just outside the limits.
def test_batch_outside_the_limit_is_422(fake_client, size):
    # TODO 6: a batch of `size` flowers gets 422.
    pytest.skip("TODO")


# ---------------------------------------------------------------- Task 7: the real model


@pytest.mark.parametrize("flower", [SETOSA, VERSICOLOR, VIRGINICA])
def test_real_probabilities_sum_to_one(client, flower):
    # TODO 7: with the real model, POST /predict answers 200; the probabilities have one
    #         entry per species, each between 0 and 1, summing to 1 (approx); the species
    #         is the one with the highest probability.
    pytest.skip("TODO")


def test_real_model_version_is_reported(client, model_path):
    # TODO 7: GET /model, POST /predict and POST /predict/batch all report the version
    #         written in the model's metadata (model_path.with_suffix(".json")).
    pytest.skip("TODO")


def test_model_is_loaded_once_at_start_up(model_path, tmp_path, monkeypatch):
    # TODO 7: copy the model files into tmp_path, point MODEL_PATH at the copy, start the
    #         app with `with TestClient(main.app)`, delete the copy, then predict: the
    #         service loaded the model at start-up, so it still answers 200.
    pytest.skip("TODO")


# ---------------------------------------------------------------- Task 8: observations


def test_new_observation_is_201_and_can_be_read_back(client):
    # TODO 8: POST /observations answers 201 with an id; GET /observations/{id} answers
    #         200 with the same measurement. Do not assume which id you get.
    pytest.skip("TODO")


def test_observer_email_is_never_returned(client):
    # TODO 8: neither the POST answer nor the GET answer contains the e-mail address.
    pytest.skip("TODO")


def test_unknown_observation_is_404(client):
    # TODO 8: GET /observations/999999 answers 404, code "not_found".
    pytest.skip("TODO")


def test_observation_with_a_bad_email_is_422(client):
    # TODO 8: an observer e-mail without "@" gets 422.
    pytest.skip("TODO")


# ---------------------------------------------------------------- Task 9: health and failures


def test_health_and_ready_with_the_real_model(client, model_path):
    # TODO 9: GET /health answers 200 with status "ok"; GET /ready answers 200 with status
    #         "ready" and the trained model's version as model_version.
    pytest.skip("TODO")


def test_without_a_model_the_service_starts_but_is_not_ready(tmp_path, monkeypatch):
    # TODO 9: point MODEL_PATH at a file that does not exist and start the app: /health is
    #         200, /ready is 503, POST /predict and GET /model are 503 with code
    #         "model_unavailable".
    pytest.skip("TODO")


def test_not_ready_when_the_model_cannot_predict(fake_client, fake_model, monkeypatch):
    # TODO 9: make the fake model crash (monkeypatch.setattr(fake_model, "predict", crash)):
    #         /health is still 200, /ready is 503.
    pytest.skip("TODO")


def test_a_crashing_model_is_a_500_that_reveals_nothing(fake_client, fake_model, monkeypatch):
    # TODO 9: with the crashing fake, POST /predict answers 500, code "internal_error", and
    #         the answer contains nothing of the exception: not SECRET, not "RuntimeError".
    pytest.skip("TODO")
