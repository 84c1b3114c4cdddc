"""Lab 12 · Gunicorn's settings: a process manager with Uvicorn workers.

    uv run gunicorn -c gunicorn.conf.py app.main:app

Gunicorn's master process binds the socket, runs the once-only start-up work (on_starting),
forks the workers, restarts a worker that dies, and on SIGTERM closes the socket and gives
the workers `graceful_timeout` seconds to finish their requests. The workers are Uvicorn's,
from the uvicorn-worker package (uvicorn.workers is deprecated).
"""

import os


def _worker_count() -> int:
    """WEB_CONCURRENCY when it is set, else one worker per core (between 2 and 4)."""
    configured = os.environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        return int(configured)
    return min(4, max(2, os.cpu_count() or 1))


# Every interface, so a client outside the container reaches it; --bind on the command
# line replaces this list.
bind = ["0.0.0.0:8000"]
workers = _worker_count()
worker_class = "uvicorn_worker.UvicornWorker"
# The slowest route (/simulate/*) takes up to 5 s; give requests in flight more than that.
graceful_timeout = 20
timeout = 60


def on_starting(server) -> None:
    """Once, in the master, before any worker is forked: migrate, train a missing model."""
    from app.prestart import main as run_prestart

    server.log.info("running the prestart work")
    run_prestart()
