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
    # BEGIN SOLUTION
    #: # TODO 4: read the model path from the MODEL_PATH environment variable (default:
    #: #         DEFAULT_MODEL_PATH) here, when the app starts, not at import time; load it
    #: #         with load_model and keep it in app.state.model, where get_model finds it.
    model_path = Path(os.environ.get("MODEL_PATH", DEFAULT_MODEL_PATH))
    app.state.model = load_model(model_path)
    # END SOLUTION
    yield


def get_model(request: Request) -> IrisModel:
    """The model loaded at start-up (a dependency, so tests can replace it)."""
    return request.app.state.model


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
    # BEGIN SOLUTION
    #: # TODO 5: model.predict takes a list of measurements and gives one Prediction each;
    #: #         answer a PredictionOut: that prediction plus model_version=model.version.
    #: raise NotImplementedError
    (prediction,) = model.predict([measurement])
    return PredictionOut(**prediction.model_dump(), model_version=model.version)
    # END SOLUTION


@app.post(
    "/predict/batch",
    tags=["predictions"],
    summary="Predict up to 100 flowers",
    responses=UNREADABLE_BODY,
)
def predict_batch(batch: BatchRequest, model: ModelDep) -> BatchPredictionOut:
    """Predict the species of 1 to 100 flowers in one call."""
    # BEGIN SOLUTION
    #: # TODO 7: one model.predict call for all of batch.items; answer a BatchPredictionOut
    #: #         with the predictions in the order of the request and the model_version.
    #: raise NotImplementedError
    return BatchPredictionOut(predictions=model.predict(batch.items), model_version=model.version)
    # END SOLUTION


@app.get("/model", tags=["model"], summary="Describe the loaded model")
def model_info(model: ModelDep) -> ModelInfo:
    """The loaded model's metadata: version, classes, features and metrics."""
    # BEGIN SOLUTION
    #: # TODO 8: answer the loaded model's metadata (model.metadata) as a ModelInfo.
    #: raise NotImplementedError
    return ModelInfo(**model.metadata)
    # END SOLUTION
