"""Lab 09 · batch jobs: long work runs after the answer, and the client comes back for it.

``POST /jobs`` answers ``202 Accepted`` at once, with the job's id and a ``Location`` to poll;
the work itself is a background task that FastAPI runs after the answer has been sent. The
job moves from ``queued`` to ``running`` to ``done`` (its result downloads as CSV) or to
``failed`` (its ``error`` says why).

A background task has no client to answer any more, so its errors must go somewhere on
purpose: here, into the job (``status: failed`` and ``error``) and into the log.

The jobs live in this process's memory: a restart forgets them. A service that must keep its
jobs puts them in a database and runs them in worker processes (a task queue).
"""

import logging
import threading
import uuid
from typing import Literal

from fastapi import APIRouter, BackgroundTasks, FastAPI, HTTPException, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api_docs import CONFLICT, CSV_DOWNLOAD, not_found
from errors import ModelUnavailableError
from schemas import Measurement, Prediction
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


class Job:
    """One job: what it was asked, where it is, and (once done) its predictions."""

    def __init__(self, items: list[Measurement]) -> None:
        self.id = uuid.uuid4().hex
        self.items = items
        self.status: JobStatus = "queued"
        self.model_version: str | None = None
        self.predictions: list[Prediction] = []
        self.error: str | None = None

    def public(self) -> JobOut:
        return JobOut(
            id=self.id,
            status=self.status,
            total=len(self.items),
            model_version=self.model_version,
            error=self.error,
        )


class JobStore:
    """Every job of this process, by id (a lock: jobs run in other threads)."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def add(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job

    def get(self, job_id: str) -> Job:
        """The job with this id, or a 404."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"No job {job_id}")
        return job


def run_job(job: Job, app: FastAPI) -> None:
    """The background task: predict every flower of the job with the model loaded now.

    A plain ``def``: FastAPI runs it in a worker thread after the answer has been sent. Any
    error ends the job as ``failed``, with the reason in ``job.error`` and the traceback in
    the log: nobody else would ever see it.
    """
    # TODO 3: set job.status to "running"; then, in a try block, take the model from
    #         app.state.model (raise ModelUnavailableError when it is None), predict
    #         job.items, keep the predictions and the model's version, and set "done".
    #         On any exception: logger.exception(...), status "failed" and error = a
    #         short reason (str of the error). Never let an error pass in silence.
    job.status = "running"
    try:
        model = getattr(app.state, "model", None)
        if model is None:
            raise ModelUnavailableError("no model is loaded")
        predicted = model.predict(job.items)
        if len(predicted) != len(job.items):
            raise RuntimeError("the model answered for a different number of flowers")
    except Exception as exc:  # a background task has nobody to raise to
        logger.exception("job %s failed", job.id)
        job.error = str(exc) or type(exc).__name__
        job.status = "failed"
        return
    job.predictions = predicted
    job.model_version = model.version
    job.status = "done"


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
    # TODO 4: make a Job(batch.items), add it to get_jobs(request), schedule
    #         run_job(job, request.app) with background_tasks.add_task, set the
    #         Location header to /jobs/{job.id}, and return job.public() (queued).
    job = Job(batch.items)
    get_jobs(request).add(job)
    response.headers["Location"] = f"/jobs/{job.id}"
    background_tasks.add_task(run_job, job, request.app)
    return job.public()


@router.get("/jobs/{job_id}", summary="Read a job's status", responses=not_found("job"))
def read_job(job_id: str, request: Request, caller: Caller) -> JobOut:
    """Where the job is: queued, running, done or failed (with the reason)."""
    return get_jobs(request).get(job_id).public()


@router.get(
    "/jobs/{job_id}/result",
    summary="Download a finished job's predictions",
    response_class=StreamingResponse,
    responses={**CSV_DOWNLOAD, **not_found("job"), **CONFLICT},
)
def job_result(job_id: str, request: Request, caller: Caller) -> StreamingResponse:
    """The predictions of a done job, as a CSV file; 409 while it is not done."""
    # TODO 5: get the job (404 if unknown); unless its status is "done", raise
    #         HTTPException(409) saying its status; else return csv_download(job.items,
    #         job.predictions, f"job-{job.id}.csv").
    job = get_jobs(request).get(job_id)
    if job.status != "done":
        raise HTTPException(
            status_code=status.HTTP_409_CONFLICT,
            detail=f"Job {job.id} is {job.status}: only a done job has a result",
        )
    return csv_download(job.items, job.predictions, f"job-{job.id}.csv")
