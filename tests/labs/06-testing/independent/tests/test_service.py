"""Tests of the Iris API, written from the contract of the handout."""

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
    assert response.status_code == status_code
    error = response.json()["error"]
    if code is not None:
        assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    return error


def crash(measurements):
    raise RuntimeError(f"cannot connect to the feature store with {SECRET}")


def trained_version(model_path):
    return json.loads(model_path.with_suffix(".json").read_text())["version"]


def check_probabilities(body):
    probabilities = body["probabilities"]
    assert set(probabilities) == SPECIES
    for value in probabilities.values():
        assert 0 <= value <= 1
    assert sum(probabilities.values()) == approx(1, abs=1e-6)
    assert body["species"] == max(probabilities, key=probabilities.get)


def test_root_answers_with_a_message(client):
    response = client.get("/")
    assert response.status_code == 200
    assert isinstance(response.json()["message"], str)


@pytest.mark.parametrize(
    ("flower_id", "species"), [(1, "setosa"), (7, "versicolor"), (15, "virginica")]
)
def test_known_flower_is_returned(client, flower_id, species):
    response = client.get(f"/flowers/{flower_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == flower_id
    assert body["species"] == species
    for field in FIELDS:
        assert body[field] > 0


@pytest.mark.parametrize("flower_id", [0, 16, 999])
def test_unknown_flower_is_404(client, flower_id):
    assert_error(client.get(f"/flowers/{flower_id}"), 404, "not_found")


@pytest.mark.parametrize("flower_id", ["abc", "1.5"])
def test_flower_id_not_an_integer_is_422(client, flower_id):
    assert_error(client.get(f"/flowers/{flower_id}"), 422, "validation_error")


@pytest.mark.parametrize("flower", [SETOSA, VERSICOLOR, VIRGINICA])
def test_predict_returns_the_models_answer(fake_client, fake_model, flower):
    response = fake_client.post("/predict", json=flower)
    assert response.status_code == 200
    body = response.json()
    expected = fake_model.answer_for(flower["petal_length"])
    assert body["species"] == expected.species
    assert body["probabilities"] == approx(expected.probabilities, abs=1e-6)
    assert body["model_version"] == fake_model.version


def test_batch_answers_in_the_order_of_the_request(fake_client, fake_model):
    items = [VIRGINICA, SETOSA, VERSICOLOR, VIRGINICA, SETOSA]
    response = fake_client.post("/predict/batch", json={"items": items})
    assert response.status_code == 200
    body = response.json()
    assert [p["species"] for p in body["predictions"]] == [
        "virginica",
        "setosa",
        "versicolor",
        "virginica",
        "setosa",
    ]
    for prediction, item in zip(body["predictions"], items, strict=True):
        want = fake_model.answer_for(item["petal_length"])
        assert prediction["probabilities"] == approx(want.probabilities, abs=1e-6)
    assert body["model_version"] == fake_model.version


def test_model_route_describes_the_model(fake_client, fake_model):
    response = fake_client.get("/model")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == fake_model.version
    assert sorted(body["classes"]) == sorted(fake_model.metadata["classes"])
    assert set(body["features"]) == set(FIELDS)


@pytest.mark.parametrize("value", [-1, 0, 10.01, "long", None])
@pytest.mark.parametrize("field", FIELDS)
def test_measurement_out_of_range_is_422(fake_client, field, value):
    flower = dict(SETOSA, **{field: value})
    assert_error(fake_client.post("/predict", json=flower), 422, "validation_error")


@pytest.mark.parametrize("field", FIELDS)
def test_measurements_at_the_upper_bound_are_accepted(fake_client, field):
    flower = {"sepal_length": 10, "sepal_width": 10, "petal_length": 9.9, "petal_width": 10}
    assert fake_client.post("/predict", json=flower).status_code == 200
    flower = dict(VERSICOLOR)
    if field == "petal_length":
        flower["sepal_length"] = 10
        flower["petal_length"] = 9.99
    else:
        flower[field] = 10
    assert fake_client.post("/predict", json=flower).status_code == 200


@pytest.mark.parametrize("field", FIELDS)
def test_small_positive_measurement_is_accepted(fake_client, field):
    flower = dict(SETOSA, **{field: 0.01})
    if field == "sepal_length":
        flower["petal_length"] = 0.005
    assert fake_client.post("/predict", json=flower).status_code == 200


@pytest.mark.parametrize("field", FIELDS)
def test_missing_measurement_is_422(fake_client, field):
    flower = {k: v for k, v in SETOSA.items() if k != field}
    assert_error(fake_client.post("/predict", json=flower), 422, "validation_error")


@pytest.mark.parametrize("petal", [5.1, 6.0])
def test_petal_as_long_as_the_sepal_is_422(fake_client, petal):
    flower = dict(SETOSA, petal_length=petal)
    assert_error(fake_client.post("/predict", json=flower), 422, "validation_error")


@pytest.mark.parametrize("size", [1, 2, MAX_BATCH_SIZE])
def test_batch_within_the_limit_is_accepted(fake_client, size):
    response = fake_client.post("/predict/batch", json={"items": [VERSICOLOR] * size})
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == size


@pytest.mark.parametrize("size", [0, MAX_BATCH_SIZE + 1])
def test_batch_outside_the_limit_is_422(fake_client, size):
    response = fake_client.post("/predict/batch", json={"items": [VERSICOLOR] * size})
    assert_error(response, 422, "validation_error")


def test_batch_with_one_bad_item_is_422(fake_client):
    response = fake_client.post(
        "/predict/batch", json={"items": [SETOSA, dict(SETOSA, petal_width=0)]}
    )
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize("flower", [SETOSA, VERSICOLOR, VIRGINICA])
def test_real_probabilities_sum_to_one(client, flower):
    response = client.post("/predict", json=flower)
    assert response.status_code == 200
    check_probabilities(response.json())


def test_real_batch_probabilities(client):
    response = client.post("/predict/batch", json={"items": [VIRGINICA, SETOSA, VERSICOLOR]})
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert len(predictions) == 3
    for prediction, flower in zip(predictions, [VIRGINICA, SETOSA, VERSICOLOR], strict=True):
        check_probabilities(prediction)
        single = client.post("/predict", json=flower).json()
        assert prediction["probabilities"] == approx(single["probabilities"], abs=1e-6)


def test_real_model_version_is_reported(client, model_path):
    version = trained_version(model_path)
    assert client.get("/model").json()["version"] == version
    assert client.post("/predict", json=SETOSA).json()["model_version"] == version
    batch = client.post("/predict/batch", json={"items": [SETOSA]}).json()
    assert batch["model_version"] == version
    body = client.get("/model").json()
    assert set(body["classes"]) == SPECIES
    assert all(isinstance(v, (int, float)) for v in body["metrics"].values())


def test_model_is_loaded_once_at_start_up(model_path, tmp_path, monkeypatch):
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(model_path, copy / "model.joblib")
    shutil.copy(model_path.with_suffix(".json"), copy / "model.json")
    monkeypatch.setenv("MODEL_PATH", str(copy / "model.joblib"))
    with TestClient(main.app) as started:
        shutil.rmtree(copy)
        for _ in range(2):
            response = started.post("/predict", json=VERSICOLOR)
            assert response.status_code == 200
            check_probabilities(response.json())
        assert started.get("/model").status_code == 200


def test_new_observation_is_201_and_can_be_read_back(client):
    response = client.post("/observations", json=OBSERVATION)
    assert response.status_code == 201
    created = response.json()
    assert isinstance(created["id"], int) and created["id"] > 0
    assert created["measurement"] == approx(SETOSA)
    assert created["observer"]["name"] == "Ada"
    read = client.get(f"/observations/{created['id']}")
    assert read.status_code == 200
    body = read.json()
    assert body["id"] == created["id"]
    assert body["measurement"] == approx(SETOSA)
    other = client.post("/observations", json=dict(OBSERVATION, measurement=VIRGINICA)).json()
    assert other["id"] != created["id"]
    assert client.get(f"/observations/{other['id']}").json()["measurement"] == approx(VIRGINICA)


def test_observer_email_is_never_returned(client):
    email = "secret.person@example.org"
    sent = dict(OBSERVATION, observer={"name": "Grace", "email": email})
    created = client.post("/observations", json=sent)
    assert created.status_code == 201
    assert email not in created.text
    assert "secret.person" not in created.text
    read = client.get(f"/observations/{created.json()['id']}")
    assert read.status_code == 200
    assert email not in read.text
    assert "secret.person" not in read.text


def test_unknown_observation_is_404(client):
    assert_error(client.get("/observations/999999"), 404, "not_found")


@pytest.mark.parametrize("email", ["ada.example.org", "", "ada@@example.org"])
def test_observation_with_a_bad_email_is_422(client, email):
    sent = dict(OBSERVATION, observer={"name": "Ada", "email": email})
    assert_error(client.post("/observations", json=sent), 422, "validation_error")


def test_health_and_ready_with_the_real_model(client, model_path):
    health = client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["model_version"] == trained_version(model_path)


def test_without_a_model_the_service_starts_but_is_not_ready(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_PATH", str(tmp_path / "nothing" / "model.joblib"))
    with TestClient(main.app) as started:
        assert started.get("/health").status_code == 200
        assert started.get("/health").json()["status"] == "ok"
        assert started.get("/ready").status_code == 503
        assert_error(started.post("/predict", json=SETOSA), 503, "model_unavailable")
        assert_error(
            started.post("/predict/batch", json={"items": [SETOSA]}), 503, "model_unavailable"
        )
        assert_error(started.get("/model"), 503, "model_unavailable")


def test_not_ready_when_the_model_cannot_predict(fake_client, fake_model, monkeypatch):
    assert fake_client.get("/ready").status_code == 200
    assert fake_client.get("/ready").json()["model_version"] == fake_model.version
    monkeypatch.setattr(fake_model, "predict", crash)
    assert fake_client.get("/health").status_code == 200
    assert_error(fake_client.get("/ready"), 503)


@pytest.mark.parametrize("path", ["/predict", "/predict/batch"])
def test_a_crashing_model_is_a_500_that_reveals_nothing(fake_client, fake_model, monkeypatch, path):
    monkeypatch.setattr(fake_model, "predict", crash)
    payload = SETOSA if path == "/predict" else {"items": [SETOSA]}
    response = fake_client.post(path, json=payload)
    assert_error(response, 500, "internal_error")
    assert SECRET not in response.text
    assert "feature store" not in response.text
    assert "RuntimeError" not in response.text
