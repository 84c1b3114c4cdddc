"""Lab 12 · GET /worker: which worker process answered.

With `--workers 4` four processes share one listening socket, and the operating system hands
each new connection to one of them. Ask this route on new connections (`curl` again and
again) and the process ids change: proof that several workers are serving.
"""

import os

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

router = APIRouter(tags=["health"])


class WorkerOut(BaseModel):
    """The id of the process that handled the request."""

    pid: int

    model_config = ConfigDict(json_schema_extra={"examples": [{"pid": 4107}]})


@router.get("/worker", summary="Which worker answered")
async def worker() -> WorkerOut:
    """The process id of the worker that handled this request."""
    return WorkerOut(pid=os.getpid())
