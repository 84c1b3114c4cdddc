"""The terminal report a student reads: every check, its points, and a hint for each failure."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from autograder.results import GradeResult


def _points(value: float) -> str:
    return f"{value:g}"


def render(
    result: GradeResult, *, title: str, console: Console | None = None, hidden_not_run: int = 0
) -> None:
    """Print the report for one grading (and how many hidden checks this copy cannot run)."""
    console = console or Console(highlight=False)
    console.print(f"[bold]{escape(title)}[/]  [dim]{escape(result.submission)}[/]")
    if result.problem:
        console.print(f"[bold red]The submission could not be graded:[/] {escape(result.problem)}")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("", width=2)
    table.add_column("check")
    table.add_column("points", justify="right")
    for item in result.results:
        mark = Text("✓", style="green") if item.passed else Text("✗", style="red")
        lines = Text(item.check.name, style="bold" if not item.passed else "")
        if not item.passed:
            if item.check.description:
                lines.append("\n" + item.check.description, style="dim")
            if item.message and not result.problem:
                lines.append("\n" + item.message, style="red")
            lines.append("\nhint: " + item.check.hint, style="yellow")
        table.add_row(mark, lines, f"{_points(item.score)}/{_points(item.check.points)}")
    console.print(table)
    if hidden_not_run:
        plural = "check" if hidden_not_run == 1 else "checks"
        console.print(
            f"[dim]{hidden_not_run} hidden {plural} not run (your instructor runs them).[/]"
        )
    style = "bold green" if result.full_marks else "bold yellow"
    console.print(
        f"[{style}]Score: {_points(result.score)}/{_points(result.max_score)}[/]"
        f"  [dim]({result.execution_time:.2f} s)[/]"
    )
