"""Reading (and replacing) files the student's code may have written or replaced, as root,
safely.

In secure mode the checks run as root, and the student's code (another user) may plant a
link where the checks read: a path is followed one folder at a time without following any
link, so such a link never makes the grader read a file of the machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

MAX_READ_BYTES = 8 * 1024 * 1024


def read_own_file(path: Path, limit: int = MAX_READ_BYTES) -> bytes | None:
    """The bytes of a regular file the submission's code may have written or replaced (a
    file of its folder, of a folder handed to its app), or None when there is none.

    The checks run as root in secure mode: a path is followed one folder at a time without
    following any link (a link, anywhere on the way, reads as no file), so a link the
    student's code planted never makes the grader read a file of the machine.
    """
    parts = Path(path).parts
    flags = os.O_RDONLY | os.O_NOFOLLOW
    try:
        descriptor = os.open(parts[0], flags | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        for index, part in enumerate(parts[1:], start=1):
            last = index == len(parts) - 1
            options = flags | (os.O_NONBLOCK if last else os.O_DIRECTORY)
            try:
                following = os.open(part, options, dir_fd=descriptor)
            except OSError:
                return None
            os.close(descriptor)
            descriptor = following
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        with os.fdopen(os.dup(descriptor), "rb") as reading:
            return reading.read(limit)
    finally:
        os.close(descriptor)


def read_own_text(path: Path) -> str | None:
    """:func:`read_own_file` as text (bad bytes replaced), or None."""
    data = read_own_file(path)
    return None if data is None else data.decode(errors="replace")


def replace_own_file(folder: Path, name: str, data: bytes) -> bool:
    """Put a new file of the grader's at ``folder/name``, holding ``data``, whatever the
    student's code left there; False when that cannot be done (a folder there, say).

    The checks run as root in secure mode, and ``folder`` may be one the student's code
    writes in: it is reached without following any link, what is at ``name`` is removed (a
    link itself, never what it points to), and the new file is created only if nothing took
    its place in between. Writing to the old path instead would write, as root, through a
    link the student's code planted there, into any file of the machine.
    """
    descriptor = open_own_folder(Path(folder))
    if descriptor is None:
        return False
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=descriptor)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        written = os.open(name, flags, 0o644, dir_fd=descriptor)
    except OSError:
        return False
    finally:
        os.close(descriptor)
    with os.fdopen(written, "wb") as writing:
        writing.write(data)
    return True


MAX_TREE_BYTES = 64 * 1024 * 1024  # what one copy of a student's folder may hold in all


def open_own_folder(path: Path) -> int | None:
    """A descriptor of the folder ``path``, reached without following any link, or None."""
    parts = Path(path).parts
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY
    try:
        descriptor = os.open(parts[0], flags)
    except OSError:
        return None
    for part in parts[1:]:
        try:
            following = os.open(part, flags, dir_fd=descriptor)
        except OSError:
            os.close(descriptor)
            return None
        os.close(descriptor)
        descriptor = following
    return descriptor


MAX_TREE_DEPTH = 64  # folders in folders one copy goes down (deeper ones are left out)
MAX_TREE_ENTRIES = 20_000  # files and folders one copy looks at


def copy_own_tree(
    source: Path, destination: Path, *, skip: frozenset[str] = frozenset(), suffixes=(".pyc",)
) -> Path:
    """Copy the folders and regular files under ``source`` (a folder the student's code may
    change while it is copied) into ``destination``, a new folder of the grader's.

    Links, devices, pipes and sockets are left out; every name is opened relative to its
    folder without following links, so swapping a file for a link at any moment copies
    nothing of the machine. Names in ``skip`` and files ending in ``suffixes`` are left out,
    and so is what lies past :data:`MAX_TREE_DEPTH` folders down, past
    :data:`MAX_TREE_ENTRIES` names or past :data:`MAX_TREE_BYTES` in all. The walk keeps
    its own list of folders to visit, so no depth makes it recurse.
    """
    Path(destination).mkdir(parents=True, exist_ok=True)
    descriptor = open_own_folder(Path(source))
    if descriptor is None:
        return Path(destination)
    bytes_left, entries_left = MAX_TREE_BYTES, MAX_TREE_ENTRIES
    to_visit = [(descriptor, Path(destination), 0)]
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        while to_visit:
            folder, target, depth = to_visit.pop()
            try:
                names = sorted(os.listdir(folder))
            except OSError:
                names = []
            for name in names:
                entries_left -= 1
                if entries_left < 0 or bytes_left <= 0:
                    break
                if name in skip or name.endswith(tuple(suffixes)):
                    continue
                try:
                    entry = os.open(name, flags, dir_fd=folder)
                except OSError:  # a link (or gone): left out
                    continue
                handed_on = False
                try:
                    mode = os.fstat(entry).st_mode
                    if stat.S_ISDIR(mode) and depth < MAX_TREE_DEPTH:
                        (target / name).mkdir(exist_ok=True)
                        to_visit.append((entry, target / name, depth + 1))
                        handed_on = True
                    elif stat.S_ISREG(mode):
                        with os.fdopen(os.dup(entry), "rb") as reading:
                            data = reading.read(min(MAX_READ_BYTES, bytes_left))
                        bytes_left -= len(data)
                        (target / name).write_bytes(data)
                except OSError:
                    pass
                finally:
                    if not handed_on:
                        os.close(entry)
            os.close(folder)
    finally:
        for folder, _, _ in to_visit:
            os.close(folder)
    return Path(destination)


def remove_tree(path: Path) -> None:
    """Remove a folder the student's code may have filled, however deep, without following
    links; what cannot be removed stays (never an error)."""
    try:
        shutil.rmtree(path, ignore_errors=True)
    except RecursionError:  # deeper than Python recurses: the system's rm walks it
        subprocess.run(
            ["rm", "-rf", "--one-file-system", "--", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
