"""Another correct take on lab 09's jobs: plain dicts, counted ids, an absolute Location and
an async background task that hands the model to a thread.

The reference's notes follow. Batch jobs: long work runs after the answer, and the client
comes back for it.

``POST /jobs`` answers ``202 Accepted`` at once, with the job's id and a ``Location`` to poll;
the work itself is a background task that FastAPI runs after the answer has been sent. The
job moves from ``queued`` to ``running`` to ``done`` (its result downloads as CSV) or to
``failed`` (its ``error`` says why).

A background task has no client to answer any more, so its errors must go somewhere on
purpose: here, into the job (``status: failed`` and ``error``) and into the log.

The jobs live in this process's memory: a restart forgets them. A service that must keep its
jobs puts them in a database and runs them in worker processes (a task queue).
"""

import itertools
import logging
from typing import Literal

from fastapi import APIRouter, BackgroundTasks, FastAPI, HTTPException, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api_docs import CONFLICT, CSV_DOWNLOAD, not_found
from schemas import Measurement
from security import AUTH_ERRORS, Caller
from uploads import csv_download

MAX_JOB_ITEMS = 10_000
JobStatus = Literal["queued", "running", "done", "failed"]

logger = logging.getLogger("iris.jobs")
router = APIRouter(tags=["jobs"], responses=AUTH_ERRORS)


class JobRequest(BaseModel):
    """The flowers of a batch job: 1 to 10,000 of them."""

    items: list[Measurement] = Field(min_length=1, max_length=MAX_JOB_ITEMS)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "sepal_length": 5.1,
                            "sepal_width": 3.5,
                            "petal_length": 1.4,
                            "petal_width": 0.2,
                        }
                    ]
                }
            ]
        }
    )


class JobOut(BaseModel):
    """Where a job is: its status, how many flowers it has, and why it failed."""

    id: str
    status: JobStatus
    total: int
    model_version: str | None = None
    error: str | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5b0f0c3e9a8d4f51a1c2e3d4f5a6b7c8",
                    "status": "done",
                    "total": 1,
                    "model_version": "1.0.0",
                    "error": None,
                }
            ]
        }
    )


_ids = itertools.count(1)


class JobStore(dict):
    def get(self, job_id):  # noqa: D102
        job = super().get(job_id)
        if job is None:
            raise HTTPException(status_code=404, detail="no such job")
        return job


def public(job: dict) -> JobOut:
    return JobOut(
        id=job["id"],
        status=job["status"],
        total=len(job["items"]),
        model_version=job.get("model_version"),
        error=job.get("error"),
    )


async def run_job(job: dict, app: FastAPI) -> None:
    job["status"] = "running"
    try:
        model = app.state.model
        if model is None:
            raise RuntimeError("the model is not loaded")
        job["predictions"] = await run_in_threadpool(model.predict, job["items"])
        job["model_version"] = model.version
        job["status"] = "done"
    except Exception as error:
        logger.exception("job failed")
        job["status"], job["error"] = "failed", repr(error)


def get_jobs(request: Request) -> JobStore:
    return request.app.state.jobs


@router.post(
    "/jobs",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a batch job",
    response_description="The job is queued: poll its Location",
)
def submit_job(
    batch: JobRequest,
    background_tasks: BackgroundTasks,
    request: Request,
    response: Response,
    caller: Caller,
) -> JobOut:
    """Queue the prediction of up to 10,000 flowers; answer at once with the job's id."""
    job = {"id": f"job{next(_ids)}", "status": "queued", "items": batch.items}
    get_jobs(request)[job["id"]] = job
    background_tasks.add_task(run_job, job, request.app)
    response.headers["Location"] = str(request.url_for("read_job", job_id=job["id"]))
    return public(job)


@router.get("/jobs/{job_id}", summary="Read a job's status", responses=not_found("job"))
def read_job(job_id: str, request: Request, caller: Caller) -> JobOut:
    """Where the job is: queued, running, done or failed (with the reason)."""
    return public(get_jobs(request).get(job_id))


@router.get(
    "/jobs/{job_id}/result",
    summary="Download a finished job's predictions",
    response_class=StreamingResponse,
    responses={**CSV_DOWNLOAD, **not_found("job"), **CONFLICT},
)
def job_result(job_id: str, request: Request, caller: Caller) -> StreamingResponse:
    """The predictions of a done job, as a CSV file; 409 while it is not done."""
    job = get_jobs(request).get(job_id)
    if job["status"] != "done":
        raise HTTPException(status_code=409, detail="not done")
    return csv_download(job["items"], job["predictions"], "result.csv")
