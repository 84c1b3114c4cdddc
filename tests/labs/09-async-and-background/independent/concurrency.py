"""Lab 09 · `def` or `async def`: two stand-ins for slow work, to feel the difference.

FastAPI runs an ``async def`` route on the event loop, the one thread that serves every
request; it runs a plain ``def`` route in a worker thread of its threadpool. So:

* blocking work (CPU-heavy code, ``time.sleep``, a library without ``await``) goes in a
  plain ``def`` route: it blocks its own worker thread, and the event loop keeps serving;
* waiting on something awaitable (``asyncio.sleep``, an async HTTP client, an async
  database driver) goes in an ``async def`` route: ``await`` hands the loop to other
  requests while this one waits.

A blocking call inside ``async def`` is the one combination that stalls the whole server.
"""

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

MAX_SECONDS = 5.0
Seconds = Annotated[float, Query(gt=0, le=MAX_SECONDS, description="how long the work takes")]

router = APIRouter(prefix="/simulate", tags=["concurrency"])


class WorkDone(BaseModel):
    """How long the simulated work took, in seconds."""

    seconds: float


@router.get("/blocking", summary="Blocking work (CPU or a blocking library)")
# TODO 1: this work blocks its thread (time.sleep stands for a heavy computation):
#         which kind of route keeps the event loop free? Then sleep `seconds`.
def blocking_work(seconds: Seconds) -> WorkDone:
    time.sleep(seconds)  # holds this worker thread only; the event loop keeps serving
    return WorkDone(seconds=seconds)


@router.get("/io", summary="Waiting on I/O (an awaitable)")
# TODO 2: this work only waits (asyncio.sleep stands for a call to another service):
#         which kind of route lets many waits overlap? Then wait `seconds`.
async def waiting_work(seconds: Seconds) -> WorkDone:
    await asyncio.sleep(seconds)
    return WorkDone(seconds=seconds)
