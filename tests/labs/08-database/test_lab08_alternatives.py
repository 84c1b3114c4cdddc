"""Lab 08: a solution written differently from the reference, as the handout allows, gets full
marks in both modes.

The alternative (``alternative/`` beside this file) adds ``note`` as ``sa.Text`` and drops it
in the downgrade with ``batch_alter_table``, registers its connection pragmas with
``event.listen`` (``busy_timeout`` first), counts the total with ``func.count(id)``, reads the
request id with ``errors.request_id_of``, sets the fields of a PATCH one by one with
``setattr``, and sums the accuracy in Python over the labelled rows. Its own tests
(``tests/test_prediction_log.py``, run by the check "your tests pass on your service") are
written differently too; ``conftest.py`` beside this file keeps pytest from collecting them
here.

A second one (``independent/``, the starter's TODOs completed from the handout alone) counts
the total over a subquery of the filtered rows, builds the filters in a helper of its own,
copies the fields a PATCH sent by reading ``model_fields_set``, counts the right predictions
in SQL with an aggregate ``FILTER`` (``func.count().filter(...)``) instead of a sum of
``case``, runs its pragmas through a cursor with WAL first, and drops ``note`` in the
downgrade with ``batch_alter_table``. Its own tests are its own too.
"""

from __future__ import annotations

import os

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(8)
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
