"""Lab 01: a solution written differently from the reference, as the handout allows, gets full
marks in both modes.

The alternative (``alternative/`` beside this file) declares ``name``, ``shout``, ``species``
and ``flower_id`` with ``Annotated[..., Path(...)]`` / ``Query(...)`` and a description,
builds the greeting by concatenation, sorts the flowers by id and pages them with
``itertools.islice``, finds a flower in a dict indexed by id (``KeyError`` becomes the 404),
and its client escapes the whole name with ``urllib.parse.quote(name, safe="")``, sends
``shout`` as ``"true"``/``"false"`` and shares one ``_get_json`` helper for the three calls.

A second one (``independent/``, the starter's TODOs completed from the handout alone) declares
``offset`` first and ``limit`` with ``gt=0, lt=51``, pages with a loop over the sorted
flowers, answers a 404 from a dict of the flowers by id, and its client sends ``shout`` as
text, asks for the flowers through a ``requests.Session`` (with its timeout) and raises an
``HTTPError`` of its own that carries the response.
"""

from __future__ import annotations

import os

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(1)
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
