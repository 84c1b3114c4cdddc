"""The student's report as an 80 x 24 terminal shows it, for the tests that read it."""

from __future__ import annotations

import io

from rich.console import Console

from autograder.report import render
from autograder.results import GradeResult

SCREEN = 24  # an 80 x 24 terminal


def printed(result: GradeResult, **options) -> list[str]:
    """The report's lines as a pipe (not a terminal) 80 columns wide receives them."""
    stream = io.StringIO()
    console = Console(file=stream, width=80, highlight=False, color_system=None)
    render(result, title="Lab 99 · A lab", console=console, lab_number=99, **options)
    return stream.getvalue().splitlines()
