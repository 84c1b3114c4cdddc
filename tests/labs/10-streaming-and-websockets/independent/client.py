"""Lab 10 · a Python client of the two streams: JSON Lines with httpx, the WebSocket with
websockets.

Run it against your service (started with `uv run just serve 10`), with an API key and a
user of your settings:

    uv run python client.py http://127.0.0.1:8000 dev-key-0123456789abcdef ada ada-password
"""

import json
import sys
from urllib.parse import urlencode

import httpx
from websockets.sync.client import connect

SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


def explain(base_url: str, api_key: str, measurement: dict, on_token=None) -> str:
    """Stream the explanation of one flower from ``GET /predict/explain/lines`` and return
    its whole text. ``on_token(text)``, when given, is called with each token as it arrives.
    Raises ``httpx.HTTPStatusError`` when the service answers an error status."""
    pieces: list[str] = []
    headers = {"X-API-Key": api_key}
    url = base_url.rstrip("/") + "/predict/explain/lines"
    with (
        httpx.Client(timeout=30) as http,
        http.stream("GET", url, params=measurement, headers=headers) as response,
    ):
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.strip():
                continue
            event = json.loads(line)
            if event.get("event") != "token":
                continue
            pieces.append(event["text"])
            if on_token is not None:
                on_token(event["text"])
    return "".join(pieces)


def predict_live(base_url: str, token: str, measurements: list[dict]) -> list[dict]:
    """Send every flower of ``measurements`` over ONE connection to the WebSocket
    ``/predict/live`` and return its answers, in order (predictions and error frames)."""
    address = "ws" + base_url.rstrip("/").removeprefix("http") + "/predict/live"
    replies = []
    with connect(f"{address}?{urlencode({'token': token})}") as socket:
        for flower in measurements:
            socket.send(json.dumps(flower))
            replies.append(json.loads(socket.recv()))
    return replies


def log_in(base_url: str, username: str, password: str) -> str:
    """An access token from ``POST /token`` (given)."""
    response = httpx.post(
        f"{base_url}/token", data={"username": username, "password": password}, timeout=10
    )
    response.raise_for_status()
    return response.json()["access_token"]


if __name__ == "__main__":
    base, key, user, password = sys.argv[1:5]
    explain(base, key, SETOSA, on_token=lambda text: print(text, end="", flush=True))
    print()
    for reply in predict_live(base, log_in(base, user, password), [SETOSA, {"sepal_length": 1}]):
        print(reply)
