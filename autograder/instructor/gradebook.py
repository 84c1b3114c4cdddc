"""The class gradebook: one CSV row per student, rebuilt from the feedback records.

Columns: ``student``, ``status`` (graded, could not be graded, timed out), ``score``,
``max_score``, ``reason`` (why the status is not "graded"), then one column per check with
the points it earned. A spreadsheet sorts and filters on ``status`` to find who needs a look.

A student whose record is missing (its files could not be written) still has a row: could
not be graded, and why. A text cell that a spreadsheet would read as a formula (it starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) starts with ``'`` instead, so a
folder named ``=HYPERLINK(...)`` is shown as its name; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from autograder.instructor.feedback import (
    NOT_GRADED,
    display_name,
    file_stem,
    read_record,
    write_atomically,
)

FIXED_COLUMNS = ["student", "status", "score", "max_score", "reason"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NO_RECORD = "no feedback record could be written or read for this student"


def gradebook_rows(feedback_dir: Path, students: list[str], max_score: float = 0.0) -> list[dict]:
    """Each student's feedback record, in the order given; a student without a readable
    record gets a "could not be graded" row (worth 0 of ``max_score``)."""
    rows = []
    for student in students:
        document = read_record(feedback_dir / f"{file_stem(student)}.json")
        rows.append(document if document is not None else _without_record(student, max_score))
    return rows


def _without_record(student: str, max_score: float) -> dict:
    return {
        "student": display_name(student),
        "status": NOT_GRADED,
        "reason": NO_RECORD,
        "score": 0.0,
        "max_score": max_score,
        "tests": [],
    }


def cell(value: object) -> object:
    """A value as a CSV cell a spreadsheet shows as written: text that would start a formula
    gets a leading ``'``; numbers are kept."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_gradebook(path: Path, records: list[dict], checks: list[str]) -> None:
    """Write the CSV (atomically) from the records: fixed columns, then one per check."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow([*FIXED_COLUMNS, *checks])
    for document in records:
        earned = {test["name"]: test["score"] for test in document.get("tests", [])}
        row = [
            display_name(document["student"]),
            document.get("status", ""),
            document["score"],
            document["max_score"],
            document.get("reason", ""),
            *(earned.get(name, 0) for name in checks),
        ]
        writer.writerow([cell(value) for value in row])
    write_atomically(path, stream.getvalue())
