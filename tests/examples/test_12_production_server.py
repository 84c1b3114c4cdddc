"""The examples of lab 12 (examples/12-production-server/) do what the handout and slides say."""

from __future__ import annotations

import os
import runpy

from fastapi import WebSocket
from fastapi.testclient import TestClient

from autograder.course import find_lab
from tests.example_apps import load_example

EXAMPLES = find_lab(12).examples_dir


def test_the_worker_route_answers_this_process_id():
    module = load_example(EXAMPLES / "worker_pid.py")
    with TestClient(module.app) as client:
        assert client.get("/worker").json() == {"pid": os.getpid()}


def test_the_lifespan_records_startup_then_shutdown():
    module = load_example(EXAMPLES / "worker_pid.py")
    events = module.EVENTS
    events.clear()
    with TestClient(module.app):
        assert events == [("startup", os.getpid())]
    assert events == [("startup", os.getpid()), ("shutdown", os.getpid())]


def test_gunicorn_hooks_name_uvicorn_worker_and_prepare_once(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    settings = runpy.run_path(str(EXAMPLES / "gunicorn_hooks.py"))
    assert settings["worker_class"] == "uvicorn_worker.UvicornWorker"
    assert settings["workers"] == 3
    settings["on_starting"](None)
    assert settings["PREPARED"] == [os.getpid()]


def test_the_asgi_middleware_times_every_answer_and_lets_websockets_pass():
    module = load_example(EXAMPLES / "asgi_middleware.py")

    @module.app.websocket("/echo")
    async def echo(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    with TestClient(module.app) as client:
        answer = client.get("/hello")
        assert answer.json() == {"message": "hello"}
        assert float(answer.headers["X-Process-Time"]) >= 0
        missing = client.get("/nowhere")
        assert missing.status_code == 404 and "X-Process-Time" in missing.headers
        with client.websocket_connect("/echo") as websocket:
            websocket.send_text("hi")
            assert websocket.receive_text() == "hi"
