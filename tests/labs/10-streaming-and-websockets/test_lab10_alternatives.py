"""Lab 10: a solution written differently from the reference, as the handout allows, gets full
marks in both modes.

The alternative (``alternative/`` beside this file) was written from the handout alone: its
generator starts its range after the last token sent (the reference skips with ``continue``),
its WebSocket refuses a missing token on its own and checks the model before reading the
message, its error frames use other words, and its client collects pieces in a list and
builds its query with ``urlencode``.
"""

from __future__ import annotations

import os
import shutil

import pytest

from autograder.course import find_lab

LAB = find_lab(10)
ALTERNATIVE = LAB.instructor_tests / "alternative"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_another_correct_solution_gets_full_marks(grader_for, tmp_path, secure):
    folder = tmp_path / LAB.folder
    shutil.copytree(LAB.solution_dir, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for module in ALTERNATIVE.glob("*.py"):
        shutil.copy(module, folder / module.name)
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    result = grader_for(LAB.number, secure=secure).grade(folder)
    failed = {r.check.name: r.message for r in result.results if not r.passed}
    assert not result.problem, result.problem
    assert not failed, failed
