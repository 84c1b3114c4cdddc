"""Lab 12 example: a Gunicorn configuration whose once-only work runs in the master.

uv run gunicorn -c gunicorn_hooks.py worker_pid:app
"""

import os

PREPARED: list[int] = []  # the pids that ran prepare(): one, the master's


def prepare() -> None:
    """Stands for the work that must happen once: migrations, fetching the model."""
    PREPARED.append(os.getpid())


bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "uvicorn_worker.UvicornWorker"
graceful_timeout = 30  # on SIGTERM, running requests get this long to finish


def on_starting(server) -> None:
    """Gunicorn calls this once, in the master, before it forks any worker."""
    prepare()


def post_fork(server, worker) -> None:
    """Gunicorn calls this in every worker: never put once-only work here."""
