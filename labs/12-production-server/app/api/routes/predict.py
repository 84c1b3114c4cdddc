"""Lab 12 · predictions: one flower, or a batch of up to 100, each logged (lab 08).

Inference is CPU-bound, so these are plain `def` routes: FastAPI runs them in a worker
thread and the event loop stays free for other requests.
"""

from fastapi import APIRouter, Request

from app import observability
from app.api.routes import prediction_log
from app.api_docs import MODEL_UNAVAILABLE
from app.cache import cache_key
from app.deps import CacheDep, Caller, ModelDep, SessionDep
from app.schemas import (
    BatchPredictionOut,
    BatchRequest,
    LoggedPrediction,
    Measurement,
    PredictionOut,
)
from app.security import AUTH_ERRORS

router = APIRouter(tags=["predictions"])

# A prediction needs a caller (401 without one) and a model (503 without one).
PREDICT_ERRORS = {**AUTH_ERRORS, **MODEL_UNAVAILABLE}


@router.post(
    "/predict",
    summary="Predict the species of one flower",
    responses=PREDICT_ERRORS,
)
def predict(
    measurement: Measurement,
    model: ModelDep,
    caller: Caller,
    session: SessionDep,
    cache: CacheDep,
    request: Request,
) -> PredictionOut:
    """Predict the species of one flower (from the cache when the same model has already
    classified the same flower), and log it."""
    key = cache_key(model.version, measurement)
    prediction = cache.get(key)
    if prediction is None:
        (prediction,) = model.predict([measurement])
        cache.put(key, prediction)
    observability.record_predictions(request, [prediction], model.version)
    (record,) = prediction_log.log_predictions(
        session, request, [measurement], [prediction], model_version=model.version, caller=caller
    )
    return PredictionOut(
        **prediction.model_dump(), model_version=model.version, prediction_id=record.id
    )


@router.post(
    "/predict/batch",
    summary="Predict up to 100 flowers",
    responses=PREDICT_ERRORS,
)
def predict_batch(
    batch: BatchRequest,
    model: ModelDep,
    caller: Caller,
    session: SessionDep,
    request: Request,
) -> BatchPredictionOut:
    """Predict the species of 1 to 100 flowers in one call, and log each one."""
    answers = model.predict(batch.items)
    observability.record_predictions(request, answers, model.version)
    records = prediction_log.log_predictions(
        session, request, batch.items, answers, model_version=model.version, caller=caller
    )
    logged = [
        LoggedPrediction(**answer.model_dump(), prediction_id=record.id)
        for answer, record in zip(answers, records, strict=True)
    ]
    return BatchPredictionOut(predictions=logged, model_version=model.version)
