"""Lab 05 · health checks: is the process alive (/health), can it serve (/ready)?

An orchestrator (Kubernetes, a load balancer, a supervisor) asks both questions all the time:
it restarts a process whose liveness check fails, and sends traffic only to processes whose
readiness check succeeds. So liveness must be cheap and must not depend on the model;
readiness must be honest: ready only when a real prediction works.
"""

import logging
import time
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel

from api_docs import RETRY_AFTER, error
from errors import RETRY_AFTER_SECONDS
from model import ModelDep
from schemas import Measurement

# When the module is imported, that is, when the service starts.
STARTED_AT = time.monotonic()
# A flower every working iris model classifies: the smoke test of /ready.
SMOKE_FLOWER = Measurement(sepal_length=5.1, sepal_width=3.5, petal_length=1.4, petal_width=0.2)

logger = logging.getLogger("iris.health")
router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The process is up: which version of the service, running for how long."""

    status: Literal["ok"]
    version: str
    uptime_seconds: float


class Readiness(BaseModel):
    """The service can serve predictions, with this model."""

    status: Literal["ready"]
    model_version: str


@router.get("/health", summary="Liveness: is the process up?")
def health(request: Request) -> Health:
    """Liveness: 200 while the process runs, model or no model."""
    elapsed = time.monotonic() - STARTED_AT
    return Health(uptime_seconds=max(elapsed, 0.0), version=request.app.version, status="ok")


@router.get(
    "/ready",
    summary="Readiness: can it predict now?",
    responses={503: error("Not ready: no model, or it fails a prediction", RETRY_AFTER)},
)
def ready(model: ModelDep) -> Readiness:
    """Readiness: 200 only when the model is loaded and a smoke prediction succeeds."""
    try:
        answers = model.predict([SMOKE_FLOWER])
        if len(answers) != 1:
            raise ValueError(f"expected one answer, got {len(answers)}")
    except Exception as problem:
        logger.warning("smoke prediction failed: %r", problem)
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="The model cannot predict yet.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    return Readiness(model_version=model.version, status="ready")
