"""A sentence streamed word by word: Server-Sent Events, JSON Lines and a WebSocket.

The same ideas as lab 10, on something smaller than a prediction. Run it with
`uv run fastapi dev examples/10-streaming-and-websockets/words.py` and watch a stream with
`curl -N http://127.0.0.1:8000/words`.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import FastAPI, Header, WebSocket, WebSocketDisconnect, status
from fastapi.sse import EventSourceResponse, ServerSentEvent

app = FastAPI(title="Words")
SENTENCE = ["a", "stream", "sends", "each", "word", "as", "soon", "as", "it", "exists"]
PAUSE = 0.02  # seconds between two words
produced = {"words": 0}  # words the generators have produced, all streams together


async def words(after: int = 0) -> AsyncIterator[dict]:
    """The words after position ``after``, PAUSE seconds apart (positions count from 1)."""
    for position, word in enumerate(SENTENCE, start=1):
        if position <= after:
            continue
        await asyncio.sleep(PAUSE)  # FastAPI cancels the stream here when the client leaves
        produced["words"] += 1
        yield {"id": position, "word": word}


@app.get("/words", response_class=EventSourceResponse)
async def stream_words(
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Server-Sent Events: one `word` event per word, then `done`."""
    async for item in words(after=last_event_id or 0):
        yield ServerSentEvent(event="word", id=str(item["id"]), data={"word": item["word"]})
    yield ServerSentEvent(event="done", data={"words": len(SENTENCE)})


@app.get("/words/lines")
async def stream_word_lines() -> AsyncIterator[dict]:
    """JSON Lines: a generator route without a response class streams application/jsonl."""
    async for item in words():
        yield item


@app.websocket("/shout")
async def shout(websocket: WebSocket, token: str | None = None) -> None:
    """Answer every message in capitals, on one connection, until the client leaves."""
    await websocket.accept()
    if token != "let-me-in":
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="wrong token")
        return
    try:
        while True:
            line = await websocket.receive_text()
            if not line.strip():
                error = {"code": "empty_message", "message": "Send at least one word."}
                await websocket.send_json({"error": error})
                continue  # a bad message gets an error frame; the connection stays open
            await websocket.send_json({"shouted": line.upper()})
    except WebSocketDisconnect:
        pass  # the client left
