"""Grading a whole class on one machine: `python -m autograder batch LAB DIR --out grades.csv`.

Each entry of the submissions folder is one student (its name is the student id): a lab
folder, or a whole clone of the course in which the lab folder is found. The grader is made
warm once (pytest, the suite and the lab's dependencies imported), then forked into ``--jobs``
workers; each submission is graded in a fresh child of a worker, with its own limits.

Nothing is lost: each student's feedback (Gradescope JSON and a Markdown report) is written
atomically as soon as it is known, a run that is killed and started again grades only the
students without feedback, and the gradebook is rebuilt from the feedback files, so every
student appears exactly once.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.course import Lab
from autograder.results import CheckResult, GradeResult
from autograder.runner import Grader, Limits

FEEDBACK_DIR_SUFFIX = "-feedback"
SEARCH_DEPTH = 4

_grader: Grader | None = None  # the warm grader every worker inherits


@dataclass(frozen=True)
class Outcome:
    """The summary of one student's grading, sent back to the parent for the progress bar."""

    student: str
    score: float
    max_score: float
    problem: str


def find_lab_folder(entry: Path, lab: Lab) -> Path | None:
    """The student's lab folder: the entry itself, or ``<lab folder>`` somewhere inside it."""
    if (entry / "main.py").is_file():
        return entry
    candidates = [entry / "labs" / lab.folder, entry / lab.folder]
    for depth in range(SEARCH_DEPTH):
        candidates += sorted(entry.glob("/".join(["*"] * depth + [lab.folder])))
    for candidate in candidates:
        if (candidate / "main.py").is_file():
            return candidate
    return None


def write_atomically(path: Path, text: str) -> None:
    """Write a file so that a reader sees the old content or the new one, never a part."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def markdown_report(student: str, result: GradeResult, title: str) -> str:
    """A readable feedback file for one student."""
    lines = [f"# {title}: {student}", "", f"**Score: {result.score:g}/{result.max_score:g}**", ""]
    if result.problem:
        lines += [f"The submission could not be graded: {result.problem}", ""]
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


def _grade_student(task: tuple[str, str | None, str, str]) -> Outcome:
    """Grade one student in a worker and write their feedback files."""
    student, folder, feedback_dir, title = task
    assert _grader is not None
    if folder is None:
        result = GradeResult(lab=_grader.lab.folder, submission="")
        result.problem = f"no {_grader.lab.folder} folder with a main.py was found"
        result.results = [CheckResult(check, False, result.problem) for check in _grader.checks]
    else:
        result = _grader.grade(folder)
    out = Path(feedback_dir)
    write_atomically(out / f"{student}.md", markdown_report(student, result, title))
    document = result.to_gradescope()
    document["student"] = student
    write_atomically(out / f"{student}.json", json.dumps(document, indent=2) + "\n")
    return Outcome(student, result.score, result.max_score, result.problem)


def write_gradebook(csv_path: Path, feedback_dir: Path, students: list[str], checks: list[str]):
    """Rebuild the CSV from the feedback files: one row per student, one column per check."""
    rows = []
    for student in students:
        path = feedback_dir / f"{student}.json"
        if not path.is_file():
            continue
        document = json.loads(path.read_text())
        by_name = {test["name"]: test["score"] for test in document["tests"]}
        rows.append(
            [student, document["score"], document["max_score"]]
            + [by_name.get(name, 0) for name in checks]
        )
    handle, temporary = tempfile.mkstemp(dir=csv_path.parent, prefix=f".{csv_path.name}.")
    with os.fdopen(handle, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["student", "score", "max_score", *checks])
        writer.writerows(rows)
    os.replace(temporary, csv_path)
    return rows


def _worker_init() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl+C


def grade_class(
    lab: Lab,
    submissions: Path,
    out: Path,
    *,
    jobs: int = 1,
    limits: Limits | None = None,
    show_progress: bool = True,
) -> dict:
    """Grade every entry of ``submissions``; returns the summary counts."""
    global _grader
    submissions, out = submissions.resolve(), out.resolve()
    feedback_dir = out.with_name(out.stem + FEEDBACK_DIR_SUFFIX)
    feedback_dir.mkdir(parents=True, exist_ok=True)
    students = sorted(
        entry.name
        for entry in submissions.iterdir()
        if entry.is_dir() and not entry.name.startswith(".")
    )
    _grader = Grader(lab, limits)
    _grader.collect()  # once here, not once per worker
    title = f"Lab {lab.number:02d} · {lab.title}"
    todo = [
        (name, _str_or_none(find_lab_folder(submissions / name, lab)), str(feedback_dir), title)
        for name in students
        if not (feedback_dir / f"{name}.json").is_file()
    ]
    outcomes: list[Outcome] = []
    context = multiprocessing.get_context("fork")
    progress = _progress(show_progress, len(students), len(students) - len(todo))
    with progress, context.Pool(max(1, jobs), initializer=_worker_init) as pool:
        task = progress.tasks[0].id if progress.tasks else None
        for outcome in pool.imap_unordered(_grade_student, todo):
            outcomes.append(outcome)
            if task is not None:
                progress.update(task, advance=1, description=f"graded {outcome.student}")
    names = [check.name for check in _grader.checks]
    rows = write_gradebook(out, feedback_dir, students, names)
    scores = [(row[1], row[2]) for row in rows]
    problems = [
        json.loads((feedback_dir / f"{row[0]}.json").read_text()).get("output", "") for row in rows
    ]
    return {
        "students": len(students),
        "graded": len(rows),
        "graded_now": len(outcomes),
        "full_marks": sum(1 for score, top in scores if score == top),
        "zero": sum(1 for score, _ in scores if score == 0),
        "errors": sum(1 for problem in problems if problem),
        "gradebook": str(out),
        "feedback": str(feedback_dir),
    }


def _str_or_none(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _progress(enabled: bool, total: int, done: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
        transient=False,
    )
    progress.add_task("grading", total=total, completed=done)
    return progress
