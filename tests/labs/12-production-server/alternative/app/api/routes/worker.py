"""Another correct take: an async route that answers more than the pid."""

import os

from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get("/worker", summary="Which worker answered")
async def which_worker() -> dict[str, int]:
    """The process id of this worker, and of its parent."""
    return {"ppid": os.getppid(), "pid": os.getpid()}
