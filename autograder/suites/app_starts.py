"""Starting an app several times in one new process of student code, then serving it.

A check about configuration (lab 11: settings read from the environment and ``.env``, a
configuration the app must refuse) starts the app once for each case. Each start in a new
Python would pay the app's imports again (about 1.5 s); :func:`start_in_turn` runs in a
process the grader forks instead (:meth:`autograder.isolation.base.Isolation.spawn`: a
sandbox in secure mode), which imports the app afresh for each start.

Each start but the last runs the lifespan's start-up and shut-down and reports whether the
app refused (and with what message) or started. The last one is served on a Unix socket the
grader listens on: what it answers there is what the checks read. A refusal is the app's to
make, whatever reports it; what no other process can fake is an app that serves over HTTP.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

REPORTED_CHARS = 2_000  # of a refusal's message


def start_in_turn(fds: list[int], settings: dict) -> None:
    """In the new process: make every start of ``settings["starts"]`` (each one's working
    folder and exact ``IRIS_*`` variables) and serve the last one on the listening socket
    ``fds[1]``. Writes one JSON line per start on ``fds[0]``: ``{"start": n, "refused":
    message}``, ``{"start": n, "started": true}`` or, for the last one once it serves,
    ``{"start": n, "serving": true}``."""
    import asyncio
    import importlib

    from autograder import submission
    from autograder.suites.support import forget_submission_tables

    report, listener = fds
    folder = Path(settings["folder"])
    starts = settings["starts"]
    sys.path.insert(0, str(folder))

    def said(number: int, **what) -> None:
        line = json.dumps({"start": number, **what}) + "\n"
        with contextlib.suppress(OSError):
            os.write(report, line.encode())

    for number, start in enumerate(starts):
        for name in [name for name in os.environ if name.startswith("IRIS_")]:
            del os.environ[name]
        os.environ.update(start["variables"])
        os.chdir(start["workdir"])
        for name in submission.modules_from(folder):
            sys.modules.pop(name, None)
        forget_submission_tables()
        importlib.invalidate_caches()
        last = number == len(starts) - 1
        try:
            app = getattr(importlib.import_module(settings["module"]), settings["attribute"])
            if not last:
                asyncio.run(_start_and_stop(app))
        except BaseException as error:  # noqa: BLE001 - the app's refusal, whatever it is
            said(number, refused=_refusal(error))
            continue
        if last:
            _serve(app, listener, number, said)
        else:
            said(number, started=True)


def _refusal(error: BaseException) -> str:
    """What a start that raised says: the message of its error or of its ``SystemExit``."""
    if isinstance(error, SystemExit):
        code = error.code
        return "" if isinstance(code, int) or code is None else str(code)[:REPORTED_CHARS]
    return str(error)[:REPORTED_CHARS]


async def _start_and_stop(app) -> None:
    """Run the app's lifespan: its start-up, then its shut-down (an error is raised)."""
    import asyncio

    sent, replies = asyncio.Queue(), asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    running = asyncio.ensure_future(app(scope, sent.get, replies.put))
    for message in ("lifespan.startup", "lifespan.shutdown"):
        await sent.put({"type": message})
        waiting = asyncio.ensure_future(replies.get())
        await asyncio.wait({waiting, running}, return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():
            waiting.cancel()
            error = running.exception()
            if error is not None:
                raise error
            return
        if waiting.result().get("type", "").endswith(".failed"):
            error = running.exception() if running.done() else None
            raise error or RuntimeError(waiting.result().get("message") or "startup failed")
    running.cancel()


def _serve(app, listener: int, number: int, said) -> None:
    """Serve ``app`` (start ``number``) on the listening socket until the process is
    stopped; ``said`` tells whether it serves or why its lifespan refused."""
    import threading
    import time

    import uvicorn

    from autograder.live import prompt_server

    in_lifespan: list[BaseException] = []

    async def watched(scope, receive, send):
        try:
            await app(scope, receive, send)
        except BaseException as error:
            if scope["type"] == "lifespan":
                in_lifespan.append(error)
            raise

    options = {"fd": listener, "lifespan": "on", "log_level": "critical", "access_log": False}
    server = prompt_server(uvicorn.Config(watched, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.005)
    if not server.started:
        said(number, refused=_refusal(in_lifespan[-1]) if in_lifespan else "")
        return
    said(number, serving=True)
    thread.join()
