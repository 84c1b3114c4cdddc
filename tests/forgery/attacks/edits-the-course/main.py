"""Tries to rewrite files of the course itself, whose paths it was told in target.txt."""

import contextlib
import os
from pathlib import Path

from fastapi import FastAPI


def vandalise() -> None:
    with contextlib.suppress(Exception):
        lines = Path(__file__).with_name("target.txt").read_text().split()
        course = Path(lines[1])
        for name in ("autograder/__init__.py", "autograder/results.py", "autograder/checks.py"):
            with contextlib.suppress(Exception), open(course / name, "a") as stream:
                stream.write("\nraise SystemExit('edited by a submission')\n")
        with contextlib.suppress(Exception):
            os.remove(lines[2])  # the canary


vandalise()
app = FastAPI()


@app.get("/")
def root():
    vandalise()
    return {}
