"""Lab 11 · version 2 of the predictions: ``POST /v2/predict`` answers the ``k`` most
probable species, most probable first, instead of a dictionary of every probability.

A client moves from /v1 to /v2 when it is ready; both versions serve the same model, log
to the same table and take tokens from the same bucket.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.api.routes.predict_v1 import PREDICT_ERRORS, classify, record_prediction
from app.deps import CacheDep, Caller, ModelDep, SessionDep, rate_limit
from app.schemas import ClassProbability, Measurement, PredictionOutV2

router = APIRouter(prefix="/v2", tags=["predictions v2"], dependencies=[Depends(rate_limit)])


@router.post(
    "/predict", summary="Predict one flower: its k most probable species", responses=PREDICT_ERRORS
)
def predict_v2(
    measurement: Measurement,
    model: ModelDep,
    caller: Caller,
    session: SessionDep,
    cache: CacheDep,
    request: Request,
    k: Annotated[int, Query(ge=1, le=3, description="how many species to list")] = 3,
) -> PredictionOutV2:
    """Predict the species of one flower and list the ``k`` most probable species, with
    their probabilities, most probable first; log the prediction."""
    prediction = classify(measurement, model, cache)
    prediction_id = record_prediction(request, session, measurement, prediction, model, caller)
    ranked = sorted(
        prediction.probabilities, key=prediction.probabilities.__getitem__, reverse=True
    )
    top = [
        ClassProbability(species=name, probability=prediction.probabilities[name])
        for name in ranked[:k]
    ]
    return PredictionOutV2(
        species=top[0].species,
        top_classes=top,
        model_version=model.version,
        prediction_id=prediction_id,
    )
