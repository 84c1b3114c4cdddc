"""Lab 12 example: which worker answered, and a lifespan that says when each worker starts
and stops. Run it with two workers and ask GET /worker on new connections:

    uv run uvicorn worker_pid:app --workers 2
"""

import os
from contextlib import asynccontextmanager

from fastapi import FastAPI

EVENTS: list[tuple[str, int]] = []  # (event, pid): what this process's lifespan did


@asynccontextmanager
async def lifespan(app: FastAPI):
    EVENTS.append(("startup", os.getpid()))  # once in every worker
    yield
    EVENTS.append(("shutdown", os.getpid()))  # on SIGTERM, after the last request


app = FastAPI(lifespan=lifespan)


@app.get("/worker")
def worker() -> dict:
    """The id of the process that handled this request."""
    return {"pid": os.getpid()}
