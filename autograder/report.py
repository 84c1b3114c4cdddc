"""The terminal report a student reads: one screen, failures grouped by cause, the next step.

Passed checks are counted (``verbose`` lists them); failed checks are grouped by cause
(:mod:`autograder.causes`), so twenty checks blocked by one unfinished function are one
entry naming the route, the file and line, and the TODO to do. Each entry shows the
evidence (what was sent, what came back) and a nudge; the fuller hint is one command away
(``just hint N``). Entries are shown in full while they fit the screen; the rest are named
in a line. The bottom lines are the score and the next thing to do. The JSON and Gradescope
outputs (:mod:`autograder.results`) keep every check in full.

Every line is printed with its control characters written as escapes (``\\x1b`` for ESC,
see :mod:`autograder.printable`): besides the checks' messages, the report quotes the
submission's own files (a TODO, a line of code) and folder name.
"""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

from rich.console import Console
from rich.text import Text

from autograder.causes import Cause, find_todos, group_failures, inside
from autograder.printable import printable
from autograder.results import GradeResult

SCREEN_LINES = 24  # a terminal's default height: the report fits it when it is not a terminal
MAX_EVIDENCE_LINES, MAX_HINT_LINES, MAX_NAMES_LINES = 3, 2, 2


def _points(value: float) -> str:
    return f"{value:g}"


def _shown_path(path: str) -> str:
    """The submission folder relative to the current one when it is inside it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    except ValueError:
        return path


def _wrap(text: str, width: int, indent: str, limit: int) -> list[str]:
    """``text`` wrapped at ``width`` behind ``indent``, at most ``limit`` lines (an ellipsis
    ends a cut text)."""
    lines: list[str] = []
    for paragraph in text.strip().splitlines() or [""]:
        lines += textwrap.wrap(
            paragraph, width, initial_indent=indent, subsequent_indent=indent
        ) or [indent]
    if limit and len(lines) > limit:
        lines = lines[:limit]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def joined_names(names: list[str], width: int, prefix: str, limit: int) -> list[str]:
    """Check names joined with " · " behind ``prefix``, cut to ``limit`` lines with "+N"."""
    for shown in range(len(names), 0, -1):
        rest = len(names) - shown
        text = prefix + " · ".join(names[:shown]) + (f" (+{rest} more)" if rest else "")
        lines = _wrap(text, width, "  ", 0)
        if not limit or len(lines) <= limit:
            return lines
    return _wrap(f"{prefix}{len(names)} checks", width, "  ", 1)


class Report:
    """The lines of one report, each a rich Text, built to fit ``height`` lines."""

    def __init__(
        self,
        result: GradeResult,
        *,
        title: str,
        lab_number: int | None,
        width: int,
        height: int | None,
        verbose: bool,
        hidden_not_run: int,
    ) -> None:
        self.result = result
        self.title = title
        self.lab_number = lab_number
        self.width = max(40, width)
        self.height = height
        self.verbose = verbose
        self.hidden_not_run = hidden_not_run
        folder = Path(result.submission)
        self.folder = folder if folder.is_dir() else None
        self.causes = group_failures(result, self.folder)

    # ------------------------------------------------------------ pieces

    def _hint_command(self, name: str | None = None) -> str:
        number = self.lab_number if self.lab_number is not None else "N"
        base = name.split(" [", 1)[0] if name else None
        return f'just hint {number} "{base}"' if base else f"just hint {number}"

    def header(self) -> list[Text]:
        line = Text(self.title, style="bold")
        place = _shown_path(self.result.submission)
        if len(self.title) + 2 + len(place) <= self.width:
            line.append("  " + place, style="dim")
        return [line]

    def problem(self) -> list[Text]:
        """A submission that did not import: the whole report is where and why."""
        lines = [Text("The submission could not be graded:", style="bold red")]
        lines += [
            Text(line, style="red") for line in _wrap(self.result.problem, self.width, "  ", 6)
        ]
        source = self._source_line(self.result.problem)
        if source:
            lines.append(Text(_wrap(source, self.width, "  │ ", 1)[0], style="dim"))
        lines.append(Text("No check can run until it imports: fix this first, then grade again."))
        return lines

    def _source_line(self, message: str) -> str:
        """The line of the submission a message points at (``main.py, line 3: ...``)."""
        match = re.match(r"^(?:at )?(?P<file>[\w./-]+\.py), line (?P<line>\d+)", message)
        if not match or self.folder is None:
            return ""
        path = self.folder / match["file"]
        if path.is_symlink() or not inside(self.folder, path):
            return ""
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        number = int(match["line"])
        return lines[number - 1].rstrip() if 0 < number <= len(lines) else ""

    def passed(self) -> list[Text]:
        passed = [item for item in self.result.results if item.passed]
        total = len(self.result.results)
        if not total:
            return []
        if self.verbose:
            return [
                self._row("✓", item.check.name, item.score, item.check.points, "green")
                for item in passed
            ]
        if not passed:
            return []
        if len(passed) == total:
            return [Text(f"✓ all {total} checks pass", style="green")]
        return [
            Text(f"✓ {len(passed)} of {total} checks pass (--verbose lists them)", style="green")
        ]

    def _row(self, mark: str, text: str, score: float, points: float, style: str) -> Text:
        score_text = f"{_points(score)}/{_points(points)}"
        room = self.width - len(score_text) - 3
        if len(text) > room:
            text = text[: room - 1] + "…"
        line = Text(f"{mark} ", style=style)
        line.append(text, style="bold" if mark == "✗" else "")
        line.append(" " * (self.width - len(text) - len(score_text) - 2))
        line.append(score_text)
        return line

    def cause(self, cause: Cause) -> list[Text]:
        """One failure entry: title and points, evidence, the checks it blocks, a nudge."""
        first = cause.results[0]
        lines = [self._row("✗", cause.title, 0, cause.points, "red")]
        limit = 0 if self.verbose else MAX_EVIDENCE_LINES
        if cause.kind == "crash":
            error = cause.error if cause.todo is None else ""
            where = f"at {cause.place}" + (f": {error}" if error and error != cause.title else "")
            lines += [Text(line, style="red") for line in _wrap(where, self.width, "  ", 2)]
            if cause.todo is None and cause.after:
                after = _wrap(cause.after, self.width, "  ", 1)
                lines += [Text(line, style="red") for line in after]
            source = self._source_line(cause.place) if cause.todo is None else ""
            if source.strip():
                lines.append(Text(_wrap(source.strip(), self.width, "  │ ", 1)[0], style="dim"))
        else:
            if len(cause.results) == 1 and first.check.description and self.verbose:
                for line in _wrap(first.check.description, self.width, "  ", 0):
                    lines.append(Text(line, style="dim"))
            if cause.title != cause.evidence:
                evidence = _wrap(cause.evidence, self.width, "  ", limit)
                lines += [Text(line, style="red") for line in evidence]
        if len(cause.results) > 1:
            prefix = f"fails {len(cause.results)} checks: "
            names = joined_names(
                cause.names, self.width, prefix, 0 if self.verbose else MAX_NAMES_LINES
            )
            lines += [Text(line, style="dim") for line in names]
        if cause.todo is not None:
            todo = f"{cause.todo.label} ({cause.todo.place}): {cause.todo.text}"
            lines += [Text(line, style="yellow") for line in _wrap(todo, self.width, "  ", 2)]
        elif cause.kind == "crash":
            advice = "a crash in your code: fix it first, the checks it blocks run after"
            lines.append(Text(_wrap(advice, self.width, "  ", 1)[0], style="yellow"))
        else:
            hint = f"hint: {first.check.hint}"
            if cause.kind == "message" and len({r.check.hint for r in cause.results}) > 1:
                # one cause, checks of different topics: no single nudge fits them all
                hint = f"hint: each check has its own: `{self._hint_command(first.check.name)}`"
            hint_limit = 0 if self.verbose else MAX_HINT_LINES
            lines += [
                Text(line, style="yellow") for line in _wrap(hint, self.width, "  ", hint_limit)
            ]
        return lines

    def failures(self, budget: int | None) -> list[Text]:
        """Entries in full while they fit ``budget`` lines, then the others named briefly."""
        causes = self.causes
        lines: list[Text] = []
        for index, cause in enumerate(causes):
            entry = self.cause(cause)
            rest = causes[index + 1 :]
            reserve = MAX_NAMES_LINES if rest else 0
            if budget is None or len(lines) + len(entry) + reserve <= budget or not lines:
                lines += entry
                continue
            names = [name for other in causes[index:] for name in other.names]
            room = max(1, min(MAX_NAMES_LINES + 1, budget - len(lines)))
            prefix = f"✗ also failing ({len(names)}): "
            listed = joined_names(names, self.width, prefix, room)
            listed[0] = listed[0][2:]  # the mark starts at the margin
            lines += [Text(line, style="red") for line in listed]
            break
        return lines

    def footer(self) -> list[Text]:
        lines = []
        if self.hidden_not_run:
            plural = "check" if self.hidden_not_run == 1 else "checks"
            lines.append(
                Text(
                    f"{self.hidden_not_run} hidden {plural} not run (your instructor runs them).",
                    style="dim",
                )
            )
        result = self.result
        style = "bold green" if result.full_marks and not result.problem else "bold yellow"
        score = Text(f"Score: {_points(result.score)}/{_points(result.max_score)}", style=style)
        score.append(f"  ({result.execution_time:.2f} s)", style="dim")
        lines.append(score)
        lines += [Text(line, style="bold") for line in _wrap(self.next_step(), self.width, "", 2)]
        return lines

    def next_step(self) -> str:
        """The one thing to do now."""
        result = self.result
        if result.problem:
            return "Next: fix the error above, save, and grade again."
        failed = [item for item in result.results if not item.passed]
        if not failed:
            return "Full marks. Next: the next lab (`just labs` lists them)."
        todos = find_todos(self.folder) if self.folder is not None else []
        if todos:  # as in rustlings: a TODO's comment goes once it is done
            todo = todos[0]
            return (
                f"Next: {todo.label} in {todo.place} (delete its comment once it is done). "
                f"Stuck? `{self._hint_command()}`"
            )
        name = self.causes[0].results[0].check.name if self.causes else failed[0].check.name
        return f"Next: make “{name}” pass. More help: `{self._hint_command(name)}`"

    # ------------------------------------------------------------ the whole

    def lines(self) -> list[Text]:
        top = self.header()
        bottom = self.footer()
        if self.result.problem:
            return [*top, *self.problem(), *bottom]
        passed = self.passed()
        budget = None
        if self.height is not None and not self.verbose:
            budget = max(4, self.height - len(top) - len(passed) - len(bottom))
        return [*top, *passed, *self.failures(budget), *bottom]


def screen_height(console: Console) -> int:
    """Lines the report may use: the terminal's height, or a default screen when the output
    is not a terminal (a pipe, a file)."""
    if console.is_terminal:
        return max(12, console.size.height - 2)  # the command line and the next prompt
    return SCREEN_LINES - 2


def render(
    result: GradeResult,
    *,
    title: str,
    console: Console | None = None,
    hidden_not_run: int = 0,
    lab_number: int | None = None,
    verbose: bool = False,
    height: int | None = None,
    problem_only: bool = False,
) -> int:
    """Print the report for one grading; return how many lines it printed.

    ``height`` is the number of lines it may use (default: the screen's); ``problem_only``
    prints only where and why a submission that did not import failed (watch mode)."""
    console = console or Console(highlight=False)
    report = Report(
        result,
        title=title,
        lab_number=lab_number,
        width=console.width,
        height=None if verbose else (height or screen_height(console)),
        verbose=verbose,
        hidden_not_run=hidden_not_run,
    )
    lines = report.lines()
    if problem_only and result.problem:
        lines = [*report.header(), *report.problem()]
    for line in map(_printable_line, lines):
        line.no_wrap = True
        line.overflow = "ellipsis"
        console.print(line)
    return len(lines)


def _printable_line(line: Text) -> Text:
    """``line`` as it may reach a terminal: a line holding a control character is printed
    with it written as an escape (and in the line's one style)."""
    text = printable(line.plain, one_line=True)
    return line if text == line.plain else Text(text, style=line.style)
