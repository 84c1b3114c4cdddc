"""Lab 12 tests: settings, CORS, the rate limit, the two API versions and the limits.

``create_app(settings)`` builds an app from settings made in the test, so a test can try a
middleware's configuration without touching the environment; the clock and the settings
the routes read are dependencies, replaced with ``app.dependency_overrides``.
"""

import gzip
import subprocess
import sys
from email.utils import parsedate_to_datetime

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app import main
from app.core.config import DEVELOPMENT_SECRET, Settings, configuration_problem, get_settings
from app.deps import get_clock

SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
ORIGIN = "https://iris.example"
TEST_API_KEY = "test-key-0123456789"  # the key of the client fixture (tests/conftest.py)


@pytest.fixture
def small_bucket(client):
    """The client, with buckets of 2 tokens that come back at one every 4 seconds, and a
    clock that stands still until the test moves it."""
    clock = {"now": 100.0}
    settings = get_settings().model_copy(
        update={"rate_limit_capacity": 2, "rate_limit_refill_per_second": 0.25}
    )
    main.app.dependency_overrides[get_settings] = lambda: settings
    main.app.dependency_overrides[get_clock] = lambda: clock["now"]
    yield client, clock
    main.app.dependency_overrides.clear()


# ---------------------------------------------------------------- settings


def test_settings_read_the_prefixed_environment(monkeypatch):
    monkeypatch.setenv("IRIS_RATE_LIMIT_CAPACITY", "7")
    monkeypatch.setenv("RATE_LIMIT_CAPACITY", "9")  # no prefix: not ours
    assert Settings().rate_limit_capacity == 7


def test_secrets_never_show_when_settings_are_printed(monkeypatch):
    monkeypatch.setenv("IRIS_JWT_SECRET", "s" * 40)
    monkeypatch.setenv("IRIS_API_KEYS", '{"robot": "key-that-must-stay-hidden"}')
    settings = Settings()
    assert "s" * 40 not in repr(settings) and "key-that-must-stay-hidden" not in str(settings)
    assert settings.api_keys["robot"].get_secret_value() == "key-that-must-stay-hidden"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("IRIS_CORS_ORIGINS", '["*"]'), ("IRIS_CORS_ORIGINS", '["https://iris.example/"]')],
)
def test_a_bad_origin_is_refused_in_one_line(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    line = configuration_problem(raised.value)
    assert variable in line and "\n" not in line


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.setenv("IRIS_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="jwt_secret"):
        Settings()
    monkeypatch.setenv("IRIS_JWT_SECRET", "p" * 40)
    assert Settings().jwt_secret.get_secret_value() != DEVELOPMENT_SECRET


def test_the_service_refuses_to_start_with_one_line(tmp_path):
    environment = {"IRIS_CORS_ORIGINS": '["*"]', "PATH": ""}
    started = subprocess.run(
        [sys.executable, "-c", "import app.main"],
        env=environment,
        capture_output=True,
        text=True,
        cwd=main.__file__.rsplit("/app/", 1)[0],
        timeout=60,
    )
    assert started.returncode == 1
    assert started.stderr.strip().count("\n") == 0 and "IRIS_CORS_ORIGINS" in started.stderr


# ---------------------------------------------------------------- CORS, hosts, sizes


def test_an_allowed_origin_may_call_from_a_browser():
    app = main.create_app(Settings(cors_origins=[ORIGIN]))
    with TestClient(app) as client:
        preflight = client.options(
            "/v1/predict",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        answer = client.get("/health", headers={"Origin": ORIGIN})
        exposed = answer.headers["access-control-expose-headers"].lower()
        assert "retry-after" in exposed and "x-request-id" in exposed


def test_a_foreign_origin_gets_no_approval():
    app = main.create_app(Settings(cors_origins=[ORIGIN]))
    with TestClient(app) as client:
        preflight = client.options(
            "/v1/predict",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers


def test_an_unknown_host_is_400(client):
    assert client.get("/health", headers={"Host": "evil.example"}).status_code == 400


def test_a_body_over_the_limit_is_413():
    app = main.create_app(Settings(max_body_bytes=1000))
    with TestClient(app, headers={"X-API-Key": TEST_API_KEY}) as client:
        body = b'{"sepal_length": 5.1' + b" " * 2000 + b"}"
        answer = client.post(
            "/v1/predict", content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 413


def test_large_answers_are_compressed_small_ones_not(client):
    large = client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert large.headers.get("content-encoding") == "gzip"
    assert gzip.compress(large.content)  # httpx decoded it: it is the document
    small = client.get("/health", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


# ---------------------------------------------------------------- the rate limit


def test_a_burst_up_to_the_capacity_then_429_with_retry_after(small_bucket):
    client, _ = small_bucket
    assert [client.post("/v1/predict", json=SETOSA).status_code for _ in range(2)] == [200, 200]
    refused = client.post("/v1/predict", json=SETOSA)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert refused.headers["Retry-After"] == "4"


def test_the_bucket_refills_with_time(small_bucket):
    client, clock = small_bucket
    for _ in range(2):
        client.post("/v1/predict", json=SETOSA)
    clock["now"] += 2
    assert client.post("/v1/predict", json=SETOSA).headers["Retry-After"] == "2"
    clock["now"] += 2
    assert client.post("/v1/predict", json=SETOSA).status_code == 200


# ---------------------------------------------------------------- versions


def test_v1_is_deprecated_and_says_until_when(client):
    answer = client.post("/v1/predict", json=SETOSA)
    assert set(answer.json()) >= {"species", "probabilities", "model_version", "prediction_id"}
    assert answer.headers["Deprecation"].startswith("@")
    sunset = parsedate_to_datetime(answer.headers["Sunset"])
    assert sunset.timestamp() > int(answer.headers["Deprecation"][1:])


def test_v2_lists_the_k_most_probable_species(client):
    answer = client.post("/v2/predict", params={"k": 2}, json=SETOSA).json()
    probabilities = [item["probability"] for item in answer["top_classes"]]
    assert len(probabilities) == 2 and probabilities == sorted(probabilities, reverse=True)
    assert answer["top_classes"][0]["species"] == answer["species"] == "setosa"


def test_both_versions_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert paths["/v1/predict"]["post"]["deprecated"] is True
    assert "deprecated" not in paths["/v2/predict"]["post"]
