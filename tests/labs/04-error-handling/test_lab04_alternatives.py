"""Lab 04: a solution written from the handout alone, differently from the reference, gets full
marks in both modes.

The alternative (``alternative/`` beside this file) builds the envelope as a plain
dict (``fields`` only when given) and drops any ``X-Request-ID`` among the given headers before
it sets its own, keeps a whole loc whose first item is no location, replaces an empty problem
with words of its own, echoes a caller's id only when it is 1 to 64 letters, digits and ``-``
(``re.fullmatch``) and makes a new one otherwise, registers its handlers with
``app.add_exception_handler`` after the routes' app is made, answers an HTTPException whose
detail is not a text with a message of its own, keeps ``app.state.model`` unset until the
loading is over, and names both the version asked for and the one it has in a 404.
"""

from __future__ import annotations

import os

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(4)
ALTERNATIVE = LAB.instructor_tests / "alternative"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_another_correct_solution_gets_full_marks(grader_for, tmp_path, secure):
    folder = build_alternative(LAB, tmp_path, overlay=ALTERNATIVE)
    failed = failed_checks(grader_for(LAB.number, secure=secure), folder)
    assert not failed, failed
