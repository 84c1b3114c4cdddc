"""Another correct take: both routes are async; the blocking one hands its work to a thread."""

import time
from typing import Annotated

import anyio
from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

router = APIRouter(prefix="/simulate", tags=["concurrency"])
Seconds = Annotated[float, Query(gt=0, le=5)]


@router.get("/blocking")
async def blocking(seconds: Seconds) -> dict:
    await run_in_threadpool(time.sleep, seconds)
    return {"seconds": seconds}


@router.get("/io")
async def io(seconds: Seconds) -> dict:
    await anyio.sleep(seconds)
    return {"seconds": seconds}
