"""Watch mode: grade, then re-grade on every save without paying the imports again.

The warm :class:`~autograder.runner.Grader` keeps fastapi, scikit-learn, pytest and the suite
imported; each re-grade is a fresh ``fork`` of it, so a save costs only the student's own
code and the checks.

Each grading redraws the screen: what changed since the last one (the file saved, points
gained or lost, checks newly passing or failing), then the report. A submission that does
not import fills the screen alone: the file, the line and the message. Ctrl+C ends quietly.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.text import Text

from autograder import progress
from autograder.course import GENERATED_PARTS, Lab
from autograder.release import hidden_checks_in
from autograder.report import render, screen_height
from autograder.results import GradeResult
from autograder.terminal import own_foreground

CLEAR_SCREEN = "\033[H\033[2J\033[3J"  # home, clear the screen and its scrollback
MAX_CHANGED_LINES = 2


def _relevant(change: tuple, folder: Path) -> bool:
    path = Path(change[1])
    try:
        parts = path.relative_to(folder).parts
    except ValueError:
        return False
    return path.suffix == ".py" and not GENERATED_PARTS.intersection(parts)


def _names(result: GradeResult, *, passed: bool) -> set[str]:
    return {item.check.name for item in result.results if item.passed == passed}


@dataclass
class Changes:
    """What one grading changed compared with the one before."""

    saved: list[str]
    gained: float
    now_passing: list[str]
    now_failing: list[str]

    @classmethod
    def between(cls, before: GradeResult | None, after: GradeResult, saved: list[str]):
        if before is None:
            return cls(saved, 0.0, [], [])
        order = [item.check.name for item in after.results]
        newly_passing = _names(after, passed=True) & _names(before, passed=False)
        newly_failing = _names(after, passed=False) & _names(before, passed=True)
        return cls(
            saved,
            round(after.score - before.score, 4),
            [name for name in order if name in newly_passing],
            [name for name in order if name in newly_failing],
        )

    def lines(self, width: int) -> list[Text]:
        """At most four lines: the save and the score change, then the checks that moved."""
        from autograder.report import joined_names as joined

        head = Text(time.strftime("%H:%M:%S "), style="dim")
        if self.saved:
            head.append(f"saved {', '.join(self.saved)}", style="bold")
        if self.gained > 0:
            head.append(f"  +{self.gained:g} points", style="bold green")
        elif self.gained < 0:
            head.append(f"  {self.gained:g} points", style="bold red")
        elif self.saved:
            head.append("  score unchanged", style="dim")
        lines = [head]
        for names, label, style in (
            (self.now_passing, "now passing: ", "green"),
            (self.now_failing, "now failing: ", "red"),
        ):
            if names:
                shown = joined(names, width, label, MAX_CHANGED_LINES)
                lines += [Text(line, style=style) for line in shown]
        return lines


class Watcher:
    """Grades one folder on every save and redraws the screen."""

    def __init__(self, lab: Lab, folder: Path, console: Console | None = None) -> None:
        from autograder.runner import Grader

        self.lab = lab
        self.folder = folder
        self.console = console or Console(highlight=False)
        self.grader = Grader(lab)
        self.title = f"Lab {lab.number:02d} · {lab.title}"
        self.previous: GradeResult | None = None

    def clear(self) -> None:
        if self.console.is_terminal:
            self.console.file.write(CLEAR_SCREEN)
            self.console.file.flush()

    def grade_once(self, saved: list[str] | None = None) -> GradeResult:
        result = self.grader.grade(self.folder)
        self.clear()
        watching = Text("Watching for changes; press Ctrl+C to stop.", style="dim")
        if result.problem:
            # The whole screen: where it fails and why, nothing else.
            render(result, title=self.title, console=self.console, problem_only=True)
        else:
            changes = Changes.between(self.previous, result, saved or [])
            head = changes.lines(self.console.width) if self.previous is not None else []
            for line in head:
                self.console.print(line)
            render(
                result,
                title=self.title,
                console=self.console,
                hidden_not_run=hidden_checks_in(self.lab.suite),
                lab_number=self.lab.number,
                height=screen_height(self.console) - len(head) - 1,
            )
        self.console.print(watching)
        if self.folder == self.lab.starter_dir.resolve():
            progress.record(result)
        self.previous = result
        return result

    def saved_files(self, changes: set) -> list[str]:
        names = []
        for change in changes:
            if _relevant(change, self.folder):
                names.append(Path(change[1]).relative_to(self.folder).as_posix())
        return sorted(set(names))

    def run(self) -> None:
        from watchfiles import watch as watch_files

        self.grade_once()
        for changes in watch_files(self.folder, debounce=200, step=50):
            saved = self.saved_files(changes)
            if saved:
                self.grade_once(saved)


def watch(lab: Lab, folder: Path) -> None:
    """Re-grade ``folder`` on every save until Ctrl+C (which ends quietly)."""
    with own_foreground():
        try:
            Watcher(lab, folder).run()
        except KeyboardInterrupt:
            sys.stdout.write("\n")
