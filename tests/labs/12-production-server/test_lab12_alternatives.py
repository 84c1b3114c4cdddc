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

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(12)
ALTERNATIVE = LAB.instructor_tests / "alternative"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_another_correct_solution_gets_full_marks(grader_for, tmp_path, secure):
    folder = build_alternative(LAB, tmp_path, overlay=ALTERNATIVE)
    failed = failed_checks(grader_for(LAB.number, secure=secure), folder)
    assert not failed, failed
