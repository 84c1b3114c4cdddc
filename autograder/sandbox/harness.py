"""Secure mode seen from the harness (the process that runs the checks) and the grader.

The grader calls :func:`prepare` once: it refuses, with a reason, on a machine where the
student's code cannot really run as another user, and starts the launcher. Each harness
calls :func:`enable` once, before the checks run: it copies the submission into a folder
of the grading's own, gives the harness a network namespace with only loopback (the
sandboxes join it), and from then on :func:`spawn` forks sandboxes through the launcher.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

from autograder import processes, stages
from autograder.sandbox import confine, syscall_filter, watchdog, workspace
from autograder.sandbox.launcher import Launcher
from autograder.sandbox.state import (
    MAX_REPLY_BYTES,
    SANDBOX_UID_BASE,
    SANDBOX_UID_SPAN,
    Policy,
    SandboxError,
    SecureModeUnavailable,
    policy,
    sandbox_uid_for,
    set_policy,
)


def self_test_uid() -> int:
    """The user of this grader's self-test sandbox: one per grader process, above every
    harness's user (two graders starting at once each test, and clean up, their own)."""
    return SANDBOX_UID_BASE + SANDBOX_UID_SPAN + os.getpid() % SANDBOX_UID_SPAN


HOW_TO_FIX = (
    "secure mode runs each student's code as another user, in namespaces of its own, which "
    "needs root on Linux: run the grader as root (sudo, or a container's root user)"
)

# What pytest puts in the environment for itself (the running check's name, its version).
PYTEST_OWN = "PYTEST_"

_launcher: Launcher | None = None
_network_fd: int | None = None
_grader_environment: dict[str, str] = {}
_notes: list[str] = []
_checked: str | None = None  # "" when secure mode works here, else why not


def unavailable_reason() -> str | None:
    """Why secure mode cannot run here (one line), or None when it can. Tested once."""
    global _checked
    if _checked is None:
        _checked = _find_reason() or ""
    return _checked or None


def _find_reason() -> str | None:
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return f"secure mode needs Linux (this is {sys.platform}); {HOW_TO_FIX}"
    if platform.machine() not in syscall_filter.ARCHITECTURES:
        known = ", ".join(syscall_filter.ARCHITECTURES)
        return f"secure mode runs on {known}, not on {platform.machine()}; {HOW_TO_FIX}"
    if os.geteuid() != 0:
        return f"secure mode needs root (the grader runs as user {os.geteuid()}); {HOW_TO_FIX}"
    try:
        answer = _self_test()
    except (OSError, SandboxError) as error:
        return f"the sandbox could not be made here ({error}); {HOW_TO_FIX}"
    held = answer.get("pid") == 1 and not answer.get("course") and not answer.get("namespace")
    if answer.get("uid") in (None, 0) or not held:
        return f"the sandbox did not hold in its self-test ({answer}); {HOW_TO_FIX}"
    return None


def _self_test_probe(course: str) -> dict:  # pragma: no cover - runs in a sandbox
    return {
        "uid": os.getuid(),
        "pid": os.getpid(),
        "course": os.path.exists(course),
        "namespace": confine.may_unshare(confine.CLONE_NEWUSER | confine.CLONE_NEWNS),
    }


def _self_test() -> dict:
    base = workspace.new_grading_folder(os.getpid())
    try:
        folder = base / "submission"
        folder.mkdir()
        current = Policy(base=base, folder=folder, uid=self_test_uid(), timeout=30)
        course = str(Path(__file__).resolve().parents[1])
        read_fd, write_fd = os.pipe()
        network = os.open("/proc/self/ns/net", os.O_RDONLY)
        tester = Launcher()  # its own, closed at once: nothing is left running by a test
        try:
            environment = confine.allowed_environment(dict(os.environ))
            fds = [write_fd, network]
            pid = tester.spawn(_run_self_test, (course,), fds, current, environment)
            os.close(write_fd)
            reply = read_reply(read_fd, time.monotonic() + 60)
            end(pid)
        finally:
            with contextlib.suppress(OSError):
                os.close(write_fd)
            os.close(network)
            os.close(read_fd)
            tester.close()
        if not reply:
            raise SandboxError("the self-test sandbox ended without answering")
        return json.loads(reply)
    finally:
        workspace.kill_user(self_test_uid())
        shutil.rmtree(base, ignore_errors=True)


def _run_self_test(fds: list[int], course: str) -> None:  # pragma: no cover - in a sandbox
    write_reply(fds[0], _self_test_probe(course))


def prepare(preload: tuple[str, ...] = ()) -> None:
    """In the grader: refuse unless secure mode really works here; start the launcher."""
    global _launcher
    if _launcher is not None and _launcher.owner != os.getpid():
        # A forked grader (a batch worker) gets a launcher of its own: two processes must
        # never share one, their requests and answers would cross.
        preload = preload or _launcher.preload
        _launcher.close()
        _launcher = None
    if _launcher is None:
        if not sys.platform.startswith("linux") or os.geteuid() != 0:
            raise SecureModeUnavailable(unavailable_reason() or HOW_TO_FIX)
        _launcher = Launcher(preload)
    reason = unavailable_reason()
    if reason:
        raise SecureModeUnavailable(reason)
    _launcher.ensure_running()


def launcher() -> Launcher:
    global _launcher
    if _launcher is None:
        _launcher = Launcher()
    return _launcher


def shut_down() -> None:
    """Stop the launcher (every sandbox dies with it)."""
    global _launcher
    if _launcher is not None:
        _launcher.close()
        _launcher = None


def enable(submission: Path, *, memory_mb: int = 2048, timeout: float = 20.0) -> Path:
    """In the harness: turn on secure mode; returns the sandbox's copy of the work."""
    global _network_fd, _grader_environment
    if os.geteuid() != 0:
        raise SecureModeUnavailable(unavailable_reason() or HOW_TO_FIX)
    uid = sandbox_uid_for(os.getpid())
    base = workspace.new_grading_folder(os.getpid())
    folder = base / "submission"
    _notes[:] = workspace.copy_submission(Path(submission), folder)
    workspace.hand_over(folder, uid)
    (base / "sockets").mkdir(mode=0o755)
    confine.isolate_network()
    _network_fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    confine.make_undumpable()
    _grader_environment = dict(os.environ)
    share_pytest_temporary_folders()
    cpu = int(max(120, 10 * timeout))
    set_policy(
        Policy(
            base=base, folder=folder, uid=uid, memory_mb=memory_mb, timeout=timeout, cpu_seconds=cpu
        )
    )
    budget = watchdog.MEMORY_FACTOR * memory_mb  # all processes of the grading together
    watchdog.Watchdog(
        uid, base, memory_mb=budget, disk_mb=watchdog.DISK_MB, report=stages.note
    ).start()
    return folder


def copy_notes() -> list[str]:
    """What the copy of the submission left out, and why (links leaving it, hard links)."""
    return list(_notes)


def sandbox_environment() -> dict[str, str]:
    """The environment a sandbox gets: the allow-listed variables, and whatever the checks
    set since secure mode was enabled (``MODEL_PATH``...). Never the grader's other ones,
    nor what pytest sets for itself while a check runs (``PYTEST_CURRENT_TEST`` names the
    check, hidden ones included: the student's code must not know which check calls it)."""
    environment = confine.allowed_environment(dict(os.environ))
    for key, value in os.environ.items():
        if _grader_environment.get(key) != value and not key.startswith(PYTEST_OWN):
            environment[key] = value
    return environment


def spawn(target, arguments: tuple, fds: list[int], *, writable: Path | None = None) -> int:
    """Fork a sandbox running ``target(fds, *arguments)`` (fds moved to 3, 4...).

    ``writable``: the one folder of the grading it may write in (and its home), instead of
    all of them."""
    if _network_fd is None:
        raise RuntimeError("secure mode is not enabled")
    current = policy() if writable is None else dataclasses.replace(policy(), writable=writable)
    return launcher().spawn(target, arguments, [*fds, _network_fd], current, sandbox_environment())


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
        # Never the name asked for: tmp_path asks for the check's own name, and the app's
        # settings (DATABASE_URL, MODEL_PATH) then name a file in that folder, which would
        # tell the student's code which check started it (a hidden one included).
        return workspace.share_with_sandbox(make_temporary(self, opaque_name(), numbered))

    def getbasetemp(self) -> Path:
        # The base alone, entered but never listed: what is in it was shared when it was
        # made (mktemp), and the folders a check keeps from the sandbox (student tests'
        # other services) stay so; listing it would count the checks that ran so far.
        return workspace.share_with_sandbox(base_temporary(self), recursive=False, listed=False)

    TempPathFactory.mktemp, TempPathFactory.getbasetemp = mktemp, getbasetemp
    TempPathFactory._shared_with_sandbox = True


def opaque_name() -> str:
    """A folder name that says nothing: neither the check that asked for it nor its order."""
    return f"t{secrets.token_hex(8)}-"


def harness_temporary_folder() -> Path:
    """Where the harness's pytest keeps ``tmp_path`` folders in secure mode: inside the
    grading's folder, so the sandbox (which sees only that folder) can read them."""
    return policy().base / "pytest"


def copy_into_submission(source: Path, name: str) -> Path:
    """Copy the harness's folder ``source`` to ``name`` in the submission's copy, in a
    sandbox: there a link the student's code may have planted leads only into the sandbox's
    own view, to what that user may write anyway (the harness never writes into the
    student's folder, and nothing runs as that user outside a sandbox)."""
    from autograder.sandbox import probe

    target = policy().folder / name
    workspace.share_with_sandbox(source)
    try:
        probe.call(_copy_tree, str(source), str(target), timeout=60)
    except SandboxError:
        what = f"the grader could not place {name}/ in the submission's folder"
        raise SandboxError(what) from None
    return target


def _copy_tree(source: str, target: str) -> bool:  # pragma: no cover - runs in a sandbox
    shutil.copytree(source, target, dirs_exist_ok=True)
    return True


def socket_folder() -> Path:
    """A new folder for one app server's Unix socket: the harness's alone (root, 0700). The
    harness binds the socket there and connects to it by its path, so the sandbox must not
    be able to replace it (with a link to another socket of the machine, say)."""
    return Path(tempfile.mkdtemp(dir=policy().base / "sockets"))


# ---------------------------------------------------------------- replies and ends


def write_reply(fd: int, document: dict) -> None:
    data = json.dumps(document, default=str).encode()[: MAX_REPLY_BYTES - 1] + b"\n"
    with contextlib.suppress(OSError):
        while data:
            data = data[os.write(fd, data) :]


def read_reply(fd: int, deadline: float) -> bytes | None:
    """The sandbox's one-line reply (b"" if it ended without one); None past the deadline.

    It stops at the first newline, not at the end of the pipe: processes the student's code
    started may hold the pipe open long after the reply.
    """
    data = b""
    while b"\n" not in data and len(data) < MAX_REPLY_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready = processes.readable([fd], remaining)
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return data.split(b"\n")[0]
        data += chunk
    return data.split(b"\n")[0]


def alive(pid: int) -> bool:
    return processes.alive(pid)


def end(pid: int) -> None:
    """Kill a sandbox's keeper: the sandbox and everything it started die with it."""
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
