"""Watch mode: grade, then re-grade on every save without paying the imports again.

The warm :class:`~autograder.runner.Grader` keeps fastapi, scikit-learn, pytest and the suite
imported; each re-grade is a fresh ``fork`` of it, so a save costs only the student's own
code and the checks.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from autograder import progress
from autograder.course import Lab
from autograder.release import hidden_checks_in
from autograder.report import render
from autograder.runner import Grader

IGNORED_PARTS = {"__pycache__", ".pytest_cache", "models", ".ipynb_checkpoints"}


def _relevant(change: tuple, folder: Path) -> bool:
    path = Path(change[1])
    return path.suffix == ".py" and not IGNORED_PARTS.intersection(path.relative_to(folder).parts)


def watch(lab: Lab, folder: Path) -> None:
    from watchfiles import watch as watch_files

    console = Console(highlight=False)
    grader = Grader(lab)
    title = f"Lab {lab.number:02d} · {lab.title}"

    def grade_once() -> None:
        result = grader.grade(folder)
        console.clear()
        render(result, title=title, console=console, hidden_not_run=hidden_checks_in(lab.suite))
        if folder == lab.starter_dir.resolve():
            progress.record(result)
        console.print("[dim]Watching for changes; press Ctrl+C to stop.[/]")

    grade_once()
    for changes in watch_files(folder, debounce=200, step=50):
        if any(_relevant(change, folder) for change in changes):
            grade_once()
