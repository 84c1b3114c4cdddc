"""The isolation interface: chosen once, used the same way in both modes.

A small suite overrides a dependency the student defined in a router module of their own
(not on ``main``) and calls probes; it must grade the same in-process and sandboxed (where a
sandbox starts from a launcher that has imported and warmed up FastAPI already). The
engine outside the isolation package never asks which mode it is in.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from fastapi import APIRouter, Depends, FastAPI

from autograder import isolation, sandbox, submission
from autograder.course import ROOT
from autograder.runner import Grader, Limits
from tests.test_engine import SuiteLab, grader_in_mode

ROUTES = '''
from fastapi import APIRouter, Depends


def get_greeting() -> str:
    """The greeting routes answer with."""
    return "hello"


router = APIRouter()


@router.get("/greet")
def greet(greeting: str = Depends(get_greeting)) -> dict:
    return {"greeting": greeting}
'''

MAIN = """
from fastapi import FastAPI

from routes import router

app = FastAPI()
app.include_router(router)
"""

SUITE = """
from fastapi.testclient import TestClient

from autograder import check, isolation
from tests.isolation_probes import already_imported, polite, route_paths


@check(points=1, hint="h")
def test_a_dependency_of_a_router_module_is_overridden(app):
    isolation.override(app, "get_greeting", polite)
    try:
        with TestClient(app) as client:
            assert client.get("/greet").json() == {"greeting": "good morning"}
    finally:
        isolation.clear_overrides(app)


@check(points=1, hint="h")
def test_without_override_the_student_dependency_answers(app):
    with TestClient(app) as client:
        assert client.get("/greet").json() == {"greeting": "hello"}


@check(points=1, hint="h")
def test_a_probe_sees_the_student_modules(app):
    assert "/greet" in isolation.call(route_paths)


@check(points=1, hint="h")
def test_a_probe_starts_with_fastapi_warmed_up(app):
    # FastAPI imports pydantic.v1 at its first route: a sandbox forked from a launcher that
    # declared one already does not pay for it again.
    assert isolation.call(already_imported, ["pydantic.v1"]) == ["pydantic.v1"]
"""


def submission_with_a_router(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "routes.py").write_text(textwrap.dedent(ROUTES))
    (folder / "main.py").write_text(textwrap.dedent(MAIN))
    return folder


@pytest.fixture(scope="module", params=["in-process", "sandboxed"])
def grader(request, tmp_path_factory) -> Grader:
    folder = tmp_path_factory.mktemp("suite")
    grader = grader_in_mode(request.param, folder, 97, "isolation", SUITE)
    yield grader
    grader.close()


def test_overrides_and_probes_grade_alike_in_both_modes(grader, tmp_path):
    result = grader.grade(submission_with_a_router(tmp_path / "submission"))
    failed = {r.check.name: r.message for r in result.results if not r.passed}
    assert not result.problem and not failed, result.problem or failed


def test_an_override_the_sandbox_cannot_import_fails_at_once(tmp_path):
    if sandbox.unavailable_reason():
        pytest.skip(sandbox.unavailable_reason())
    code = """
    from fastapi.testclient import TestClient

    from autograder import check, isolation


    def polite() -> str:  # in a suite the sandbox cannot import: a mistake of the suite's
        return "good morning"


    @check(points=1, hint="h")
    def test_overridden(app):
        isolation.override(app, "get_greeting", polite)
        with TestClient(app) as client:
            assert client.get("/greet").json() == {"greeting": "good morning"}
    """
    suite = tmp_path / "lab96_unloadable.py"
    suite.write_text(textwrap.dedent(code))
    lab = SuiteLab(number=96, slug="unloadable", title="unloadable", suite_file=str(suite))
    # A wait for the time limit would take 60 s; a busy machine once took 13.5 s without one.
    grader = Grader(lab, Limits(check_timeout=60, secure=True))
    try:
        result = grader.grade(submission_with_a_router(tmp_path / "submission"))
    finally:
        grader.close()
    (only,) = result.results
    assert not only.passed
    assert "could not load the grader's request" in only.message, only.message
    assert result.execution_time < 40, result.execution_time  # no wait for the time limit


def test_a_dependency_is_found_wherever_a_route_uses_it():
    def get_settings() -> dict:
        return {}

    def get_user(settings: dict = Depends(get_settings)) -> str:
        return "ada"

    router = APIRouter(dependencies=[Depends(get_settings)])

    @router.get("/me")
    def me(user: str = Depends(get_user)) -> str:
        return user

    app = FastAPI()
    app.include_router(router)
    assert submission.find_dependency(app, "get_user") is get_user
    assert submission.find_dependency(app, "get_settings") is get_settings  # a sub-dependency
    assert submission.find_dependency(app, "get_nothing") is None


def test_overriding_a_missing_dependency_says_which():
    app = FastAPI()
    with pytest.raises(isolation.SandboxError, match=r"no dependency get_model\(\)"):
        isolation.InProcess().override(app, "get_model", lambda: None)


def test_no_mode_branch_outside_the_isolation_package():
    asks = re.compile(r"\benabled\(\)|\bpolicy\(\)|\.secure\b")
    allowed = {ROOT / "autograder" / "isolation", ROOT / "autograder" / "sandbox"}
    found = []
    for path in sorted((ROOT / "autograder").rglob("*.py")):
        if any(path.is_relative_to(folder) for folder in allowed):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if asks.search(line) and "secure=args.secure" not in line:  # the command line
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


BARE_LAUNCHER_SUITE = """
from autograder import check, isolation, sandbox
from tests.isolation_probes import already_imported


@check(points=1, hint="h")
def test_a_sandbox_has_what_every_sandbox_needs(app):
    wanted = list(sandbox.PRELOAD)
    assert isolation.call(already_imported, wanted) == wanted
"""


def test_a_launcher_started_without_a_list_preloads_what_sandboxes_need(tmp_path):
    """A launcher started by an engine call before any grader (no lab's list of modules)
    still imports what every sandbox needs: a sandboxed app cannot import the grader's
    modules itself (lab 09's app unpickles the grader's held model, autograder.held_model)."""
    if sandbox.unavailable_reason():
        pytest.skip(sandbox.unavailable_reason())
    from autograder.sandbox import harness

    sandbox.shut_down()
    harness.launcher()  # bare: the grader below reuses it
    suite = tmp_path / "lab95_bare_launcher.py"
    suite.write_text(textwrap.dedent(BARE_LAUNCHER_SUITE))
    lab = SuiteLab(number=95, slug="bare-launcher", title="bare", suite_file=str(suite))
    grader = Grader(lab, Limits(check_timeout=20, secure=True))
    try:
        result = grader.grade(submission_with_a_router(tmp_path / "submission"))
    finally:
        grader.close()
    failed = {r.check.name: r.message for r in result.results if not r.passed}
    assert not result.problem and not failed, result.problem or failed
