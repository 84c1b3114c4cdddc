"""`def` or `async def`: the same second of work, written three ways.

Run it with `uv run fastapi dev examples/09-async-and-background/event_loop.py`, start a slow
request in one terminal and ask /ping in another.
"""

import asyncio
import time

from fastapi import FastAPI

app = FastAPI(title="Event loop demo")


@app.get("/ping")
async def ping() -> dict:
    return {"pong": True}


@app.get("/report")
def build_report() -> dict:
    """Blocking work in a plain def: FastAPI runs it in a worker thread."""
    time.sleep(1)  # stands for CPU work or a library without await
    return {"report": "ready"}


@app.get("/weather")
async def fetch_weather() -> dict:
    """Waiting in async def: await gives the event loop to other requests."""
    await asyncio.sleep(1)  # stands for an async HTTP call
    return {"weather": "sunny"}


@app.get("/mistake")
async def blocking_in_async() -> dict:
    """The one combination to avoid: while this sleeps, nobody is served."""
    time.sleep(1)  # blocks the event loop itself
    return {"report": "ready, and everyone else waited"}
