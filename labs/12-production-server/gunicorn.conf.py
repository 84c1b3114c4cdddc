"""Lab 12 · Gunicorn's settings: a process manager with Uvicorn workers.

    uv run gunicorn -c gunicorn.conf.py app.main:app

Gunicorn's master process binds the socket, runs the once-only start-up work (on_starting),
forks the workers, restarts a worker that dies, and on SIGTERM closes the socket and gives
the workers `graceful_timeout` seconds to finish their requests. The workers are Uvicorn's,
from the uvicorn-worker package (uvicorn.workers is deprecated).
"""

import os

# TODO 2: the address, the number of workers (WEB_CONCURRENCY), the worker class,
# the graceful timeout, and an on_starting hook that runs the prestart work.
