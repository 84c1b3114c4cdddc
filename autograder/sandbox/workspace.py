"""A grading's folder: the private copy of the submission, and cleaning up after it.

Everything one grading makes lives in one folder named after its harness
(``<tmp>/autograder-sandbox-<pid>-...``): the copy the student's code runs in, the files the
checks write for it, app sockets and the sandbox's ``/tmp``. Removing the folder and killing
every process of the grading's user removes all of it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import tempfile
import time
from pathlib import Path

from autograder import processes
from autograder.own_files import MAX_TREE_DEPTH, remove_tree
from autograder.sandbox.state import COPY_PREFIX, LAUNCHER_ROOT_PREFIX, sandbox_uid_for

IGNORED = {"__pycache__", ".venv", ".git", "node_modules", ".mypy_cache", ".pytest_cache"}
MAX_COPY_BYTES = 256 * 1024 * 1024
MAX_COPY_FILES = 20_000  # files, and links and others left out: each one costs the copy
MAX_NOTES = 20  # what the copy left out is told file by file up to this many, then counted


class CopyRefused(Exception):
    """The submission cannot be copied as it is (too large); the message says why."""


def new_grading_folder(harness_pid: int) -> Path:
    base = Path(tempfile.mkdtemp(prefix=f"{COPY_PREFIX}{harness_pid}-"))
    base.chmod(0o755)
    return base


def copy_submission(source: Path, target: Path) -> list[str]:
    """Copy the regular files and folders of ``source`` into ``target``; return notes.

    A symbolic link is followed only when what it points to is inside the submission, and
    then copied as a file; a link that leaves the submission, a hard-linked file (it may be
    another file under a second name), a device or a pipe is left out, with a note (the
    first :data:`MAX_NOTES` by name, the others counted in one more). Everything left out
    counts towards :data:`MAX_COPY_FILES` as a copied file does: a hundred thousand links
    would otherwise cost minutes of the grading and a note each in its report.
    """
    source = source.resolve()
    notes: list[str] = []
    total, count = 0, 0

    def leave_out(note: str) -> None:
        nonlocal count
        count += 1
        if count > MAX_COPY_FILES:
            raise CopyRefused(
                f"the submission holds more than {MAX_COPY_FILES} files (without "
                f"{', '.join(sorted(IGNORED))}), links and others left out included"
            )
        notes.append(note)

    for folder, subfolders, files in os.walk(source, followlinks=False):
        here = Path(folder)
        relative = here.relative_to(source)
        if len(relative.parts) >= MAX_TREE_DEPTH:  # os.walk recurses: never too deep
            raise CopyRefused(f"the submission has folders nested more than {MAX_TREE_DEPTH} deep")
        subfolders[:] = sorted(name for name in subfolders if name not in IGNORED)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in [*subfolders, *files]:
            path = here / name
            shown = (relative / name).as_posix()
            if path.is_symlink():
                real = path.resolve()
                if not real.is_relative_to(source) or not real.is_file():
                    leave_out(
                        f"{shown} is a link to something outside the submission; it was left out"
                    )
                    if name in subfolders:
                        subfolders.remove(name)
                    continue
                if name in subfolders:
                    subfolders.remove(name)
                path = real
            elif name in subfolders:
                continue
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                leave_out(f"{shown} is not a regular file; it was left out")
                continue
            if info.st_nlink > 1:
                leave_out(f"{shown} is a hard link to another file; it was left out")
                continue
            total, count = total + info.st_size, count + 1
            if total > MAX_COPY_BYTES or count > MAX_COPY_FILES:
                raise CopyRefused(
                    f"the submission is larger than {MAX_COPY_BYTES >> 20} MB or "
                    f"{MAX_COPY_FILES} files (without {', '.join(sorted(IGNORED))})"
                )
            _copy_file(path, target / relative / name)
    if len(notes) > MAX_NOTES:
        more = len(notes) - MAX_NOTES
        notes[MAX_NOTES:] = [
            f"{more} more files were left out as well (links leading outside the submission, "
            "hard links, devices or pipes)"
        ]
    return notes


def _copy_file(source: Path, target: Path) -> None:
    descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as reading, open(target, "wb") as writing:
        shutil.copyfileobj(reading, writing)
    target.chmod(0o644 | (0o111 if os.stat(source).st_mode & 0o100 else 0))


def hand_over(folder: Path, uid: int) -> None:
    """Make the sandbox user the owner of ``folder`` and everything in it.

    Once the folder is the sandbox user's, its code may swap a folder inside for a link
    while this runs: each name is changed relative to a descriptor of its own folder,
    never followed if it is a link, and a folder that became a link is not gone into, so
    the grader (root) never hands over a file of the machine."""
    with contextlib.suppress(OSError):
        os.lchown(folder, uid, uid)
    with contextlib.suppress(OSError):
        for _, subfolders, files, descriptor in os.fwalk(folder, follow_symlinks=False):
            for name in [*subfolders, *files]:
                with contextlib.suppress(OSError):
                    os.chown(name, uid, uid, dir_fd=descriptor, follow_symlinks=False)


def share_with_sandbox(path: Path, *, recursive: bool = True, listed: bool = True) -> Path:
    """Let the sandbox user read a file or folder the harness made (with what is in it,
    unless not ``recursive``), and pass through its parents (enter them, never list them).
    A folder that is not ``listed`` may be entered but not listed, like its parents.

    Only what the harness owns is opened up, never through a link: the sandbox user may
    write in some of these folders, and a link it planted there must not lead the harness
    (root) to open up a file of the machine."""
    path = Path(path)
    for item in path.parents:
        if str(item) in ("/", tempfile.gettempdir()):
            break
        _let_the_sandbox_read(item, extra_for_folders=0o011)
    extra = 0o055 if listed else 0o011
    if _let_the_sandbox_read(path, extra_for_folders=extra) == "folder" and recursive:
        # Each name relative to a descriptor of its folder, and no folder that became a
        # link gone into: a folder swapped for a link on the way leads nowhere else.
        with contextlib.suppress(OSError):
            for _, subfolders, files, folder in os.fwalk(path, follow_symlinks=False):
                for name in [*subfolders, *files]:
                    _let_the_sandbox_read(Path(name), in_folder=folder)
    return path


def _let_the_sandbox_read(
    item: Path, extra_for_folders: int = 0o055, *, in_folder: int | None = None
) -> str | None:
    """Add read (and, for a folder, enter) permission for everyone to ``item`` (a name in
    the folder ``in_folder``, a descriptor, when given) when it is a file or folder of the
    harness's own user and not a link; return "folder", "file" or None.

    The item is opened without following a link (``O_PATH | O_NOFOLLOW``) and changed
    through that descriptor, so swapping it for a link in between changes nothing else.
    """
    try:
        descriptor = os.open(item, os.O_PATH | os.O_NOFOLLOW, dir_fd=in_folder)
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        kind = "folder" if stat.S_ISDIR(info.st_mode) else "file"
        if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
            return None  # a link (opened as itself), a socket, a pipe: left as they are
        if info.st_uid != os.geteuid():
            return kind  # the sandbox user's own: it can read it already
        extra = extra_for_folders if kind == "folder" else 0o044
        with contextlib.suppress(OSError):
            os.chmod(f"/proc/self/fd/{descriptor}", stat.S_IMODE(info.st_mode) | extra)
        return kind
    finally:
        os.close(descriptor)


# ---------------------------------------------------------------- cleaning up


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
    """Kill every process of a sandbox user and wait until none is left alive."""
    if os.geteuid() != 0:
        return
    deadline = time.monotonic() + wait
    while True:
        pid = processes.fork_with_retries()
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


def clean_up_after(harness_pid: int) -> None:
    """In the grader, once a harness has ended: kill its sandboxes' leftovers, drop its files."""
    if os.geteuid() == 0:
        kill_user(sandbox_uid_for(harness_pid))
    for path in Path(tempfile.gettempdir()).glob(f"{COPY_PREFIX}{harness_pid}-*"):
        remove_tree(path)  # however deep the student's code made it


def clean_up_stale() -> None:
    """Drop the folders of harnesses that no longer run (a grader killed with ``kill -9``),
    and the empty root folders of launchers that no longer run."""
    for path in Path(tempfile.gettempdir()).glob(f"{COPY_PREFIX}*"):
        pid = path.name.removeprefix(COPY_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not processes.alive(int(pid)):
            remove_tree(path)
    folder, prefix = LAUNCHER_ROOT_PREFIX.rsplit("/", 1)
    for path in Path(folder).glob(f"{prefix}*"):
        pid = path.name.removeprefix(prefix)
        if pid.isdigit() and not processes.alive(int(pid)):
            with contextlib.suppress(OSError):
                path.rmdir()  # empty, unless a launcher died while a sandbox was mounting
