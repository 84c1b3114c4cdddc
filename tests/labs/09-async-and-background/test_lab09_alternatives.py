"""Lab 09: a solution written differently from the reference, as the handout allows, gets full
marks in both modes.

The alternative (``alternative/`` beside this file) keeps its jobs in plain dicts
with counted ids and an absolute ``Location``, runs its background task as ``async def``
around ``run_in_threadpool``, makes the blocking route ``async def`` around
``run_in_threadpool`` too, sets the body limit on the router, writes the CSV columns in
another order, and keeps its cache in a plain dict that a reload replaces.

A second one (``independent/``, the starter's TODOs completed from the handout alone) reads
the whole upload (at most 1 MiB) and decodes it at once instead of line by line, counts its
rows as it validates them, and tells a whole-row problem by its empty ``loc``; its cache
makes a hit recent by popping and putting back the entry and evicts by iterating from the
oldest; its job task predicts first and records the outcome outside the ``try``, with the
error's message alone as the reason.
"""

from __future__ import annotations

import os

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(9)
ALTERNATIVE = LAB.instructor_tests / "alternative"
INDEPENDENT = LAB.instructor_tests / "independent"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")

MAIN_EDITS = [
    {
        "file": "main.py",
        "replace": "    request.app.state.cache.clear()",
        "with": "    request.app.state.cache = PredictionCache(request.app.state.cache.max_size)",
    },
    {
        "file": "main.py",
        "replace": """    prediction = cache.get(key)
    if prediction is None:
        (prediction,) = model.predict([measurement])""",
        "with": """    if (prediction := cache.get(key)) is None:
        prediction = model.predict([measurement])[0]""",
    },
]


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_another_correct_solution_gets_full_marks(grader_for, tmp_path, secure):
    folder = build_alternative(LAB, tmp_path, edits=MAIN_EDITS, overlay=ALTERNATIVE)
    failed = failed_checks(grader_for(LAB.number, secure=secure), folder)
    assert not failed, failed


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_a_solution_written_from_the_starter_gets_full_marks(grader_for, tmp_path, secure):
    folder = build_alternative(LAB, tmp_path, overlay=INDEPENDENT)
    failed = failed_checks(grader_for(LAB.number, secure=secure), folder)
    assert not failed, failed
