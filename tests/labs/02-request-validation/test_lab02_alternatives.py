"""Lab 02: a solution written differently from the reference, as the handout allows, gets full
marks in both modes.

The alternative (``alternative/`` beside this file) has no ``field_validator``: its rules are
reusable ``Annotated`` types, a ``Length`` alias for the four bounds, ``StringConstraints``
(strip, then 1 to 100 characters) for the name, an ``AfterValidator`` that counts the ``@``
of the e-mail (without stripping it) and a ``BeforeValidator`` that tidies the species. Its
POST gives the next id as ``max(observations) + 1`` under a lock, drops the e-mail with
``model_dump(exclude=...)`` and returns the stored ``ObservationOut``; its GET uses
``dict.get``.

A second one (``independent/``, the starter's TODOs completed from the handout alone) declares
the fields in another order, strips every text of ``Observer`` with
``ConfigDict(str_strip_whitespace=True)`` and counts the name's length after that, splits the
e-mail on ``@``, gives its example with ``Body(openapi_examples=...)`` on the route instead of
the model's ``model_config``, builds the ``ObservationOut`` field by field, gives the next id as
``max(observations, default=0) + 1`` and finds the stored one with ``try``/``except KeyError``.
"""

from __future__ import annotations

import os

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(2)
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
