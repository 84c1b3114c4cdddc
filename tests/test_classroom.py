"""GitHub Classroom: the workflow is well formed and the payload is what the reporter reads."""

from __future__ import annotations

import base64
import json

import yaml

from autograder import classroom
from autograder.course import find_lab, load_labs

LAB = find_lab(2)


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


def test_payload_reports_each_checks_own_points(grader_for, tmp_path):
    grader = grader_for(LAB.number)
    result = grader.grade(LAB.solution_dir)
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


def test_workflow_grades_every_lab_with_the_pristine_course(tmp_path):
    out = classroom.write_workflow(
        course_repository="acme/fastapi-ml-labs", ref="0123abc", out=tmp_path / "classroom.yml"
    )
    document = yaml.safe_load(out.read_text())
    job = document["jobs"]["run-autograding-tests"]
    assert job["name"] == "Autograding Tests"  # the check run the reporter updates
    steps = job["steps"]
    pristine = next(step for step in steps if step.get("with", {}).get("path") == "pristine")
    assert pristine["with"]["repository"] == "acme/fastapi-ml-labs"
    assert pristine["with"]["ref"] == "0123abc"
    reporter = steps[-1]
    assert reporter["uses"] == classroom.REPORTER
    runners = reporter["with"]["runners"].split(",")
    assert runners == [classroom.runner_id(lab) for lab in load_labs()]
    ids = {step.get("id") for step in steps}
    for runner in runners:
        assert runner in ids
        assert (
            reporter["env"][f"{runner.upper()}_RESULTS"]
            == f"${{{{ steps.{runner}.outputs.result }}}}"
        )
    grading = [step for step in steps if step.get("id") in runners]
    assert all(step["working-directory"] == "pristine" for step in grading)
    assert all('--submission "$GITHUB_WORKSPACE/student"' in step["run"] for step in grading)
