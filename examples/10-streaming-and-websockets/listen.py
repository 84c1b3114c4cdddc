"""A Python client of words.py: a JSON Lines stream with httpx, the WebSocket with websockets.

Start words.py first, then `uv run python examples/10-streaming-and-websockets/listen.py`.
"""

import json

import httpx
from websockets.sync.client import connect


def read_words(base_url: str) -> list[str]:
    """Each word of the JSON Lines stream, printed as it arrives."""
    received = []
    with httpx.stream("GET", f"{base_url}/words/lines", timeout=10) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line:
                word = json.loads(line)["word"]
                print(word, flush=True)
                received.append(word)
    return received


def shout_all(base_url: str, texts: list[str]) -> list[dict]:
    """Send every text on one WebSocket connection and collect the answers."""
    url = "ws" + base_url.removeprefix("http") + "/shout?token=let-me-in"
    with connect(url) as websocket:
        answers = []
        for text in texts:
            websocket.send(text)
            answers.append(json.loads(websocket.recv(timeout=10)))
    return answers


if __name__ == "__main__":
    read_words("http://127.0.0.1:8000")
    print(shout_all("http://127.0.0.1:8000", ["hello", " ", "bye"]))
