"""An independent test suite of the Iris API, written from the handout's tasks and contract."""

import json
import shutil

import main
import pytest
from fastapi.testclient import TestClient
from pytest import approx

FLOWERS = {
    "setosa": {"sepal_length": 5.0, "sepal_width": 3.4, "petal_length": 1.5, "petal_width": 0.2},
    "versicolor": {
        "sepal_length": 6.4,
        "sepal_width": 3.2,
        "petal_length": 4.5,
        "petal_width": 1.5,
    },
    "virginica": {
        "sepal_length": 7.2,
        "sepal_width": 3.6,
        "petal_length": 6.1,
        "petal_width": 2.5,
    },
}
GOOD = FLOWERS["setosa"]
NAMES = list(GOOD)
SECRET = "db-password-hunter2"
EMAIL = "grace@example.org"


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


def observation(**changes):
    body = {"measurement": GOOD, "observer": {"name": "Grace", "email": EMAIL}}
    body.update(changes)
    return body


# ---------------------------------------------------------------- 4


def test_root_answers_with_a_message(client):
    response = client.get("/")
    assert response.status_code == 200
    assert isinstance(response.json()["message"], str)


def test_flower_one(client):
    response = client.get("/flowers/1")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["species"]) == (1, "setosa")


def test_flower_999_is_not_found(client):
    assert_error(client.get("/flowers/999"), 404, "not_found")


# ---------------------------------------------------------------- 5


@pytest.mark.parametrize("species", sorted(FLOWERS))
def test_predict_with_the_fake(fake_client, fake_model, species):
    flower = FLOWERS[species]
    response = fake_client.post("/predict", json=flower)
    assert response.status_code == 200
    body = response.json()
    want = fake_model.answer_for(flower["petal_length"])
    assert body["species"] == want.species == species
    assert body["probabilities"] == approx(want.probabilities)
    assert body["model_version"] == "fake-model-1"


def test_batch_keeps_item_order(fake_client):
    order = ["versicolor", "virginica", "setosa"]
    response = fake_client.post("/predict/batch", json={"items": [FLOWERS[s] for s in order]})
    assert response.status_code == 200
    body = response.json()
    assert [item["species"] for item in body["predictions"]] == order
    assert body["model_version"] == "fake-model-1"


def test_model_metadata_is_the_fakes(fake_client, fake_model):
    response = fake_client.get("/model")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == fake_model.version
    assert sorted(body["classes"]) == sorted(FLOWERS)


# ---------------------------------------------------------------- 6


@pytest.mark.parametrize("bad", [-0.5, 0, 10.5])
@pytest.mark.parametrize("name", NAMES)
def test_out_of_range(fake_client, name, bad):
    flower = dict(GOOD)
    flower[name] = bad
    assert_error(fake_client.post("/predict", json=flower), 422, "validation_error")


@pytest.mark.parametrize("name", ["sepal_length", "sepal_width", "petal_width"])
def test_ten_centimetres_is_allowed(fake_client, name):
    flower = dict(GOOD)
    flower[name] = 10
    assert fake_client.post("/predict", json=flower).status_code == 200


@pytest.mark.parametrize("name", NAMES)
def test_missing_field(fake_client, name):
    flower = dict(GOOD)
    del flower[name]
    assert_error(fake_client.post("/predict", json=flower), 422, "validation_error")


def test_petal_equal_to_sepal(fake_client):
    flower = {"sepal_length": 6.0, "sepal_width": 3.0, "petal_length": 6.0, "petal_width": 2.0}
    assert fake_client.post("/predict", json=flower).status_code == 422


@pytest.mark.parametrize("count", [1, 100])
def test_batch_sizes_allowed(fake_client, count):
    response = fake_client.post("/predict/batch", json={"items": [GOOD] * count})
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == count


@pytest.mark.parametrize("count", [0, 101])
def test_batch_sizes_refused(fake_client, count):
    response = fake_client.post("/predict/batch", json={"items": [GOOD] * count})
    assert_error(response, 422, "validation_error")


# ---------------------------------------------------------------- 7


def test_real_model_probabilities(client):
    for flower in FLOWERS.values():
        response = client.post("/predict", json=flower)
        assert response.status_code == 200
        body = response.json()
        probabilities = body["probabilities"]
        assert sorted(probabilities) == sorted(FLOWERS)
        for value in probabilities.values():
            assert 0 <= value <= 1
        assert sum(probabilities.values()) == approx(1, abs=1e-6)
        assert probabilities[body["species"]] == max(probabilities.values())


def test_real_model_version_everywhere(client, model_path):
    version = json.loads(model_path.with_suffix(".json").read_text())["version"]
    assert client.get("/model").json()["version"] == version
    assert client.post("/predict", json=GOOD).json()["model_version"] == version
    batch = client.post("/predict/batch", json={"items": [GOOD]})
    assert batch.json()["model_version"] == version


def test_model_files_deleted_after_start_up(model_path, tmp_path, monkeypatch):
    folder = tmp_path / "copy"
    folder.mkdir()
    target = folder / model_path.name
    shutil.copy(model_path, target)
    shutil.copy(model_path.with_suffix(".json"), target.with_suffix(".json"))
    monkeypatch.setenv("MODEL_PATH", str(target))
    with TestClient(main.app) as client:
        shutil.rmtree(folder)
        assert client.post("/predict", json=GOOD).status_code == 200


# ---------------------------------------------------------------- 8


def test_observation_round_trip(client):
    created = client.post("/observations", json=observation(species="setosa"))
    assert created.status_code == 201
    new_id = created.json()["id"]
    again = client.get(f"/observations/{new_id}")
    assert again.status_code == 200
    assert again.json()["id"] == new_id
    assert again.json()["measurement"] == approx(GOOD)


def test_email_is_private(client):
    created = client.post("/observations", json=observation())
    assert created.status_code == 201
    assert EMAIL not in created.text
    again = client.get(f"/observations/{created.json()['id']}")
    assert again.status_code == 200
    assert EMAIL not in again.text


def test_observation_not_found(client):
    assert_error(client.get("/observations/987654"), 404, "not_found")


def test_email_without_at_sign(client):
    body = observation(observer={"name": "Grace", "email": "grace.example.org"})
    assert_error(client.post("/observations", json=body), 422, "validation_error")


# ---------------------------------------------------------------- 9


def test_health_and_ready(client, model_path):
    version = json.loads(model_path.with_suffix(".json").read_text())["version"]
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "model_version": version}


@pytest.fixture
def modelless_client(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_PATH", str(tmp_path / "nothing-here" / "model.joblib"))
    with TestClient(main.app) as client:
        yield client


def test_no_model_health(modelless_client):
    assert modelless_client.get("/health").status_code == 200


def test_no_model_ready(modelless_client):
    assert_error(modelless_client.get("/ready"), 503)


def test_no_model_predict(modelless_client):
    assert_error(modelless_client.post("/predict", json=GOOD), 503, "model_unavailable")


def test_no_model_metadata(modelless_client):
    assert_error(modelless_client.get("/model"), 503, "model_unavailable")


def test_crashing_model_not_ready(fake_client, fake_model, monkeypatch):
    monkeypatch.setattr(fake_model, "predict", crash)
    assert fake_client.get("/health").status_code == 200
    assert_error(fake_client.get("/ready"), 503)


def test_crashing_model_secret_kept(fake_client, fake_model, monkeypatch):
    monkeypatch.setattr(fake_model, "predict", crash)
    response = fake_client.post("/predict", json=GOOD)
    assert_error(response, 500, "internal_error")
    assert SECRET not in response.text
    assert "RuntimeError" not in response.text
