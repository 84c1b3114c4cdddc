"""Lab 09 · the Iris API does slow work without making anyone wait.

Lab 09 adds: batch jobs that run after the answer (jobs.py), CSV upload and download
(uploads.py), a cache of predictions cleared on every model reload (cache.py), and two
routes that show when to write `def` and when `async def` (concurrency.py).

Train a model first (`uv run python train.py`), then run `fastapi dev main.py` (or
`uv run just serve 9`) and open /docs. The settings (settings.py) come from environment
variables, read when the app starts: DATABASE_URL, MODEL_PATH, JWT_SECRET, API_KEYS, USERS...
At start-up the app migrates its database to the latest schema. predictions.py serves the
log; security.py says who may call what.
"""

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import concurrency
import health
import jobs
import observability
import predictions
import security
import uploads
from api_docs import ERRORS, MODEL_UNAVAILABLE, RETRY_AFTER, error, not_found, serve_docs_offline
from cache import CacheDep, PredictionCache, cache_key
from cache import router as cache_router
from database import SessionDep, make_engine, migrate
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
    LoggedPrediction,
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
    """Read the settings, open and migrate the database, and load the model, once when the
    server starts; close the database's connections when it stops."""
    observability.setup_logging()
    settings = Settings()
    app.state.settings = settings
    app.state.passwords = Passwords(settings)
    # Lab 09: the prediction cache and the jobs live as long as the app.
    app.state.cache = PredictionCache(settings.cache_size)
    app.state.jobs = jobs.JobStore()
    engine = make_engine(settings.database_url)
    migrate(engine)
    app.state.engine = engine
    model_path = Path(settings.model_path)
    try:
        app.state.model = load_model(model_path)
    except Exception:
        logger.exception("could not load the model from %s; serving without it", model_path)
        app.state.model = None
    yield
    engine.dispose()


# A prediction needs a caller (401 without one) and a model (503 without one).
PREDICT_ERRORS = {**AUTH_ERRORS, **MODEL_UNAVAILABLE}

app = FastAPI(title="Iris API", version="0.9.0", lifespan=lifespan, responses=ERRORS)
serve_docs_offline(app)  # /docs and /redoc work without internet (see api_docs.py)


# Lab 05: lab 04's request-id middleware moved into observability.observe_requests, which
# also times, logs and counts every request.
app.middleware("http")(observability.observe_requests)
app.include_router(health.router)
app.include_router(observability.router)
# Lab 07: POST /token and GET /users/me. /health, /ready and /metrics stay public: the
# machines that call them (orchestrators, Prometheus) hold no user account.
app.include_router(security.router)
# Lab 08: the prediction log.
app.include_router(predictions.router)
# Lab 09: batch jobs, CSV upload and download, the cache's figures, and def vs async def.
app.include_router(jobs.router)
app.include_router(uploads.router)
app.include_router(cache_router)
app.include_router(concurrency.router)


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


# Observations still live in memory: they are lost when the server stops (the prediction
# log of lab 08 is in the database; moving observations there is left as an exercise).
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
    measurement: Measurement,
    model: ModelDep,
    caller: Caller,
    session: SessionDep,
    cache: CacheDep,
    request: Request,
) -> PredictionOut:
    """Predict the species of one flower (from the cache when the same model has already
    classified the same flower), and log it."""
    # TODO 12: look the flower up in the cache under cache_key(model.version,
    #          measurement); on a miss, ask the model and put its answer in the cache.
    key = cache_key(model.version, measurement)
    prediction = cache.get(key)
    if prediction is None:
        (prediction,) = model.predict([measurement])
        cache.put(key, prediction)
    observability.record_predictions(request, [prediction], model.version)
    (record,) = predictions.log_predictions(
        session, request, [measurement], [prediction], model_version=model.version, caller=caller
    )
    return PredictionOut(
        **prediction.model_dump(), model_version=model.version, prediction_id=record.id
    )


@app.post(
    "/predict/batch",
    tags=["predictions"],
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
    records = predictions.log_predictions(
        session, request, batch.items, answers, model_version=model.version, caller=caller
    )
    logged = [
        LoggedPrediction(**answer.model_dump(), prediction_id=record.id)
        for answer, record in zip(answers, records, strict=True)
    ]
    return BatchPredictionOut(predictions=logged, model_version=model.version)


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
        model = load_model(Path(settings.model_path))
    except Exception:
        logger.exception("could not reload the model from %s", settings.model_path)
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="The model file could not be loaded; the previous model still serves.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    request.app.state.model = model
    # TODO 13: the cache holds the old model's answers: empty it.
    request.app.state.cache.clear()
    logger.info("model %s loaded by %s", model.version, admin.username)
    return ModelInfo(**model.metadata)
