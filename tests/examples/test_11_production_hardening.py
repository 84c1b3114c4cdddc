"""The example apps of lab 11 (examples/11-production-hardening/) do what the handout says."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from autograder.course import ROOT
from tests.example_apps import load_example

EXAMPLES = ROOT / "examples" / "11-production-hardening"
ORIGIN = "https://shop.example"


@pytest.fixture
def settings(monkeypatch):
    module = load_example(EXAMPLES / "settings.py")
    monkeypatch.chdir(EXAMPLES)  # no .env here
    return module


def test_settings_read_the_prefixed_variables_and_hide_the_secret(settings, monkeypatch):
    monkeypatch.setenv("SHOP_PAGE_SIZE", "50")
    monkeypatch.setenv("SHOP_API_TOKEN", "very-secret-value")
    read = settings.Settings()
    assert read.page_size == 50
    assert "very-secret-value" not in repr(read)
    assert read.api_token.get_secret_value() == "very-secret-value"


def test_get_settings_is_read_once(settings):
    assert settings.get_settings() is settings.get_settings()


def test_a_wildcard_origin_stops_with_one_line(settings, monkeypatch):
    monkeypatch.setenv("SHOP_CORS_ORIGINS", '["*"]')
    settings.get_settings.cache_clear()
    with pytest.raises(SystemExit) as stopped:
        settings.settings_or_exit()
    assert (
        stopped.value.code
        == "bad configuration: SHOP_CORS_ORIGINS: '*' is not allowed: list each origin"
    )
    with pytest.raises(ValidationError):
        settings.Settings()


def test_the_bucket_refills_on_the_replaced_clock():
    bucket = load_example(EXAMPLES / "bucket.py")
    now = {"time": 0.0}
    bucket.app.dependency_overrides[bucket.get_clock] = lambda: now["time"]
    client = TestClient(bucket.app, headers={"X-Client": "ada"})
    assert [client.get("/quote").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/quote")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "5"
    assert TestClient(bucket.app, headers={"X-Client": "bob"}).get("/quote").status_code == 200
    now["time"] = 5.0
    assert client.get("/quote").status_code == 200
    assert client.get("/quote").status_code == 429


def preflight(app, origin: str):
    return TestClient(app).options(
        "/hello", headers={"Origin": origin, "Access-Control-Request-Method": "GET"}
    )


def test_listed_origins_only():
    cors = load_example(EXAMPLES / "cors.py")
    assert preflight(cors.listed, ORIGIN).headers["access-control-allow-origin"] == ORIGIN
    foreign = preflight(cors.listed, "https://evil.example")
    assert "access-control-allow-origin" not in foreign.headers
    answer = TestClient(cors.listed).get("/hello", headers={"Origin": ORIGIN})
    assert answer.headers["access-control-expose-headers"] == "Retry-After, X-Request-ID"


def test_a_wildcard_with_credentials_echoes_any_origin():
    cors = load_example(EXAMPLES / "cors.py")
    foreign = preflight(cors.wildcard, "https://evil.example")
    assert foreign.headers["access-control-allow-origin"] == "https://evil.example"
    assert foreign.headers["access-control-allow-credentials"] == "true"


def test_v1_is_deprecated_beside_v2():
    versions = load_example(EXAMPLES / "versions.py")
    client = TestClient(versions.app)
    old = client.get("/v1/price")
    assert old.json() == {"price": 12.5}
    assert old.headers["Deprecation"] == "@1767225600"
    assert old.headers["Sunset"] == "Thu, 31 Dec 2026 23:59:59 GMT"
    new = client.get("/v2/price")
    assert new.json() == {"amount": 12.5, "currency": "EUR"} and "Deprecation" not in new.headers
    paths = client.get("/openapi.json").json()["paths"]
    assert paths["/v1/price"]["get"]["deprecated"] is True
