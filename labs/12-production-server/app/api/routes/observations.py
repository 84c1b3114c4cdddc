"""Lab 12 · observations of flowers: a body checked by Pydantic, a response that hides a field.

Observations still live in memory: they are lost when the server stops (the prediction log
of lab 08 is in the database; moving observations there is left as an exercise).
"""

from fastapi import APIRouter, HTTPException, status

from app.api_docs import not_found
from app.schemas import ObservationIn, ObservationOut

router = APIRouter(tags=["observations"])

observations: dict[int, ObservationOut] = {}


@router.post(
    "/observations",
    status_code=status.HTTP_201_CREATED,
    response_model=ObservationOut,
    summary="Record an observation",
)
def create_observation(observation: ObservationIn) -> dict:
    """Record an observation; the response never includes the observer's e-mail."""
    record = {"id": len(observations) + 1, **observation.model_dump()}
    observations[record["id"]] = ObservationOut.model_validate(record)
    return record


@router.get(
    "/observations/{observation_id}",
    response_model=ObservationOut,
    summary="Read one observation",
    responses=not_found("observation"),
)
def read_observation(observation_id: int) -> ObservationOut:
    """One recorded observation, or 404."""
    if observation_id not in observations:
        raise HTTPException(status_code=404, detail=f"Observation {observation_id} not found")
    return observations[observation_id]
