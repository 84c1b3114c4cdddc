"""Lab 10: a solution written differently from the reference, as the handout allows, gets full
marks in both modes.

The alternative (``alternative/`` beside this file) was written from the handout alone: its
generator starts its range after the last token sent (the reference skips with ``continue``),
its WebSocket refuses a missing token on its own and checks the model before reading the
message, its error frames use other words, and its client collects pieces in a list and
builds its query with ``urlencode``.

A second one (``independent/``, the starter's TODOs completed from the handout alone) walks the
positions with a ``while`` loop, builds each SSE event from a copy of the dict, refuses a
missing token by raising the same ``HTTPException`` it catches for a bad one, looks for the
model on each message and predicts in a worker thread, answers a JSON value that is not an
object with a ``fields`` entry of its own, and reads the lines through an ``httpx.Client``
that skips the lines that are not tokens.
"""

from __future__ import annotations

import os

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(10)
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
