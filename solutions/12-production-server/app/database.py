"""Lab 12 · the database: one engine per app, one session per request, migrations at start.

SQLite keeps the whole database in one file (``DATABASE_URL=sqlite:///predictions.db``).
Three settings make it fit a web service, whose requests run in many threads at once:

- ``check_same_thread=False``: a connection may be used by the worker thread that got it
  from the pool, not only by the thread that opened it;
- WAL (write-ahead log): readers never wait for the writer, and the writer never waits for
  readers;
- a busy timeout: when another connection holds the write lock, wait for it (up to
  ``BUSY_TIMEOUT_SECONDS``) instead of failing at once with "database is locked".

An in-memory database (``sqlite://``) lives inside one connection: each new connection would
see a new, empty database. ``StaticPool`` gives every session that same single connection.
"""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.pool import StaticPool
from sqlmodel import create_engine

BUSY_TIMEOUT_SECONDS = 15
# migrations/ lies at the lab root, beside the app/ package
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def is_in_memory(url: str) -> bool:
    """Whether a SQLite URL names an in-memory database (no file)."""
    return url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url


def make_engine(url: str) -> Engine:
    """An engine for ``url``, set up for many threads (see the module's docstring)."""
    in_memory = is_in_memory(url)
    options = {"poolclass": StaticPool} if in_memory else {}
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS},
        **options,
    )

    @event.listens_for(engine, "connect")
    def set_pragmas(connection, record) -> None:
        cursor = connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    return engine


def migrate(engine: Engine) -> None:
    """Bring the database to the latest schema: ``alembic upgrade head``, from Python.

    Alembic records the revision a database is at in its ``alembic_version`` table, and runs
    only the migrations that database has not had yet: a new file gets them all, an old one
    only the new ones, and its rows stay.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
