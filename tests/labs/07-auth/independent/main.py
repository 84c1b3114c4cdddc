"""Lab 07 · the Iris API, now with callers: predictions need an API key or a token.

Train a model first (`uv run python train.py`), then run `fastapi dev main.py` (or
`uv run just serve 7`) and open /docs. The settings (settings.py) come from environment
variables, read once when the app starts: MODEL_PATH, JWT_SECRET, API_KEYS, USERS... When the
model cannot be loaded the API still starts, /health answers 200 and /ready answers 503.
security.py says who may call what.
"""

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import health
import observability
import security
from api_docs import ERRORS, MODEL_UNAVAILABLE, RETRY_AFTER, error, not_found, serve_docs_offline
from errors import (
    HTTP_ERROR_CODES,
    RETRY_AFTER_SECONDS,
    ModelUnavailableError,
    UnknownModelVersionError,
    error_response,
    field_problems,
)
from flowers import FLOWERS
from model import ModelDep, load_model
from model import get_model as get_model  # tests override main.get_model
from schemas import (
    BatchPredictionOut,
    BatchRequest,
    Measurement,
    ModelInfo,
    ObservationIn,
    ObservationOut,
    PredictionOut,
)
from security import ADMIN_ERRORS, AUTH_ERRORS, AdminUser, Caller, Passwords, SettingsDep
from settings import Settings

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Read the settings and load the model once when the server starts."""
    observability.setup_logging()
    settings = Settings()
    app.state.settings = settings
    app.state.passwords = Passwords(settings)
    model_path = Path(settings.model_path)
    try:
        app.state.model = load_model(model_path)
    except Exception:
        logger.exception("could not load the model from %s; serving without it", model_path)
        app.state.model = None
    yield


# A prediction needs a caller (401 without one) and a model (503 without one).
PREDICT_ERRORS = {**AUTH_ERRORS, **MODEL_UNAVAILABLE}

app = FastAPI(title="Iris API", version="0.7.0", lifespan=lifespan, responses=ERRORS)
serve_docs_offline(app)  # /docs and /redoc work without internet (see api_docs.py)


# Lab 05: lab 04's request-id middleware moved into observability.observe_requests, which
# also times, logs and counts every request.
app.middleware("http")(observability.observe_requests)
app.include_router(health.router)
app.include_router(observability.router)
# Lab 07: POST /token and GET /users/me. /health, /ready and /metrics stay public: the
# machines that call them (orchestrators, Prometheus) hold no user account.
app.include_router(security.router)


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Every HTTPException (yours, and Starlette's 404 and 405) in the envelope."""
    code = HTTP_ERROR_CODES.get(exc.status_code, "http_error")
    return error_response(request, exc.status_code, code, str(exc.detail), headers=exc.headers)


@app.exception_handler(RequestValidationError)
async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A 422 that names each bad field and says what is wrong with it."""
    fields = field_problems(exc.errors())
    count = "1 value is" if len(fields) == 1 else f"{len(fields)} values are"
    return error_response(
        request,
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        "validation_error",
        f"The request is not valid: {count} wrong (see fields).",
        fields=fields,
    )


@app.exception_handler(Exception)
async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug: the details go to the log, the caller gets a 500 that reveals nothing."""
    logger.error("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        request,
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Something went wrong on our side. Quote the request id if you report it.",
    )


@app.exception_handler(ModelUnavailableError)
async def model_unavailable(request: Request, exc: ModelUnavailableError) -> JSONResponse:
    """No model is loaded: tell the caller to come back later."""
    return error_response(
        request,
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "model_unavailable",
        "The model is not loaded, so predictions are unavailable. Try again later.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


@app.exception_handler(UnknownModelVersionError)
async def unknown_model_version(request: Request, exc: UnknownModelVersionError) -> JSONResponse:
    """A model version this server does not have."""
    return error_response(
        request,
        status.HTTP_404_NOT_FOUND,
        "unknown_model_version",
        f"Model version {exc.requested} is not available; this server has {exc.available}.",
    )


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
    responses=PREDICT_ERRORS,
)
def predict(
    measurement: Measurement, model: ModelDep, caller: Caller, request: Request
) -> PredictionOut:
    """Predict the species of one flower."""
    (prediction,) = model.predict([measurement])
    observability.record_predictions(request, [prediction], model.version)
    return PredictionOut(**prediction.model_dump(), model_version=model.version)


@app.post(
    "/predict/batch",
    tags=["predictions"],
    summary="Predict up to 100 flowers",
    responses=PREDICT_ERRORS,
)
def predict_batch(
    batch: BatchRequest, model: ModelDep, caller: Caller, request: Request
) -> BatchPredictionOut:
    """Predict the species of 1 to 100 flowers in one call."""
    predictions = model.predict(batch.items)
    observability.record_predictions(request, predictions, model.version)
    return BatchPredictionOut(predictions=predictions, model_version=model.version)


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


@app.post(
    "/model/reload",
    tags=["model"],
    summary="Reload the model file (admins)",
    responses={
        **ADMIN_ERRORS,
        503: error("The file could not be loaded: the previous model still serves", RETRY_AFTER),
    },
)
def reload_model(admin: AdminUser, settings: SettingsDep, request: Request) -> ModelInfo:
    """Load the model again from MODEL_PATH, without a restart (admins only)."""
    try:
        fresh = load_model(Path(settings.model_path))
    except Exception:
        logger.exception("reload by %s failed; keeping the current model", admin.username)
        raise ModelUnavailableError() from None
    request.app.state.model = fresh
    return ModelInfo(**fresh.metadata)
