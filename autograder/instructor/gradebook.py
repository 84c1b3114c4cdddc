"""The class gradebook: one CSV row per student, rebuilt from the feedback records.

Columns: ``student``, ``status`` (graded, could not be graded, timed out), ``score``,
``max_score``, ``reason`` (why the status is not "graded"), then one column per check with
the points it earned. A spreadsheet sorts and filters on ``status`` to find who needs a look.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from autograder.instructor.feedback import read_record, write_atomically

FIXED_COLUMNS = ["student", "status", "score", "max_score", "reason"]


def gradebook_rows(feedback_dir: Path, students: list[str]) -> list[dict]:
    """The feedback record of each student who has one, in the order given."""
    rows = []
    for student in students:
        document = read_record(feedback_dir / f"{student}.json")
        if document is not None:
            rows.append(document)
    return rows


def write_gradebook(path: Path, records: list[dict], checks: list[str]) -> None:
    """Write the CSV (atomically) from the records: fixed columns, then one per check."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow([*FIXED_COLUMNS, *checks])
    for document in records:
        earned = {test["name"]: test["score"] for test in document.get("tests", [])}
        writer.writerow(
            [
                document["student"],
                document.get("status", ""),
                document["score"],
                document["max_score"],
                document.get("reason", ""),
                *(earned.get(name, 0) for name in checks),
            ]
        )
    write_atomically(path, stream.getvalue())
