"""Another correct take: settings read with os.getenv, the prestart run through its main()."""

import os

UVICORN_WORKER = "uvicorn_worker.UvicornWorker"

worker_class = UVICORN_WORKER
workers = int(os.getenv("WEB_CONCURRENCY") or 3)
bind = "0.0.0.0:" + os.getenv("PORT", "8000")
graceful_timeout = 20
keepalive = 5


def on_starting(server):
    from app import prestart

    prestart.main()
