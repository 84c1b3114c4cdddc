"""A model the grader can hold in the middle of a prediction (lab 09's jobs).

A check that must see a job at work (status ``running``) starts the app with the grader's
model wrapped in :class:`HeldPipeline`: while the file ``hold`` exists in its folder, a
prediction writes the file ``working`` there and waits until the grader removes ``hold``.
The grader then asks about the job, knowing its model is at work: files, no timing.

The app unpickles the model wherever it runs, a sandbox included: this module is imported
by the sandbox launcher before any sandbox starts (``autograder.sandbox.PRELOAD``), so
unpickling needs no import of the grader's suites there. Standard library only.
"""

from __future__ import annotations

import time
from pathlib import Path

HOLD_SECONDS = 10.0  # the longest the held model waits for the grader (then it predicts)


class HeldPipeline:
    """The grader's pipeline, with a hold the grader controls: while the file ``hold``
    exists in ``folder``, a prediction first writes the file ``working`` there, then waits
    (at most HOLD_SECONDS) until the grader removes ``hold``. Saved as the model a check
    starts the app with, it lets the grader ask about a job in the middle of its work,
    whatever runs it (a worker thread, the event loop, another process, a sandbox): no
    timing involved. Every other attribute (``classes_``, ``steps``) is the pipeline's."""

    def __init__(self, pipeline, folder: str) -> None:
        self.pipeline = pipeline
        self.folder = folder

    def __getattr__(self, name: str):
        if name in ("pipeline", "folder") or name.startswith("__"):
            raise AttributeError(name)  # (while unpickling, before they are set)
        return getattr(self.pipeline, name)

    def wait_for_the_grader(self) -> None:
        hold = Path(self.folder) / "hold"
        if not hold.exists():
            return
        (Path(self.folder) / "working").touch()
        deadline = time.monotonic() + HOLD_SECONDS
        while hold.exists() and time.monotonic() < deadline:
            time.sleep(0.01)

    def predict_proba(self, rows):
        self.wait_for_the_grader()
        return self.pipeline.predict_proba(rows)

    def predict(self, rows):
        self.wait_for_the_grader()
        return self.pipeline.predict(rows)
