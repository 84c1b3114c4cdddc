"""Lab 11 · the Iris API, ready for production: the app is created here.

The service of lab 10 (predictions, the log, jobs, uploads, streams, the WebSocket) laid out
as a package, the way larger FastAPI projects are:

- ``app/main.py`` (this file) creates the app, with its lifespan and its middleware;
- ``app/api/main.py`` gathers the routers of ``app/api/routes/``, one module per group;
- ``app/core/config.py`` holds the settings, ``app/deps.py`` the dependencies routes ask for;
- the other modules of ``app/`` do the work (the model, the database, the cache...).

The settings are read once, when this module is imported: the middleware needs them to be
built. A bad configuration stops the import with one line (``SystemExit``), so `fastapi run`
refuses to start and says why, instead of serving with a broken setting.

Train a model first (`uv run python train.py`), then run `uv run fastapi dev` in the lab
folder (it finds the app in app/main.py) and open /docs.
"""

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from pydantic import ValidationError

from app import observability
from app.api.main import api_router
from app.api.routes.jobs import JobStore
from app.api_docs import ERRORS, serve_docs_offline
from app.cache import PredictionCache
from app.core.config import Settings, configuration_problem, get_settings
from app.core.middleware import add_middleware
from app.core.rate_limit import RateLimiter
from app.database import make_engine, migrate
from app.deps import get_model as get_model  # tests override main.get_model
from app.error_handlers import add_error_handlers
from app.model import load_model
from app.security import Passwords

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Open and migrate the database, and load the model, once when the server starts;
    close the database's connections when it stops."""
    observability.setup_logging()
    settings = get_settings()
    app.state.settings = settings
    app.state.passwords = Passwords(settings)
    app.state.cache = PredictionCache(settings.cache_size)
    app.state.jobs = JobStore()
    # Lab 11: every caller's token bucket, new at each start.
    app.state.rate_limiter = RateLimiter()
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


def settings_or_exit() -> Settings:
    """The settings; on a bad configuration, stop with one line that names each bad
    variable (``SystemExit``: Python prints it, without a traceback, and exits with 1)."""
    try:
        settings = get_settings()
    except ValidationError as error:
        raise SystemExit(configuration_problem(error)) from None
    return settings


def create_app(settings: Settings) -> FastAPI:
    """The Iris API, configured by ``settings``."""
    app = FastAPI(
        title="Iris API",
        version="0.11.0",
        lifespan=lifespan,
        responses=ERRORS,
        max_body_size=settings.max_body_bytes,
    )
    add_middleware(app, settings)
    serve_docs_offline(app)  # /docs and /redoc work without internet (see api_docs.py)
    # Lab 05: every request gets an id, a time, a log line and a count.
    app.middleware("http")(observability.observe_requests)
    add_error_handlers(app)
    app.include_router(api_router)
    return app


app = create_app(settings_or_exit())
