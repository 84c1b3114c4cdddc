"""The launcher: the one process that forks sandboxes.

It is a *fresh* interpreter, started with an allow-listed environment and an argv of its
own, so a sandbox forked from it carries nothing of the grader's memory: no secret from the
grader's environment, no results path from its command line, no earlier grading. It imports
the engine and the lab's libraries once (sandboxes fork from it warm), never runs student
code itself and never starts a thread, so forking from it is safe.

The grader talks to it over a Unix socket: each request names a function of the engine, its
arguments, the policy of the grading, the environment for the sandbox, and file descriptors
(pipes for the sandbox's answers, the harness's network namespace). For each request it forks
a *keeper*, root, outside the sandbox, which makes the new namespaces and forks the sandbox
as PID 1 there; the keeper's pid goes back to the caller. Killing the keeper kills the
sandbox and, with it, everything the student's code started.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from autograder import processes
from autograder.sandbox import confine
from autograder.sandbox.state import (
    LAUNCHER_ROOT_PREFIX,
    MAX_REPLY_BYTES,
    Policy,
    SandboxError,
    set_policy,
)
from autograder.warm_up import warm_up_fastapi

ROOT = Path(__file__).resolve().parents[2]
NAMESPACES = confine.CLONE_NEWNS | confine.CLONE_NEWPID | confine.CLONE_NEWIPC
NAMESPACES |= confine.CLONE_NEWUTS
MAX_FDS = 8
SUITES_PACKAGE = "autograder.suites."
BOOTSTRAP = "import sys; sys.path.insert(0, sys.argv[1]); from autograder.sandbox.launcher import main; main()"  # noqa: E501


class Launcher:
    """The grader's handle on a launcher process (thread-safe)."""

    def __init__(self, preload: tuple[str, ...] = ()) -> None:
        self.preload = tuple(preload)
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.socket: socket.socket | None = None
        self.requests = 0
        self.owner = os.getpid()  # a forked process uses this launcher but never stops it
        self.start()

    def start(self) -> None:
        self.owner = os.getpid()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        environment = confine.allowed_environment(dict(os.environ))
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            environment.setdefault(name, "1")
        with open(os.devnull, "rb") as null_in, open(os.devnull, "wb") as null_out:
            self.process = subprocess.Popen(
                [sys.executable, "-E", "-s", "-c", BOOTSTRAP, str(ROOT), str(theirs.fileno())],
                env=environment,
                cwd="/",
                stdin=null_in,
                stdout=null_out,
                stderr=null_out,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        theirs.close()
        self.socket = ours
        socket.send_fds(ours, [pickle.dumps({"preload": self.preload})], [])

    def alive(self) -> bool:
        if self.process is None:
            return False
        if self.owner != os.getpid():
            return processes.alive(self.process.pid)
        return self.process.poll() is None

    def ensure_running(self) -> None:
        """Start a new launcher if this one has died (nothing of the old one is reused)."""
        if not self.alive():
            self.close()
            self.start()

    def spawn(
        self, target, arguments: tuple, fds: list[int], current: Policy, environment: dict
    ) -> int:
        """Fork a sandbox running ``target(fds, *arguments)``; return its keeper's pid.

        A launcher that has died is replaced once, and the request sent again.
        """
        with self.lock:
            for attempt in (1, 2):
                try:
                    return self._request(target, arguments, fds, current, environment)
                except (OSError, EOFError, ValueError) as error:
                    if attempt == 2:
                        raise SandboxError(
                            f"the grader's sandbox launcher stopped and could not be restarted "
                            f"({type(error).__name__})"
                        ) from None
                    self.close()
                    self.start()
        raise AssertionError("unreachable")

    def _request(self, target, arguments, fds, current: Policy, environment) -> int:
        self.requests += 1
        number = self.requests
        request = {
            "number": number,
            "policy": current.as_request(),
            "environment": environment,
            "target": target,
            "arguments": arguments,
        }
        # The number travels outside the request: a request the launcher cannot load (a
        # target it cannot import) still gets its own answer, at once.
        envelope = {"number": number, "request": pickle.dumps(request)}
        assert self.socket is not None
        socket.send_fds(self.socket, [pickle.dumps(envelope)], fds)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.socket.settimeout(max(0.1, deadline - time.monotonic()))
            reply = self.socket.recv(256)
            if not reply:
                raise EOFError("the launcher closed its socket")
            answer = pickle.loads(reply)
            if answer.get("number") != number:
                continue  # the answer to a request of a harness that was killed meanwhile
            if "error" in answer:
                raise SandboxError(answer["error"])
            return int(answer["pid"])
        raise OSError("the launcher did not answer")

    def close(self) -> None:
        """Stop the launcher; every sandbox it made dies with it. In a process forked from
        its owner (a harness), only this process's hold on it is dropped."""
        if self.socket is not None:
            with contextlib.suppress(OSError):
                self.socket.close()
            self.socket = None
        if self.process is not None and self.owner == os.getpid():
            with contextlib.suppress(OSError):
                self.process.kill()
            with contextlib.suppress(Exception):
                self.process.wait(timeout=5)
            with contextlib.suppress(OSError):  # killed, it could not remove its own
                root_folder(self.process.pid).rmdir()
            self.process = None


def root_folder(launcher_pid: int) -> Path:
    """The empty folder a launcher's sandboxes mount their new root on."""
    return Path(f"{LAUNCHER_ROOT_PREFIX}{launcher_pid}")


# ---------------------------------------------------------------- inside the launcher


def main() -> None:  # pragma: no cover - runs in the launcher process
    """The launcher's loop: read a request, fork a keeper, answer its pid."""
    confine.die_with_parent()
    confine.make_undumpable()
    os.umask(0o022)
    channel = socket.socket(fileno=int(sys.argv[2]))
    data, _, _, _ = socket.recv_fds(channel, MAX_REPLY_BYTES, 0)
    settings = pickle.loads(data)
    _preload(settings.get("preload", ()))
    read_only = confine.read_only_folders(ROOT)
    new_root = root_folder(os.getpid())
    new_root.mkdir(mode=0o700, exist_ok=True)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # keepers are reaped by the kernel
    try:
        while True:
            data, fds, _, _ = socket.recv_fds(channel, MAX_REPLY_BYTES, MAX_FDS)
            if not data:
                return
            number = None
            try:
                envelope = pickle.loads(data)
                number = envelope["number"]
                request = pickle.loads(envelope["request"])
            except Exception as error:  # noqa: BLE001 - answered, never fatal
                for fd in fds:
                    os.close(fd)
                reason = f"{type(error).__name__}: {error}"[:120]  # an answer fits in 256 bytes
                text = f"the sandbox could not load the grader's request ({reason})"
                channel.send(pickle.dumps({"number": number, "error": text}))
                continue
            pid = processes.fork_with_retries()
            if pid == 0:
                try:
                    channel.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    _keeper(request, fds, read_only, str(new_root))
                finally:
                    os._exit(70)
            for fd in fds:
                os.close(fd)
            channel.send(pickle.dumps({"number": request["number"], "pid": pid}))
    finally:
        with contextlib.suppress(OSError):
            new_root.rmdir()


def _preload(modules) -> None:  # pragma: no cover - runs in the launcher process
    import importlib
    import warnings

    from autograder.sandbox import PRELOAD

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # What every sandbox needs (PRELOAD) comes first, whatever the launcher was asked
        # for: a launcher started by an engine call without a lab's list serves them too.
        for name in ("autograder.sandbox", "autograder.submission", *PRELOAD, *modules):
            with contextlib.suppress(Exception):
                if name.startswith(SUITES_PACKAGE):
                    _import_without_checks(name)
                else:
                    importlib.import_module(name)
        if "fastapi" in sys.modules:
            with contextlib.suppress(Exception):
                warm_up_fastapi()


def _import_without_checks(name: str) -> None:  # pragma: no cover - in the launcher
    """Import a suite for its probes only: its checks (``test_*``) are never defined here.

    Every sandbox is forked from this process, with its memory: a suite imported whole would
    let the student's code read every check, hidden ones included (their code, docstrings,
    hints and points). A forked child reads the source, drops the checks and compiles the
    rest; only that code comes back, so the launcher never holds the checks' text at all.
    """
    import ast
    import importlib.util
    import marshal

    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ImportError(name)
    read_fd, write_fd = os.pipe()
    pid = processes.fork_with_retries()
    if pid == 0:
        try:
            os.close(read_fd)
            tree = ast.parse(Path(spec.origin).read_text(), spec.origin)
            tree.body = [node for node in tree.body if not _is_check(node)]
            code = marshal.dumps(compile(tree, spec.origin, "exec"))
            with os.fdopen(write_fd, "wb") as out:
                out.write(code)
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as answer:
        data = answer.read()
    os.waitpid(pid, 0)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        exec(marshal.loads(data), module.__dict__)  # noqa: S102 - the course's own suite
    except BaseException:
        sys.modules.pop(name, None)
        raise


def _is_check(node) -> bool:  # pragma: no cover - in the launcher's child
    import ast

    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    return isinstance(node, functions) and node.name.startswith("test_")


def _keeper(
    request: dict, fds: list[int], read_only: list[str], new_root: str
) -> None:  # pragma: no cover
    """Root, outside the sandbox: make its namespaces, fork it as PID 1 there, wait for it.

    The last descriptor of the request is the harness's network namespace.
    """
    launcher = os.getppid()
    confine.die_with_parent()
    if os.getppid() != launcher:
        os._exit(0)
    network, fds = fds[-1], fds[:-1]
    confine.unshare(NAMESPACES)
    pid = processes.fork_with_retries()
    if pid == 0:
        try:
            confine.die_with_parent()
            _sandbox(request, fds, network, read_only, new_root)
        finally:
            os._exit(70)
    os.close(network)
    for fd in fds:
        os.close(fd)
    # SIGTERM asks the sandbox to stop (an app server runs its shutdown); it is passed on.
    signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGTERM))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            status = 0
            break
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF if status else 0)


def _sandbox(
    request: dict, fds: list[int], network: int, read_only, new_root
) -> None:  # pragma: no cover
    """PID 1 of the new namespaces: confine this process, then run the request's target."""
    current = Policy.from_request(request["policy"])
    set_policy(current)
    confine.setns(network, confine.CLONE_NEWNET)
    os.close(network)
    with contextlib.suppress(OSError):
        socket.sethostname("sandbox")
    confine.build_view(new_root, read_only, current)
    os.setsid()
    moved = confine.move_descriptors(fds)
    confine.become_student(current, request["environment"])
    request["target"](moved, *request["arguments"])
