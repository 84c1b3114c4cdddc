"""Lab 12: a solution written differently from the reference, as the handout allows, gets full
marks in both modes.

The alternative (``alternative/`` beside this file) reads Gunicorn's settings with
``os.getenv`` and runs the prestart through its ``main()``, writes the lifecycle log with one
``os.write`` and more fields, answers ``/worker`` from an ``async`` route with the parent's
pid too, builds its image from uv's own image with a named user, a shell-form HEALTHCHECK and
a CMD that runs the prestart then ``fastapi run``, and writes its report with the columns in
another order, from a locustfile of ``HttpUser``.

A second one (``independent/``, the starter's TODOs completed from the handout alone) trains a
missing model in a scratch folder and moves the model and its ``model.json`` to the exact
``IRIS_MODEL_PATH``, releases the model and the database in a ``finally`` around ``yield``,
and picks its default number of Gunicorn workers from the cores. Its image builds the
environment in ``/opt/venv`` from a stage named ``deps``, creates a system user by name
before switching to it, and keeps files out with a deny list; its report rounds ``req/s`` to
one decimal.
"""

from __future__ import annotations

import os

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(12)
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
