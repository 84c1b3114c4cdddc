"""Lab 04 · Error handling: the Iris API answers every error in one envelope.

Train a model first (`uv run python train.py`), then run `fastapi dev main.py` (or
`uv run just serve 4`) and open /docs. MODEL_PATH chooses the model file; when it cannot be
loaded the API still starts, and the routes that need the model answer 503.
"""

import logging
import os
import re
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api_docs import ERRORS, MODEL_UNAVAILABLE, not_found, serve_docs_offline
from errors import (
    HTTP_ERROR_CODES,
    REQUEST_ID_HEADER,
    RETRY_AFTER_SECONDS,
    ModelUnavailableError,
    UnknownModelVersionError,
    error_response,
    field_problems,
    new_request_id,
)
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

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Load the model once when the server starts; it serves every request after that."""
    model_path = Path(os.environ.get("MODEL_PATH", DEFAULT_MODEL_PATH))
    try:
        app.state.model = load_model(model_path)
    except Exception:
        logger.exception("could not load the model from %s; serving without it", model_path)
        app.state.model = None
    yield


def get_model(request: Request) -> IrisModel:
    """The model loaded at start-up (a dependency, so tests can replace it)."""
    loaded = getattr(request.app.state, "model", None)
    if loaded is None:
        raise ModelUnavailableError()
    return loaded


ModelDep = Annotated[IrisModel, Depends(get_model)]

app = FastAPI(title="Iris API", version="0.4.0", lifespan=lifespan, responses=ERRORS)
serve_docs_offline(app)  # /docs and /redoc work without internet (see api_docs.py)


_ID_FORMAT = re.compile(r"[A-Za-z0-9-]{1,64}")


@app.middleware("http")
async def add_request_id(request: Request, call_next):
    """Give every request an id: the caller's X-Request-ID, or a new one."""
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    rid = sent if _ID_FORMAT.fullmatch(sent) else new_request_id()
    request.state.request_id = rid
    response = await call_next(request)
    response.headers[REQUEST_ID_HEADER] = rid
    return response


async def on_http_exception(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return error_response(
        request,
        exc.status_code,
        HTTP_ERROR_CODES.get(exc.status_code, "http_error"),
        str(exc.detail),
        headers=exc.headers,
    )


async def on_invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = field_problems(exc.errors())
    count = len(problems)
    noun = "value is" if count == 1 else "values are"
    return error_response(
        request,
        422,
        "validation_error",
        f"The request is not valid: {count} {noun} wrong (see fields).",
        fields=problems,
    )


async def on_bug(request: Request, exc: Exception) -> JSONResponse:
    logger.error(
        "request %s (%s %s) failed",
        getattr(request.state, "request_id", "?"),
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return error_response(request, 500, "internal_error", "An internal error occurred.")


async def on_no_model(request: Request, exc: ModelUnavailableError) -> JSONResponse:
    return error_response(
        request,
        503,
        "model_unavailable",
        "No model is loaded right now; please retry later.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def on_unknown_version(request: Request, exc: UnknownModelVersionError) -> JSONResponse:
    return error_response(
        request,
        404,
        "unknown_model_version",
        f"Model version {exc.requested} does not exist here (loaded: {exc.available}).",
    )


app.add_exception_handler(StarletteHTTPException, on_http_exception)
app.add_exception_handler(RequestValidationError, on_invalid_request)
app.add_exception_handler(Exception, on_bug)
app.add_exception_handler(ModelUnavailableError, on_no_model)
app.add_exception_handler(UnknownModelVersionError, on_unknown_version)


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


@app.post(
    "/predict",
    tags=["predictions"],
    summary="Predict the species of one flower",
    responses=MODEL_UNAVAILABLE,
)
def predict(measurement: Measurement, model: ModelDep) -> PredictionOut:
    """Predict the species of one flower."""
    (prediction,) = model.predict([measurement])
    return PredictionOut(**prediction.model_dump(), model_version=model.version)


@app.post(
    "/predict/batch",
    tags=["predictions"],
    summary="Predict up to 100 flowers",
    responses=MODEL_UNAVAILABLE,
)
def predict_batch(batch: BatchRequest, model: ModelDep) -> BatchPredictionOut:
    """Predict the species of 1 to 100 flowers in one call."""
    return BatchPredictionOut(predictions=model.predict(batch.items), model_version=model.version)


@app.get(
    "/model",
    tags=["model"],
    summary="Describe the loaded model",
    responses=MODEL_UNAVAILABLE,
)
def model_info(model: ModelDep) -> ModelInfo:
    """The loaded model's metadata: version, classes, features and metrics."""
    return ModelInfo(**model.metadata)


@app.get(
    "/models/{version}",
    tags=["model"],
    summary="Describe one model version",
    responses={**not_found("model version"), **MODEL_UNAVAILABLE},
)
def model_by_version(version: str, model: ModelDep) -> ModelInfo:
    """The metadata of one model version: this server has only the one it loaded."""
    if version != model.version:
        raise UnknownModelVersionError(version, model.version)
    return ModelInfo(**model.metadata)
