"""Lab 12 · the Iris API, ready for production: the app is created here.

The service of lab 10 (predictions, the log, jobs, uploads, streams, the WebSocket) laid out
as a package, the way larger FastAPI projects are:

- ``app/main.py`` (this file) creates the app, with its lifespan and its middleware;
- ``app/api/main.py`` gathers the routers of ``app/api/routes/``, one module per group;
- ``app/core/config.py`` holds the settings, ``app/deps.py`` the dependencies routes ask for;
- the other modules of ``app/`` do the work (the model, the database, the cache...).

The settings are read once, when this module is imported: the middleware needs them to be
built. A bad configuration stops the import with one line (``SystemExit``), so `fastapi run`
refuses to start and says why, instead of serving with a broken setting.

Lab 12 serves it with several workers: the once-only start-up work (migrating the database,
training a missing model) moved out of the lifespan into app/prestart.py, which runs before
the server starts (`python -m app.prestart && fastapi run --workers 2`, or Gunicorn's
on_starting hook); each worker's lifespan only opens the database and loads the model, and
writes its startup and shutdown to the lifecycle log (app/lifecycle.py).
"""

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from pydantic import ValidationError

from app import lifecycle, observability
from app.api.main import api_router
from app.api.routes.jobs import JobStore
from app.api_docs import ERRORS, serve_docs_offline
from app.cache import PredictionCache
from app.core.config import Settings, configuration_problem, get_settings
from app.core.middleware import add_middleware
from app.core.rate_limit import RateLimiter
from app.database import make_engine
from app.deps import get_model as get_model  # tests override main.get_model
from app.error_handlers import add_error_handlers
from app.model import load_model
from app.security import Passwords

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Open the database (migrated by app/prestart.py) and load the model, in each worker
    when it starts; release them when it stops."""
    log_writer = observability.start_logging()
    settings = get_settings()
    app.state.settings = settings
    app.state.passwords = Passwords(settings)
    app.state.cache = PredictionCache(settings.cache_size)
    app.state.jobs = JobStore()
    # Lab 11: every caller's token bucket, new at each start.
    app.state.rate_limiter = RateLimiter()
    engine = make_engine(settings.database_url)
    app.state.engine = engine
    model_path = Path(settings.model_path)
    try:
        app.state.model = load_model(model_path)
    except Exception:
        logger.exception("could not load the model from %s; serving without it", model_path)
        app.state.model = None
    lifecycle.record(settings, "startup")
    try:
        yield
    finally:
        release(app)
        lifecycle.record(settings, "shutdown")
        log_writer.stop()  # writes the log lines still queued


def release(app: FastAPI) -> None:
    """Drop this worker's model and close every connection of its database engine."""
    app.state.model = None
    engine = getattr(app.state, "engine", None)
    if engine is not None:
        engine.dispose()


def settings_or_exit() -> Settings:
    """The settings; on a bad configuration, stop with one line that names each bad
    variable (``SystemExit``: Python prints it, without a traceback, and exits with 1)."""
    try:
        return get_settings()
    except ValidationError as error:
        raise SystemExit(configuration_problem(error)) from None


def create_app(settings: Settings) -> FastAPI:
    """The Iris API, configured by ``settings``."""
    app = FastAPI(
        title="Iris API",
        version="0.12.0",
        lifespan=lifespan,
        responses=ERRORS,
        max_body_size=settings.max_body_bytes,
    )
    add_middleware(app, settings)
    serve_docs_offline(app)  # /docs and /redoc work without internet (see api_docs.py)
    # Lab 05: every request gets an id, a time, a log line and a count.
    app.add_middleware(observability.ObserveRequests)
    add_error_handlers(app)
    app.include_router(api_router)
    return app


app = create_app(settings_or_exit())
