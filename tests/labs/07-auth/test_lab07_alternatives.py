"""Lab 07: a solution written differently from the reference, as the handout allows, gets full
marks in both modes.

The alternative (``alternative/`` beside this file, and ``MAIN_EDITS`` for ``main.py``)
writes ``iat`` and ``exp`` as integer seconds, checks the token's role before its ``sub``
(and that ``sub`` is a string), returns at the first API key that matches, treats a stored
hash it cannot read as a wrong password, branches on the API key first in ``get_caller``,
and answers a failed reload with a 503 that has no ``Retry-After`` (and logs no line for a
reload that worked).

A second one (``independent/``: ``security.py`` and ``main.py``, the starter's TODOs completed
from the handout alone) writes the claims in another order, checks every API key before it
answers the first that matched, treats a hash it cannot verify as a wrong password, refuses
an empty bearer value as a missing one, and answers a failed reload with lab 04's
``ModelUnavailableError`` (503, code ``model_unavailable``) instead of an ``HTTPException``.
"""

from __future__ import annotations

import os

import pytest

from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks

LAB = find_lab(7)
ALTERNATIVE = LAB.instructor_tests / "alternative"
INDEPENDENT = LAB.instructor_tests / "independent"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")

# main.py differs from the reference in TODO 7 alone: written here as an edit.
MAIN_EDITS = [
    {
        "file": "main.py",
        "replace": """    try:
        model = load_model(Path(settings.model_path))
    except Exception:
        logger.exception("could not reload the model from %s", settings.model_path)
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="The model file could not be loaded; the previous model still serves.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    request.app.state.model = model
    logger.info("model %s loaded by %s", model.version, admin.username)
    return ModelInfo(**model.metadata)
""",
        "with": """    path = Path(settings.model_path)
    try:
        fresh = load_model(path)
    except Exception:
        logger.exception("reload of %s failed; keeping the current model", path)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "The model file could not be loaded"
        ) from None
    request.app.state.model = fresh
    return ModelInfo(**fresh.metadata)
""",
    }
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
