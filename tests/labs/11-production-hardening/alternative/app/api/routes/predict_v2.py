"""Lab 11 alternative: version 2, with heapq and without the cache."""

import heapq

from fastapi import APIRouter, Depends, Query, Request

from app import observability
from app.api.routes import prediction_log
from app.deps import Caller, ModelDep, SessionDep, rate_limit
from app.schemas import Measurement

router = APIRouter(prefix="/v2", dependencies=[Depends(rate_limit)])


@router.post("/predict")
def predict(
    measurement: Measurement,
    model: ModelDep,
    caller: Caller,
    session: SessionDep,
    request: Request,
    k: int = Query(default=3, ge=1, le=3),
) -> dict:
    (prediction,) = model.predict([measurement])
    observability.record_predictions(request, [prediction], model.version)
    (record,) = prediction_log.log_predictions(
        session, request, [measurement], [prediction], model_version=model.version, caller=caller
    )
    best = heapq.nlargest(k, prediction.probabilities.items(), key=lambda item: item[1])
    return {
        "species": prediction.species,
        "top_classes": [{"species": name, "probability": value} for name, value in best],
        "model_version": model.version,
        "prediction_id": record.id,
    }
