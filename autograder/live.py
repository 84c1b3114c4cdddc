"""Serving an app on a real socket for checks that act as an HTTP client, and the uvicorn
server the engine serves apps with (here, and in a sandbox)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SECONDS = 2.0
# Whether leaving the context waits for the server to stop.
# A grading child turns it off: it is killed as soon as its last result is in.
WAIT_FOR_STOP = True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prompt_server(config):
    """A uvicorn ``Server`` that stops as soon as it is told to (:meth:`exit_now`).

    A plain uvicorn ``Server`` looks at ``should_exit`` ten times a second, then pauses
    0.1 s after asking its connections to close and polls them every 0.1 s: an app stopped
    at the end of a check waited 0.15 s on average for nothing (a secure grading of lab 04
    starts and stops 17 apps). This one's main loop also wakes when told to exit, and its
    shutdown, in uvicorn's order, polls the connections every 5 ms.
    """
    import asyncio

    import uvicorn

    class PromptServer(uvicorn.Server):
        loop: asyncio.AbstractEventLoop | None = None
        wake: asyncio.Event | None = None

        async def main_loop(self) -> None:
            self.wake, self.loop = asyncio.Event(), asyncio.get_running_loop()
            counter = 0
            while not await self.on_tick(counter):
                counter = (counter + 1) % 864000
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), 0.1)

        async def shutdown(self, sockets=None) -> None:
            for server in self.servers:
                server.close()
            for sock in sockets or []:
                sock.close()
            state = self.server_state
            for connection in list(state.connections):
                connection.shutdown()
            grace = self.config.timeout_graceful_shutdown
            deadline = None if grace is None else time.monotonic() + grace
            while (state.connections or state.tasks) and not self.force_exit:
                if deadline is not None and time.monotonic() >= deadline:
                    for task in state.tasks:
                        task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
                    break
                await asyncio.sleep(0.005)
            for server in self.servers:
                await server.wait_closed()
            if not self.force_exit:
                await self.lifespan.shutdown()

        def exit_now(self) -> None:
            self.should_exit = True
            if self.loop is not None and self.wake is not None:
                with contextlib.suppress(RuntimeError):  # the loop has already ended
                    self.loop.call_soon_threadsafe(self.wake.set)

    return PromptServer(config)


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
    server = prompt_server(config)
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
        server.exit_now()
        if WAIT_FOR_STOP:
            thread.join(timeout=STOP_SECONDS)
            if thread.is_alive():
                server.force_exit = True
                thread.join(timeout=STOP_SECONDS)
            sock.close()
