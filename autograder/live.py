"""Serving an app on a real socket for checks that act as an HTTP client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SECONDS = 2.0
# Whether leaving the context waits for the server to stop (uvicorn takes 0.2 s at least).
# A grading child turns it off: it is killed as soon as its last result is in.
WAIT_FOR_STOP = True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_in_thread(app, *, start_timeout: float = 10.0) -> Iterator[str]:
    """Run ``app`` with uvicorn in a background thread; yield ``http://127.0.0.1:PORT``.

    The listening socket is bound here, before the server starts, so no other process can
    take the port in between. Stopping never waits long for a request that hangs: the
    server is told to exit, then forced to.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + start_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the app did not start serving (its lifespan failed)")
            if time.monotonic() > deadline:
                from autograder import stages

                reason = (
                    f"the app's start-up (its lifespan) did not finish within {start_timeout:g} s"
                )
                stages.start_up_failed(reason)
                raise RuntimeError(reason)
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        if WAIT_FOR_STOP:
            thread.join(timeout=STOP_SECONDS)
            if thread.is_alive():
                server.force_exit = True
                thread.join(timeout=STOP_SECONDS)
            sock.close()
