"""Lab 12: a solution written differently from the reference, as the handout allows, gets full
marks in both modes.

The alternative (``alternative/`` beside this file) reads Gunicorn's settings with
``os.getenv`` and runs the prestart through its ``main()``, writes the lifecycle log with one
``os.write`` and more fields, answers ``/worker`` from an ``async`` route with the parent's
pid too, builds its image from uv's own image with a named user, a shell-form HEALTHCHECK and
a CMD that runs the prestart then ``fastapi run``, and writes its report with the columns in
another order, from a locustfile of ``HttpUser``.
"""

from __future__ import annotations

import os
import shutil

import pytest

from autograder.course import find_lab
from autograder.variants import build_variant

LAB = find_lab(12)
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
