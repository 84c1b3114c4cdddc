"""Lab 11 · version 1 of the predictions: lab 10's ``POST /predict`` and
``POST /predict/batch``, unchanged, under ``/v1``, deprecated in favour of ``/v2``.

Every answer says so (``Deprecation``, ``Sunset``), and /docs shows the routes struck
through. Each call takes a token from the caller's bucket (429 when it is empty).

Inference is CPU-bound, so these are plain `def` routes: FastAPI runs them in a worker
thread and the event loop stays free for other requests.
"""

from fastapi import APIRouter, Depends, Request

from app import observability
from app.api.deprecation import mark_v1_deprecated
from app.api.routes import prediction_log
from app.api_docs import MODEL_UNAVAILABLE, TOO_MANY_REQUESTS
from app.cache import cache_key
from app.deps import CacheDep, Caller, ModelDep, SessionDep, rate_limit
from app.schemas import (
    BatchPredictionOut,
    BatchRequest,
    LoggedPrediction,
    Measurement,
    Prediction,
    PredictionOut,
)
from app.security import AUTH_ERRORS

# A prediction needs a caller (401 without one), a token (429 without one) and a model
# (503 without one).
PREDICT_ERRORS = {**AUTH_ERRORS, **TOO_MANY_REQUESTS, **MODEL_UNAVAILABLE}

router = APIRouter(
    prefix="/v1",
    tags=["predictions v1"],
    deprecated=True,
    dependencies=[Depends(mark_v1_deprecated), Depends(rate_limit)],
)


def classify(measurement: Measurement, model, cache) -> Prediction:
    """The model's prediction for one flower, from the cache when the same model has
    already classified the same flower."""
    key = cache_key(model.version, measurement)
    prediction = cache.get(key)
    if prediction is None:
        (prediction,) = model.predict([measurement])
        cache.put(key, prediction)
    return prediction


def record_prediction(
    request: Request, session, measurement: Measurement, prediction: Prediction, model, caller
) -> int:
    """Count one prediction in the metrics and log it; its id in the log."""
    observability.record_predictions(request, [prediction], model.version)
    (record,) = prediction_log.log_predictions(
        session, request, [measurement], [prediction], model_version=model.version, caller=caller
    )
    return record.id


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
    prediction = classify(measurement, model, cache)
    prediction_id = record_prediction(request, session, measurement, prediction, model, caller)
    return PredictionOut(
        **prediction.model_dump(), model_version=model.version, prediction_id=prediction_id
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
