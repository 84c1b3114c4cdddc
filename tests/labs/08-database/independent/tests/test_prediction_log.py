"""Tests of the prediction log (lab 08). Run them in this folder with `uv run pytest`.

Each test gets an empty database of its own (the autouse `database_url` fixture of
conftest.py), so it can count rows. Check what the contract in README.md fixes (status codes,
fields, values, the order by id), never an error message or an exact time.
"""

import main
import pytest
from fastapi.testclient import TestClient

SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
VIRGINICA = {"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 6.0, "petal_width": 2.5}


def log(client, flower=SETOSA) -> int:
    """POST /predict one flower and return the id of its row in the log."""
    answer = client.post("/predict", json=flower)
    assert answer.status_code == 200
    return answer.json()["prediction_id"]


def test_a_prediction_is_logged_with_what_was_asked(fake_client):
    answer = fake_client.post("/predict", json=VIRGINICA)
    row = fake_client.get(f"/predictions/{answer.json()['prediction_id']}")
    assert row.status_code == 200
    body = row.json()
    assert {field: body[field] for field in VIRGINICA} == VIRGINICA
    assert body["species"] == "virginica"
    assert body["model_version"] == "fake-model-1"
    assert body["caller"] == "tests"
    assert body["request_id"] == answer.headers["X-Request-ID"]
    assert body["true_species"] is None


def test_an_unknown_prediction_is_404(client):
    known = log(client)
    unknown = known + 1000
    for method, body in (("GET", None), ("PATCH", {"note": "nothing here"})):
        answer = client.request(method, f"/predictions/{unknown}", json=body)
        assert answer.status_code == 404, method
        assert answer.json()["error"]["code"] == "not_found", method
    assert client.get(f"/predictions/{known}").status_code == 200


def test_feedback_changes_only_the_fields_sent(client):
    prediction_id = log(client)
    before = client.get(f"/predictions/{prediction_id}").json()
    first = client.patch(f"/predictions/{prediction_id}", json={"true_species": "versicolor"})
    assert first.status_code == 200
    assert first.json()["true_species"] == "versicolor"
    second = client.patch(f"/predictions/{prediction_id}", json={"note": "petals measured twice"})
    assert second.status_code == 200
    after = second.json()
    assert after["true_species"] == "versicolor"
    assert after["note"] == "petals measured twice"
    unchanged = {key: value for key, value in after.items() if key not in ("true_species", "note")}
    assert unchanged == {key: before[key] for key in unchanged}
    stored = client.get(f"/predictions/{prediction_id}").json()
    assert (stored["true_species"], stored["note"]) == ("versicolor", "petals measured twice")


def test_pages_cover_every_row_once_in_id_order(client):
    logged = [log(client, SETOSA if n % 2 else VIRGINICA) for n in range(7)]
    seen = []
    for offset in (0, 3, 6):
        page = client.get("/predictions", params={"offset": offset, "limit": 3}).json()
        assert page["total"] == 7
        assert (page["offset"], page["limit"]) == (offset, 3)
        assert len(page["items"]) == min(3, 7 - offset)
        seen += [row["id"] for row in page["items"]]
    assert seen == sorted(logged)
    assert len(set(seen)) == 7


@pytest.mark.parametrize(("limit", "status"), [(1, 200), (100, 200), (0, 422), (101, 422)])
def test_the_page_size_is_bounded(client, limit, status):
    assert client.get("/predictions", params={"limit": limit}).status_code == status


def test_the_labelled_filter(client):
    labelled, unlabelled = log(client), log(client)
    client.patch(f"/predictions/{labelled}", json={"true_species": "setosa"})
    rows = client.get("/predictions", params={"labelled": True}).json()["items"]
    assert [row["id"] for row in rows] == [labelled]
    rows = client.get("/predictions", params={"labelled": False}).json()["items"]
    assert [row["id"] for row in rows] == [unlabelled]


def test_accuracy_counts_only_labelled_predictions(fake_client):
    right, wrong = log(fake_client, SETOSA), log(fake_client, VIRGINICA)
    log(fake_client)  # never labelled
    fake_client.patch(f"/predictions/{right}", json={"true_species": "setosa"})
    fake_client.patch(f"/predictions/{wrong}", json={"true_species": "versicolor"})
    (version,) = fake_client.get("/accuracy").json()
    assert version["model_version"] == "fake-model-1"
    assert (version["labelled"], version["correct"]) == (2, 1)
    assert version["accuracy"] == 0.5


def test_only_an_admin_deletes(client, admin_headers):
    prediction_id = log(client)
    assert client.delete(f"/predictions/{prediction_id}").status_code == 401  # a key: no user
    assert client.delete(f"/predictions/{prediction_id}", headers=admin_headers).status_code == 204
    assert client.get("/predictions").json()["total"] == 0


def test_the_log_survives_a_restart(client):
    prediction_id = log(client)
    with TestClient(main.app, headers=client.headers) as restarted:
        assert restarted.get(f"/predictions/{prediction_id}").status_code == 200
