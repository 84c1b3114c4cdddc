"""The example apps of lab 01 (examples/01-hello-api/) do what the handout and slides say."""

from __future__ import annotations

import pytest
import requests
from fastapi.testclient import TestClient

from autograder.course import find_lab
from autograder.live import serve_in_thread
from tests.example_apps import load_example

EXAMPLES = find_lab(1).examples_dir


def load(name: str):
    """Import examples/01-hello-api/<name>.py as a fresh module."""
    return load_example(EXAMPLES / f"{name}.py")


def client_for(name: str) -> TestClient:
    return TestClient(load(name).app)


# ---------------------------------------------------------------- first_app.py


def test_first_app_answers_json_at_the_root():
    client = client_for("first_app")
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"planets": 8, "home": "Earth"}


def test_first_app_documents_itself():
    client = client_for("first_app")
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"] == "Planet API"
    assert list(schema["paths"]) == ["/"]
    assert client.get("/docs").headers["content-type"].startswith("text/html")


def test_an_unknown_path_is_404():
    assert client_for("first_app").get("/nowhere").status_code == 404


# ---------------------------------------------------------------- path_params.py


def test_path_parameter_is_converted_to_int():
    response = client_for("path_params").get("/square/12")
    assert response.status_code == 200
    assert response.json() == {"number": 12, "square": 144}


@pytest.mark.parametrize("bad", ["twelve", "1.5"])
def test_path_parameter_of_the_wrong_type_is_422(bad):
    response = client_for("path_params").get(f"/square/{bad}")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["path", "number"]
    assert error["type"] == "int_parsing"


def test_known_planet_has_its_moons():
    response = client_for("path_params").get("/moons/mars")
    assert response.status_code == 200
    assert response.json() == {"planet": "mars", "moons": 2}


def test_unknown_planet_is_404_with_a_detail():
    response = client_for("path_params").get("/moons/pluto")
    assert response.status_code == 404
    assert response.json() == {"detail": "No planet called 'pluto'"}


# ---------------------------------------------------------------- query_params.py


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("", ["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"]),
        ("?rocky=true", ["Mercury", "Venus", "Earth", "Mars"]),
        ("?rocky=false&limit=2", ["Jupiter", "Saturn"]),
        ("?min_moons=20", ["Jupiter", "Saturn", "Uranus"]),
        ("?rocky=true&min_moons=1&upper=true", ["EARTH", "MARS"]),
    ],
)
def test_query_parameters_filter_the_planets(query, names):
    response = client_for("query_params").get(f"/planets{query}")
    assert response.status_code == 200
    assert response.json() == names


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("?limit=0", ["query", "limit"]),
        ("?limit=9", ["query", "limit"]),
        ("?min_moons=-1", ["query", "min_moons"]),
        ("?rocky=maybe", ["query", "rocky"]),
        ("?limit=ten", ["query", "limit"]),
    ],
)
def test_query_parameters_out_of_bounds_are_422(query, loc):
    response = client_for("query_params").get(f"/planets{query}")
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [loc]


def test_query_parameters_appear_in_openapi_with_their_bounds():
    schema = client_for("query_params").get("/openapi.json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/planets"]["get"]["parameters"]}
    assert set(parameters) == {"rocky", "min_moons", "limit", "upper"}
    assert all(p["in"] == "query" and not p["required"] for p in parameters.values())
    assert parameters["limit"]["schema"]["minimum"] == 1
    assert parameters["limit"]["schema"]["maximum"] == 8
    assert parameters["limit"]["schema"]["default"] == 8


# ---------------------------------------------------------------- planet_client.py


@pytest.fixture(scope="module")
def planet_api():
    module = load("planet_client")
    with serve_in_thread(module.app) as base_url:
        yield module, base_url


def test_client_reads_the_radius_over_http(planet_api):
    module, base_url = planet_api
    assert module.radius_of(base_url, "mars") == 3390
    assert module.radius_of(base_url, "mars", miles=True) == 2106


def test_client_sends_the_query_parameter(planet_api):
    _, base_url = planet_api
    response = requests.get(f"{base_url}/planets/earth", params={"miles": True}, timeout=5)
    assert response.url.endswith("/planets/earth?miles=True")
    assert response.json() == {"name": "earth", "radius": 3959, "unit": "mi"}


def test_client_raises_for_an_unknown_planet(planet_api):
    module, base_url = planet_api
    with pytest.raises(requests.HTTPError) as caught:
        module.radius_of(base_url, "pluto")
    assert caught.value.response.status_code == 404
    assert caught.value.response.json() == {"detail": "No planet called 'pluto'"}
