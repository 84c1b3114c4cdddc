"""The watchdog keeps a grading's processes, together, within a memory budget and a share of
the disk: each process alone may be within its own limits while together they are not."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from autograder.sandbox import watchdog

UID = 2_000_000_000 + (2 << 22) + 11  # of no grading, nor any self-test
pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root, as secure mode does"
)


def holders(count: int, megabytes: int) -> list[int]:
    """``count`` processes of UID, each holding ``megabytes`` of memory it has written."""
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                os.setgroups([])
                os.setgid(UID)
                os.setuid(UID)
                held = b"x" * (megabytes << 20)  # noqa: F841 - written, so resident
                time.sleep(60)
            finally:
                os._exit(0)
        pids.append(pid)
    deadline = time.monotonic() + 20
    while sum(map(watchdog.proportional_bytes, pids)) < count * megabytes * 0.9 * (1 << 20):
        assert time.monotonic() < deadline, "the holders did not fill their memory"
        time.sleep(0.05)
    return pids


def file_holders(count: int, megabytes: int) -> list[int]:
    """``count`` processes of UID, each holding ``megabytes`` in a memory file it never maps
    (``memfd_create``): no page of it is the process's own."""
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                os.setgroups([])
                os.setgid(UID)
                os.setuid(UID)
                descriptor = os.memfd_create("held")
                for _ in range(megabytes):
                    os.write(descriptor, b"x" * (1 << 20))
                time.sleep(60)
            finally:
                os._exit(0)
        pids.append(pid)
    deadline = time.monotonic() + 20
    while watchdog.memory_in_files(pids) < count * megabytes * 0.9 * (1 << 20):
        assert time.monotonic() < deadline, "the holders did not fill their memory files"
        time.sleep(0.05)
    return pids


def reap(pids: list[int]) -> list[int]:
    """Kill and reap ``pids``; return those that were still running."""
    running = []
    for pid in pids:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            running.append(pid)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return running


def test_processes_that_together_pass_the_memory_budget_are_all_stopped(tmp_path):
    reports: list[str] = []
    dog = watchdog.Watchdog(UID, tmp_path, memory_mb=250, disk_mb=1 << 20, report=reports.append)
    pids = holders(3, 120)  # each alone well within any per-process limit
    reason = dog.look()
    time.sleep(0.2)
    running = reap(pids)
    assert "MB of memory" in reason and reports == [reason]
    assert running == [], "a process of the grading kept running"


def test_processes_within_the_budget_keep_running(tmp_path):
    dog = watchdog.Watchdog(UID, tmp_path, memory_mb=1024, disk_mb=1 << 20, report=print)
    pids = holders(2, 100)
    try:
        assert dog.look() == ""
        assert all(os.waitpid(pid, os.WNOHANG) == (0, 0) for pid in pids)
    finally:
        reap(pids)


def test_a_harness_that_grew_past_its_budget_stops_the_processes(tmp_path, monkeypatch):
    """What the sandboxes send the harness (answers, logs, test events) is held in the
    harness's memory, which no sandbox owns: past its own budget, the sandboxes stop."""
    monkeypatch.setattr(watchdog, "HARNESS_MB", 64)
    reports: list[str] = []
    dog = watchdog.Watchdog(UID, tmp_path, memory_mb=1024, disk_mb=1 << 20, report=reports.append)
    pids = holders(1, 10)
    assert dog.look() == ""  # the harness has not grown yet
    received = b"x" * (96 << 20)  # what a sandbox sent, kept
    reason = dog.look()
    time.sleep(0.2)
    running = reap(pids)
    assert "sent the grader" in reason and reports == [reason]
    assert running == [], "a process of the grading kept running"
    del received


def fill(path: Path, megabytes: int) -> None:
    with open(path, "wb") as big:
        for _ in range(megabytes):
            big.write(b"\1" * (1 << 20))
        big.flush()
        os.fsync(big.fileno())


def test_a_grading_that_fills_the_disk_past_its_share_is_stopped(tmp_path: Path):
    reports: list[str] = []
    grading = tmp_path / "grading"
    grading.mkdir()
    dog = watchdog.Watchdog(UID, grading, memory_mb=1024, disk_mb=32, report=reports.append)
    fill(grading / "big", 64)
    assert "MB to disk" in dog.look()
    assert len(reports) == 1


def test_what_others_write_on_the_same_disk_is_not_the_gradings(tmp_path: Path):
    grading = tmp_path / "grading"
    grading.mkdir()
    dog = watchdog.Watchdog(UID, grading, memory_mb=1024, disk_mb=32, report=print)
    fill(tmp_path / "someone-else", 64)  # beside the grading's folder, on the same disk
    fill(grading / "small", 4)
    assert dog.look() == ""


def test_memory_held_in_files_a_process_never_maps_counts_too(tmp_path):
    reports: list[str] = []
    dog = watchdog.Watchdog(UID, tmp_path, memory_mb=200, disk_mb=1 << 20, report=reports.append)
    pids = file_holders(2, 150)
    reason = dog.look()
    time.sleep(0.2)
    running = reap(pids)
    assert "MB of memory" in reason, reason
    assert running == []


def make_empty_files(folder: Path, count: int) -> None:
    folder.mkdir(exist_ok=True)
    for number in range(count):
        (folder / str(number)).touch()


def test_a_grading_that_makes_too_many_files_is_stopped(tmp_path: Path, monkeypatch):
    # Empty files take no bytes of the disk, but an entry each: the disk runs out of those.
    monkeypatch.setattr(watchdog, "MAX_ENTRIES", 300)
    reports: list[str] = []
    grading = tmp_path / "grading"
    grading.mkdir()
    dog = watchdog.Watchdog(UID, grading, memory_mb=1024, disk_mb=1 << 20, report=reports.append)
    if dog.entries_free_at_start == 0:
        pytest.skip("this file system does not count its files")
    make_empty_files(grading / "many", 400)
    assert "more than 300 files" in dog.look()
    assert len(reports) == 1


def test_files_others_make_on_the_same_disk_are_not_the_gradings(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(watchdog, "MAX_ENTRIES", 300)
    grading = tmp_path / "grading"
    grading.mkdir()
    dog = watchdog.Watchdog(UID, grading, memory_mb=1024, disk_mb=1 << 20, report=print)
    make_empty_files(tmp_path / "someone-else", 400)  # beside the grading's folder
    make_empty_files(grading / "few", 10)
    assert dog.look() == ""
    assert dog.look() == ""  # counted once: what others made is no longer looked at
