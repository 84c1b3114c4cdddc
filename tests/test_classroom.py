"""GitHub Classroom: the workflow is valid for the actions it uses, grades as root from the
pinned course, and the payload is what the reporter reads."""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

from autograder import cli
from autograder.course import ROOT, find_lab, load_labs
from autograder.instructor import classroom
from autograder.instructor.tooling import SYNC_FOR_GRADING, UV_VERSION
from tests import workflow_audit

LAB = find_lab(2)

# The inputs each action declares in its action.yml, at the commit the workflow pins
# (classroom.ACTIONS: actions/checkout v7.0.1, astral-sh/setup-uv v10.0.1, the reporter v1).
DECLARED_INPUTS = {
    "actions/checkout": {
        "repository", "ref", "token", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user",
        "persist-credentials", "path", "clean", "filter", "sparse-checkout",
        "sparse-checkout-cone-mode", "fetch-depth", "fetch-tags", "show-progress",
        "lfs", "submodules", "set-safe-directory", "github-server-url",
        "allow-unsafe-pr-checkout",
    },
    "astral-sh/setup-uv": {
        "version", "version-file", "python-version", "activate-environment", "venv-path",
        "no-project", "working-directory", "checksum", "github-token", "enable-cache",
        "cache-dependency-glob", "restore-cache", "save-cache", "cache-suffix",
        "cache-local-path", "prune-cache", "cache-python", "ignore-nothing-to-cache",
        "ignore-empty-workdir", "tool-dir", "tool-bin-dir", "manifest-file",
        "download-from-astral-mirror", "add-problem-matchers", "quiet", "resolution-strategy",
    },
    "classroom-resources/autograding-grading-reporter": {"token", "runners"},
}  # fmt: skip
REQUIRED_INPUTS = {"classroom-resources/autograding-grading-reporter": {"runners"}}
STEP_KEYS = {"name", "id", "uses", "with", "env", "run", "working-directory", "if", "shell"}


def reporter_total(environment: dict[str, str], runners: str) -> tuple[float, float]:
    """What autograding-grading-reporter sends to Classroom: for each runner id, decode
    ``<ID>_RESULTS`` (base64 JSON), add its ``max_score`` and every test's own ``score``."""
    total = maximum = 0.0
    for runner in runners.split(","):
        results = json.loads(base64.b64decode(environment[f"{runner.strip().upper()}_RESULTS"]))
        if not results["max_score"]:
            continue
        maximum += results["max_score"]
        total += sum(test["score"] for test in results["tests"])
    return total, maximum


@pytest.fixture
def generated(tmp_path):
    def make(**options) -> dict:
        options.setdefault("course_repository", "acme/fastapi-ml-labs")
        options.setdefault("ref", "0123abc")
        out = classroom.write_workflow(out=tmp_path / "classroom.yml", **options)
        return yaml.safe_load(out.read_text())

    return make


def test_payload_reports_each_checks_own_points(grader_for):
    result = grader_for(LAB.number).grade(LAB.solution_dir)
    document = classroom.payload(result)
    assert document["version"] == 1 and document["status"] == "pass"
    assert {"name", "status", "score", "message"} <= set(document["tests"][0])
    points = sorted(test["score"] for test in document["tests"])
    assert len(set(points)) > 1, "checks with different points must not be split equally"
    environment = {"LAB02_RESULTS": classroom.encode(document)}
    assert reporter_total(environment, "lab02") == (result.score, result.max_score)


def test_a_failing_submission_reports_fail_with_hints(grader_for):
    result = grader_for(LAB.number).grade(LAB.starter_dir)
    document = classroom.payload(result)
    assert document["status"] == "fail"
    hidden = {r.check.name for r in result.results if r.check.hidden}
    failed = [test for test in document["tests"] if test["status"] == "fail"]
    assert failed and all(
        "Hint:" in test["message"] for test in failed if test["name"] not in hidden
    )
    environment = {"LAB02_RESULTS": classroom.encode(document)}
    assert reporter_total(environment, "lab02") == (0, result.max_score)


def test_every_action_gets_only_inputs_it_declares(generated):
    for document in (generated(), generated(token_secret=None)):
        assert document["name"] == "Autograding Tests"  # the reporter finds its run by name
        assert list(document["jobs"]) == ["run-autograding-tests"]
        steps = document["jobs"]["run-autograding-tests"]["steps"]
        for step in steps:
            assert set(step) <= STEP_KEYS, step
            assert ("uses" in step) != ("run" in step), step
            if "uses" not in step:
                continue
            action, _, commit = step["uses"].partition("@")
            assert re.fullmatch(r"[0-9a-f]{40}", commit), f"{action}: pin a commit, not a tag"
            given = set(step.get("with", {}))
            assert given <= DECLARED_INPUTS[action], f"{action}: {given - DECLARED_INPUTS[action]}"
            assert REQUIRED_INPUTS.get(action, set()) <= given
            assert all(isinstance(value, str) for value in step.get("with", {}).values())


def test_uv_comes_from_setup_uv_at_the_pinned_version(generated):
    steps = generated()["jobs"]["run-autograding-tests"]["steps"]
    (setup,) = [step for step in steps if step.get("uses", "").startswith("astral-sh/setup-uv@")]
    assert setup["with"]["version"] == UV_VERSION
    assert not any("pip install" in step.get("run", "") for step in steps)
    install = next(step for step in steps if SYNC_FOR_GRADING in step.get("run", ""))
    assert steps.index(setup) < steps.index(install)
    assert "sudo" in install["run"] and classroom.GRADER_DIR in install["run"]


def test_each_lab_is_graded_as_root_from_the_pinned_course(generated):
    steps = generated()["jobs"]["run-autograding-tests"]["steps"]
    pristine = next(step for step in steps if step.get("with", {}).get("path") == "pristine")
    assert pristine["with"]["repository"] == "acme/fastapi-ml-labs"
    assert pristine["with"]["ref"] == "0123abc"
    assert pristine["with"]["token"] == "${{ secrets.COURSE_REPOSITORY_TOKEN }}"
    assert "solutions" not in pristine["with"]["sparse-checkout"]
    assert pristine["with"]["sparse-checkout"].split() == ["autograder", "labs"]
    reporter = steps[-1]
    assert reporter["uses"] == f"{classroom.REPORTER.name}@{classroom.REPORTER.commit}"
    runners = reporter["with"]["runners"].split(",")
    assert re.fullmatch(r"([a-zA-Z0-9]+,)*[a-zA-Z0-9]+", reporter["with"]["runners"])
    assert runners == [classroom.runner_id(lab) for lab in load_labs()]
    grading = [step for step in steps if step.get("id") in runners]
    assert [step["id"] for step in grading] == runners
    for step in grading:
        name = step["id"]
        assert (
            reporter["env"][f"{name.upper()}_RESULTS"] == f"${{{{ steps.{name}.outputs.result }}}}"
        )
        words = shlex.split(step["run"])
        assert words[:2] == ["sudo", "-E"], "secure grading needs root"
        assert words[2] == f"{classroom.GRADER_DIR}/.venv/bin/python"
        assert words[words.index("--submission") + 1] == "$GITHUB_WORKSPACE/student"


def test_a_public_course_needs_no_token(generated):
    steps = generated(token_secret=None)["jobs"]["run-autograding-tests"]["steps"]
    assert not any("token" in step.get("with", {}) for step in steps)
    named = generated(token_secret="GRADER_READ")["jobs"]["run-autograding-tests"]["steps"]
    assert any(s.get("with", {}).get("token") == "${{ secrets.GRADER_READ }}" for s in named)


def test_no_placeholder_repository_is_written(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(classroom, "origin_repository", lambda: None)
    out = tmp_path / "classroom.yml"
    with pytest.raises(classroom.ClassroomError, match="--repository"):
        classroom.write_workflow(out=out)
    assert cli.main(["classroom", "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "--repository OWNER/NAME" in error
    assert not out.exists()
    for wrong in ("just-a-name", "OWNER/COURSE REPOSITORY", "a/b/c"):
        with pytest.raises(classroom.ClassroomError):
            classroom.write_workflow(course_repository=wrong, ref="abc", out=out)
    with pytest.raises(classroom.ClassroomError, match="token-secret"):
        classroom.write_workflow(
            course_repository="a/b", ref="abc", out=out, token_secret="not a name"
        )


def test_the_origin_is_read_from_a_github_remote(monkeypatch):
    for url, expected in [
        ("git@github.com:acme/course.git", "acme/course"),
        ("https://github.com/acme/course", "acme/course"),
        ("https://gitlab.com/acme/course.git", None),
        ("", None),
    ]:
        monkeypatch.setattr(classroom, "_git", lambda *args, url=url: url)
        assert classroom.origin_repository() == expected


def test_the_grading_step_runs_as_written(generated, tmp_path):
    """Run lab 2's step here (as root, like the runner's sudo), with this checkout as the
    pinned course, and read its output as the reporter does."""
    steps = generated()["jobs"]["run-autograding-tests"]["steps"]
    step = next(step for step in steps if step.get("id") == classroom.runner_id(LAB))
    words = shlex.split(step["run"])[2:]  # this test already runs as root: no sudo
    words[0] = sys.executable
    workspace = tmp_path / "workspace"
    (workspace / "student" / "labs").mkdir(parents=True)
    shutil.copytree(LAB.solution_dir, workspace / "student" / "labs" / LAB.folder)
    output = tmp_path / "github_output"
    environment = {**os.environ, "GITHUB_WORKSPACE": str(workspace), "GITHUB_OUTPUT": str(output)}
    words = [word.replace("$GITHUB_WORKSPACE", str(workspace)) for word in words]
    completed = subprocess.run(
        words, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr
    (line,) = output.read_text().splitlines()
    assert line.startswith("result=")
    environment = {"LAB02_RESULTS": line.removeprefix("result=")}
    total, maximum = reporter_total(environment, "lab02")
    assert total == maximum == 100


def test_a_commit_of_digits_stays_a_string(generated):
    steps = generated(ref="1234567" * 5 + "89012")["jobs"]["run-autograding-tests"]["steps"]
    pristine = next(step for step in steps if step.get("with", {}).get("path") == "pristine")
    assert pristine["with"]["ref"] == "1234567" * 5 + "89012"


def test_the_workflow_passes_a_security_audit(tmp_path):
    for secret in (classroom.DEFAULT_TOKEN_SECRET, None):
        out = classroom.write_workflow(
            course_repository="acme/fastapi-ml-labs",
            ref="0123abc",
            out=tmp_path / f"classroom-{secret}.yml",
            token_secret=secret,
        )
        assert not workflow_audit.findings(out)
        # Each action is pinned to a commit, with the release it was beside it.
        pinned = [line for line in out.read_text().splitlines() if "uses:" in line]
        assert pinned and all(" # v" in line for line in pinned), pinned


def test_the_audit_finds_an_action_pinned_by_a_tag(tmp_path):
    text = classroom.workflow(load_labs()[:1], "acme/fastapi-ml-labs", "0123abc", None)
    moved = text.replace(classroom.CHECKOUT.uses, f"{classroom.CHECKOUT.name}@v7")
    (tmp_path / "classroom.yml").write_text(moved)
    assert "unpinned-uses" in workflow_audit.findings(tmp_path / "classroom.yml")
