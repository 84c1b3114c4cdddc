"""Tests that test nothing. Their first run tells the grader, on the run's own pipe, that
it passed and has finished, then goes on running; the runs after it look whether it still
runs, and say so in their failure. A run must end when the grader counts it as over: one
that outlives it could keep notes for the runs after it, or hold the machine."""

import json
import os
import time
from pathlib import Path

HOME = Path.home()  # the submission's own folder: every run of the grading sees it
ALIVE = HOME / "still-running"
NODEID = "tests/test_service.py::test_the_service"


def first_run() -> bool:
    try:
        os.close(os.open(HOME / "claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def linger() -> None:
    for event in (
        {"event": "result", "nodeid": NODEID, "outcome": "passed", "message": ""},
        {"event": "finished", "exit_status": 0},
    ):
        os.write(3, json.dumps(event).encode() + b"\n")  # the run's pipe
    time.sleep(0.5)  # by then the grader has read it
    while True:
        ALIVE.write_text(str(time.time()))
        time.sleep(0.1)


def test_the_service():
    if first_run():
        linger()
    if ALIVE.exists():
        seen = ALIVE.read_text()
        time.sleep(0.5)
        if ALIVE.read_text() != seen:
            still = " ".join(["AN", "EARLIER", "RUN", "STILL", "RUNS"])  # (not quoted as is)
            raise AssertionError(still)
