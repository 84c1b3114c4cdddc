"""The example apps of lab 10 (examples/10-streaming-and-websockets/) do what the handout says."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from autograder.course import ROOT
from autograder.live import serve_in_thread
from tests.example_apps import load_example

EXAMPLES = ROOT / "examples" / "10-streaming-and-websockets"


@pytest.fixture
def words():
    return load_example(EXAMPLES / "words.py")


def events_of(text: str) -> list[dict]:
    """The SSE events of a whole answer: event name, id and JSON data."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append({**fields, "data": json.loads(fields["data"])})
    return events


def test_words_stream_as_events_then_done(words):
    with TestClient(words.app) as client:
        response = client.get("/words")
    assert response.headers["content-type"].startswith("text/event-stream")
    events = events_of(response.text)
    assert [event["data"].get("word") for event in events[:-1]] == words.SENTENCE
    assert [event["id"] for event in events[:-1]] == [str(n) for n in range(1, 11)]
    assert events[-1] == {"event": "done", "data": {"words": 10}}


def test_last_event_id_resumes_after_that_word(words):
    with TestClient(words.app) as client:
        response = client.get("/words", headers={"Last-Event-ID": "7"})
    assert [event.get("id") for event in events_of(response.text)] == ["8", "9", "10", None]


def test_the_same_words_as_json_lines(words):
    with TestClient(words.app) as client:
        response = client.get("/words/lines")
    assert response.headers["content-type"] == "application/jsonl"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["word"] for line in lines] == words.SENTENCE


def test_a_client_that_leaves_stops_the_generator(words):
    words.PAUSE = 0.1
    with serve_in_thread(words.app) as base_url:
        with httpx.stream("GET", f"{base_url}/words/lines") as response:
            next(response.iter_lines())
        time.sleep(0.5)
        seen = words.produced["words"]
        time.sleep(0.5)
        assert words.produced["words"] == seen < len(words.SENTENCE)


def test_the_socket_answers_many_messages_and_survives_a_bad_one(words):
    with TestClient(words.app) as client, client.websocket_connect("/shout?token=let-me-in") as ws:
        ws.send_text("hello")
        assert ws.receive_json() == {"shouted": "HELLO"}
        ws.send_text("  ")
        assert ws.receive_json()["error"]["code"] == "empty_message"
        ws.send_text("still here")
        assert ws.receive_json() == {"shouted": "STILL HERE"}


def test_a_wrong_token_is_closed_with_1008_after_accept(words):
    with (
        TestClient(words.app) as client,
        client.websocket_connect("/shout?token=no") as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        ws.receive_json()
    assert closed.value.code == 1008


def test_the_client_reads_the_lines_and_talks_on_one_socket(words, capsys):
    listen = load_example(EXAMPLES / "listen.py")
    with serve_in_thread(words.app) as base_url:
        assert listen.read_words(base_url) == words.SENTENCE
        answers = listen.shout_all(base_url, ["hi", " ", "bye"])
    assert answers[0] == {"shouted": "HI"} and "error" in answers[1]
    assert answers[2] == {"shouted": "BYE"}
    assert capsys.readouterr().out.split() == words.SENTENCE
