"""Lab 08 · the database: one engine per app, one session per request, migrations at start.

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

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from alembic import command
from alembic.config import Config
from fastapi import Depends, Request
from sqlalchemy import Engine, event
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

BUSY_TIMEOUT_SECONDS = 15
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def is_in_memory(url: str) -> bool:
    """Whether a SQLite URL names an in-memory database (no file)."""
    return url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url


def make_engine(url: str) -> Engine:
    """An engine for ``url``, set up for many threads (see the module's docstring)."""
    memory = is_in_memory(url)
    options: dict = {"connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}}
    if memory:
        options["poolclass"] = StaticPool
    engine = create_engine(url, **options)
    pragmas = [f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}"]
    if not memory:
        pragmas.insert(0, "PRAGMA journal_mode = WAL")

    def on_connect(dbapi_connection, connection_record) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    event.listen(engine, "connect", on_connect)
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


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request, closed when the request is over."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
