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
    # BEGIN SOLUTION
    #: # TODO 4: GET /flowers/1 answers 200 with the flower whose id is 1 (a setosa).
    #: pytest.skip("TODO")
    response = client.get("/flowers/1")
    assert response.status_code == 200
    assert response.json()["id"] == 1
    assert response.json()["species"] == "setosa"
    # END SOLUTION


def test_unknown_flower_is_404(client):
    # BEGIN SOLUTION
    #: # TODO 4: GET /flowers/999 answers 404 in the error envelope, code "not_found" (use
    #: #         assert_error; do not test the wording of the message).
    #: pytest.skip("TODO")
    response = client.get("/flowers/999")
    assert_error(response, 404, "not_found")
    # END SOLUTION


# ---------------------------------------------------------------- Task 5: the fake model


@pytest.mark.parametrize("flower", [SETOSA, VERSICOLOR, VIRGINICA])
def test_predict_returns_the_models_answer(fake_client, fake_model, flower):
    # BEGIN SOLUTION
    #: # TODO 5: POST /predict answers 200 with the fake model's species, its probabilities
    #: #         (compare with approx) and its version as model_version.
    #: pytest.skip("TODO")
    expected = fake_model.answer_for(flower["petal_length"])
    response = fake_client.post("/predict", json=flower)
    assert response.status_code == 200
    body = response.json()
    assert body["species"] == expected.species
    assert body["probabilities"] == approx(expected.probabilities)
    assert body["model_version"] == fake_model.version
    # END SOLUTION


def test_batch_answers_in_the_order_of_the_request(fake_client, fake_model):
    # BEGIN SOLUTION
    #: # TODO 5: POST /predict/batch with three flowers whose answers are NOT already in
    #: #         alphabetical order; the predictions come back in the order of the items.
    #: pytest.skip("TODO")
    items = [VIRGINICA, SETOSA, VERSICOLOR]
    response = fake_client.post("/predict/batch", json={"items": items})
    assert response.status_code == 200
    body = response.json()
    assert [p["species"] for p in body["predictions"]] == ["virginica", "setosa", "versicolor"]
    assert body["model_version"] == fake_model.version
    # END SOLUTION


def test_model_route_describes_the_model(fake_client, fake_model):
    # BEGIN SOLUTION
    #: # TODO 5: GET /model answers 200 with the fake model's version and classes.
    #: pytest.skip("TODO")
    response = fake_client.get("/model")
    assert response.status_code == 200
    assert response.json()["version"] == fake_model.version
    assert set(response.json()["classes"]) == SPECIES
    # END SOLUTION


# ---------------------------------------------------------------- Task 6: bad input


# BEGIN SOLUTION
#: # TODO 6: parametrize over every field in FIELDS and several bad values (below and at
#: #         the lower bound, above the upper bound).
@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", [-1.0, 0, 10.5])
# END SOLUTION
def test_measurement_out_of_range_is_422(fake_client, field, value):
    # BEGIN SOLUTION
    #: # TODO 6: SETOSA with this field set to value gets 422.
    #: pytest.skip("TODO")
    response = fake_client.post("/predict", json={**SETOSA, field: value})
    assert response.status_code == 422
    # END SOLUTION


def test_measurements_at_the_upper_bound_are_accepted(fake_client):
    # BEGIN SOLUTION
    #: # TODO 6: 10 cm is allowed: a flower measuring 10 everywhere except a 9.9 cm petal
    #: #         (the petal must stay shorter than the sepal) gets 200.
    #: pytest.skip("TODO")
    flower = {"sepal_length": 10, "sepal_width": 10, "petal_length": 9.9, "petal_width": 10}
    assert fake_client.post("/predict", json=flower).status_code == 200
    # END SOLUTION


@pytest.mark.parametrize("field", FIELDS)
def test_missing_measurement_is_422(fake_client, field):
    # BEGIN SOLUTION
    #: # TODO 6: SETOSA without this field gets 422.
    #: pytest.skip("TODO")
    flower = {name: value for name, value in SETOSA.items() if name != field}
    assert fake_client.post("/predict", json=flower).status_code == 422
    # END SOLUTION


def test_petal_as_long_as_the_sepal_is_422(fake_client):
    # BEGIN SOLUTION
    #: # TODO 6: a petal_length equal to the sepal_length gets 422, code "validation_error".
    #: pytest.skip("TODO")
    flower = {**SETOSA, "petal_length": SETOSA["sepal_length"]}
    assert_error(fake_client.post("/predict", json=flower), 422, "validation_error")
    # END SOLUTION


# BEGIN SOLUTION
#: # TODO 6: parametrize over the smallest and the largest allowed batch sizes.
@pytest.mark.parametrize("size", [1, MAX_BATCH_SIZE])
# END SOLUTION
def test_batch_within_the_limit_is_accepted(fake_client, size):
    # BEGIN SOLUTION
    #: # TODO 6: a batch of `size` flowers gets 200 and `size` predictions.
    #: pytest.skip("TODO")
    response = fake_client.post("/predict/batch", json={"items": [SETOSA] * size})
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == size
    # END SOLUTION


# BEGIN SOLUTION
#: # TODO 6: parametrize over the sizes just outside the limits.
@pytest.mark.parametrize("size", [0, MAX_BATCH_SIZE + 1])
# END SOLUTION
def test_batch_outside_the_limit_is_422(fake_client, size):
    # BEGIN SOLUTION
    #: # TODO 6: a batch of `size` flowers gets 422.
    #: pytest.skip("TODO")
    response = fake_client.post("/predict/batch", json={"items": [SETOSA] * size})
    assert response.status_code == 422
    # END SOLUTION


# ---------------------------------------------------------------- Task 7: the real model


@pytest.mark.parametrize("flower", [SETOSA, VERSICOLOR, VIRGINICA])
def test_real_probabilities_sum_to_one(client, flower):
    # BEGIN SOLUTION
    #: # TODO 7: with the real model, POST /predict answers 200; the probabilities have one
    #: #         entry per species, each between 0 and 1, summing to 1 (approx); the species
    #: #         is the one with the highest probability.
    #: pytest.skip("TODO")
    response = client.post("/predict", json=flower)
    assert response.status_code == 200
    body = response.json()
    probabilities = body["probabilities"]
    assert set(probabilities) == SPECIES
    assert all(0 <= p <= 1 for p in probabilities.values())
    assert sum(probabilities.values()) == approx(1, abs=1e-6)
    assert body["species"] == max(probabilities, key=probabilities.get)
    # END SOLUTION


def test_real_model_version_is_reported(client, model_path):
    # BEGIN SOLUTION
    #: # TODO 7: GET /model, POST /predict and POST /predict/batch all report the version
    #: #         written in the model's metadata (model_path.with_suffix(".json")).
    #: pytest.skip("TODO")
    version = json.loads(model_path.with_suffix(".json").read_text())["version"]
    assert client.get("/model").json()["version"] == version
    assert client.post("/predict", json=SETOSA).json()["model_version"] == version
    batch = client.post("/predict/batch", json={"items": [SETOSA, VIRGINICA]})
    assert batch.json()["model_version"] == version
    # END SOLUTION


def test_model_is_loaded_once_at_start_up(model_path, tmp_path, monkeypatch):
    # BEGIN SOLUTION
    #: # TODO 7: copy the model files into tmp_path, point MODEL_PATH at the copy, start the
    #: #         app with `with TestClient(main.app)`, delete the copy, then predict: the
    #: #         service loaded the model at start-up, so it still answers 200.
    #: pytest.skip("TODO")
    copy = tmp_path / "model.joblib"
    shutil.copy(model_path, copy)
    shutil.copy(model_path.with_suffix(".json"), copy.with_suffix(".json"))
    monkeypatch.setenv("MODEL_PATH", str(copy))
    with TestClient(main.app) as client:
        copy.unlink()
        copy.with_suffix(".json").unlink()
        response = client.post("/predict", json=SETOSA)
    assert response.status_code == 200
    # END SOLUTION


# ---------------------------------------------------------------- Task 8: observations


def test_new_observation_is_201_and_can_be_read_back(client):
    # BEGIN SOLUTION
    #: # TODO 8: POST /observations answers 201 with an id; GET /observations/{id} answers
    #: #         200 with the same measurement. Do not assume which id you get.
    #: pytest.skip("TODO")
    created = client.post("/observations", json=OBSERVATION)
    assert created.status_code == 201
    observation_id = created.json()["id"]
    read = client.get(f"/observations/{observation_id}")
    assert read.status_code == 200
    assert read.json()["measurement"] == approx(SETOSA)
    # END SOLUTION


def test_observer_email_is_never_returned(client):
    # BEGIN SOLUTION
    #: # TODO 8: neither the POST answer nor the GET answer contains the e-mail address.
    #: pytest.skip("TODO")
    created = client.post("/observations", json=OBSERVATION)
    assert "ada@example.org" not in created.text
    read = client.get(f"/observations/{created.json()['id']}")
    assert "ada@example.org" not in read.text
    # END SOLUTION


def test_unknown_observation_is_404(client):
    # BEGIN SOLUTION
    #: # TODO 8: GET /observations/999999 answers 404, code "not_found".
    #: pytest.skip("TODO")
    assert_error(client.get("/observations/999999"), 404, "not_found")
    # END SOLUTION


def test_observation_with_a_bad_email_is_422(client):
    # BEGIN SOLUTION
    #: # TODO 8: an observer e-mail without "@" gets 422.
    #: pytest.skip("TODO")
    observation = {**OBSERVATION, "observer": {"name": "Ada", "email": "ada.example.org"}}
    assert client.post("/observations", json=observation).status_code == 422
    # END SOLUTION


# ---------------------------------------------------------------- Task 9: health and failures


def test_health_and_ready_with_the_real_model(client, model_path):
    # BEGIN SOLUTION
    #: # TODO 9: GET /health answers 200 with status "ok"; GET /ready answers 200 with status
    #: #         "ready" and the trained model's version as model_version.
    #: pytest.skip("TODO")
    version = json.loads(model_path.with_suffix(".json").read_text())["version"]
    health = client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["model_version"] == version
    # END SOLUTION


def test_without_a_model_the_service_starts_but_is_not_ready(tmp_path, monkeypatch):
    # BEGIN SOLUTION
    #: # TODO 9: point MODEL_PATH at a file that does not exist and start the app: /health is
    #: #         200, /ready is 503, POST /predict and GET /model are 503 with code
    #: #         "model_unavailable".
    #: pytest.skip("TODO")
    monkeypatch.setenv("MODEL_PATH", str(tmp_path / "missing.joblib"))
    with TestClient(main.app) as client:
        assert client.get("/health").status_code == 200
        assert_error(client.get("/ready"), 503)
        assert_error(client.post("/predict", json=SETOSA), 503, "model_unavailable")
        assert_error(client.get("/model"), 503, "model_unavailable")
    # END SOLUTION


def test_not_ready_when_the_model_cannot_predict(fake_client, fake_model, monkeypatch):
    # BEGIN SOLUTION
    #: # TODO 9: make the fake model crash (monkeypatch.setattr(fake_model, "predict", crash)):
    #: #         /health is still 200, /ready is 503.
    #: pytest.skip("TODO")
    monkeypatch.setattr(fake_model, "predict", crash)
    assert fake_client.get("/health").status_code == 200
    assert_error(fake_client.get("/ready"), 503)
    # END SOLUTION


def test_a_crashing_model_is_a_500_that_reveals_nothing(fake_client, fake_model, monkeypatch):
    # BEGIN SOLUTION
    #: # TODO 9: with the crashing fake, POST /predict answers 500, code "internal_error", and
    #: #         the answer contains nothing of the exception: not SECRET, not "RuntimeError".
    #: pytest.skip("TODO")
    monkeypatch.setattr(fake_model, "predict", crash)
    response = fake_client.post("/predict", json=SETOSA)
    assert_error(response, 500, "internal_error")
    assert SECRET not in response.text
    assert "RuntimeError" not in response.text
    # END SOLUTION
