"""The grading's watchdog: all the sandboxes of one grading together stay within a memory
budget and a share of the disk.

Each sandbox process has limits of its own (:func:`confine.apply_limits`: address space,
file size, processes...). A submission may still start many processes, each within its
limits, that together hold more memory than the machine has; or write file after file,
each under the size limit, until the disk is full. Either would hurt the grader and every
other grading on the machine. So a thread of the harness looks, a few times a second, at
what the grading's user holds:

* the memory of its processes: their resident pages, and where those add up past the
  budget, their proportional share (pages a fork shares with its parent count once); the
  memory it holds as files (its sandboxes' own ``/tmp`` and ``/dev/shm``, memfds); and the
  memory queued in its sockets (:func:`memory_in_sockets`);
* how much the disk that holds the grading's folder filled since the grading began, and
  when that passes the budget, how much of it is in the grading's own folder;
* how many files and folders were made on that disk since the grading began (empty files
  take no bytes, but each one an entry of the disk's, which run out too), and when that
  passes :data:`MAX_ENTRIES`, how many are in the grading's own folder.

It also looks at the harness itself, the grader's process that reads what the sandboxes
send (a probe's answer, an app's response and logs, a test run's events): however the grader
bounds each of those, a submission that sends without end would make the harness hold it, in
memory no sandbox owns. When the harness has grown by more than :data:`HARNESS_MB` since the
grading began, the submission's processes are stopped too.

Past any limit every process of that user is stopped (a sandbox is PID 1 of its
namespace: its whole tree goes with it), and the grading gets a note that says why.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

from autograder.sandbox.workspace import live_processes_of

INTERVAL_SECONDS = 0.25
MEMORY_FACTOR = 2  # all processes of a grading: twice what one may hold (lab 12: under 1 GB)
# How much the harness may grow while it grades: an honest grading's harness holds 200 MB at
# most, the libraries the checks import included.
HARNESS_MB = 512
DISK_MB = 2048  # what a grading may write to the disk (honest ones write a few MB)
MAX_ENTRIES = 200_000  # files and folders a grading may make (each costs the disk too)
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MEGABYTE = 1024 * 1024


def resident_bytes(pid: int) -> int:
    """Resident memory of one process (pages it shares with others count in full)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
    return 0


def proportional_bytes(pid: int) -> int:
    """Proportional memory of one process (PSS: a page shared by n processes counts 1/n)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def private_memory_mounts(pid: int) -> list[str]:
    """Where a process sees the sandbox's own memory file systems: ``/tmp`` and ``/dev/shm``
    when they are tmpfs mounts of its view (from ``/proc/<pid>/mountinfo``)."""
    found = []
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        fields, _, rest = line.partition(" - ")
        place = fields.split()[4]
        if place in ("/tmp", "/dev/shm") and rest.split()[:1] == ["tmpfs"]:
            found.append(place)
    return found


def memory_in_files(pids: list[int]) -> int:
    """Bytes of memory held as files rather than by a process's pages: the files of each
    sandbox's own ``/tmp`` and ``/dev/shm`` (tmpfs, one of each per mount namespace), and
    anonymous memory files (``memfd_create``) held open, each counted once, mapped or not."""
    total = 0
    namespaces = {os.stat("/proc/self/ns/mnt").st_ino}  # the machine's: not a sandbox's
    seen: set[tuple[int, int]] = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            namespace = os.stat(f"/proc/{pid}/ns/mnt").st_ino
            if namespace not in namespaces:
                namespaces.add(namespace)
                for place in private_memory_mounts(pid):
                    with contextlib.suppress(OSError):
                        info = os.statvfs(f"/proc/{pid}/root{place}")
                        total += (info.f_blocks - info.f_bfree) * info.f_frsize
        with contextlib.suppress(OSError):
            for descriptor in os.listdir(f"/proc/{pid}/fd"):
                link = f"/proc/{pid}/fd/{descriptor}"
                with contextlib.suppress(OSError):
                    if os.readlink(link).startswith("/memfd:"):
                        info = os.stat(link)
                        if (info.st_dev, info.st_ino) not in seen:
                            seen.add((info.st_dev, info.st_ino))
                            total += info.st_blocks * 512
    return total


# Asking the kernel about the sockets of a network namespace: sock_diag (linux/sock_diag.h,
# unix_diag.h, inet_diag.h).
NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, NLMSG_ERROR, NLMSG_DONE = 4, 20, 2, 3
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
UDIAG_SHOW_MEMINFO, UNIX_DIAG_MEMINFO = 0x20, 5
INET_DIAG_SKMEMINFO = 7
# What sk_meminfo holds that a socket keeps queued: received, written, and (TCP) kept to send.
SK_MEMINFO_QUEUED = (0, 2, 5)  # RMEM_ALLOC, WMEM_ALLOC, WMEM_QUEUED
UNIX_MESSAGE, INET_MESSAGE = 16, 72  # sizeof(struct unix_diag_msg), sizeof(inet_diag_msg)


def memory_in_sockets() -> int:
    """Bytes queued in the sockets of this thread's network namespace (local, TCP and UDP;
    0 for a kind the kernel cannot tell about).

    Data written to a connected socket that nobody reads waits in the kernel, in no
    process's pages and in no file: megabytes a socket, a thousand sockets a process, many
    processes. Every sandbox of a grading joins the harness's namespace (made for this
    grading alone, see :func:`confine.isolate_network`), so its sockets are all counted
    here. The kernel answers for each socket what it has queued."""
    unix = struct.pack(
        "=BBHIII2I", socket.AF_UNIX, 0, 0, 0xFFFFFFFF, 0, UDIAG_SHOW_MEMINFO, 0xFFFFFFFF, 0xFFFFFFFF
    )
    requests = [(unix, UNIX_MESSAGE, UNIX_DIAG_MEMINFO)]
    for family in (socket.AF_INET, socket.AF_INET6):
        for protocol in (socket.IPPROTO_TCP, socket.IPPROTO_UDP):
            # inet_diag_req_v2: family, protocol, the extensions wanted, every state, any id
            inet = struct.pack(
                "=BBBxI", family, protocol, 1 << (INET_DIAG_SKMEMINFO - 1), 0xFFFFFFFF
            )
            requests.append((inet + bytes(48), INET_MESSAGE, INET_DIAG_SKMEMINFO))
    total = 0
    for request, message_size, wanted in requests:
        try:
            with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as diag:
                diag.settimeout(5)
                total += _queued_in_sockets(diag, request, message_size, wanted)
        except OSError:  # this kind cannot be listed here: the other limits still hold
            pass
    return total


def _queued_in_sockets(diag: socket.socket, request: bytes, message_size: int, wanted: int) -> int:
    """Send one sock_diag dump ``request``; sum what the sockets listed hold queued (their
    attribute ``wanted``, after a message of ``message_size`` bytes)."""
    header = struct.pack(
        "=IHHII", 16 + len(request), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0
    )
    diag.send(header + request)
    total = 0
    while True:
        data = diag.recv(1 << 20)
        if not data:
            return total
        offset = 0
        while offset + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if kind == NLMSG_DONE:
                return total
            if kind == NLMSG_ERROR or length < 16:
                raise OSError("the kernel did not list the sockets")
            attribute, end = offset + 16 + message_size, offset + length
            while attribute + 4 <= end:
                size, name = struct.unpack_from("=HH", data, attribute)
                if size < 4:
                    break
                values = struct.unpack_from(f"={(size - 4) // 4}I", data, attribute + 4)
                if name == wanted and len(values) > max(SK_MEMINFO_QUEUED):
                    total += sum(values[index] for index in SK_MEMINFO_QUEUED)
                attribute += (size + 3) & ~3
            offset += (length + 3) & ~3


def memory_of(uid: int, budget: int) -> int:
    """Bytes of memory ``uid``'s processes hold together, and the memory files they hold
    (:func:`memory_in_files`); their pages are counted exactly (PSS) only where the cheap
    count (resident pages, shared ones counted by each process) passes ``budget``."""
    pids = live_processes_of(uid)
    in_files = memory_in_files(pids)
    total = in_files + sum(resident_bytes(pid) for pid in pids)
    if total <= budget:
        return total
    return in_files + sum(proportional_bytes(pid) for pid in pids)


def disk_free_bytes(folder: Path) -> int:
    info = os.statvfs(folder)
    return info.f_bavail * info.f_frsize


def disk_free_entries(folder: Path) -> int:
    """Files and folders the disk that holds ``folder`` may still have (its free inodes;
    0 on a file system that does not count them, so no change is ever seen there)."""
    return os.statvfs(folder).f_favail


def folder_bytes(folder: Path, most_entries: int) -> int | None:
    """Bytes the files under ``folder`` take on the disk (blocks, so a sparse file counts
    what it holds), or None past ``most_entries`` files and folders."""
    total, entries = 0, 0
    for parent, subfolders, files in os.walk(folder, followlinks=False):
        entries += len(subfolders) + len(files)
        if entries > most_entries:
            return None
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(parent, name)).st_blocks * 512
    return total


def folder_entries(folder: Path, most_entries: int) -> int | None:
    """Files and folders under ``folder``, or None past ``most_entries`` of them."""
    entries = 0
    for _, subfolders, files in os.walk(folder, followlinks=False):
        entries += len(subfolders) + len(files)
        if entries > most_entries:
            return None
    return entries


def stop_everything_of(uid: int) -> None:
    """SIGKILL every process of ``uid``, a few passes (one may fork while it is being hit)."""
    for _ in range(5):
        pids = live_processes_of(uid)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


class Watchdog:
    """Watches one grading's user; ``report`` is told once why it stopped that user."""

    def __init__(
        self,
        uid: int,
        folder: Path,
        *,
        memory_mb: int,
        disk_mb: int,
        report: Callable[[str], None],
    ) -> None:
        self.uid = uid
        self.folder = folder
        self.memory_budget = memory_mb * MEGABYTE
        self.disk_budget = disk_mb * MEGABYTE
        self.report = report
        self.free_at_start = disk_free_bytes(folder)
        self.entries_free_at_start = disk_free_entries(folder)
        self.harness_budget = HARNESS_MB * MEGABYTE
        self.harness_at_start = resident_bytes(os.getpid())  # this thread runs in the harness
        self.tripped = ""

    def start(self) -> None:
        threading.Thread(target=self._run, name="sandbox-watchdog", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(INTERVAL_SECONDS)
            with contextlib.suppress(Exception):  # a watchdog never ends the grading
                self.look()

    def look(self) -> str:
        """Look once; stop the user's processes when past a limit; return why ("" if not)."""
        reason = ""
        # The thread runs in the harness's network namespace (it was started after the
        # harness made it), where every sandbox's sockets are.
        memory = memory_of(self.uid, self.memory_budget) + memory_in_sockets()
        grown = resident_bytes(os.getpid()) - self.harness_at_start
        if memory > self.memory_budget:
            reason = (
                f"the submission's processes together held {memory // MEGABYTE} MB of memory "
                f"(at most {self.memory_budget // MEGABYTE} MB for all of them): every one "
                "was stopped"
            )
        elif grown > self.harness_budget:
            reason = (
                f"the submission's processes sent the grader more than it keeps (its process "
                f"grew by {grown // MEGABYTE} MB, at most {self.harness_budget // MEGABYTE} MB: "
                "endless answers, logs or test reports): every one of them was stopped"
            )
        elif self.free_at_start - disk_free_bytes(self.folder) > self.disk_budget:
            # The disk filled by more than the budget since the grading began: the grading's
            # own folder says whether it did (another program on the machine may have).
            written = folder_bytes(self.folder, MAX_ENTRIES)
            if written is None:
                reason = (
                    f"the submission made more than {MAX_ENTRIES} files: every one of its "
                    "processes was stopped"
                )
            elif written > self.disk_budget:
                reason = (
                    f"the submission wrote {written // MEGABYTE} MB to disk (at most "
                    f"{self.disk_budget // MEGABYTE} MB in a grading): every one of its "
                    "processes was stopped"
                )
            else:
                self.free_at_start = disk_free_bytes(self.folder) + written  # not ours
        elif self.entries_free_at_start - disk_free_entries(self.folder) > MAX_ENTRIES:
            # As many new files on the disk as a grading may make: the grading's own folder
            # says whether it made them.
            made = folder_entries(self.folder, MAX_ENTRIES)
            if made is None:
                reason = (
                    f"the submission made more than {MAX_ENTRIES} files: every one of its "
                    "processes was stopped"
                )
            else:
                self.entries_free_at_start = disk_free_entries(self.folder) + made  # not ours
        if reason:
            if not self.tripped:  # told first: the grading may end as soon as they are gone
                self.tripped = reason
                self.report(reason)
            stop_everything_of(self.uid)
        return reason
