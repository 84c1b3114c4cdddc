"""The student's app, imported and served by uvicorn in a sandbox process.

The harness reaches it over a Unix socket in the grading's folder (or on a loopback port of
the network namespace the harness and its sandboxes share, for checks that need a real
socket). What the app logs is replayed in the harness (see :mod:`logbridge`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import threading
import time
from typing import Any

from autograder import processes, stages
from autograder.live import prompt_server
from autograder.sandbox import harness
from autograder.sandbox.harness import write_reply
from autograder.sandbox.logbridge import LogForwarder, replay
from autograder.sandbox.probe import describe
from autograder.sandbox.state import MAX_REPLY_BYTES, SandboxError, policy

SHUTDOWN_SECONDS = 3.0


class SandboxServer:
    """The student's app, imported and served by uvicorn in a sandbox process."""

    def __init__(
        self,
        *,
        port: int | None = None,
        overrides: dict | None = None,
        start_timeout: float | None = None,
    ):
        self.port = port
        self.start_timeout = start_timeout or policy().timeout
        self.overrides = dict(overrides or {})
        self._log_fd: int | None = None
        self._control_fd: int | None = None
        self._log_buffer = b""
        # Inside the grading's folder (the grader removes it), and the harness's own: the
        # harness binds the socket and hands the sandbox the listening descriptor.
        self.socket_dir = harness.socket_folder()
        self.socket_path = self.socket_dir / "app.sock"
        self.pid: int | None = None
        self._reply_fd: int | None = None
        self.http = None  # the harness's HTTP client for this server (made in its event loop)
        self.stopped_answering = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        stages.enter("start-up")
        read_fd, write_fd = os.pipe()
        log_read, log_write = os.pipe()
        control_read, control_write = os.pipe()
        settings = {"port": self.port, "overrides": self.overrides}
        fds = [write_fd, log_write, control_read]
        listener = None
        if self.port is None:
            # Bound here, by root, in a folder only root may change: the sandbox cannot put
            # a link to another socket in its place for the harness to connect to.
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(self.socket_path))
            fds.append(listener.fileno())
        try:
            pid = harness.spawn(_run_server, (settings,), fds)
        finally:
            for fd in (write_fd, log_write, control_read):
                os.close(fd)
            if listener is not None:
                listener.close()
        self.pid, self._reply_fd = pid, read_fd
        self._log_fd, self._control_fd = log_read, control_write
        line = self._read_line(time.monotonic() + self.start_timeout)
        if not line or not line.startswith(b"{"):
            self.stop()
            if line is None:
                reason = (
                    f"the app's start-up (its lifespan, or importing its modules) did not finish "
                    f"within {self.start_timeout:g} s"
                )
                stages.start_up_failed(reason)
                raise SandboxError(reason)
            raise SandboxError("the app's process ended before the app started")
        try:
            document = json.loads(line)
        except (ValueError, RecursionError):
            document = {"error": "the app's process answered something that is not JSON"}
        if not isinstance(document, dict):
            document = {"error": "the app's process answered something that is not a reply"}
        self.sync_logs()
        if "error" in document:
            self.stop()
            raise SandboxError(document["error"])
        stages.enter("checks")

    def accepting(self) -> bool:
        """True while the app takes connections on its port (always, for a socket server:
        its requests find out for themselves). The app's keeper may outlive the app for a
        moment; a refused connection tells at once that the app is gone."""
        if self.port is None:
            return True
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(1.0)
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def restart(self) -> None:
        """Stop what is left of the app and start it again, on a new socket."""
        self.stop()
        self.socket_dir = harness.socket_folder()
        self.socket_path = self.socket_dir / "app.sock"
        self.stopped_answering = False
        self.start()

    def sync_logs(self, timeout: float = 2.0) -> None:
        """Log here every record the sandbox has logged so far (a ping, then read to its pong)."""
        if self._log_fd is None or self._control_fd is None:
            return
        with contextlib.suppress(OSError):
            os.write(self._control_fd, b"p")
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self._log_buffer:
                line, self._log_buffer = self._log_buffer.split(b"\n", 1)
                try:
                    document = json.loads(line)
                except (ValueError, RecursionError):
                    continue
                if not isinstance(document, dict):
                    continue
                if "sync" in document:
                    return
                replay(document)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            ready = processes.readable([self._log_fd], remaining)
            if not ready:
                return
            chunk = os.read(self._log_fd, 65536)
            if not chunk:
                return
            self._log_buffer = (self._log_buffer + chunk)[-MAX_REPLY_BYTES:]

    def _read_line(self, deadline: float) -> bytes | None:
        data = b""
        while b"\n" not in data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready = processes.readable([self._reply_fd], remaining)
            if not ready:
                return None
            chunk = os.read(self._reply_fd, 65536)
            if not chunk:
                break
            data += chunk
        return data.split(b"\n")[0]

    @staticmethod
    def _serve(  # pragma: no cover - runs in the sandbox
        fd: int, log_fd: int, control_fd: int, listener_fd: int | None, settings: dict
    ) -> None:
        import logging

        import uvicorn

        from autograder import submission

        failures: list[str] = []
        folder = policy().folder

        class Remember(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if record.exc_info and record.exc_info[1] is not None:
                    failures.append(describe(record.exc_info[1], folder))

        logging.getLogger("uvicorn.error").addHandler(Remember())
        forwarder = LogForwarder(log_fd)
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)  # the harness's own handlers (pytest's capture)
        root.addHandler(forwarder.handler)

        def answer_pings() -> None:
            count = 0
            while os.read(control_fd, 1):
                count += 1
                forwarder.write({"sync": count})

        threading.Thread(target=answer_pings, daemon=True).start()
        try:
            module = submission.load(policy().folder)
            for name, replacement in settings["overrides"].items():
                app = submission.app_of(module)
                original = submission.find_dependency(app, name)
                if original is None:
                    raise submission.SubmissionError(f"the app has no dependency {name}()")
                app.dependency_overrides[original] = replacement
        except submission.SubmissionError as error:
            write_reply(fd, {"error": f"the submission did not import: {error}"})
            return
        options: dict[str, Any] = {"lifespan": "on", "log_level": "error", "access_log": False}
        if settings["port"] is None:
            options["fd"] = listener_fd  # the socket the harness bound (see start)
        else:
            options.update(host="127.0.0.1", port=settings["port"])
        server = prompt_server(uvicorn.Config(submission.app_of(module), **options))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started and thread.is_alive():
            time.sleep(0.005)
        signal.signal(signal.SIGTERM, lambda *_: server.exit_now())
        if server.started:
            os.write(fd, b'{"ok": true}\n')
        else:
            reason = failures[-1] if failures else "the app's lifespan failed at start-up"
            os.write(
                fd, (json.dumps({"error": f"the app did not start: {reason}"}) + "\n").encode()
            )
            return
        thread.join()

    def stop(self) -> None:
        """Ask the app to shut down (its lifespan's shutdown runs), then make sure it is gone."""
        if self.pid is None:
            return
        stages.enter("shutdown")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        while time.monotonic() < deadline and harness.alive(self.pid):
            time.sleep(0.01)
        if harness.alive(self.pid):
            stages.note(
                f"the app's shutdown (its lifespan after `yield`) did not finish within "
                f"{SHUTDOWN_SECONDS:g} s; it was stopped (no points depend on it)"
            )
        self.sync_logs(timeout=0.5)
        harness.end(self.pid)
        stages.enter("checks")
        for fd in (self._reply_fd, self._log_fd, self._control_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        self.pid = self._reply_fd = self._log_fd = self._control_fd = None
        self.http = None


def _run_server(fds: list[int], settings: dict) -> None:  # pragma: no cover - the sandbox
    """In a sandbox: import the student's app and serve it."""
    try:
        listener = fds[3] if settings["port"] is None else None
        SandboxServer._serve(fds[0], fds[1], fds[2], listener, settings)
    except BaseException as error:  # noqa: BLE001 - report it, never end silently
        message = describe(error, policy().folder)
        write_reply(fds[0], {"error": f"the app could not be served: {message}"})


class KeepServing:
    """Start a served app again when its process ends while checks still use it.

    A route that ends the app's process fails the check that called it; before the next
    check starts (:meth:`ensure_all`, called by the plugin) the app is serving again, on the
    same port.
    """

    active: set[KeepServing] = set()

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.lock = threading.Lock()
        KeepServing.active.add(self)

    def ensure_serving(self) -> None:
        with self.lock:
            pid = self.server.pid
            if pid is not None and not (harness.alive(pid) and self.server.accepting()):
                stages.note(
                    "the app's process ended while serving a check; it was started again "
                    "for the checks after it"
                )
                with contextlib.suppress(SandboxError):
                    self.server.restart()

    @classmethod
    def ensure_all(cls) -> None:
        for keeper in list(cls.active):
            keeper.ensure_serving()

    def stop(self) -> None:
        KeepServing.active.discard(self)
