"""Streaming answers and WebSockets grade the same in normal and secure mode.

A small suite runs against ``examples/engine/main.py`` in both modes: the first JSON Lines
event arrives long before the stream ends, a client that leaves early stops the generator,
a request body sent in chunks reaches the app in chunks, and WebSocket messages and close
codes (1008 after accept) cross both ways.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.course import ROOT
from autograder.runner import Grader, Limits
from tests.test_engine import SuiteLab

APP = ROOT / "examples" / "engine"
SUITE = """
import json
import time

from autograder import check


@check(points=1, hint="h")
def test_first_event_comes_before_the_stream_ends(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        started = time.monotonic()
        with client.stream("GET", "/ticks?count=5&pause=0.3") as response:
            lines = response.iter_lines()
            first = json.loads(next(lines))
            first_at = time.monotonic() - started
            rest = [json.loads(line) for line in lines if line]
        total = time.monotonic() - started
    assert first == {"tick": 0} and [item["tick"] for item in rest] == [1, 2, 3, 4]
    assert first_at < total / 2, (first_at, total)


@check(points=1, hint="h")
def test_a_client_that_leaves_stops_the_generator(live_server):
    import httpx

    with httpx.stream("GET", f"{live_server}/ticks?count=50&pause=0.1") as response:
        next(response.iter_lines())
    time.sleep(0.5)
    seen = httpx.get(f"{live_server}/produced").json()["count"]
    time.sleep(0.5)
    assert httpx.get(f"{live_server}/produced").json()["count"] == seen < 20


@check(points=1, hint="h")
def test_a_body_arrives_as_it_was_sent(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        sized = client.post("/body", content=b"x" * 3000).json()
        chunked = client.post("/body", content=iter([b"x" * 1000, b"y" * 2000])).json()
    assert sized == {"content_length": "3000", "transfer_encoding": None, "size": 3000}
    assert chunked == {"content_length": None, "transfer_encoding": "chunked", "size": 3000}


@check(points=1, hint="h")
def test_websocket_messages_cross_both_ways(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as client, client.websocket_connect("/echo?token=let-me-in") as ws:
        for number in range(3):
            ws.send_json({"n": number})
            assert ws.receive_json() == {"echo": {"n": number}}


@check(points=1, hint="h")
def test_websocket_refused_after_accept_with_1008(app):
    from fastapi.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect

    with TestClient(app) as client, client.websocket_connect("/echo?token=wrong") as ws:
        try:
            ws.receive_json()
        except WebSocketDisconnect as closed:
            assert closed.code == 1008
        else:
            raise AssertionError("the socket stayed open")
"""


@pytest.fixture(scope="module", params=["normal", "secure"])
def grader(request, tmp_path_factory) -> Grader:
    if request.param == "secure" and sandbox.unavailable_reason():
        pytest.skip(sandbox.unavailable_reason())
    suite = tmp_path_factory.mktemp("suite") / f"lab98_streaming_{request.param}.py"
    suite.write_text(textwrap.dedent(SUITE))
    lab = SuiteLab(number=98, slug="streaming", title="streaming", suite_file=str(suite))
    return Grader(lab, Limits(check_timeout=20, secure=request.param == "secure"))


def test_streams_and_websockets_grade_alike_in_both_modes(grader):
    result = grader.grade(Path(APP))
    failed = {r.check.name: r.message for r in result.results if not r.passed}
    assert not result.problem and not failed, result.problem or failed
