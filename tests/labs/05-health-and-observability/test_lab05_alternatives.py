"""Lab 05: a solution that makes a choice the handout leaves open gets full marks in both modes.

"Whether loading the third file succeeds (lab 04's code accepts it) or fails (if you check what
you loaded) is up to you": this alternative checks what it loaded in ``lifespan`` and refuses a
file that holds no fitted pipeline, so with the grader's broken file it serves without a model
(``/predict`` answers lab 04's 503). The checks that need a crash must cause it some other way.

A second one (``independent/``, the starter's TODOs completed from the handout alone) clamps
the uptime at 0, sends ``Retry-After`` with the 503 of /ready and counts a smoke prediction
that gives no answer as a failure, tests the caller's id with
``fullmatch(...) is None``, finds the route template with ``getattr`` (anything without a text
``path`` is "unmatched"), creates its metrics in another order with tuples of labels, and adds
a ``client`` field to its access lines.
"""

from __future__ import annotations

import os

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(5)
INDEPENDENT = LAB.instructor_tests / "independent"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")

CHECKS_WHAT_IT_LOADED = [
    {
        "file": "main.py",
        "replace": "        app.state.model = load_model(model_path)\n",
        "with": (
            "        loaded = load_model(model_path)\n"
            '        if not hasattr(loaded.pipeline, "predict_proba"):\n'
            '            raise TypeError(f"{model_path} holds no fitted pipeline")\n'
            "        app.state.model = loaded\n"
        ),
    }
]


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_checking_the_loaded_model_at_start_up_gets_full_marks(grader_for, tmp_path, secure):
    folder = build_alternative(LAB, tmp_path, edits=CHECKS_WHAT_IT_LOADED)
    failed = failed_checks(grader_for(LAB.number, secure=secure), folder)
    assert not failed, failed


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_a_solution_written_from_the_starter_gets_full_marks(grader_for, tmp_path, secure):
    folder = build_alternative(LAB, tmp_path, overlay=INDEPENDENT)
    failed = failed_checks(grader_for(LAB.number, secure=secure), folder)
    assert not failed, failed
