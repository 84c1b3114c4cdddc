"""Lab 01: a solution written differently from the reference, as the handout allows, gets full
marks in both modes.

The alternative (``alternative/`` beside this file) declares ``name``, ``shout``, ``species``
and ``flower_id`` with ``Annotated[..., Path(...)]`` / ``Query(...)`` and a description,
builds the greeting by concatenation, sorts the flowers by id and pages them with
``itertools.islice``, finds a flower in a dict indexed by id (``KeyError`` becomes the 404),
and its client escapes the whole name with ``urllib.parse.quote(name, safe="")``, sends
``shout`` as ``"true"``/``"false"`` and shares one ``_get_json`` helper for the three calls.
"""

from __future__ import annotations

import os
import shutil

import pytest

from autograder.course import find_lab
from autograder.variants import build_variant

LAB = find_lab(1)
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
