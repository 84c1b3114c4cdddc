"""The examples of lab 03 (examples/03-model-serving/) do what the handout and slides say."""

from __future__ import annotations

import json
import math
import shutil
import socket
import time

import joblib
import pytest
import requests
from fastapi.testclient import TestClient

from autograder.course import find_lab
from autograder.live import serve_in_thread
from tests.example_apps import load_example

EXAMPLES = find_lab(3).examples_dir

BAROLO = {"alcohol": 14.2, "color_intensity": 5.6, "proline": 1100}
GRIGNOLINO = {"alcohol": 12.3, "color_intensity": 2.9, "proline": 500}
BARBERA = {"alcohol": 13.2, "color_intensity": 9.0, "proline": 620}


def load(name: str):
    """Import examples/03-model-serving/<name>.py as a fresh module."""
    return load_example(EXAMPLES / f"{name}.py")


@pytest.fixture(scope="module")
def trainer():
    return load("train_wine")


@pytest.fixture(scope="module")
def wine_model(trainer, tmp_path_factory):
    """The path of a wine model trained by the example script."""
    return trainer.train(tmp_path_factory.mktemp("wine"), version="1.0.0")


# ---------------------------------------------------------------- train_wine.py


def test_train_writes_the_pipeline_and_its_metadata(wine_model, trainer):
    assert wine_model.name == "wine.joblib" and wine_model.is_file()
    pipeline = joblib.load(wine_model)
    metadata = json.loads(wine_model.with_suffix(".json").read_text())
    assert metadata["version"] == "1.0.0"
    assert metadata["features"] == ["alcohol", "color_intensity", "proline"]
    # classes_ are the names, sorted: not the order of CULTIVARS
    assert metadata["classes"] == [str(name) for name in pipeline.classes_]
    assert metadata["classes"] == ["barbera", "barolo", "grignolino"]
    assert 0.85 <= metadata["metrics"]["accuracy"] <= 1


def test_train_is_seeded(trainer, wine_model, tmp_path):
    again = trainer.train(tmp_path, version="1.0.0")
    rows = [[BAROLO[name] for name in trainer.FEATURES]]
    first, second = joblib.load(wine_model), joblib.load(again)
    assert first.predict_proba(rows).tolist() == second.predict_proba(rows).tolist()
    assert again.with_suffix(".json").read_text() == wine_model.with_suffix(".json").read_text()


def test_the_pipeline_scales_inside_itself(wine_model):
    """The scaler is part of the saved pipeline: raw measurements go in, probabilities out."""
    pipeline = joblib.load(wine_model)
    assert [name for name, _ in pipeline.steps] == ["standardscaler", "logisticregression"]
    (row,) = pipeline.predict_proba([[14.2, 5.6, 1100]])
    assert math.fsum(row) == pytest.approx(1)


# ---------------------------------------------------------------- wine_api.py


@pytest.fixture
def wine_api(wine_model, monkeypatch):
    monkeypatch.setenv("WINE_MODEL", str(wine_model))
    return load("wine_api")


def test_wine_api_imports_without_any_model(monkeypatch, tmp_path):
    monkeypatch.setenv("WINE_MODEL", str(tmp_path / "nothing-here.joblib"))
    module = load("wine_api")
    with pytest.raises(FileNotFoundError), TestClient(module.app):
        pass  # the model is needed at start-up, not at import


@pytest.mark.parametrize(
    ("wine", "cultivar"),
    [(BAROLO, "barolo"), (GRIGNOLINO, "grignolino"), (BARBERA, "barbera")],
)
def test_wine_api_predicts_the_cultivar_with_probabilities(wine_api, wine, cultivar):
    with TestClient(wine_api.app) as client:
        response = client.post("/cultivar", json=wine)
    assert response.status_code == 200
    answer = response.json()
    assert answer["cultivar"] == cultivar
    assert sorted(answer["probabilities"]) == ["barbera", "barolo", "grignolino"]
    assert math.fsum(answer["probabilities"].values()) == pytest.approx(1)
    assert max(answer["probabilities"], key=answer["probabilities"].get) == cultivar
    assert answer["model_version"] == "1.0.0"


def test_wine_api_agrees_with_the_pipeline(wine_api, wine_model):
    pipeline = joblib.load(wine_model)
    (expected,) = pipeline.predict_proba([[BARBERA[name] for name in wine_api.FEATURES]])
    with TestClient(wine_api.app) as client:
        answer = client.post("/cultivar", json=BARBERA).json()
    for name, value in zip(pipeline.classes_, expected, strict=True):
        assert answer["probabilities"][name] == pytest.approx(value)


@pytest.mark.parametrize(
    "change", [{"alcohol": -1}, {"alcohol": 0}, {"color_intensity": 40}, {"proline": 5000}]
)
def test_wine_api_refuses_impossible_wines(wine_api, change):
    with TestClient(wine_api.app) as client:
        response = client.post("/cultivar", json={**BAROLO, **change})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", *change]


def test_wine_api_about_is_the_metadata(wine_api, wine_model):
    with TestClient(wine_api.app) as client:
        answer = client.get("/about").json()
    assert answer == json.loads(wine_model.with_suffix(".json").read_text())


def test_wine_api_loads_the_model_once_at_start_up(wine_model, monkeypatch, tmp_path):
    copy = tmp_path / "wine.joblib"
    shutil.copy(wine_model, copy)
    shutil.copy(wine_model.with_suffix(".json"), copy.with_suffix(".json"))
    monkeypatch.setenv("WINE_MODEL", str(copy))
    module = load("wine_api")
    with TestClient(module.app) as client:
        copy.unlink()
        copy.with_suffix(".json").unlink()
        assert client.post("/cultivar", json=BAROLO).json()["cultivar"] == "barolo"
        assert client.get("/about").json()["version"] == "1.0.0"


def test_wine_api_reads_the_path_when_it_starts(trainer, wine_model, monkeypatch, tmp_path):
    module = load("wine_api")  # imported first, as a test suite would
    newer = trainer.train(tmp_path, version="2.0.0")
    for path, version in ((wine_model, "1.0.0"), (newer, "2.0.0")):
        monkeypatch.setenv("WINE_MODEL", str(path))
        with TestClient(module.app) as client:
            assert client.get("/about").json()["version"] == version


def test_wine_api_prediction_route_is_plain_def(wine_api):
    import inspect

    assert not inspect.iscoroutinefunction(wine_api.predict_cultivar)


# ---------------------------------------------------------------- batch_limits.py


@pytest.mark.parametrize("size", [1, 50])
def test_batch_accepts_1_to_50_readings_in_order(size):
    client = TestClient(load("batch_limits").app)
    readings = [{"celsius": float(number)} for number in range(size)]
    response = client.post("/fahrenheit/batch", json={"items": readings})
    assert response.status_code == 200
    assert response.json() == {"fahrenheit": [round(n * 9 / 5 + 32, 2) for n in range(size)]}


@pytest.mark.parametrize("size", [0, 51])
def test_batch_refuses_0_or_51_readings(size):
    client = TestClient(load("batch_limits").app)
    response = client.post("/fahrenheit/batch", json={"items": [{"celsius": 20}] * size})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "items"]


def test_batch_refuses_a_bad_item_with_its_index():
    client = TestClient(load("batch_limits").app)
    body = {"items": [{"celsius": 20}, {"celsius": -300}]}
    response = client.post("/fahrenheit/batch", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "items", 1, "celsius"]


# ---------------------------------------------------------------- def_or_async.py


def test_async_and_def_routes_run_on_different_threads():
    with TestClient(load("def_or_async").app) as client:
        on_loop = client.get("/thread/async").json()["thread"]
        in_worker = client.get("/thread/def").json()["thread"]
    assert on_loop != in_worker
    assert in_worker.startswith("AnyIO worker thread")


def ping_delay(base_url: str, slow_path: str) -> float:
    """Seconds from sending a slow request to the answer of a /ping sent 0.2 s later.

    The slow request is written on its own connection before the pause, so that it is
    waiting at the server when the ping comes, however slowly a busy machine starts a thread.
    """
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as slow:
        slow.sendall(f"GET {slow_path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        started = time.monotonic()
        time.sleep(0.2)
        assert requests.get(base_url + "/ping", timeout=10).json() == {"pong": True}
        delay = time.monotonic() - started
        assert slow.recv(65536).startswith(b"HTTP/1.1 200")
    return delay


def test_a_slow_async_route_makes_everyone_wait_and_a_def_route_does_not():
    with serve_in_thread(load("def_or_async").app) as base_url:
        # On a loaded machine the pause may end before the server has read the slow request:
        # one of three tries is enough to show each behaviour.
        assert any(ping_delay(base_url, "/slow/async") >= 0.95 for _ in range(3))  # waited
        assert any(ping_delay(base_url, "/slow/def") < 0.8 for _ in range(3))  # at once
