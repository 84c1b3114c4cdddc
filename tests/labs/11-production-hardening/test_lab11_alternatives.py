"""Lab 11: a solution written differently from the reference, as the handout allows, gets full
marks in both modes.

The alternative (``alternative/`` beside this file) keeps each caller's bucket as the one
time at which it is full again (the GCRA form of a token bucket), writes the deprecation
headers with the ``time`` module and other dates, configures CORS with ``*`` methods and
headers (credentials still allowed, origins still listed), keeps GZip's default size (JSON
Lines streams left out, as every stream must be), and builds version 2 with ``heapq`` and no
cache. Its settings refuse the development secret in a ``model_validator`` and check origins
with a regular expression.
"""

from __future__ import annotations

import os
import shutil

import pytest

from autograder.course import find_lab
from autograder.variants import build_variant

LAB = find_lab(11)
ALTERNATIVE = LAB.instructor_tests / "alternative"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_another_correct_solution_gets_full_marks(grader_for, tmp_path, secure):
    folder = build_variant(LAB.solution_dir, tmp_path / LAB.folder, [])
    for module in ALTERNATIVE.rglob("*.py"):
        target = folder / module.relative_to(ALTERNATIVE)
        shutil.copy(module, target)
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    result = grader_for(LAB.number, secure=secure).grade(folder)
    failed = {r.check.name: r.message for r in result.results if not r.passed}
    assert not result.problem, result.problem
    assert not failed, failed
