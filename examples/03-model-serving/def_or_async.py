"""Where FastAPI runs a route: `async def` on the event loop, plain `def` in a worker thread.

The event loop is one thread that serves every request. An `async def` route runs on it, so
while such a route computes, no other request is served. FastAPI sends a plain `def` route
to a pool of worker threads instead, and the loop stays free.

Run it with ``uv run fastapi dev examples/03-model-serving/def_or_async.py``, then open
/slow/async in one tab and /ping in another: /ping waits. With /slow/def it does not.
"""

import threading
import time

from fastapi import FastAPI

app = FastAPI(title="def or async def")


@app.get("/thread/async")
async def thread_of_an_async_route() -> dict:
    return {"thread": threading.current_thread().name}


@app.get("/thread/def")
def thread_of_a_def_route() -> dict:
    return {"thread": threading.current_thread().name}


# time.sleep stands in for a long computation (a big predict_proba, say): like one, it holds
# the thread it runs on and never gives the event loop a chance to serve anyone else.


@app.get("/slow/async")
async def slow_async() -> dict:
    time.sleep(1)  # blocks the event loop: every other request waits
    return {"done": True}


@app.get("/slow/def")
def slow_def() -> dict:
    time.sleep(1)  # blocks one worker thread; the event loop keeps serving
    return {"done": True}


@app.get("/ping")
async def ping() -> dict:
    return {"pong": True}
