"""Makes empty files, a quarter of a million in each place it may write: its own folder (on
the grader's disk) and its own /tmp (a file system in memory). An empty file takes no byte,
only an entry of its file system: one of the disk's inodes, which run out for every grading
on the machine, or the kernel's memory. It says what it made in an import error."""

import os
import time

MANY = 250_000
WORKERS = 4  # processes making files at once


def make_files(folder: str, count: int, seconds: float) -> int:
    os.makedirs(folder, exist_ok=True)
    deadline = time.monotonic() + seconds
    made = 0
    while made < count and time.monotonic() < deadline:
        try:
            os.close(os.open(f"{folder}/{made}", os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError:
            break
        made += 1
    return made


def make_files_at_once(folder: str, seconds: float) -> int:
    children = []
    for number in range(WORKERS):
        pid = os.fork()
        if pid == 0:
            make_files(f"{folder}/{number}", MANY // WORKERS, seconds)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    return sum(len(os.listdir(f"{folder}/{number}")) for number in range(WORKERS))


on_disk = make_files_at_once("many", seconds=20)
in_memory = make_files("/tmp/many", MANY, seconds=5)
time.sleep(2)  # the watchdog looks a few times a second
if MANY in (in_memory, on_disk):
    unseen = " ".join(["FILES", "UNSEEN"])  # (the report quotes the line that raised)
    raise RuntimeError(f"MADE {on_disk} + {in_memory} {unseen}")
raise RuntimeError(f"made only {on_disk} + {in_memory} files")
