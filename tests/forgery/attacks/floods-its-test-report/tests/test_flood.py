"""The attack: events without end on the run's report, in every run, then a failure that
says whether they all went through."""

import json
import os
import stat
from pathlib import Path

TOTAL = 80 << 20  # bytes of events: each small one takes ten times as much in the harness
LINE = json.dumps({"event": "start", "nodeid": "a"})


def pipes() -> list[int]:
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if int(name) > 2 and stat.S_ISFIFO(os.fstat(int(name)).st_mode):
                found.append(int(name))
        except OSError:
            pass
    return found


def test_flood():
    whole = Path.home() / "flood-whole.txt"  # the submission's folder, shared by every run
    data = (LINE + "\n").encode() * 32768
    sent, fds = 0, pipes()
    while sent < TOTAL and fds:
        for fd in fds:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            sent += len(data)
    whole.write_text("sent")
    assert not whole.exists(), "FLOOD " + "UNSEEN"
    raise AssertionError("nothing is tested here")
