"""The server the engine serves apps with (:func:`autograder.live.prompt_server`) stops the way
uvicorn's does, only without its fixed pauses: a request in flight when it is told to exit
still gets its answer, new connections are refused, and the app's lifespan shutdown runs."""

from __future__ import annotations

import asyncio
import threading
import time
from contextlib import asynccontextmanager

import httpx
import uvicorn
from fastapi import FastAPI

from autograder import live
from autograder.live import free_port, prompt_server


def slow_app(events: list[str]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        events.append("startup")
        yield
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.get("/slow")
    async def slow() -> dict:
        events.append("request started")
        await asyncio.sleep(0.5)
        return {"finished": True}

    return app


def test_a_request_in_flight_finishes_and_the_lifespan_shuts_down():
    events: list[str] = []
    port = free_port()
    config = uvicorn.Config(slow_app(events), host="127.0.0.1", port=port, log_level="error")
    server = prompt_server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the server did not start"

    answers: list[httpx.Response] = []
    client = threading.Thread(
        target=lambda: answers.append(httpx.get(f"http://127.0.0.1:{port}/slow", timeout=10))
    )
    client.start()
    while "request started" not in events and time.monotonic() < deadline:
        time.sleep(0.01)
    server.exit_now()
    client.join(timeout=10)
    thread.join(timeout=10)

    assert not thread.is_alive(), "the server did not stop"
    assert [answer.status_code for answer in answers] == [200]
    assert answers[0].json() == {"finished": True}
    assert events == ["startup", "request started", "shutdown"]
    try:
        httpx.get(f"http://127.0.0.1:{port}/slow", timeout=2)
    except httpx.ConnectError:
        pass
    else:
        raise AssertionError("a stopped server still accepted a connection")


def test_a_free_port_is_one_the_system_does_not_hand_out_itself():
    """Outgoing connections and sockets bound to port 0 take ports of the ephemeral range:
    a server told to use such a port later could find it taken (and not start, for a reason
    that is not the student's)."""
    low, _ = live.ephemeral_ports()
    ports = {free_port() for _ in range(20)}
    assert all(live.LOWEST_PORT <= port < low for port in ports), sorted(ports)


def test_a_free_port_is_never_handed_out_twice_by_one_process():
    """Servers started at once (lab 12 starts three, each after seconds of prestart work)
    must not be told the same port: none has bound it when the next one is chosen."""
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)


def test_a_server_that_could_not_bind_its_port_is_told_from_one_that_failed():
    """uvicorn's and Gunicorn's words when another process took the port: the check starts
    the server again on another port, and reports the error line when it does not."""
    uvicorn_said = (
        "INFO:     Started parent process [12]\nERROR:    [Errno 98] Address already in use"
    )
    gunicorn_said = (
        "[2026-12-06 16:46:34 +0000] [15074] [ERROR] Connection in use: ('127.0.0.1', 23456)\n"
        "[2026-12-06 16:46:35 +0000] [15074] [ERROR] Can't connect to ('127.0.0.1', 23456)"
    )
    assert live.port_was_taken(uvicorn_said) and live.port_was_taken(gunicorn_said)
    assert not live.port_was_taken("ModuleNotFoundError: No module named 'app'")
    assert live.last_error(uvicorn_said) == " (ERROR:    [Errno 98] Address already in use)"
    assert "Can't connect" in live.last_error(gunicorn_said)
    assert live.last_error("Traceback...\nKeyError: 'x'") == " (KeyError: 'x')"


def test_a_block_that_ends_normally_waits_for_the_lifespan_shutdown(monkeypatch):
    """A check reads what the app wrote at shutdown right after its block (a SQLite log
    moved into its file): even in a grading child, which does not wait on an error, the
    shutdown has run when the block ends."""
    monkeypatch.setattr(live, "WAIT_FOR_STOP", False)
    events: list[str] = []
    with live.serve_in_thread(slow_app(events)) as base_url:
        assert httpx.get(f"{base_url}/slow", timeout=10).status_code == 200
    assert events == ["startup", "request started", "shutdown"]
