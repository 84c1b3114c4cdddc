"""Reading files the student's code may have written or replaced, as root, safely.

In secure mode the checks run as root, and the student's code (another user) may plant a
link where the checks read: a path is followed one folder at a time without following any
link, so such a link never makes the grader read a file of the machine.
"""

from __future__ import annotations

import os
import stat
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


def copy_own_tree(
    source: Path, destination: Path, *, skip: frozenset[str] = frozenset(), suffixes=(".pyc",)
) -> Path:
    """Copy the folders and regular files under ``source`` (a folder the student's code may
    change while it is copied) into ``destination``, a new folder of the grader's.

    Links, devices, pipes and sockets are left out; every name is opened relative to its
    folder without following links, so swapping a file for a link at any moment copies
    nothing of the machine. Names in ``skip`` and files ending in ``suffixes`` are left out;
    past :data:`MAX_TREE_BYTES` in all, the remaining files are left out too.
    """
    Path(destination).mkdir(parents=True, exist_ok=True)
    descriptor = open_own_folder(Path(source))
    if descriptor is not None:
        try:
            _copy_folder(descriptor, Path(destination), skip, tuple(suffixes), [MAX_TREE_BYTES])
        finally:
            os.close(descriptor)
    return Path(destination)


def _copy_folder(
    folder: int, destination: Path, skip: frozenset[str], suffixes: tuple, budget: list[int]
) -> None:
    for name in sorted(os.listdir(folder)):
        if name in skip or name.endswith(suffixes) or budget[0] <= 0:
            continue
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            entry = os.open(name, flags, dir_fd=folder)
        except OSError:  # a link (or gone): left out
            continue
        try:
            mode = os.fstat(entry).st_mode
            if stat.S_ISDIR(mode):
                (destination / name).mkdir(exist_ok=True)
                _copy_folder(entry, destination / name, skip, suffixes, budget)
            elif stat.S_ISREG(mode):
                with os.fdopen(os.dup(entry), "rb") as reading:
                    data = reading.read(min(MAX_READ_BYTES, budget[0]))
                budget[0] -= len(data)
                (destination / name).write_bytes(data)
        finally:
            os.close(entry)
