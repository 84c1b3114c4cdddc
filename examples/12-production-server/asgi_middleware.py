"""Lab 12 example: a middleware written as plain ASGI, the way Starlette writes its own.

``@app.middleware("http")`` (lab 05) is easier to write, but Starlette runs it through its
``BaseHTTPMiddleware``: a task and a memory stream for every request. This one only wraps
``send``: it adds a header to the answer's first message and passes every message on.

    uv run fastapi dev asgi_middleware.py
"""

import time

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ProcessTime:
    """Adds ``X-Process-Time`` (milliseconds until the answer began) to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # WebSockets and the lifespan pass through
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":  # the status and the headers
                headers = MutableHeaders(scope=message)
                headers["X-Process-Time"] = f"{(time.perf_counter() - started) * 1000:.3f}"
            await send(message)

        await self.app(scope, receive, send_timed)


app = FastAPI()
app.add_middleware(ProcessTime)


@app.get("/hello")
def hello() -> dict:
    return {"message": "hello"}
