"""Serving an app on a real socket for checks that act as an HTTP client, and the uvicorn
server the engine serves apps with (here, and in a sandbox)."""

from __future__ import annotations

import contextlib
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SECONDS = 2.0
# Whether leaving the context on an error waits for the server to stop. A grading child
# turns it off: the check has failed, and the child is killed once its last result is in.
# A block that ends normally always waits: the check may go on to read what the app wrote
# at shutdown (a SQLite file whose log is moved into it when the last connection closes).
WAIT_FOR_STOP = True


# Where :func:`free_port` looks first: below the ports the system hands out on its own.
LOWEST_PORT = 20000
PORT_TRIES = 50


def ephemeral_ports() -> tuple[int, int]:
    """The range the system picks ports from for a socket bound to port 0 and for every
    outgoing connection (Linux's ``ip_local_port_range``; the usual one elsewhere)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as numbers:
            low, high = (int(number) for number in numbers.read().split())
    except (OSError, ValueError):
        return 32768, 60999
    return low, high


# The ports :func:`free_port` handed out in this process: none is handed out twice, since a
# server told to use one may not have bound it yet (lab 12 starts three servers at once,
# each after seconds of prestart work).
_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing uses right now, for a server started later.

    Chosen at random below the system's ephemeral range when there is room: a port from
    that range could be taken, before the server binds it, by any outgoing connection or
    any socket bound to port 0 on the machine (a busy machine grading in parallel makes
    thousands), and the server would fail to start for a reason that is not the
    student's. Another process may still pick the same port before the server binds it:
    a check that starts a server of the student's says so when it could not bind
    (:func:`port_was_taken`) and starts it again on another port."""
    low, _ = ephemeral_ports()
    if low - LOWEST_PORT >= 1000:
        chooser = random.SystemRandom()
        for _ in range(PORT_TRIES):
            port = chooser.randrange(LOWEST_PORT, low)
            if port in _handed_out:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                _handed_out.add(port)
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# How uvicorn (``[Errno 98] Address already in use``) and Gunicorn (``Connection in use``)
# say they could not bind their port.
TAKEN_PORT_WORDS = ("Address already in use", "[Errno 98]", "Connection in use")


def port_was_taken(output: str) -> bool:
    """Whether a server's output says it could not bind its port: another process had it."""
    return any(words in output for words in TAKEN_PORT_WORDS)


def last_error(output: str) -> str:
    """`` (<the last error line>)``: the last line of a traceback, or a line a server logged
    at the ERROR level (uvicorn's ``ERROR:`` or Gunicorn's ``[ERROR]``); else nothing."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if re.match(r"^[\w.]+(Error|Exception|Exit)\b|^ERROR:|^\[[^]]*\] \[\d+\] \[ERROR\]", line):
            return f" ({line[:200]})"
    return ""


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
    except BaseException:
        stop_served(server, thread, sock, wait=WAIT_FOR_STOP)
        raise
    else:
        stop_served(server, thread, sock, wait=True)


def stop_served(server, thread: threading.Thread, sock: socket.socket, *, wait: bool) -> None:
    """Tell the server to exit; with ``wait``, until its lifespan's shutdown has run (forced
    after :data:`STOP_SECONDS` when a request hangs), then close its socket."""
    server.exit_now()
    if wait:
        thread.join(timeout=STOP_SECONDS)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=STOP_SECONDS)
        sock.close()
