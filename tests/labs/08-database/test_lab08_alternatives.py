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
"""

from __future__ import annotations

import os
import shutil

import pytest

from autograder.course import find_lab
from autograder.variants import build_variant

LAB = find_lab(8)
ALTERNATIVE = LAB.instructor_tests / "alternative"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_another_correct_solution_gets_full_marks(grader_for, tmp_path, secure):
    folder = build_variant(LAB.solution_dir, tmp_path / LAB.folder, [])
    for path in ALTERNATIVE.rglob("*"):
        if path.is_file():
            target = folder / path.relative_to(ALTERNATIVE)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    result = grader_for(LAB.number, secure=secure).grade(folder)
    failed = {r.check.name: r.message for r in result.results if not r.passed}
    assert not result.problem, result.problem
    assert not failed, failed
