"""Lab 03: a solution written differently from the reference, as the handout allows, gets full
marks, and a grading does not depend on the mode or on the submission's own trained model.

The independent solution (``independent/`` beside this file, the starter's TODOs completed
from the handout alone) trains a ``Pipeline([...])`` with named steps on a 70/30 split and
writes the accuracy unrounded, keeps the model in ``app.state.iris`` (its ``get_model`` reads
it there) and clears it when the app stops, reads ``MODEL_PATH`` with ``os.getenv``, opens the
metadata as a file, bounds the batch with an ``Annotated`` list and builds ``/model``'s answer
with ``ModelInfo.model_validate``.
"""

from __future__ import annotations

import os

import pytest

from autograder import iris
from autograder.course import find_lab
from tests.alternatives import build_alternative, failed_checks
from tests.variants import variants_for

LAB = find_lab(3)
INDEPENDENT = LAB.instructor_tests / "independent"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")

# /predict and /predict/batch on an APIRouter with a prefix, included in another router that
# the app includes (recent FastAPI versions keep an included router as one entry of app.routes).
ON_INCLUDED_ROUTERS = [
    {"file": "main.py", "replace": old, "with": new}
    for old, new in [
        ("from fastapi import Depends,", "from fastapi import APIRouter, Depends,"),
        (
            '@app.post("/predict", tags=',
            'inference = APIRouter(prefix="/predict")\n\n\n@inference.post("", tags=',
        ),
        ('@app.post(\n    "/predict/batch",', '@inference.post(\n    "/batch",'),
        (
            '@app.get("/model", tags=',
            "api = APIRouter()\napi.include_router(inference)\napp.include_router(api)\n\n\n"
            '@app.get("/model", tags=',
        ),
    ]
]


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_routes_on_included_routers_get_full_marks(grader_for, tmp_path, secure):
    folder = build_alternative(LAB, tmp_path, edits=ON_INCLUDED_ROUTERS)
    failed = failed_checks(grader_for(LAB.number, secure=secure), folder)
    assert not failed, failed


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_a_solution_written_from_the_starter_gets_full_marks(grader_for, tmp_path, secure):
    folder = build_alternative(LAB, tmp_path, overlay=INDEPENDENT)
    failed = failed_checks(grader_for(LAB.number, secure=secure), folder)
    assert not failed, failed


@pytest.mark.parametrize("secure", [False, True], ids=["normal", "secure"])
def test_a_model_loaded_at_import_loses_the_same_points_with_a_trained_model(
    grader_for, tmp_path, secure
):
    """The grader imports main.py where the app runs, beside its own model, in both modes:
    the student's models/ (from train.py) changes nothing."""
    (variant,) = [v for v in variants_for(LAB) if v.name == "default-model-loaded-at-import"]
    folder = variant.build(tmp_path / LAB.folder)
    iris.save_model(folder / "models", version="1.0.0")
    result = grader_for(LAB.number, secure=secure).grade(folder)
    assert {r.check.name for r in result.results if not r.passed} == set(variant.fails)
