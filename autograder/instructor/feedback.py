"""One student's feedback: the grading status, a Markdown report and the JSON record.

The JSON record is Gradescope's ``results.json`` document plus what batch grading needs to
trust it later: the student, the status, the reason, and the fingerprints of the
submission and of the suite that were graded.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from autograder.results import GradeResult

GRADED, NOT_GRADED, TIMED_OUT = "graded", "could not be graded", "timed out"
STATUSES = (GRADED, NOT_GRADED, TIMED_OUT)


def status_of(result: GradeResult) -> tuple[str, str]:
    """``(status, reason)``: whether the score can be read as the work's worth, and why not.

    * ``graded``: every check ran; a blank starter is graded (and scores what it is worth);
    * ``could not be graded``: the submission did not import, or has no lab folder;
    * ``timed out``: the import, or at least one check, ran past its time limit.
    """
    if result.problem:
        timed_out = "did not finish within" in result.problem
        return (TIMED_OUT if timed_out else NOT_GRADED), result.problem
    slow = [item.check.name for item in result.results if _ran_too_long(item.message)]
    if slow:
        return TIMED_OUT, "ran past its time limit: " + ", ".join(slow)
    return GRADED, ""


def _ran_too_long(message: str) -> bool:
    """A check's failure says it ran past a limit (the check itself, or a request of it)."""
    return message.startswith("timed out") or any(
        words in message for words in ("did not answer within", "did not finish within")
    )


def record(result: GradeResult, student: str, *, submission: str, suite: str) -> dict:
    """The JSON record of one grading (Gradescope's schema plus batch's own fields)."""
    document = result.to_gradescope()
    status, reason = status_of(result)
    document.update(
        student=student,
        status=status,
        reason=reason,
        submission_sha256=submission,
        suite_sha256=suite,
    )
    return document


def read_record(path: Path) -> dict | None:
    """A record written earlier, or None when it is missing or unreadable."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def markdown_report(student: str, result: GradeResult, title: str) -> str:
    """A readable feedback file for one student."""
    status, reason = status_of(result)
    lines = [f"# {title}: {student}", "", f"**Score: {result.score:g}/{result.max_score:g}**", ""]
    if status != GRADED:
        lines += [f"Status: {status}. {reason}", ""]
    lines += ["| check | points |", "|---|---|"]
    for item in result.results:
        mark = "passed" if item.passed else "failed"
        lines.append(f"| {item.check.name} ({mark}) | {item.score:g}/{item.check.points:g} |")
    failed = [item for item in result.results if not item.passed]
    if failed:
        lines += ["", "## What to fix", ""]
        for item in failed:
            lines.append(f"### {item.check.name}")
            if item.check.description:
                lines.append(item.check.description)
            if item.message and not result.problem:
                lines += ["", "```", item.message, "```"]
            lines += ["", f"Hint: {item.check.hint}", ""]
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Write a file so that a reader sees the old content or the new one, never a part."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
