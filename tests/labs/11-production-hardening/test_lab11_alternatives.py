"""Lab 11: a solution written differently from the reference, as the handout allows, gets full
marks in both modes.

The alternative (``alternative/`` beside this file) keeps each caller's bucket as the one
time at which it is full again (the GCRA form of a token bucket), writes the deprecation
headers with the ``time`` module and other dates, configures CORS with ``*`` methods and
headers (credentials still allowed, origins still listed), passes GZip its size of 1000 bytes
as a literal (JSON Lines streams left out, as every stream must be), and builds version 2
with ``heapq`` and no cache. Its settings refuse the development secret in a
``model_validator`` and check origins with a regular expression.

A second one (``independent/``, the starter's TODOs completed from the handout alone) checks
each origin by rebuilding ``scheme://netloc`` from ``urlsplit`` and comparing it with the text,
also refuses any origin holding ``*`` or a user name, adds its three middleware from a list in
a loop, names the caller in its 429, sets the deprecation headers with one
``headers.update``, and ranks /v2's species with
``sorted(probabilities, key=probabilities.__getitem__)``.
"""

from __future__ import annotations

import os

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(11)
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
