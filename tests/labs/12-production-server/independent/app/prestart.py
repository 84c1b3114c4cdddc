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
import shutil
import sys
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
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    logger.info("database %s is at the latest schema", settings.database_url)
    model_file = Path(settings.model_path)
    if model_file.exists():
        logger.info("model found at %s", model_file)
    else:
        _train_into(model_file)
    lifecycle.record(settings, "prestart")


def _train_into(model_file: Path) -> None:
    """Train the lab's model and put it (and its metadata) at ``model_file``, whatever its
    name: train.py always writes model.joblib and model.json into a folder."""
    lab_root = Path(__file__).resolve().parent.parent
    if str(lab_root) not in sys.path:
        sys.path.insert(0, str(lab_root))
    from train import train

    logger.info("no model at %s: training one", model_file)
    model_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=model_file.parent) as scratch:
        trained = train(Path(scratch))
        shutil.move(trained.with_suffix(".json"), model_file.with_suffix(".json"))
        shutil.move(trained, model_file)


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
