"""Starting an app several times in one new process of student code, then serving it.

A check about configuration (lab 11: settings read from the environment and ``.env``, a
configuration the app must refuse) starts the app once for each case. Each start in a new
Python would pay the app's imports again (about 1.5 s); :func:`start_in_turn` runs in a
process the grader forks instead (:meth:`autograder.isolation.base.Isolation.spawn`: a
sandbox in secure mode), which imports the app afresh for each start.

Each start, in a child of its own, imports the app; each but the last runs the lifespan's
start-up and shut-down, and the process reports whether the app refused (and with what
message) or started. The last one is served on a Unix socket the
grader listens on: what it answers there is what the checks read. A refusal is the app's to
make, whatever reports it; what no other process can fake is an app that serves over HTTP.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

REPORTED_CHARS = 2_000  # of a refusal's message


def start_in_turn(fds: list[int], settings: dict) -> None:
    """In the new process: make every start of ``settings["starts"]`` (each one's working
    folder and exact ``IRIS_*`` variables) and serve the last one on the listening socket
    ``fds[1]``. Writes one JSON line per start on ``fds[0]``: ``{"start": n, "refused":
    message}``, ``{"start": n, "started": true}`` or, for the last one once it serves,
    ``{"start": n, "serving": true}``.

    This process never imports the student's code: each start runs in a child forked for it,
    which closes the report (and the listening socket, unless it serves) before the import,
    and tells this process how its own start went. So an app's code can speak for its own
    start, knowing only its own settings, never for the others'; and this process is made
    undumpable, so a child cannot open its descriptors through /proc."""
    with contextlib.suppress(Exception):  # Linux only
        from autograder.sandbox.confine import make_undumpable

        make_undumpable()
    report, listener = fds
    starts = settings["starts"]
    for number, start in enumerate(starts):
        last = number == len(starts) - 1
        outcome = _started_in_a_child(settings, start, report, listener, serve=last)
        line = json.dumps({"start": number, **outcome}) + "\n"
        with contextlib.suppress(OSError):
            os.write(report, line.encode())
    if starts:
        os.close(report)
        with contextlib.suppress(ChildProcessError):
            os.wait()  # the served start's child, until the grader stops them both


def _started_in_a_child(
    settings: dict, start: dict, report: int, listener: int, *, serve: bool
) -> dict:
    """Fork a child that makes one start (:func:`_one_start`); what it told: ``refused``
    (with its message), ``started``, or ``serving`` (it now serves; it is not waited for)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            os.close(read_end)
            os.close(report)
            if not serve:
                os.close(listener)
            _one_start(settings, start, write_end, listener if serve else None)
        finally:
            os._exit(0)
    os.close(write_end)
    told = b""
    while b"\n" not in told and len(told) < 1 << 16:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        told += chunk
    os.close(read_end)
    if not serve or b"\n" not in told:
        os.waitpid(pid, 0)
    try:
        outcome = json.loads(told.split(b"\n")[0])
    except (ValueError, RecursionError):
        outcome = None
    if isinstance(outcome, dict) and isinstance(outcome.get("refused"), str):
        return {"refused": outcome["refused"][:REPORTED_CHARS]}
    if isinstance(outcome, dict) and outcome.get("serving" if serve else "started") is True:
        return {"serving": True} if serve else {"started": True}
    return {"refused": "its process ended before the app started"}


def _one_start(settings: dict, start: dict, told: int, listener: int | None) -> None:
    """In a child of :func:`start_in_turn`: import the app with this start's settings and
    run its lifespan's start-up and shut-down, or serve it on ``listener``; write how it
    went as one JSON line on ``told``."""
    import asyncio
    import importlib

    def tell(**what) -> None:
        with contextlib.suppress(OSError):
            os.write(told, (json.dumps(what) + "\n").encode())

    for name in [name for name in os.environ if name.startswith("IRIS_")]:
        del os.environ[name]
    os.environ.update(start["variables"])
    os.chdir(start["workdir"])
    sys.path.insert(0, settings["folder"])
    try:
        app = getattr(importlib.import_module(settings["module"]), settings["attribute"])
        if listener is None:
            asyncio.run(_start_and_stop(app))
    except BaseException as error:  # noqa: BLE001 - the app's refusal, whatever it is
        tell(refused=_refusal(error))
        return
    if listener is None:
        tell(started=True)
    else:
        _serve(app, listener, tell)


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


def _serve(app, listener: int, tell) -> None:
    """Serve ``app`` on the listening socket until the process is stopped; ``tell`` says
    whether it serves or why its lifespan refused."""
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
        tell(refused=_refusal(in_lifespan[-1]) if in_lifespan else "")
        return
    tell(serving=True)
    thread.join()
