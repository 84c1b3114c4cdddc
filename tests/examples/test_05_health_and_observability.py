"""The example apps of lab 05 (examples/05-health-and-observability/) do what the handout says."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from autograder.course import ROOT, find_lab
from tests.example_apps import load_example

EXAMPLES = find_lab(5).examples_dir


def load(name: str):
    """Import examples/05-health-and-observability/<name>.py as a fresh module."""
    return load_example(EXAMPLES / f"{name}.py")


# ---------------------------------------------------------------- probes.py


@pytest.fixture
def thesaurus(tmp_path, monkeypatch):
    """Start probes.py with a word list written to a file (or none, or a broken one)."""

    def start(content: str | None):
        path = tmp_path / "synonyms.json"
        if content is not None:
            path.write_text(content)
        monkeypatch.setenv("SYNONYMS_PATH", str(path))
        return TestClient(load("probes").app)

    return start


def test_probes_ready_with_a_usable_word_list(thesaurus):
    with thesaurus(json.dumps({"happy": ["glad", "cheerful"], "big": ["large"]})) as client:
        liveness = client.get("/health")
        assert liveness.status_code == 200
        assert liveness.json()["status"] == "ok"
        assert liveness.json()["uptime_seconds"] >= 0
        assert client.get("/ready").json() == {"status": "ready", "words": 2}
        assert client.get("/synonyms/Happy").json() == ["glad", "cheerful"]


@pytest.mark.parametrize(
    "content",
    [None, "{not json", json.dumps({"big": ["large"]}), json.dumps({"happy": []})],
    ids=["missing", "broken", "no-smoke-word", "empty-answer"],
)
def test_probes_alive_but_not_ready(thesaurus, content, caplog):
    with caplog.at_level(logging.WARNING, logger="thesaurus"), thesaurus(content) as client:
        assert client.get("/health").status_code == 200
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {"detail": "The word list is not usable yet"}
    assert caplog.records, "the reason is logged"


# ---------------------------------------------------------------- server_timing.py


def server_timing(response) -> float:
    name, _, duration = response.headers["Server-Timing"].partition(";dur=")
    assert name == "app"
    return float(duration)


def test_server_timing_on_success_and_error():
    client = TestClient(load("server_timing").app)
    response = client.get("/nap", params={"ms": 30})
    assert response.json() == {"slept_ms": 30}
    assert server_timing(response) >= 30
    not_found = client.get("/nowhere")
    assert not_found.status_code == 404
    assert server_timing(not_found) >= 0


def test_server_timing_times_a_crash_too():
    # raise_server_exceptions stays True: the middleware answers the crash itself, so nothing
    # reaches the server's last-resort handler and TestClient has nothing to re-raise.
    response = TestClient(load("server_timing").app).get("/crash")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal error"}
    assert server_timing(response) >= 0


# ---------------------------------------------------------------- json_logs.py


def test_json_logs_one_event_per_order(caplog):
    module = load("json_logs")
    client = TestClient(module.app)
    with caplog.at_level(logging.INFO, logger="shop.orders"):
        response = client.post("/orders", json={"item": "tea", "quantity": 2})
    assert response.json() == {"accepted": True}
    (record,) = [r for r in caplog.records if r.name == "shop.orders"]
    assert json.loads(record.getMessage()) == {"event": "order", "item": "tea", "quantity": 2}


def test_json_logs_formatter_prints_one_json_line(capsys):
    module = load("json_logs")
    shop = logging.getLogger("shop")
    saved = list(shop.handlers)
    try:
        shop.handlers.clear()
        module.setup_logging()
        module.setup_logging()  # a second call adds no second handler
        assert len(shop.handlers) == 1
        TestClient(module.app).post("/orders", json={"item": "mint", "quantity": 1})
        lines = capsys.readouterr().out.splitlines()
    finally:
        shop.handlers[:] = saved
    (line,) = [json.loads(text) for text in lines]
    assert line["level"] == "INFO" and line["logger"] == "shop.orders"
    assert line["item"] == "mint" and line["quantity"] == 1 and "time" in line


# ---------------------------------------------------------------- metrics.py


def samples(client) -> dict:
    text = client.get("/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_by_route_template():
    client = TestClient(load("metrics").app)
    for user_id in (1, 2, 3):
        assert client.get(f"/users/{user_id}").status_code == 200
    client.get("/nowhere")
    found = samples(client)
    assert found[("page_views_total", (("route", "/users/{user_id}"),))] == 3
    assert found[("page_views_total", (("route", "unmatched"),))] == 1
    assert not any(dict(labels).get("route") == "/users/1" for _, labels in found)
    assert found[("page_render_seconds_count", ())] == 4


def test_metrics_module_can_be_imported_twice():
    first, second = load("metrics"), load("metrics")
    assert first.registry is not second.registry
    TestClient(first.app).get("/users/1")
    assert ("page_views_total", (("route", "/users/{user_id}"),)) not in samples(
        TestClient(second.app)
    )


def test_handout_shows_real_metrics_lines():
    """The exposition lines quoted in the handout appear in the example's /metrics (the sum
    of durations, which varies, is only checked to be there)."""
    handout = (ROOT / "labs" / "05-health-and-observability" / "README.md").read_text()
    (block,) = re.findall(r"^```text\n(.*?)^```", handout, re.M | re.S)
    client = TestClient(load("metrics").app)
    for user_id in (1, 2, 3):
        client.get(f"/users/{user_id}")
    client.get("/nowhere")
    served = client.get("/metrics").text.splitlines()
    for line in block.strip().splitlines():
        if line.startswith("page_render_seconds_sum "):
            assert any(row.startswith("page_render_seconds_sum ") for row in served)
        else:
            assert line in served, line
