"""An app served apart can be stopped and started again (``served_apart(...,
restartable=True)`` and ``ServedApart.restart``), alike in both modes: the lifespan runs again
on the same imported modules, with the variables the restart sets, and a new start that
fails fails its check with the reason."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from autograder.runner import Grader
from tests.test_engine import grader_in_mode

MAIN = """
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI

STARTS = []  # one greeting per start of the app, kept by the module


@asynccontextmanager
async def lifespan(app: FastAPI):
    if os.environ.get("REFUSE_TO_START") == "yes":
        raise RuntimeError("refused to start")
    STARTS.append(os.environ.get("GREETING", "hello"))
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/starts")
def starts() -> dict:
    return {"starts": STARTS}
"""

SUITE = """
from autograder import check
from autograder.suites import support

FIRST = {"GREETING": "hello", "REFUSE_TO_START": None}


def starts(served) -> list:
    return served.get("/starts").json()["starts"]


@check(points=1, hint="h")
def test_a_restart_starts_the_same_modules_again(submission_dir):
    with support.served_apart(
        submission_dir, what="starting", after_import=FIRST, restartable=True
    ) as served:
        assert starts(served) == ["hello"]
        served.restart({"GREETING": "bonjour"}, what="starting again")
        served.restart({"GREETING": "hallo"}, what="starting a third time")
        assert starts(served) == ["hello", "bonjour", "hallo"]


@check(points=1, hint="h")
def test_a_restart_in_a_process_of_its_own(submission_dir):
    with support.served_apart(
        submission_dir, what="starting", after_import=FIRST, restartable=True, new_process=True
    ) as served:
        served.restart({"GREETING": "bonjour"}, what="starting again")
        assert starts(served) == ["hello", "bonjour"]


@check(points=1, hint="h")
def test_a_restart_that_fails(submission_dir):
    with support.served_apart(
        submission_dir, what="starting", after_import=FIRST, restartable=True
    ) as served:
        served.restart({"REFUSE_TO_START": "yes"}, what="starting again, refused")
"""


@pytest.fixture(scope="module", params=["in-process", "sandboxed"])
def grader(request, tmp_path_factory) -> Grader:
    grader = grader_in_mode(request.param, tmp_path_factory.mktemp("suite"), 95, "restarts", SUITE)
    yield grader
    grader.close()


def test_restarts_grade_alike_in_both_modes(grader, tmp_path: Path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "main.py").write_text(textwrap.dedent(MAIN))
    result = grader.grade(folder)
    assert not result.problem, result.problem
    messages = {r.check.name: (r.passed, r.message) for r in result.results}
    assert messages["a restart starts the same modules again"][0], messages
    assert messages["a restart in a process of its own"][0], messages
    passed, message = messages["a restart that fails"]
    assert not passed
    assert message.startswith("starting again, refused: lifespan raised RuntimeError"), message
    assert "refused to start" in message, message
