"""An app with no routes at all scores 0 in every lab: a check of a negative case (a 404, a
422, a 503) counts only once the route has answered its positive case."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.course import load_labs

EMPTY_APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


@pytest.fixture
def empty_app() -> Iterator[Path]:
    """A lab folder whose main.py is a bare FastAPI() (readable by the sandbox user)."""
    folder = Path(tempfile.mkdtemp(prefix="empty-app-"))
    folder.chmod(0o755)
    (folder / "main.py").write_text(EMPTY_APP)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("lab", load_labs(), ids=lambda lab: lab.folder)
def test_an_app_without_routes_scores_zero(lab, grader_for, empty_app):
    result = grader_for(lab.number).grade(empty_app)
    passed = [r.check.name for r in result.results if r.passed]
    assert result.score == 0 and not passed, f"an empty app passes {passed}"


@pytest.mark.skipif(
    sandbox.unavailable_reason() is not None,
    reason=f"secure mode is not available here: {sandbox.unavailable_reason()}",
)
@pytest.mark.parametrize("lab", load_labs(), ids=lambda lab: lab.folder)
def test_an_app_without_routes_scores_zero_in_secure_mode(lab, grader_for, empty_app):
    result = grader_for(lab.number, secure=True).grade(empty_app)
    passed = [r.check.name for r in result.results if r.passed]
    assert result.score == 0 and not passed, f"an empty app passes {passed}"
