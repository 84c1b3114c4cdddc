"""A small app that streams and talks over a WebSocket: the grading engine's own test bed.

The engine must carry these answers the same way in normal and secure mode: a stream's
first event arrives before the generator ends, a client that leaves early stops the
generator, a request body sent in chunks arrives in chunks (without a Content-Length), and
WebSocket messages and close codes cross in both directions.
"""

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse

app = FastAPI(title="Engine test bed")
produced = {"count": 0}  # events the generator has produced so far


async def ticks(count: int, pause: float) -> AsyncIterator[str]:
    for number in range(count):
        produced["count"] += 1
        yield json.dumps({"tick": number}) + "\n"
        await asyncio.sleep(pause)


@app.get("/ticks")
async def stream_ticks(count: int = 5, pause: float = 0.2) -> StreamingResponse:
    """JSON Lines, one line per tick, ``pause`` seconds apart."""
    return StreamingResponse(ticks(count, pause), media_type="application/x-ndjson")


@app.get("/produced")
def read_produced() -> dict:
    """How many ticks the generators have produced, all streams together."""
    return produced


@app.post("/body")
async def describe_body(request: Request) -> dict:
    """How the request's body came: its Content-Length and Transfer-Encoding, its size."""
    return {
        "content_length": request.headers.get("content-length"),
        "transfer_encoding": request.headers.get("transfer-encoding"),
        "size": len(await request.body()),
    }


@app.websocket("/echo")
async def echo(websocket: WebSocket, token: str = "") -> None:
    """Echo JSON messages back; refuse a wrong token with 1008 after accepting."""
    await websocket.accept()
    if token != "let-me-in":
        await websocket.close(code=1008, reason="wrong token")
        return
    try:
        while True:
            message = await websocket.receive_json()
            await websocket.send_json({"echo": message})
    except WebSocketDisconnect:
        pass
