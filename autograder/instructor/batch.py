"""Grading a whole class on one machine: ``python -m autograder batch LAB DIR``.

Each entry of the submissions folder is one student (its name is the student id): a lab
folder, a zipped lab folder unpacked, or a whole clone of the course; the lab folder is
found by :mod:`autograder.instructor.finder`. The grader is made warm once (pytest, the
suite and the lab's dependencies imported), then forked into ``jobs`` workers; each
submission is graded in a fresh child of a worker, with its own limits.

A grade is never stale: each student's record keeps the SHA-256 of the files it graded and
of the suite that graded them. A re-run grades the new students, re-grades those whose
submission (or the suite) changed, and keeps the others; ``regrade`` re-grades everyone.
A submission larger than the grading copies is not read whole to fingerprint it
(:data:`~autograder.instructor.fingerprint.TOO_LARGE`): it is graded on every run, where
the copy refuses it with the reason.
Feedback files are written atomically as each student finishes, so a run that is killed
loses nothing, and the gradebook and the class summary are rebuilt from them.

Nothing that goes wrong with one student stops the class: a submission that cannot be read,
a grading that fails, feedback files that cannot be written all make that student's row
"could not be graded", with why. A folder's name may be anything (bytes that are not UTF-8,
250 characters): its files get a plain name (:func:`~autograder.instructor.feedback.file_stem`)
and the reports show it escaped (:func:`~autograder.instructor.feedback.display_name`).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import Lab
from autograder.instructor import feedback
from autograder.instructor.class_summary import write_summary
from autograder.instructor.feedback import display_name
from autograder.instructor.finder import find_lab_folder, why_not_found
from autograder.instructor.fingerprint import TOO_LARGE, submission_digest, suite_digest
from autograder.instructor.gradebook import gradebook_rows, write_gradebook
from autograder.results import CheckResult, GradeResult
from autograder.runner import Grader, Limits

FEEDBACK_DIR_SUFFIX = "-feedback"

_grader: Grader | None = None  # the warm grader every worker inherits
_started = None  # workers say here whom they start grading (for the progress bar)


@dataclass(frozen=True)
class Task:
    """One student to grade, with everything a worker needs (it is sent to the worker)."""

    student: str
    folder: str | None
    missing: str  # why no lab folder was found, when none was
    submission_sha256: str
    suite_sha256: str
    feedback_dir: str
    title: str


@dataclass
class ClassRun:
    """What one batch run did, for the summary line and the tests."""

    students: list[str]
    graded: list[str] = field(default_factory=list)  # first grading
    regraded: list[str] = field(default_factory=list)  # changed, or --regrade
    unchanged: list[str] = field(default_factory=list)  # kept: same files, same suite
    records: list[dict] = field(default_factory=list)
    gradebook: Path | None = None
    feedback: Path | None = None
    summary: Path | None = None
    plot: Path | None = None

    def with_status(self, status: str) -> list[str]:
        return [d["student"] for d in self.records if d.get("status") == status]

    @property
    def full_marks(self) -> int:
        return sum(1 for d in self.records if d["max_score"] and d["score"] == d["max_score"])


def feedback_dir_for(gradebook: Path) -> Path:
    """Where the per-student files go: ``grades.csv`` -> ``grades-feedback/``."""
    return gradebook.with_name(gradebook.stem + FEEDBACK_DIR_SUFFIX)


def _grade_student(task: Task) -> str:
    """Grade one student in a worker and write their feedback files; returns the student.

    When the files cannot be written, a "could not be graded" record saying why is written
    instead, without the submission's fingerprint (the next run grades it again); when even
    that fails, the gradebook gives the student such a row itself."""
    assert _grader is not None
    if _started is not None:
        _started.put((task.student, time.monotonic()))
    result = _graded(task)
    try:
        _write_feedback(task, result, task.submission_sha256)
    except Exception as error:  # one student's files never stop the class
        problem = f"the feedback files could not be written ({type(error).__name__}: {error})"
        with contextlib.suppress(Exception):
            _write_feedback(task, _not_graded(problem, task.folder), "")
    return task.student


def _graded(task: Task) -> GradeResult:
    """The student's grading, or a result saying why there is none."""
    assert _grader is not None
    if task.folder is None:
        return _not_graded(task.missing, None)
    try:
        return _grader.grade(task.folder)
    except Exception as error:  # one student's grading never stops the class
        problem = f"the grader failed on this submission ({type(error).__name__}: {error})"
        return _not_graded(problem, task.folder)


def _not_graded(problem: str, folder: str | None) -> GradeResult:
    """Every check failed, with ``problem`` as the reason."""
    assert _grader is not None
    result = GradeResult(lab=_grader.lab.folder, submission=folder or "", problem=problem)
    result.results = [CheckResult(check, False, problem) for check in _grader.checks]
    return result


def _write_feedback(task: Task, result: GradeResult, submission_sha256: str) -> None:
    """The student's Markdown report and JSON record, each written atomically."""
    out, stem = Path(task.feedback_dir), feedback.file_stem(task.student)
    report = feedback.markdown_report(task.student, result, task.title)
    feedback.write_atomically(out / f"{stem}.md", report)
    document = feedback.record(
        result, task.student, submission=submission_sha256, suite=task.suite_sha256
    )
    feedback.write_atomically(out / f"{stem}.json", json.dumps(document, indent=2) + "\n")


def _worker_init() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl+C


def list_students(submissions: Path) -> list[str]:
    """One student per folder of ``submissions`` (hidden folders and loose files ignored)."""
    return sorted(
        entry.name
        for entry in submissions.iterdir()
        if entry.is_dir() and not entry.name.startswith(".")
    )


def plan(
    lab: Lab, submissions: Path, feedback_dir: Path, title: str, *, regrade: bool
) -> tuple[ClassRun, list[Task]]:
    """Sort the class into new, changed and unchanged students; the tasks to run."""
    run = ClassRun(students=list_students(submissions))
    suite = suite_digest(lab)
    tasks = []
    for student in run.students:
        entry = submissions / student
        digest, unreadable = _fingerprint(entry)
        previous = feedback.read_record(feedback_dir / f"{feedback.file_stem(student)}.json")
        same = previous is not None and (
            previous.get("submission_sha256") == digest and previous.get("suite_sha256") == suite
        )
        same = same and digest != TOO_LARGE  # its files were not all read: never kept
        if same and not regrade and not unreadable:
            run.unchanged.append(student)
            continue
        (run.graded if previous is None else run.regraded).append(student)
        path, missing = (None, unreadable) if unreadable else _lab_folder(entry, lab)
        tasks.append(Task(student, path, missing, digest, suite, str(feedback_dir), title))
    return run, tasks


def _fingerprint(entry: Path) -> tuple[str, str]:
    """``(digest, "")``, or ``("", why)`` when the submission cannot be read."""
    try:
        return submission_digest(entry), ""
    except Exception as error:  # one student's folder never stops the class
        return "", f"the submission could not be read ({type(error).__name__}: {error})"


def _lab_folder(entry: Path, lab: Lab) -> tuple[str | None, str]:
    """``(lab folder, "")``, or ``(None, why there is none)``."""
    try:
        folder = find_lab_folder(entry, lab)
        return (str(folder), "") if folder else (None, why_not_found(entry, lab))
    except Exception as error:  # one student's folder never stops the class
        return None, f"the submission could not be searched ({type(error).__name__}: {error})"


def grade_class(
    lab: Lab,
    submissions: Path,
    out: Path,
    *,
    jobs: int = 1,
    limits: Limits | None = None,
    regrade: bool = False,
    show_progress: bool = True,
) -> ClassRun:
    """Grade every entry of ``submissions``; write the gradebook ``out``, its feedback
    folder and the class summary beside it; return what was done."""
    global _grader, _started
    submissions, out = submissions.resolve(), out.resolve()
    feedback_dir = feedback_dir_for(out)
    feedback_dir.mkdir(parents=True, exist_ok=True)
    title = f"Lab {lab.number:02d} · {lab.title}"
    run, tasks = plan(lab, submissions, feedback_dir, title, regrade=regrade)
    _grader = Grader(lab, limits)
    _grader.collect()  # once here, not once per worker
    context = multiprocessing.get_context("fork")
    _started = context.SimpleQueue()
    try:
        _run_pool(context, tasks, jobs, run, show_progress)
    finally:
        _started = None
    checks = [(check.name, check.points) for check in _grader.checks]
    top = sum(points for _, points in checks)
    run.records = gradebook_rows(feedback_dir, run.students, top)
    write_gradebook(out, run.records, [name for name, _ in checks])
    run.summary, run.plot = write_summary(out, title, run.records, checks)
    run.gradebook, run.feedback = out, feedback_dir
    return run


def _run_pool(context, tasks: list[Task], jobs: int, run: ClassRun, show_progress: bool) -> None:
    """Grade ``tasks`` in ``jobs`` workers; the progress bar names whom it is grading."""
    progress = _progress(show_progress, len(run.students), len(run.unchanged))
    running: dict[str, float] = {}
    done: set[str] = set()
    with progress, context.Pool(max(1, jobs), initializer=_worker_init) as pool:
        bar = progress.tasks[0].id
        results = pool.imap_unordered(_grade_student, tasks)
        while len(done) < len(tasks):
            while not _started.empty():
                student, since = _started.get()
                if student not in done:  # its start may be read after its end
                    running[student] = since
            try:
                finished = results.next(timeout=0.25)
            except multiprocessing.TimeoutError:
                finished = None
            except StopIteration:
                break
            if finished is not None:
                running.pop(finished, None)
                done.add(finished)
                progress.advance(bar)
            progress.update(bar, description=_now_grading(running))
        progress.update(bar, description="graded")


def _now_grading(running: dict[str, float]) -> str:
    """``grading alice (41 s), bob``: who is being graded, the longest first."""
    if not running:
        return "grading"
    now = time.monotonic()
    names = [
        display_name(student) + (f" ({now - since:.0f} s)" if now - since >= 5 else "")
        for student, since in sorted(running.items(), key=lambda item: item[1])
    ]
    return "grading " + ", ".join(names)


def _progress(enabled: bool, total: int, done: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}", markup=False),  # names are shown as they are
        disable=not enabled,
        transient=False,
    )
    progress.add_task("grading", total=total, completed=done)
    return progress
