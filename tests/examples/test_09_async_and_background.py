"""The example apps of lab 09 (examples/09-async-and-background/) do what the handout says."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from autograder.course import ROOT
from autograder.live import serve_in_thread
from tests.example_apps import load_example

EXAMPLES = ROOT / "examples" / "09-async-and-background"


@pytest.fixture(scope="module")
def event_loop_url():
    app = load_example(EXAMPLES / "event_loop.py").app
    with serve_in_thread(app) as base_url:
        yield base_url


def ping_while(base_url: str, path: str) -> tuple[float, float]:
    """Seconds /ping took while `path` ran, and seconds `path` took."""
    with ThreadPoolExecutor(1) as pool, httpx.Client(base_url=base_url, timeout=30) as http:
        began = time.monotonic()
        slow = pool.submit(http.get, path)
        time.sleep(0.2)
        http.get("/ping")
        ping = time.monotonic() - began
        slow.result()
        return ping, time.monotonic() - began


def test_a_def_route_leaves_the_loop_free(event_loop_url):
    ping, slow = ping_while(event_loop_url, "/report")
    assert slow >= 0.9 and ping < slow - 0.4


def test_blocking_in_async_def_stalls_the_loop(event_loop_url):
    ping, slow = ping_while(event_loop_url, "/mistake")
    assert ping >= 0.9


def test_async_waits_overlap(event_loop_url):
    began = time.monotonic()
    with httpx.Client(base_url=event_loop_url, timeout=30) as http, ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: http.get("/weather"), range(5)))
    assert all(answer.status_code == 200 for answer in answers)
    assert time.monotonic() - began < 3.5


def test_a_background_task_runs_after_the_answer_and_its_error_is_logged(caplog):
    background = load_example(EXAMPLES / "background.py")
    with TestClient(background.app) as client:
        assert client.post("/orders/7").status_code == 201
        assert background.sent_receipts == ["receipt for order 7"]
        assert client.post("/orders/0").status_code == 400  # raised: no task ran
        assert background.sent_receipts == ["receipt for order 7"]
        assert client.post("/orders/-1").status_code == 201  # the task fails after the answer
    assert "the receipt of order -1 was not sent" in caplog.text


def test_csv_upload_limits_and_download():
    csv_files = load_example(EXAMPLES / "csv_files.py")
    with TestClient(csv_files.app) as client:
        text = "text\nhello world\none two three\n"
        answer = client.post("/count-words", files={"file": ("a.csv", text, "text/csv")})
        assert answer.json() == {"words": 5}
        wrong = client.post("/count-words", files={"file": ("a.txt", text, "text/plain")})
        assert wrong.status_code == 415
        big = "text\n" + "word " * 20_000
        assert (
            client.post("/count-words", files={"file": ("a.csv", big, "text/csv")}).status_code
            == 413
        )
        download = client.get("/squares.csv", params={"count": 4})
        assert download.headers["content-type"].startswith("text/csv")
        assert "attachment" in download.headers["content-disposition"]
        assert download.text.splitlines() == ["n,square", "0,0", "1,1", "2,4", "3,9"]
