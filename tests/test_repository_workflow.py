"""The course's own GitHub workflow runs what a maintainer runs (`bash .ci/run`, as root, in
Debian), with the actions and the uv the Classroom workflow pins, and passes the audit."""

from __future__ import annotations

import yaml

from autograder.course import ROOT
from autograder.instructor import classroom
from autograder.instructor.tooling import UV_VERSION
from tests import workflow_audit

WORKFLOW = ROOT / ".github" / "workflows" / "test.yml"


def load() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_it_runs_the_ci_script_as_root_in_debian():
    (job,) = load()["jobs"].values()
    assert job["container"]["image"].startswith("debian:")
    assert "--user" not in job["container"].get("options", "")  # a container's root
    assert "--privileged" in job["container"]["options"]  # secure mode's confinement
    assert job["steps"][-1]["run"] == "bash .ci/run"


def test_its_actions_and_uv_are_those_the_classroom_workflow_pins():
    pins = {action.name: action.uses for action in classroom.ACTIONS}
    lines = [line.strip() for line in WORKFLOW.read_text().splitlines() if "uses:" in line]
    assert lines
    for line in lines:
        uses = line.removeprefix("- ").removeprefix("uses:").strip()
        assert uses == pins[uses.partition("@")[0]], f"pin it as classroom.ACTIONS does: {line}"
    (job,) = load()["jobs"].values()
    (setup,) = [step for step in job["steps"] if "setup-uv" in step.get("uses", "")]
    assert setup["with"]["version"] == UV_VERSION


def test_it_passes_the_security_audit():
    assert not workflow_audit.findings(WORKFLOW)
