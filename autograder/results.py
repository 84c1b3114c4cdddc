"""What a grading produces: one result per check, the total, and the Gradescope JSON form.

Every text a report shows (a check's message, the reason a whole submission failed, the
notes) is made printable when it is set (:func:`shown`): whatever the student's app answered
reaches the terminal, the feedback files, Gradescope and GitHub Classroom with its control
characters written as escapes (``\\x1b`` for ESC), and cut to
:data:`~autograder.events.MAX_MESSAGE_CHARS` characters.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.events import cut
from autograder.printable import printable

if TYPE_CHECKING:  # only for annotations: the small commands never import pytest
    from autograder.checks import CheckInfo


def shown(text: str) -> str:
    """A message as every report shows it: printable, and no longer than the size policy."""
    return cut(printable(text)) if text else ""


@dataclass
class CheckResult:
    """The outcome of one check: full points when passed, none otherwise.

    ``timed_out`` says the check failed because the grader stopped it at a time limit (the
    check's own, a request's or the app's start-up): the grader sets it from what it
    measured, never from the message, which the student's app can fill with any words.
    """

    check: CheckInfo
    passed: bool
    message: str = ""
    timed_out: bool = False

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "message":
            value = shown(value)
        super().__setattr__(name, value)

    @property
    def score(self) -> float:
        return self.check.points if self.passed else 0.0


@dataclass
class GradeResult:
    """Every check's result for one submission of one lab."""

    lab: str
    submission: str
    results: list[CheckResult] = field(default_factory=list)
    problem: str = ""  # a reason that applies to the whole submission (e.g. it did not import)
    # Worth knowing, costs no points. Add with ``+=`` (not ``append``): that sets the list,
    # and each note is made printable as it is set.
    notes: list[str] = field(default_factory=list)
    execution_time: float = 0.0
    import_timed_out: bool = False  # the problem: importing the submission ran past its limit

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "problem":
            value = shown(value)
        elif name == "notes":
            value = [shown(note) for note in value]
        super().__setattr__(name, value)

    @property
    def score(self) -> float:
        return round(sum(result.score for result in self.results), 4)

    @property
    def max_score(self) -> float:
        return round(sum(result.check.points for result in self.results), 4)

    @property
    def full_marks(self) -> bool:
        return all(result.passed for result in self.results)

    def to_gradescope(self) -> dict:
        """The results.json schema Gradescope reads (also what ``--json`` writes)."""
        tests = []
        for result in self.results:
            lines = [result.check.description] if result.check.description else []
            if not result.passed:
                lines += [result.message or "failed"]
                lines += [f"Hint: {result.check.hint}"]
            tests.append(
                {
                    "name": result.check.name,
                    "score": result.score,
                    "max_score": result.check.points,
                    "status": "passed" if result.passed else "failed",
                    "output": "\n".join(lines),
                    "visibility": "after_due_date" if result.check.hidden else "visible",
                }
            )
        document = {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 3),
            "tests": tests,
        }
        output = [self.problem] if self.problem else []
        output += [f"Note: {note}" for note in self.notes]
        if output:
            document["output"] = "\n".join(output)
        return document

    def write_json(self, path: str | Path) -> None:
        """Write the results file atomically: a reader sees the old file or the whole new one."""
        path = Path(path)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            partial.write_text(json.dumps(self.to_gradescope(), indent=2) + "\n")
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
