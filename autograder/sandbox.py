"""Secure mode: the student's code runs in sandbox processes, never beside the checks.

In secure mode (``grade --secure``, batch grading, Gradescope, GitHub Classroom) the process
that runs pytest and the suite (the *harness*) never imports the submission. Instead:

* ``app`` is a :class:`SandboxedApp`, an ASGI app that starts the student's app in a sandbox
  process (served by uvicorn on a Unix socket) when its lifespan starts, and forwards every
  HTTP request to it. ``TestClient(app)`` works as usual, and the student's lifespan runs in
  the sandbox with the environment the check set up (``MODEL_PATH``...);
* what the student's code logs in the sandbox is sent back and logged again in the harness
  (so ``caplog`` sees it), and :func:`override` replaces one of the student's dependencies
  by name, in either mode;
* :func:`call` runs a *probe*, a function of the suite, in a fresh sandbox where the
  submission's modules can be imported, and returns its result as JSON. A check that needs
  to look at the student's Python objects (a client function, a training script, a route's
  endpoint) asks a probe for plain data and makes its decision in the harness.

Nothing but JSON and HTTP comes back from a sandbox, so monkeypatching pytest, the grader or
the report inside the student's code changes nothing the harness decides. A sandbox process
closes every inherited file descriptor, runs in a new session with limits on memory, file
size and process count (a fork bomb hits the limit), and, when the grader runs as root, as an
unprivileged user in a network namespace with only the loopback interface.

Outside secure mode the same calls run in-process (``call`` still round-trips through
JSON), so a suite behaves the same in both modes.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import pickle
import resource
import select
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SANDBOX_UID_BASE = 61000  # unprivileged user ids (no account needed) for student code
SANDBOX_UID_SPAN = 20000
MAX_REPLY_BYTES = 4 << 20
START_TIMEOUT = 30.0
CLONE_NEWNET = 0x40000000
COPY_PREFIX = "autograder-sandbox-"
# What serving an app in a sandbox imports: the warm grader imports it once, before forking.
PRELOAD = (
    "httpx",
    "uvicorn.config",
    "uvicorn.server",
    "uvicorn.lifespan.on",
    "uvicorn.loops.auto",
    "uvicorn.loops.asyncio",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.websockets.auto",
)
HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade"}


class SandboxError(AssertionError):
    """The student's code failed in the sandbox; the message says how (shown to the student)."""


@dataclass
class Policy:
    """Where and how student code runs in secure mode."""

    folder: Path  # a private copy of the submission
    uid: int | None = None  # drop to this user (only when the grader is root)
    memory_mb: int = 2048
    max_processes: int = 160  # threads count too: a server has a thread pool
    max_file_mb: int = 64
    timeout: float = 20.0
    work_dirs: list[Path] = field(default_factory=list)


_policy: Policy | None = None


def enabled() -> bool:
    """True in secure mode (set by the grader in the harness process)."""
    return _policy is not None


def policy() -> Policy:
    if _policy is None:
        raise RuntimeError("secure mode is not enabled")
    return _policy


# ------------------------------------------------------------------ setting up the harness


def private_copy(submission: Path, uid: int | None) -> Path:
    """Copy the submission where only the sandbox user can write: the original is untouched."""
    base = Path(tempfile.mkdtemp(prefix=f"{COPY_PREFIX}{os.getpid()}-"))
    base.chmod(0o755)
    folder = base / "submission"
    shutil.copytree(
        submission,
        folder,
        symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__", ".venv", ".git", "node_modules"),
    )
    if uid is not None:
        for path in [folder, *folder.rglob("*")]:
            with contextlib.suppress(OSError):
                os.lchown(path, uid, uid)
    return folder


def _bring_loopback_up() -> None:
    """``ip link set lo up`` without the ip tool: SIOCSIFFLAGS with IFF_UP | IFF_RUNNING."""
    siocgifflags, siocsifflags, iff_up, iff_running = 0x8913, 0x8914, 0x1, 0x40
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"\0" * 14)
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, siocgifflags, request))[1]
        request = struct.pack("16sH14s", b"lo", flags | iff_up | iff_running, b"\0" * 14)
        fcntl.ioctl(sock, siocsifflags, request)


def isolate_network() -> bool:
    """Give this process (and its children) a network namespace with only loopback."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        return False
    with contextlib.suppress(OSError):
        _bring_loopback_up()
    return True


def die_with_parent() -> None:
    """Be killed when the process that forked this one dies (Linux), so that a grader
    killed with ``kill -9`` leaves no harness, launcher or app server behind."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent or parent == 1:
        os._exit(0)  # the parent died before the signal was armed


def make_undumpable() -> None:
    """Stop processes of the same user from reading this one's memory or file descriptors."""
    if sys.platform.startswith("linux"):
        pr_set_dumpable = 4
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_dumpable, 0, 0, 0, 0)


def sandbox_uid_for(harness_pid: int) -> int:
    """The user id the sandboxes of one grading run as: unique among running gradings."""
    return SANDBOX_UID_BASE + harness_pid % SANDBOX_UID_SPAN


def python_is_readable_by_others() -> bool:
    """Whether an unprivileged user could import this interpreter's standard library."""
    for path in {Path(os.__file__).resolve().parent, Path(sys.executable).resolve().parent}:
        for item in [path, *path.parents]:
            if item.stat().st_mode & 0o005 != 0o005:
                return False
    return True


def live_processes_of(uid: int) -> list[int]:
    """Pids of this user's processes that are not yet dead (a zombie is dead)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if entry.stat().st_uid == uid:
                    state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":
                        pids.append(int(entry.name))
    return pids


def kill_user(uid: int, *, wait: float = 5.0) -> None:
    """Kill every process of a sandbox user (what escaped its process group: a fork bomb),
    and wait until none is left alive."""
    if os.geteuid() != 0:
        return
    deadline = time.monotonic() + wait
    while True:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the reaper
            try:
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)  # as that user, -1 means "all my processes"
            finally:
                os._exit(0)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        if not live_processes_of(uid) or time.monotonic() > deadline:
            return
        time.sleep(0.02)


def enable(submission: Path, *, memory_mb: int = 2048, timeout: float = 20.0) -> Path:
    """Turn on secure mode in this (harness) process; returns the sandbox's copy of the work.

    As root, student code runs as :func:`sandbox_uid_for` this process, provided that user
    can read the Python installation; otherwise it runs as the grader's own user.
    """
    global _policy
    root = os.geteuid() == 0
    uid = sandbox_uid_for(os.getpid()) if root and python_is_readable_by_others() else None
    folder = private_copy(submission, uid)
    isolate_network()
    make_undumpable()
    share_pytest_temporary_folders()
    _policy = Policy(folder=folder, uid=uid, memory_mb=memory_mb, timeout=timeout)
    global _zygote_instance
    _zygote_instance = _Zygote()  # now, while this process has a single thread
    return folder


def share_pytest_temporary_folders() -> None:
    """Make the folders pytest's ``tmp_path`` gives the checks readable by the sandbox user.

    Checks write files there for the app to read (a model, a settings file); pytest makes
    them private to the harness's user. Files stay writable by the harness only.
    """
    os.umask(0o022)
    from _pytest.tmpdir import TempPathFactory

    if getattr(TempPathFactory, "_shared_with_sandbox", False):
        return
    make_temporary, base_temporary = TempPathFactory.mktemp, TempPathFactory.getbasetemp

    def mktemp(self, basename: str, numbered: bool = True) -> Path:
        return share_with_sandbox(make_temporary(self, basename, numbered))

    def getbasetemp(self) -> Path:
        return share_with_sandbox(base_temporary(self))

    TempPathFactory.mktemp, TempPathFactory.getbasetemp = mktemp, getbasetemp
    TempPathFactory._shared_with_sandbox = True


def harness_temporary_folder() -> Path:
    """Where the harness's pytest keeps ``tmp_path`` folders in secure mode.

    Not pytest's default ``/tmp/pytest-of-<user>``: every pytest session that starts makes
    that folder private again, which would lock the sandbox user out halfway through.
    """
    return policy().folder.parent / "pytest"


def import_problem(timeout: float) -> str | None:
    """Import the submission in a sandbox: why it does not import, or None when it does."""
    try:
        return call(_import_probe, timeout=timeout)
    except SandboxError as error:
        text = str(error)
        if "did not finish" in text:
            return (
                f"importing main.py did not finish within {timeout:g} s "
                "(an endless loop or a long computation at import time?)"
            )
        if "ended its process" in text:
            return "main.py ended the grading process while being imported (sys.exit? a crash?)"
        return f"main.py: {text}"


def _import_probe() -> str | None:
    from autograder import submission

    try:
        submission.load(policy().folder)
    except submission.SubmissionError as error:
        return str(error)
    return None


def clean_up_after(harness_pid: int) -> None:
    """In the grader, once a harness has ended: kill its sandboxes' leftovers, drop its files.

    A harness keeps everything it makes in folders named after its pid (its copy of the
    submission, the sockets of the apps it serves): removing them removes all of it.
    """
    if os.geteuid() == 0:
        kill_user(sandbox_uid_for(harness_pid))
    for path in Path(tempfile.gettempdir()).glob(f"{COPY_PREFIX}{harness_pid}-*"):
        shutil.rmtree(path, ignore_errors=True)


def clean_up_stale() -> None:
    """Drop the folders of harnesses that no longer run (a grader killed with ``kill -9``)."""
    for path in Path(tempfile.gettempdir()).glob(f"{COPY_PREFIX}*"):
        pid = path.name.removeprefix(COPY_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def share_with_sandbox(path: Path) -> Path:
    """Let the sandbox user read a file or folder the harness made (and its parents)."""
    path = Path(path)
    for item in [path, *path.parents]:
        if str(item) in ("/", tempfile.gettempdir()):
            break
        with contextlib.suppress(OSError):
            mode = item.stat().st_mode
            extra = 0o055 if item.is_dir() else 0o044
            item.chmod(mode | extra)
    if path.is_dir():
        for item in path.rglob("*"):
            with contextlib.suppress(OSError):
                item.chmod(item.stat().st_mode | (0o055 if item.is_dir() else 0o044))
    return path


# ------------------------------------------------------------------ inside a sandbox process


def _enter(reply_fd: int, environment: dict[str, str] | None, *extra_fds: int) -> int:
    """In a freshly forked child: shed everything of the harness, then become the sandbox.

    Returns the file descriptor to reply on (moved to 3); ``extra_fds`` move to 4, 5...
    Every other inherited descriptor (the harness's pipe to the grader among them) is closed.
    """
    current = policy()
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(null, stream)
    # First out of the way of 3, 4, 5..., so that no move overwrites a descriptor still to move.
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in (reply_fd, *extra_fds)]
    for target, fd in enumerate(moved, start=3):
        os.dup2(fd, target)
    os.closerange(3 + len(moved), resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    megabyte = 1024 * 1024
    limits = {
        resource.RLIMIT_FSIZE: current.max_file_mb * megabyte,
        resource.RLIMIT_CORE: 0,
    }
    limits[resource.RLIMIT_NPROC] = current.max_processes + (
        0 if current.uid is not None else _processes_of(os.getuid())
    )
    for limit, value in limits.items():
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(limit, (value, value))
    with contextlib.suppress(ValueError, OSError):
        base = _address_space()
        cap = base + current.memory_mb * megabyte
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if current.uid is not None:
        os.setgroups([])
        os.setgid(current.uid)
        os.setuid(current.uid)
    die_with_parent()  # armed after setuid, which clears it
    os.environ.clear()
    os.environ.update(environment or {})
    os.environ["HOME"] = str(current.folder)
    os.chdir(current.folder)
    sys.path.insert(0, str(current.folder))
    return 3


def _processes_of(uid: int) -> int:
    """How many processes (threads count too) this user has now, to set a limit above it."""
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(entry / "task"))
    return count


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _reply(fd: int, document: dict) -> None:
    data = json.dumps(document, default=str).encode()[: MAX_REPLY_BYTES - 1] + b"\n"
    with contextlib.suppress(OSError):
        while data:
            data = data[os.write(fd, data) :]


def _describe(error: BaseException) -> str:
    from autograder.submission import where_in_submission

    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    message = f"{type(error).__name__}{': ' + text if text else ''}"
    where = where_in_submission(error.__traceback__, policy().folder)
    return f"{message} (raised at {where})" if where else message


def _read_reply(fd: int, deadline: float) -> bytes | None:
    """The sandbox's one-line reply (b"" if it ended without one); None past the deadline.

    It stops at the first newline, not at the end of the pipe: processes the student's code
    started may hold the pipe open long after the reply.
    """
    data = b""
    while b"\n" not in data and len(data) < MAX_REPLY_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return data.split(b"\n")[0]
        data += chunk
    return data.split(b"\n")[0]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _end(pid: int) -> None:
    """Kill a sandbox and its whole process group (the zygote reaps it)."""
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)


# ------------------------------------------------------------------ the zygote


class _Zygote:
    """A process forked from the harness while it is still single-threaded, that forks
    every sandbox on request.

    The harness runs the app's requests in a TestClient's event-loop thread; forking there
    would copy locks other threads hold, and the child could hang on them. The zygote never
    starts a thread and never runs student code: it receives a function of the engine, its
    arguments and the pipes for the sandbox (over a Unix socket), forks, and answers the pid.
    """

    def __init__(self) -> None:
        parent_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the zygote
            try:
                parent_end.close()
                self._serve_requests(zygote_end)
            finally:
                os._exit(0)
        zygote_end.close()
        self.pid, self.socket, self.lock = pid, parent_end, threading.Lock()

    def spawn(self, target, arguments: tuple, fds: list[int]) -> int:
        """Fork a sandbox running ``target(fds, *arguments)``; return its pid."""
        data = pickle.dumps((target, arguments))
        with self.lock:
            socket.send_fds(self.socket, [data], fds)
            reply = self.socket.recv(64)
        if not reply:
            raise SandboxError("the grader's sandbox launcher has stopped")
        return int(reply)

    @staticmethod
    def _serve_requests(channel: socket.socket) -> None:  # pragma: no cover - the zygote
        die_with_parent()
        keep = channel.fileno()
        for fd in range(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0]):
            if fd != keep:
                with contextlib.suppress(OSError):
                    os.close(fd)
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # sandboxes are reaped automatically
        if sys.platform.startswith("linux"):
            # Orphans of a sandbox (a fork bomb's children) come back here and are reaped too.
            pr_set_child_subreaper = 36
            with contextlib.suppress(OSError, AttributeError):
                ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)
        while True:
            data, fds, _, _ = socket.recv_fds(channel, MAX_REPLY_BYTES, 8)
            if not data:
                return
            target, arguments = pickle.loads(data)
            pid = os.fork()
            if pid == 0:
                try:
                    channel.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    target(fds, *arguments)
                finally:
                    os._exit(0)
            for fd in fds:
                os.close(fd)
            channel.send(str(pid).encode())


_zygote_instance: _Zygote | None = None


def _zygote() -> _Zygote:
    if _zygote_instance is None:
        raise RuntimeError("secure mode is not enabled")
    return _zygote_instance


# ------------------------------------------------------------------ probes


def _json_round_trip(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def call(probe, *args, timeout: float | None = None, **kwargs) -> Any:
    """Run ``probe(*args, **kwargs)`` where the student's modules can be imported.

    ``probe`` is a module-level function of the suite; its result must be JSON data. In
    secure mode it runs in a fresh sandbox process and an exception there becomes a
    :class:`SandboxError` with a short message; otherwise it runs here.
    """
    if not enabled():
        try:
            return _json_round_trip(probe(*args, **kwargs))
        except SandboxError:
            raise
        except Exception as error:
            raise SandboxError(_describe_local(error)) from error
    current = policy()
    read_fd, write_fd = os.pipe()
    try:
        pid = _zygote().spawn(_run_probe, (probe, args, kwargs, dict(os.environ)), [write_fd])
    finally:
        os.close(write_fd)
    try:
        reply = _read_reply(read_fd, time.monotonic() + (timeout or current.timeout))
    finally:
        os.close(read_fd)
        _end(pid)
    if reply is None:
        raise SandboxError(
            f"the student's code did not finish within {timeout or current.timeout:g} s"
        )
    if not reply:
        raise SandboxError("the student's code ended its process before answering")
    try:
        document = json.loads(reply)
    except ValueError:
        raise SandboxError("the sandbox answered something that is not JSON") from None
    if "error" in document:
        raise SandboxError(str(document["error"]))
    return document.get("ok")


def _run_probe(fds: list[int], probe, args, kwargs, environment) -> None:  # pragma: no cover
    """In a sandbox made by the zygote: run the probe and reply with its JSON result."""
    fd = _enter(fds[0], environment)
    try:
        _reply(fd, {"ok": probe(*args, **kwargs)})
    except BaseException as error:  # noqa: BLE001 - anything the student raises
        _reply(fd, {"error": _describe(error)})


def _describe_local(error: BaseException) -> str:
    from autograder.submission import where_in_submission

    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    message = f"{type(error).__name__}{': ' + text if text else ''}"
    where = None
    with contextlib.suppress(Exception):
        where = where_in_submission(error.__traceback__, Path.cwd())
    return f"{message} (raised at {where})" if where else message


# ------------------------------------------------------------------ overrides


def override(app, dependency: str, replacement) -> None:
    """Replace the student's dependency ``main.<dependency>`` with ``replacement``.

    ``replacement`` is a module-level function of the suite. With the real app it goes into
    ``app.dependency_overrides`` here; with a :class:`SandboxedApp` it is applied in the
    sandbox when the app starts. Raises :class:`SandboxError` if there is no such function.
    """
    if isinstance(app, SandboxedApp):
        app.overrides[dependency] = replacement
        return
    module = sys.modules.get("main")
    original = getattr(module, dependency, None)
    if original is None:
        raise SandboxError(f"main.py has no function {dependency}() to override")
    app.dependency_overrides[original] = replacement


def clear_overrides(app) -> None:
    """Undo :func:`override`."""
    if isinstance(app, SandboxedApp):
        app.overrides.clear()
    else:
        app.dependency_overrides.clear()


# ------------------------------------------------------------------ logs


class RemoteError(Exception):
    """Stands for an exception logged in the sandbox; its text is the formatted traceback."""


_STANDARD_ATTRIBUTES = set(vars(__import__("logging").makeLogRecord({})))


class _LogForwarder:
    """In the sandbox: a logging handler writing each record as one JSON line on a pipe."""

    def __init__(self, fd: int) -> None:
        import logging

        self.fd = fd
        self.lock = threading.Lock()
        forwarder = self

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                forwarder.send(record)

        self.handler = Handler(level=0)

    def send(self, record) -> None:
        import logging

        document = {
            "name": record.name,
            "levelno": record.levelno,
            "levelname": record.levelname,
            "msg": record.getMessage(),
            "pathname": record.pathname,
            "lineno": record.lineno,
            "funcName": record.funcName,
            "created": record.created,
        }
        if record.exc_info and record.exc_info[1] is not None:
            document["exc_text"] = logging.Formatter().formatException(record.exc_info)
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES}
        document["extra"] = json.loads(json.dumps(extra, default=str))
        self.write(document)

    def write(self, document: dict) -> None:
        line = (json.dumps(document, default=str) + "\n").encode()
        with self.lock, contextlib.suppress(OSError):
            while line:
                line = line[os.write(self.fd, line) :]


def _replay(document: dict) -> None:
    """In the harness: log a record that came from the sandbox, as if it had been logged here."""
    import logging

    fields = {key: document[key] for key in document if key not in ("extra", "exc_text")}
    fields.update(document.get("extra", {}))
    fields["args"] = None
    if "exc_text" in document:
        fields["exc_info"] = (RemoteError, RemoteError(document["exc_text"]), None)
        fields["exc_text"] = document["exc_text"]
    record = logging.makeLogRecord(fields)
    logging.getLogger(record.name).handle(record)


# ------------------------------------------------------------------ the app server


class SandboxServer:
    """The student's app, imported and served by uvicorn in a sandbox process."""

    def __init__(
        self,
        *,
        port: int | None = None,
        environment: dict[str, str] | None = None,
        overrides: dict | None = None,
    ):
        self.port = port
        self.environment = dict(os.environ if environment is None else environment)
        self.overrides = dict(overrides or {})
        self._log_fd: int | None = None
        self._control_fd: int | None = None
        self._log_buffer = b""
        # Named after the harness, so the grader removes it even if the harness is killed.
        self.socket_dir = Path(tempfile.mkdtemp(prefix=f"{COPY_PREFIX}{os.getpid()}-app-"))
        self.socket_path = self.socket_dir / "app.sock"
        self.pid: int | None = None
        self._reply_fd: int | None = None
        self.http = None  # the harness's HTTP client for this server (made in its event loop)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        current = policy()
        if current.uid is not None:
            os.chown(self.socket_dir, current.uid, current.uid)
        read_fd, write_fd = os.pipe()
        log_read, log_write = os.pipe()
        control_read, control_write = os.pipe()
        settings = {
            "port": self.port,
            "socket_path": str(self.socket_path),
            "overrides": self.overrides,
            "environment": self.environment,
        }
        try:
            pid = _zygote().spawn(_run_server, (settings,), [write_fd, log_write, control_read])
        finally:
            for fd in (write_fd, log_write, control_read):
                os.close(fd)
        self.pid, self._reply_fd = pid, read_fd
        self._log_fd, self._control_fd = log_read, control_write
        line = self._read_line(time.monotonic() + START_TIMEOUT)
        if not line or not line.startswith(b"{"):
            self.stop()
            if line is None:
                raise SandboxError("the app did not start within the time limit")
            raise SandboxError("the app's process ended before the app started")
        document = json.loads(line)
        self.sync_logs()
        if "error" in document:
            self.stop()
            raise SandboxError(document["error"])

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
                except ValueError:
                    continue
                if "sync" in document:
                    return
                _replay(document)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            ready, _, _ = select.select([self._log_fd], [], [], remaining)
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
            ready, _, _ = select.select([self._reply_fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self._reply_fd, 65536)
            if not chunk:
                break
            data += chunk
        return data.split(b"\n")[0]

    @staticmethod
    def _serve(fd: int, log_fd: int, control_fd: int, settings: dict) -> None:  # pragma: no cover
        import logging

        import uvicorn

        from autograder import submission

        failures: list[str] = []

        class Remember(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if record.exc_info and record.exc_info[1] is not None:
                    failures.append(_describe(record.exc_info[1]))

        logging.getLogger("uvicorn.error").addHandler(Remember())
        forwarder = _LogForwarder(log_fd)
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
                original = getattr(module, name, None)
                if original is None:
                    raise submission.SubmissionError(f"main.py has no function {name}()")
                module.app.dependency_overrides[original] = replacement
        except submission.SubmissionError as error:
            _reply(fd, {"error": f"the submission did not import: {error}"})
            return
        options: dict[str, Any] = {"lifespan": "on", "log_level": "error", "access_log": False}
        if settings["port"] is None:
            options["uds"] = settings["socket_path"]
        else:
            options.update(host="127.0.0.1", port=settings["port"])
        server = uvicorn.Server(uvicorn.Config(module.app, **options))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started and thread.is_alive():
            time.sleep(0.005)
        signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
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
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(self.pid):
            time.sleep(0.01)
        self.sync_logs(timeout=0.5)
        _end(self.pid)
        for fd in (self._reply_fd, self._log_fd, self._control_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        self.pid = self._reply_fd = self._log_fd = self._control_fd = None
        self.http = None


def _run_server(fds: list[int], settings: dict) -> None:  # pragma: no cover - the sandbox
    """In a sandbox made by the zygote: import the student's app and serve it."""
    fd = _enter(fds[0], settings["environment"], fds[1], fds[2])
    try:
        SandboxServer._serve(fd, 4, 5, settings)
    except BaseException as error:  # noqa: BLE001 - report it, never end silently
        _reply(fd, {"error": f"the app could not be served: {_describe(error)}"})


class SandboxedApp:
    """An ASGI app that stands for the student's app in secure mode.

    Each lifespan (each ``with TestClient(app)``) starts its own :class:`SandboxServer`, so
    the student's lifespan runs there with this process's environment at that moment, and
    two clients open at once (one with a model, one without) each talk to their own app.
    The server is kept in the lifespan's ``state``, which Starlette hands to every request
    of that client; each request is forwarded over that server's Unix socket.
    """

    STATE_KEY = "autograder.sandbox.server"

    def __init__(self) -> None:
        self.overrides: dict = {}
        self._without_lifespan: SandboxServer | None = None  # a client used without `with`

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
        elif scope["type"] == "http":
            await self._forward(scope, receive, send)
        else:
            raise RuntimeError(f"secure mode cannot forward {scope['type']!r} connections yet")

    async def _lifespan(self, scope, receive, send) -> None:
        server = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                server = SandboxServer(overrides=self.overrides)
                try:
                    server.start()
                except SandboxError as error:
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    raise
                scope.setdefault("state", {})[self.STATE_KEY] = server
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if server is not None:
                    server.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _server_for(self, scope) -> SandboxServer:
        server = (scope.get("state") or {}).get(self.STATE_KEY)
        if server is not None and server.pid is not None:
            return server
        if self._without_lifespan is None or self._without_lifespan.pid is None:
            self._without_lifespan = SandboxServer(overrides=self.overrides)
            self._without_lifespan.start()
        return self._without_lifespan

    async def _forward(self, scope, receive, send) -> None:
        import httpx

        server = self._server_for(scope)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope.get("raw_path") or scope["path"].encode()
        url = path.decode("latin-1")
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")
        if server.http is None:
            transport = httpx.AsyncHTTPTransport(uds=str(server.socket_path))
            timeout = httpx.Timeout(policy().timeout + 5)
            server.http = httpx.AsyncClient(transport=transport, timeout=timeout)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]
        try:
            request = server.http.build_request(
                scope["method"], "http://sandbox" + url, headers=headers, content=body
            )
            response = await server.http.send(request, stream=True)
            content = b"".join([chunk async for chunk in response.aiter_raw()])
            await response.aclose()
        except httpx.HTTPError as error:
            server.http = None
            raise SandboxError(f"the app stopped answering ({type(error).__name__})") from None
        server.sync_logs()
        response_headers = [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": response_headers,
            }
        )
        await send({"type": "http.response.body", "body": content})

    def __getattr__(self, name: str):
        raise AttributeError(
            f"in secure mode the app runs in a sandbox: `app.{name}` is not available here; "
            "use a probe (autograder.sandbox.call) to look inside the student's code"
        )
