"""Lab 08 example: run Alembic's migrations from Python, as a service does at start-up.

`alembic upgrade head` on the command line does the same. Alembic writes the revision a
database has reached in its table `alembic_version`, and runs only the migrations after it.
"""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "book_migrations"


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (the latest one by default)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
