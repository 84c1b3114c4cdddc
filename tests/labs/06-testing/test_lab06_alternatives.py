"""Lab 06: a test suite written differently from the reference, from the handout alone, gets
full marks in both modes.

The alternative (``alternative/tests/test_service.py`` beside this file) keeps its own
flowers and helpers (its ``assert_error`` checks the status, the code, a message and the
request id of the header), tests 10 cm on each field that may reach it, and names and orders
its tests its own way; it runs with the reference's ``conftest.py``. It got full marks before
three checks came to need two bugs caught each, and after.

A second one (``independent/tests/``, the starter's TODOs completed from the handout alone)
has a ``fake_client`` that removes its override in a ``finally``, sends words, ``null`` and
values just past every bound, checks the crash in both prediction routes and the e-mail in
both answers, reads several observations back by the ids given, and compares the real
model's batch with its single predictions.
"""

from __future__ import annotations

import os

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(6)
ALTERNATIVE = LAB.instructor_tests / "alternative"
INDEPENDENT = LAB.instructor_tests / "independent"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_another_correct_solution_gets_full_marks(grader_for, tmp_path, secure):
    folder = build_alternative(LAB, tmp_path, overlay=ALTERNATIVE)
    failed = failed_checks(grader_for(LAB.number, secure=secure), folder)
    assert not failed, failed


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_a_solution_written_from_the_starter_gets_full_marks(grader_for, tmp_path, secure):
    folder = build_alternative(LAB, tmp_path, overlay=INDEPENDENT)
    failed = failed_checks(grader_for(LAB.number, secure=secure), folder)
    assert not failed, failed
