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

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(6)
ALTERNATIVE = LAB.instructor_tests / "alternative"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_another_correct_solution_gets_full_marks(grader_for, tmp_path, secure):
    folder = build_alternative(LAB, tmp_path, overlay=ALTERNATIVE)
    failed = failed_checks(grader_for(LAB.number, secure=secure), folder)
    assert not failed, failed
