"""Confinement: what turns a freshly forked root process into a sandbox for student code.

Why our own code and not a ready-made sandbox: the sandbox must be *forked* from a warm
process that has already imported FastAPI, uvicorn and the lab's libraries (a fresh
interpreter per probe would cost the whole import time again, many times per grading).
Tools such as bubblewrap start a new program; they cannot confine a fork. So we do what they
do, with the same kernel features, in the forked process itself (as root, then for good as
an unprivileged user):

* new mount, PID, IPC and UTS namespaces, and the harness's network namespace, which has
  nothing but loopback;
* a new root file system on a tmpfs that holds only the operating system's programs and
  libraries, the Python installation and its packages (all read-only), this grading's own
  folder (the private copy of the submission, the checks' files, a private ``/tmp``), a
  minimal ``/dev`` and a ``/proc`` that shows the sandbox's own processes; the old root is
  detached, so the course, its solutions and suites, other students' work and the grader's
  results are not there to be read;
* PID 1 of its namespace: when it ends, the kernel kills everything it started (a
  ``setsid`` double fork included);
* an unprivileged user id of its own, no supplementary groups, no capabilities,
  ``no_new_privs``, limits on memory, processes, file size, open files and CPU time;
* a system-call filter: no namespaces, mounts or keyrings of its own
  (:mod:`autograder.sandbox.syscall_filter`);
* an environment built from an allow-list, and an argv of its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import platform
import resource
import signal
import socket
import struct
import sys
import time
from pathlib import Path

from autograder.sandbox import syscall_filter
from autograder.sandbox.state import Policy

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
SYSTEM_FOLDERS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DEVICES = ("null", "zero", "full", "random", "urandom")
# Files and folders the sandbox's own /tmp and /dev/shm may each hold. They live in memory:
# an empty file takes no byte the watchdog sees (it reads how full they are), but the
# kernel's memory for its entry (about a kilobyte); without a bound, millions of them.
MEMORY_FOLDER_ENTRIES = 50_000
# Variables a sandbox may see from the grader's environment; everything else stays out.
ALLOWED_VARIABLES = frozenset(
    {
        "PATH",
        "LANG",
        "LANGUAGE",
        "TZ",
        "PYTHONHASHSEED",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUTF8",
        "PYTHONIOENCODING",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
        "NO_COLOR",
        "OPENBLAS_CORETYPE",
        "OPENBLAS_L2_SIZE",
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
    }
)

_libc = ctypes.CDLL(None, use_errno=True)


def allowed_environment(environment: dict[str, str]) -> dict[str, str]:
    """The variables of ``environment`` a sandbox may inherit (locale, threads, PATH)."""
    return {
        key: value
        for key, value in environment.items()
        if key in ALLOWED_VARIABLES or key.startswith("LC_")
    }


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def may_unshare(flags: int) -> bool:
    """Whether this process could make the namespaces ``flags`` names (tried in a child)."""
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _libc.unshare(flags) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def setns(fd: int, kind: int) -> None:
    _check(_libc.setns(fd, kind), "setns")


def mount(source: str | None, target: str, kind: str | None, flags: int, data: str = "") -> None:
    encode = lambda text: text.encode() if text is not None else None  # noqa: E731
    result = _libc.mount(encode(source), encode(target), encode(kind), flags, encode(data))
    _check(result, f"mount {target}")


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, value, 0, 0, 0), "prctl")


def pivot_root(new_root: str, put_old: str) -> None:
    number = PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root is not known on {platform.machine()}")
    _check(_libc.syscall(number, new_root.encode(), put_old.encode()), "pivot_root")


def die_with_parent() -> None:
    """Be killed when the parent ends (Linux), so nothing outlives the grader."""
    with contextlib.suppress(OSError):
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def make_undumpable() -> None:
    """No other process of the same user may read this one's memory or descriptors."""
    with contextlib.suppress(OSError):
        prctl(PR_SET_DUMPABLE, 0)


def bring_loopback_up() -> None:
    """``ip link set lo up`` without the ip tool: SIOCSIFFLAGS with IFF_UP | IFF_RUNNING."""
    siocgifflags, siocsifflags, iff_up, iff_running = 0x8913, 0x8914, 0x1, 0x40
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"\0" * 14)
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, siocgifflags, request))[1]
        request = struct.pack("16sH14s", b"lo", flags | iff_up | iff_running, b"\0" * 14)
        fcntl.ioctl(sock, siocsifflags, request)


def isolate_network() -> None:
    """Give this process (and what it forks) a network namespace with only loopback."""
    unshare(CLONE_NEWNET)
    with contextlib.suppress(OSError):
        bring_loopback_up()


# ---------------------------------------------------------------- the file system view


def read_only_folders(course_root: Path) -> list[str]:
    """What a sandbox may read: the system's programs and libraries, the Python installation
    and its packages. Computed once by the launcher. Never the course itself (its virtual
    environment, which may live inside it, is only the installed packages)."""
    wanted: set[str] = set()
    for folder in SYSTEM_FOLDERS:
        if os.path.lexists(folder):
            wanted.add(folder)
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for prefix in prefixes:
        wanted.update({os.path.abspath(prefix), os.path.realpath(prefix)})
    wanted.add(os.path.dirname(os.path.realpath(sys.executable)))
    root = str(course_root.resolve())
    keep: list[str] = []
    for folder in sorted(wanted, key=len):
        if folder == root or (root.startswith(folder + os.sep) and not os.path.islink(folder)):
            # a parent of the course (/home/me, say) would show the course: take the parts of
            # it that the interpreter needs instead
            continue
        if not any(folder == kept or folder.startswith(kept + os.sep) for kept in keep):
            keep.append(folder)
    return keep


def _make_mount_point(new_root: str, path: str, *, directory: bool) -> str:
    target = new_root + path
    if directory:
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        if not os.path.exists(target):
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    return target


def _bind(new_root: str, path: str, *, writable: bool = False, executable: bool = True) -> None:
    if os.path.islink(path):
        link = new_root + path
        os.makedirs(os.path.dirname(link), mode=0o755, exist_ok=True)
        if not os.path.lexists(link):
            os.symlink(os.readlink(path), link)
        return
    if not os.path.exists(path):
        return
    target = _make_mount_point(new_root, path, directory=os.path.isdir(path))
    mount(path, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV
    flags |= 0 if writable else MS_RDONLY
    flags |= 0 if executable else MS_NOEXEC
    mount(None, target, None, flags)


def build_view(new_root: str, read_only: list[str], current: Policy) -> None:
    """Make ``new_root`` the sandbox's whole file system, then switch to it for good.

    Runs as root, as PID 1 of a new PID namespace, in a new mount namespace.
    """
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("sandbox", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m")
    # First what the sandbox gets of its own: /proc of its PID namespace, a minimal /dev, a
    # private /tmp. Then the folders it may read and its grading's folder, which may lie in
    # /tmp (their mount points are made in the sandbox's own /tmp, not the real one).
    proc = _make_mount_point(new_root, "/proc", directory=True)
    mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    dev = _make_mount_point(new_root, "/dev", directory=True)
    mount("dev", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k")
    for name in DEVICES:
        node = _make_mount_point(new_root, f"/dev/{name}", directory=False)
        mount(f"/dev/{name}", node, None, MS_BIND)
    shm = _make_mount_point(new_root, "/dev/shm", directory=True)
    in_memory = f"mode=1777,size=256m,nr_inodes={MEMORY_FOLDER_ENTRIES}"
    mount("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV, in_memory)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0")):
        os.symlink(target, f"{dev}/{name}")
    os.symlink("/proc/self/fd/1", f"{dev}/stdout")
    os.symlink("/proc/self/fd/2", f"{dev}/stderr")
    tmp = _make_mount_point(new_root, "/tmp", directory=True)
    mount("tmp", tmp, "tmpfs", MS_NOSUID | MS_NODEV, in_memory)
    for folder in sorted(read_only, key=len):
        _bind(new_root, folder)
    _bind(new_root, str(current.base), writable=current.writable is None)
    if current.writable is not None:
        _bind(new_root, str(current.writable), writable=True)
    os.chdir(new_root)
    pivot_root(".", ".")  # the old root is stacked on the new one...
    _check(_libc.umount2(b".", MNT_DETACH), "umount the old root")  # ...and detached
    os.chdir("/")
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0755")


# ---------------------------------------------------------------- becoming the student


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def apply_limits(current: Policy) -> None:
    megabyte = 1024 * 1024
    limits = {
        resource.RLIMIT_FSIZE: current.max_file_mb * megabyte,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_NPROC: current.max_processes,
        resource.RLIMIT_NOFILE: current.max_open_files,
        resource.RLIMIT_CPU: current.cpu_seconds,
    }
    with contextlib.suppress(OSError, ValueError):
        base = _address_space()
        limits[resource.RLIMIT_AS] = base + current.memory_mb * megabyte
    for limit, value in limits.items():
        resource.setrlimit(limit, (value, value))


def drop_privileges(uid: int) -> None:
    """Become ``uid`` for good: no groups, no capabilities, no way back (no_new_privs)."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    if os.geteuid() == 0 or os.getuid() == 0:  # pragma: no cover - a kernel that refused
        os._exit(111)


def move_descriptors(fds: list[int]) -> list[int]:
    """Move ``fds`` to 3, 4, 5... and close every other descriptor but 0, 1, 2 (/dev/null)."""
    null = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(null, stream)
    # First out of the way of 3, 4, 5..., so that no move overwrites one still to move.
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, 200) for fd in fds]
    for target, fd in enumerate(moved, start=3):
        os.dup2(fd, target)
    os.closerange(3 + len(moved), resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    return list(range(3, 3 + len(moved)))


def _entry_file(folder: Path) -> str:
    """The submission's module that holds the app (``main.py``, ``app/main.py``)."""
    from autograder import submission

    try:
        return submission.entrypoint(folder).file
    except submission.SubmissionError:
        return submission.Entrypoint().file


def become_student(current: Policy, environment: dict[str, str]) -> None:
    """The last steps in the sandbox, before the student's code: limits, user, environment."""
    apply_limits(current)
    drop_privileges(current.uid)
    syscall_filter.install()  # no namespaces, mounts or keyrings of its own from here on
    die_with_parent()  # armed again: changing user clears it
    os.environ.clear()
    os.environ.update(environment)
    os.environ["HOME"] = str(current.writable or current.folder)
    os.environ["TMPDIR"] = "/tmp"
    time.tzset()  # the grading's time zone (TZ), not the launcher's
    os.chdir(current.folder)
    sys.argv = [str(current.folder / _entry_file(current.folder))]
    with contextlib.suppress(AttributeError):
        sys.orig_argv = [sys.executable, *sys.argv]
    sys.path.insert(0, str(current.folder))
