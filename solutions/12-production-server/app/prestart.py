"""Lab 12 · the start-up work that must run once, before the server and its workers start.

    uv run python -m app.prestart && uv run fastapi run --workers 4

With several workers, each one runs the app's lifespan, at the same moment. Work that must
happen once for the whole service does not belong there: two workers migrating one database
at once race each other (both see no table, both create it, one fails), and four workers
training a missing model train it four times. So it runs here, in one process, before the
server starts: `python -m app.prestart` on the command line, or Gunicorn's `on_starting`
hook (gunicorn.conf.py), which runs in the master before it forks the workers. This is what
full-stack-fastapi-template's `prestart.sh` does.
"""

import logging
import tempfile
from pathlib import Path

from pydantic import ValidationError

from app import lifecycle
from app.core.config import Settings, configuration_problem, get_settings
from app.database import make_engine, migrate

logger = logging.getLogger(__name__)


def prepare(settings: Settings) -> None:
    """Migrate the database to the latest schema and make sure a model is there (train one
    when there is none); then write the ``prestart`` event."""
    # BEGIN SOLUTION
    #: # TODO 3: migrate the database, train a model if there is none (train_model_at),
    #: # then record "prestart".
    #: raise NotImplementedError
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    model_path = Path(settings.model_path)
    if not model_path.exists():
        logger.warning("no model at %s: training one", model_path)
        train_model_at(model_path)
    lifecycle.record(settings, "prestart")
    # END SOLUTION


def train_model_at(model_path: Path) -> None:
    """Train a model with the lab's train.py and put it at ``model_path``, with its metadata
    beside it (the same name ending in ``.json``).

    train.py always writes ``model.joblib`` and ``model.json`` into a folder; here that is a
    scratch folder beside ``model_path``, and the two files are then moved to their names,
    the model last: the app never finds a model without its metadata."""
    import train  # the lab folder's train.py

    model_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=model_path.parent) as scratch:
        trained = train.train(Path(scratch))
        trained.with_suffix(".json").replace(model_path.with_suffix(".json"))
        trained.replace(model_path)


def main() -> None:
    """``python -m app.prestart``: prepare with the settings of the environment (a bad
    configuration stops it with one line, as it stops the app)."""
    logging.basicConfig(level=logging.INFO)
    try:
        settings = get_settings()
    except ValidationError as error:
        raise SystemExit(configuration_problem(error)) from None
    prepare(settings)


if __name__ == "__main__":
    main()
