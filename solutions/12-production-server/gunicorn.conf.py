"""Lab 12 · Gunicorn's settings: a process manager with Uvicorn workers.

    uv run gunicorn -c gunicorn.conf.py app.main:app

Gunicorn's master process binds the socket, runs the once-only start-up work (on_starting),
forks the workers, restarts a worker that dies, and on SIGTERM closes the socket and gives
the workers `graceful_timeout` seconds to finish their requests. The workers are Uvicorn's,
from the uvicorn-worker package (uvicorn.workers is deprecated).
"""

import os

# BEGIN SOLUTION
#: # TODO 2: the address, the number of workers (WEB_CONCURRENCY), the worker class,
#: # the graceful timeout, and an on_starting hook that runs the prestart work.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "uvicorn_worker.UvicornWorker"
# On SIGTERM: stop accepting, then give running requests this long before killing them.
graceful_timeout = 30
# A worker silent this long (stuck) is killed and replaced.
timeout = 60
accesslog = "-"


def on_starting(server) -> None:
    """Runs once, in the master, before any worker starts: the prestart work."""
    from app import prestart

    prestart.main()
    # END SOLUTION
