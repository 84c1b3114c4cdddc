"""The sandbox's system-call filter: no namespaces, mounts or keyrings of its own, while
threads, forks and programs work as usual. Each case runs in a child that installs the
filter the way a sandbox does (after ``no_new_privs``) and reports what the kernel said."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import subprocess
import sys
import threading

import pytest

from autograder.sandbox import syscall_filter

pytestmark = pytest.mark.skipif(
    platform.machine() not in syscall_filter.ARCHITECTURES or not sys.platform.startswith("linux"),
    reason="the filter is written for Linux on x86_64, aarch64 and riscv64",
)
CLONE_NEWNS, CLONE_NEWUSER, SIGCHLD = 0x00020000, 0x10000000, 17
PR_SET_NO_NEW_PRIVS = 38
IPC_PRIVATE, IPC_CREAT = 0, 0o1000


def under_the_filter(attempt) -> dict:
    """What ``attempt()`` returns in a child process under the filter (a JSON-able dict)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read_fd)
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            syscall_filter.install()
            os.write(write_fd, json.dumps(attempt()).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as reader:
        answer = reader.read()
    os.waitpid(pid, 0)
    assert answer, "the child ended without answering"
    return json.loads(answer)


def _error_of(result: int, libc) -> str:
    return "ok" if result >= 0 else errno.errorcode.get(ctypes.get_errno(), "?")


def _refused_calls(mount_point: bytes) -> dict:
    libc = ctypes.CDLL(None, use_errno=True)
    numbers = syscall_filter.ARCHITECTURES[platform.machine()][1]
    return {
        "unshare a user namespace": _error_of(libc.unshare(CLONE_NEWUSER), libc),
        "unshare a mount namespace": _error_of(libc.unshare(CLONE_NEWNS), libc),
        "clone into a user namespace": _error_of(
            libc.syscall(numbers["clone"], CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0), libc
        ),
        "mount a tmpfs": _error_of(libc.mount(b"none", mount_point, b"tmpfs", 0, None), libc),
        "add a key": _error_of(libc.syscall(numbers["add_key"], b"user", b"k", b"v", 1, -2), libc),
        "memfd_create": _error_of(libc.syscall(numbers["memfd_create"], b"held", 0), libc),
        "memfd_secret": _error_of(libc.syscall(numbers["memfd_secret"], 0), libc),
        "clone3": _error_of(libc.syscall(numbers["clone3"], 0, 0), libc),
        "io_uring_setup": _error_of(libc.syscall(numbers["io_uring_setup"], 1, 0), libc),
        "shmget": _error_of(libc.syscall(numbers["shmget"], IPC_PRIVATE, 4096, IPC_CREAT), libc),
        "msgget": _error_of(libc.syscall(numbers["msgget"], IPC_PRIVATE, IPC_CREAT), libc),
        "semget": _error_of(libc.syscall(numbers["semget"], IPC_PRIVATE, 1, IPC_CREAT), libc),
    }


def test_namespaces_mounts_and_keyrings_are_refused(tmp_path):
    # As root, only the filter stands between the child and a mount: on an empty folder.
    answers = under_the_filter(lambda: _refused_calls(os.fsencode(tmp_path)))
    assert answers == {
        "unshare a user namespace": "EPERM",
        "unshare a mount namespace": "EPERM",
        "clone into a user namespace": "EPERM",
        "mount a tmpfs": "EPERM",
        "add a key": "EPERM",
        "memfd_create": "EPERM",  # a memory file could travel in a socket, seen by no one
        "memfd_secret": "EPERM",
        "clone3": "ENOSYS",  # so the C library falls back to clone
        "io_uring_setup": "ENOSYS",  # as on a kernel without io_uring
        # System V memory outlives every process that attached it, seen by no one: as on a
        # kernel built without System V IPC
        "shmget": "ENOSYS",
        "msgget": "ENOSYS",
        "semget": "ENOSYS",
    }


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x32 numbers exist on x86_64 only")
def test_x32_system_call_numbers_are_refused():
    def getpid_by_its_x32_number() -> dict:
        libc = ctypes.CDLL(None, use_errno=True)
        return {"getpid": _error_of(libc.syscall(syscall_filter.X32_SYSCALL_BIT + 39), libc)}

    assert under_the_filter(getpid_by_its_x32_number) == {"getpid": "EPERM"}


def _ordinary_life() -> dict:
    seen = []
    thread = threading.Thread(target=lambda: seen.append("thread"))
    thread.start()
    thread.join()
    child = os.fork()
    if child == 0:  # pragma: no cover - the grandchild
        os._exit(7)
    _, status = os.waitpid(child, 0)
    program = subprocess.run([sys.executable, "-c", "print('program')"], capture_output=True)
    return {
        "thread": seen,
        "fork": os.waitstatus_to_exitcode(status),
        "program": program.stdout.decode().strip(),
    }


def test_threads_forks_and_programs_still_work():
    assert under_the_filter(_ordinary_life) == {
        "thread": ["thread"],
        "fork": 7,
        "program": "program",
    }


def test_an_architecture_without_a_filter_is_refused():
    with pytest.raises(syscall_filter.FilterUnavailable, match="sparc64"):
        syscall_filter.program("sparc64")
