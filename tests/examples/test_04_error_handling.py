"""The example apps of lab 04 (examples/04-error-handling/) do what the handout says."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient

from autograder.course import ROOT, find_lab
from tests.example_apps import load_example

EXAMPLES = find_lab(4).examples_dir
HANDOUT = ROOT / "labs" / "04-error-handling" / "README.md"
SLIDES = ROOT / "slides" / "04-error-handling.md"


def load(name: str):
    """Import examples/04-error-handling/<name>.py as a fresh module."""
    return load_example(EXAMPLES / f"{name}.py")


def client_for(name: str, **options) -> TestClient:
    return TestClient(load(name).app, **options)


def json_blocks(document) -> list:
    """Every ```json block of a document, parsed."""
    text = document.read_text()
    return [json.loads(block) for block in re.findall(r"^```json\n(.*?)^```", text, re.M | re.S)]


# ---------------------------------------------------------------- http_exception.py


def test_http_exception_gives_status_and_detail():
    client = client_for("http_exception")
    assert client.get("/books/1").json() == {"id": 1, "title": "Dune"}
    response = client.get("/books/7")
    assert response.status_code == 404
    assert response.json() == {"detail": "Book 7 not found"}


def test_http_exception_can_carry_headers():
    response = client_for("http_exception").get("/reports/latest")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "120"
    assert response.json() == {"detail": "The reports are being rebuilt"}


# ---------------------------------------------------------------- custom_exception.py


def test_custom_exception_becomes_a_409_through_its_handler():
    client = client_for("custom_exception")
    response = client.post("/orders", json={"item": "teapot", "quantity": 2})
    assert response.status_code == 201
    response = client.post("/orders", json={"item": "teapot", "quantity": 2})
    assert response.status_code == 409
    assert response.json() == {"detail": "Only 1 teapot left", "available": 1}
    assert client.post("/orders", json={"item": "kettle", "quantity": 1}).status_code == 409


# ---------------------------------------------------------------- starlette_errors.py


def test_starlette_handler_covers_unknown_routes_and_wrong_methods():
    client = client_for("starlette_errors")
    assert client.get("/notes/1").status_code == 200
    assert client.get("/notes/9").json() == {
        "problem": {"status": 404, "message": "Note 9 not found"}
    }
    assert client.get("/nowhere").json() == {"problem": {"status": 404, "message": "Not Found"}}
    response = client.delete("/notes/1")
    assert response.status_code == 405
    assert response.json() == {"problem": {"status": 405, "message": "Method Not Allowed"}}
    assert response.headers["Allow"] == "GET"


def test_a_handler_for_fastapis_class_alone_misses_starlettes_404():
    """The pitfall the handout describes: FastAPI's class is narrower than Starlette's."""
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import JSONResponse

    app = FastAPI()

    @app.exception_handler(HTTPException)
    async def only_fastapi(request, exc):
        return JSONResponse({"mine": True}, status_code=exc.status_code)

    @app.get("/here")
    def here():
        raise HTTPException(status_code=404)

    client = TestClient(app)
    assert client.get("/here").json() == {"mine": True}
    assert client.get("/elsewhere").json() == {"detail": "Not Found"}


# ---------------------------------------------------------------- friendly_422.py

BAD_PARTY = {"guests": [{"name": "Ada", "age": 36}, {"name": "", "age": 200}]}


def test_friendly_422_keeps_the_status_and_names_each_problem():
    client = client_for("friendly_422")
    good = {"room": "blue", "guests": [{"name": "Ada", "age": 36}]}
    assert client.post("/parties", json=good).json() == {"room": "blue", "guests": 1}
    response = client.post("/parties", json=BAD_PARTY)
    assert response.status_code == 422
    assert [p["at"] for p in response.json()["problems"]] == [
        "body/room",
        "body/guests/1/name",
        "body/guests/1/age",
    ]
    assert "200" not in response.text  # the refused input is not echoed


def test_friendly_422_covers_query_parameters_too():
    from fastapi import FastAPI, Query

    module = load("friendly_422")
    app: FastAPI = module.app

    @app.get("/rooms")
    def rooms(limit: int = Query(ge=1)) -> list:
        return []

    response = TestClient(app).get("/rooms?limit=0")
    assert response.status_code == 422
    assert response.json()["problems"][0]["at"] == "query/limit"


@pytest.mark.parametrize("document", [HANDOUT, SLIDES], ids=lambda path: path.name)
def test_the_friendly_422_shown_is_the_real_one(document):
    response = client_for("friendly_422").post("/parties", json=BAD_PARTY)
    shown = [block for block in json_blocks(document) if "problems" in block]
    assert shown, f"{document.name} shows no friendly 422"
    assert response.json() in shown, f"update the friendly 422 shown in {document.name}"


# ---------------------------------------------------------------- catch_all.py


def test_catch_all_answers_a_plain_500_and_logs_the_traceback(caplog):
    client = client_for("catch_all", raise_server_exceptions=False)
    assert client.get("/ratio?a=1&b=4").json() == {"ratio": 0.25}
    with caplog.at_level(logging.ERROR):
        response = client.get("/ratio?a=1&b=0")
    assert response.status_code == 500
    assert response.json() == {"detail": "Something went wrong on our side."}
    assert "ZeroDivision" not in response.text and "division" not in response.text
    logged = [logging.Formatter().format(record) for record in caplog.records]
    assert any("Traceback" in text and "ZeroDivisionError" in text for text in logged)


def test_test_client_reraises_server_errors_by_default():
    """Why the checks of a 500 use raise_server_exceptions=False."""
    with pytest.raises(ZeroDivisionError):
        client_for("catch_all").get("/ratio?a=1&b=0")


# ---------------------------------------------------------------- middleware_state.py


def test_middleware_reads_a_header_and_sets_one_on_every_response():
    client = client_for("middleware_state")
    response = client.get("/greet/Ada", headers={"Accept-Language": "fr-FR"})
    assert response.json() == {"message": "Bonjour, Ada!"}
    assert response.headers["Content-Language"] == "fr"
    response = client.get("/greet/Ada", headers={"Accept-Language": "xx"})
    assert response.json() == {"message": "Hello, Ada!"}
    assert client.get("/nowhere").headers["Content-Language"] == "en"


def test_the_catch_all_runs_outside_http_middleware():
    """The handout's pitfall: a 500 from the Exception handler skips the middleware's 'after'."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    module = load("middleware_state")
    app = module.app

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "failed"}, status_code=500)

    @app.get("/broken")
    def broken():
        raise RuntimeError("bug")

    response = TestClient(app, raise_server_exceptions=False).get("/broken")
    assert response.status_code == 500
    assert "Content-Language" not in response.headers


# ---------------------------------------------------------------- degrade_gracefully.py


def test_missing_resource_gives_503_with_retry_after(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("WORDS_PATH", str(tmp_path / "missing.txt"))
    with caplog.at_level(logging.ERROR), client_for("degrade_gracefully") as client:
        assert client.get("/").status_code == 200
        response = client.get("/check/tea")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert any(record.levelno == logging.ERROR for record in caplog.records)


def test_loaded_resource_is_served(tmp_path, monkeypatch):
    words = tmp_path / "words.txt"
    words.write_text("tea\ncoffee\n")
    monkeypatch.setenv("WORDS_PATH", str(words))
    with client_for("degrade_gracefully") as client:
        assert client.get("/check/Tea").json() == {"word": "Tea", "known": True}
        assert client.get("/check/milk").json() == {"word": "milk", "known": False}
