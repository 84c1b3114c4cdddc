"""A middleware that times every request, including the ones that crash.

It measures the time the app took with time.perf_counter() and sends it in the standard
Server-Timing header (`app;dur=<milliseconds>`), which browsers show in their developer tools.
"""

import asyncio
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI(title="Timed")


@app.exception_handler(Exception)
async def crashed(request: Request, exc: Exception) -> JSONResponse:
    """Any unexpected error: a plain 500."""
    return JSONResponse({"detail": "Internal error"}, status_code=500)


@app.middleware("http")
async def server_timing(request: Request, call_next):
    """Time the rest of the app, and say how long it took."""
    started = time.perf_counter()  # a clock for durations: it never jumps
    try:
        response = await call_next(request)
    except Exception as crash:
        # A route raised: call_next raises too, and the 500 would be written later, outside
        # this middleware. Answer it here, with the app's own handler, to time it as well.
        response = await request.app.exception_handlers[Exception](request, crash)
    milliseconds = (time.perf_counter() - started) * 1000
    response.headers["Server-Timing"] = f"app;dur={milliseconds:.1f}"
    return response


@app.get("/nap")
async def nap(ms: int = 50) -> dict:
    """Sleep for `ms` milliseconds, then answer."""
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms}


@app.get("/crash")
def crash() -> dict:
    """A bug: this route always raises."""
    raise RuntimeError("something broke")
