"""A system-call filter (seccomp) for sandboxes: the kernel calls no lab needs, refused.

Without it, student code could make a user namespace of its own, and in it mount file
systems that hold memory no limit sees (a tmpfs or ramfs outside ``/tmp`` and ``/dev/shm``
is never counted by the watchdog), or plant keys in the kernel's keyrings that outlive the
grading. The filter refuses, for the sandbox and everything it starts (even across
``exec``):

* new namespaces: ``unshare``, ``setns``, and ``clone`` with any ``CLONE_NEW*`` flag;
  ``clone3`` answers "not implemented", so the C library falls back to ``clone``;
* mounting: ``mount``, ``umount2``, ``pivot_root`` and the newer mount calls;
* keyrings (``add_key``, ``request_key``, ``keyctl``), ``bpf``, ``userfaultfd`` and
  ``io_uring`` (answered "not implemented", as on a kernel without it: libraries fall back);
* memory files (``memfd_create``, ``memfd_secret``): a memory file can be sent over a
  socket and closed, and then lives in the socket's queue, held by no process the watchdog
  could look at. Files in the sandbox's ``/tmp`` and ``/dev/shm`` are counted wherever
  their descriptors go (the watchdog reads how full those file systems are);
* System V shared memory, message queues and semaphores (``shmget``, ``msgget``,
  ``semget``): a segment keeps its memory when no process has it attached any more, and a
  queue or a semaphore set holds the kernel's, in no process and no file. They answer "not
  implemented", as on a kernel built without them (Python's own shared memory and
  semaphores are POSIX ones, files in ``/dev/shm``).

It is classic BPF, written here because it is some thirty instructions long: the program checks
the architecture first (a 32-bit or x32 system call number would otherwise slip past), then
the call's number. A machine whose architecture is not listed gets no sandbox at all
(:func:`install` raises), never a sandbox without the filter.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
BPF_LD_W_ABS, BPF_JEQ_K, BPF_JGE_K, BPF_JSET_K, BPF_RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
X32_SYSCALL_BIT = 0x40000000
# Flags of clone that make a new namespace (the low byte is the exit signal, not a flag).
CLONE_NEW_FLAGS = 0x7E020000

# Offsets in the kernel's struct seccomp_data: the call's number, the architecture, the
# first argument's low 32 bits (little-endian machines only, as all listed here are).
NUMBER, ARCHITECTURE, FIRST_ARGUMENT = 0, 4, 16

# The generic table (aarch64 and riscv64 share it) and x86_64's, by name.
_GENERIC = {
    "clone": 220, "clone3": 435, "unshare": 97, "setns": 268, "mount": 40, "umount2": 39,
    "pivot_root": 41, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
    "fsmount": 432, "fspick": 433, "mount_setattr": 442, "add_key": 217, "request_key": 218,
    "keyctl": 219, "bpf": 280, "userfaultfd": 282, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "memfd_create": 279, "memfd_secret": 447,
    "open_tree_attr": 467, "shmget": 194, "msgget": 186, "semget": 190,
}  # fmt: skip
_X86_64 = {
    "clone": 56, "clone3": 435, "unshare": 272, "setns": 308, "mount": 165, "umount2": 166,
    "pivot_root": 155, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
    "fsmount": 432, "fspick": 433, "mount_setattr": 442, "add_key": 248, "request_key": 249,
    "keyctl": 250, "bpf": 321, "userfaultfd": 323, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "memfd_create": 319, "memfd_secret": 447,
    "open_tree_attr": 467, "shmget": 29, "msgget": 68, "semget": 64,
}  # fmt: skip
# machine -> (AUDIT_ARCH_* value, system call numbers, whether x32 numbers exist)
ARCHITECTURES = {
    "x86_64": (0xC000003E, _X86_64, True),
    "aarch64": (0xC00000B7, _GENERIC, False),
    "riscv64": (0xC00000F3, _GENERIC, False),
}
NOT_IMPLEMENTED = (
    "clone3", "io_uring_setup", "io_uring_enter", "io_uring_register", "shmget", "msgget",
    "semget",
)  # fmt: skip
REFUSED = (
    "unshare", "setns", "mount", "umount2", "pivot_root", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "add_key", "request_key",
    "keyctl", "bpf", "userfaultfd", "open_tree_attr", "memfd_create", "memfd_secret",
)  # fmt: skip


class FilterUnavailable(OSError):
    """This machine's architecture has no filter, or the kernel refused to install it."""


def _instruction(code: int, jump_true: int, jump_false: int, value: int) -> bytes:
    return struct.pack("HBBI", code, jump_true, jump_false, value)


def program(machine: str) -> list[bytes]:
    """The filter's instructions for ``machine`` (``platform.machine()``)."""
    if machine not in ARCHITECTURES:
        raise FilterUnavailable(f"no system-call filter for the {machine} architecture")
    architecture, numbers, has_x32 = ARCHITECTURES[machine]
    allow, refuse = SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | errno.EPERM
    not_implemented = SECCOMP_RET_ERRNO | errno.ENOSYS
    endings = {"allow": allow, "refuse": refuse, "not implemented": not_implemented}
    # (what to do, its value, where to jump when it matches), in order; then the endings.
    steps = [
        ("load", ARCHITECTURE, None),
        ("differs", architecture, "refuse"),  # another architecture's numbers mean other calls
        ("load", NUMBER, None),
    ]
    if has_x32:
        steps.append(("at least", X32_SYSCALL_BIT, "refuse"))
    steps += [("equals", numbers[name], "refuse") for name in REFUSED]
    steps += [("equals", numbers[name], "not implemented") for name in NOT_IMPLEMENTED]
    steps += [
        ("differs", numbers["clone"], "allow"),
        ("load", FIRST_ARGUMENT, None),  # clone's flags
        ("has any of", CLONE_NEW_FLAGS, "refuse"),
        ("return", allow, None),
    ]
    ending_at = {name: len(steps) + index for index, name in enumerate(endings)}
    instructions = []
    for position, (kind, value, target) in enumerate(steps):
        if kind == "load":
            instructions.append(_instruction(BPF_LD_W_ABS, 0, 0, value))
        elif kind == "return":
            instructions.append(_instruction(BPF_RET_K, 0, 0, value))
        else:
            distance = ending_at[target] - position - 1
            if kind == "differs":
                instructions.append(_instruction(BPF_JEQ_K, 0, distance, value))
            else:
                code = {"equals": BPF_JEQ_K, "at least": BPF_JGE_K, "has any of": BPF_JSET_K}
                instructions.append(_instruction(code[kind], distance, 0, value))
    instructions += [_instruction(BPF_RET_K, 0, 0, value) for value in endings.values()]
    return instructions


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def install(machine: str | None = None) -> None:
    """Install the filter in this process (after ``no_new_privs``); it cannot be removed."""
    instructions = program(machine or platform.machine())
    code = b"".join(instructions)
    fprog = _SockFprog(len(instructions), code)
    libc = ctypes.CDLL(None, use_errno=True)
    result = libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0)
    if result != 0:
        number = ctypes.get_errno()
        raise FilterUnavailable(number, f"the system-call filter: {os.strerror(number)}")
