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

A second one (``independent/``, the starter's TODOs completed from the handout alone) builds
the envelope with the ``ErrorOut`` model from its own dict of headers, reads a location-free
loc as it is, echoes a caller's id only in the contract's format, registers every handler with
``app.add_exception_handler``, gives the 500 log line the request id, reads the model with
``getattr`` in ``get_model``, and names the loaded version beside the one asked for in a 404.
"""

from __future__ import annotations

import os

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(4)
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
