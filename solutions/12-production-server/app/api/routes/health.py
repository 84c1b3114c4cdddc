"""Lab 12 · health checks: is the process alive (/health), can it serve (/ready)?

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

from app.api_docs import RETRY_AFTER, error
from app.deps import ModelDep
from app.errors import RETRY_AFTER_SECONDS
from app.schemas import Measurement

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
    return Health(
        status="ok",
        version=request.app.version,
        uptime_seconds=time.monotonic() - STARTED_AT,
    )


@router.get(
    "/ready",
    summary="Readiness: can it predict now?",
    responses={503: error("Not ready: no model, or it fails a prediction", RETRY_AFTER)},
)
def ready(model: ModelDep) -> Readiness:
    """Readiness: 200 only when the model is loaded and a smoke prediction succeeds."""
    try:
        model.predict([SMOKE_FLOWER])
    except Exception as error:
        logger.warning("smoke prediction failed: %s: %s", type(error).__name__, error)
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="The model failed its smoke prediction: not ready.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    return Readiness(status="ready", model_version=model.version)
