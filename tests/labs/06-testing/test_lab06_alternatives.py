"""Lab 06: a test suite written differently from the reference, from the handout alone, gets
full marks in both modes.

The alternative (``alternative/tests/test_service.py`` beside this file) keeps its own
flowers and helpers (its ``assert_error`` checks the status, the code, a message and the
request id of the header), tests 10 cm on each field that may reach it, and names and orders
its tests its own way; it runs with the reference's ``conftest.py``. It got full marks before
three checks came to need two bugs caught each, and after.
"""

from __future__ import annotations

import os
import shutil

import pytest

from autograder.course import find_lab
from autograder.variants import build_variant

LAB = find_lab(6)
ALTERNATIVE = LAB.instructor_tests / "alternative"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_another_correct_solution_gets_full_marks(grader_for, tmp_path, secure):
    folder = build_variant(LAB.solution_dir, tmp_path / LAB.folder, [])
    for path in ALTERNATIVE.rglob("*"):
        if path.is_file():
            target = folder / path.relative_to(ALTERNATIVE)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    result = grader_for(LAB.number, secure=secure).grade(folder)
    failed = {r.check.name: r.message for r in result.results if not r.passed}
    assert not result.problem, result.problem
    assert not failed, failed
