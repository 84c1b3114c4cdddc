"""Lab 03 · Model serving: the Iris API predicts the species of a flower.

Train a model first (`uv run python train.py`), then run `fastapi dev main.py` (or
`uv run just serve 3`) and open /docs. MODEL_PATH chooses the model file.
"""

import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request, status

from api_docs import UNREADABLE_BODY, not_found, serve_docs_offline
from flowers import FLOWERS
from model import IrisModel, load_model
from schemas import (
    BatchPredictionOut,
    BatchRequest,
    Measurement,
    ModelInfo,
    ObservationIn,
    ObservationOut,
    PredictionOut,
)

DEFAULT_MODEL_PATH = "models/model.joblib"


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Load the model once when the server starts; it serves every request after that."""
    app.state.iris = load_model(Path(os.getenv("MODEL_PATH") or DEFAULT_MODEL_PATH))
    yield
    app.state.iris = None


def get_model(request: Request) -> IrisModel:
    """The model loaded at start-up (a dependency, so tests can replace it)."""
    return request.app.state.iris


ModelDep = Annotated[IrisModel, Depends(get_model)]

app = FastAPI(title="Iris API", version="0.3.0", lifespan=lifespan)
serve_docs_offline(app)  # /docs and /redoc work without internet (see api_docs.py)


@app.get("/", tags=["greetings"], summary="Say welcome")
def read_root() -> dict:
    """Greet the caller: the smallest useful route."""
    return {"message": "Welcome to the Iris API"}


@app.get("/hello/{name}", tags=["greetings"], summary="Greet someone by name")
def say_hello(name: str, shout: bool = False) -> dict:
    """Greet someone by name; `?shout=true` greets in capitals."""
    message = f"Hello, {name}!"
    return {"message": message.upper() if shout else message}


@app.get("/flowers", tags=["flowers"], summary="List flowers, a page at a time")
def list_flowers(
    species: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict]:
    """List flowers in id order, optionally of one species, a page at a time."""
    chosen = [flower for flower in FLOWERS if species is None or flower["species"] == species]
    return chosen[offset : offset + limit]


@app.get(
    "/flowers/{flower_id}",
    tags=["flowers"],
    summary="Read one flower",
    responses=not_found("flower"),
)
def read_flower(flower_id: int) -> dict:
    """One flower by its id, or 404 when there is no such flower."""
    for flower in FLOWERS:
        if flower["id"] == flower_id:
            return flower
    raise HTTPException(status_code=404, detail=f"Flower {flower_id} not found")


# Observations live in memory for now: they are lost when the server stops (lab 08 adds a
# database).
observations: dict[int, ObservationOut] = {}


@app.post(
    "/observations",
    status_code=status.HTTP_201_CREATED,
    response_model=ObservationOut,
    tags=["observations"],
    summary="Record an observation",
    responses=UNREADABLE_BODY,
)
def create_observation(observation: ObservationIn) -> dict:
    """Record an observation; the response never includes the observer's e-mail."""
    record = {"id": len(observations) + 1, **observation.model_dump()}
    observations[record["id"]] = ObservationOut.model_validate(record)
    return record


@app.get(
    "/observations/{observation_id}",
    response_model=ObservationOut,
    tags=["observations"],
    summary="Read one observation",
    responses=not_found("observation"),
)
def read_observation(observation_id: int) -> ObservationOut:
    """One recorded observation, or 404."""
    if observation_id not in observations:
        raise HTTPException(status_code=404, detail=f"Observation {observation_id} not found")
    return observations[observation_id]


# Inference is CPU-bound, so these are plain `def` routes: FastAPI runs them in a worker
# thread and the event loop stays free for other requests.


@app.post("/predict", tags=["predictions"], summary="Predict one flower", responses=UNREADABLE_BODY)
def predict(measurement: Measurement, model: ModelDep) -> PredictionOut:
    """Predict the species of one flower."""
    [only] = model.predict([measurement])
    return PredictionOut(**only.model_dump(), model_version=model.version)


@app.post(
    "/predict/batch",
    tags=["predictions"],
    summary="Predict up to 100 flowers",
    responses=UNREADABLE_BODY,
)
def predict_batch(batch: BatchRequest, model: ModelDep) -> BatchPredictionOut:
    """Predict the species of 1 to 100 flowers in one call."""
    return BatchPredictionOut(
        model_version=model.version, predictions=model.predict(list(batch.items))
    )


@app.get("/model", tags=["model"], summary="Describe the loaded model")
def model_info(model: ModelDep) -> ModelInfo:
    """The loaded model's metadata: version, classes, features and metrics."""
    return ModelInfo.model_validate(model.metadata)
