"""The Gradescope zip grades a submission end to end in a simulated /autograder tree."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder.course import find_lab
from autograder.gradescope import build_zip

LAB = find_lab(2)


@pytest.fixture(scope="module")
def autograder_tree(tmp_path_factory):
    """/autograder with the zip unpacked in source/, as Gradescope lays it out."""
    root = tmp_path_factory.mktemp("autograder")
    archive = build_zip(LAB, root / "autograder.zip")
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        opened.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    return root, names


def run_autograder(root, submission_source) -> dict:
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    if submission_source is None:
        submission.mkdir()
    else:
        shutil.copytree(submission_source, submission)
    env = {
        "GRADESCOPE_ROOT": str(root),
        "AUTOGRADER_PYTHON": sys.executable,
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(
        ["bash", str(root / "source" / "run_autograder")], env=env, check=True, timeout=180
    )
    return json.loads((root / "results" / "results.json").read_text())


def test_zip_holds_the_scripts_the_engine_and_only_this_labs_suite(autograder_tree):
    _, names = autograder_tree
    assert {"setup.sh", "run_autograder", "uv.lock", "pyproject.toml", "course.toml"} <= set(names)
    assert LAB.suite.relative_to(LAB.suite.parents[2]).as_posix() in names
    other_suites = [
        n for n in names if n.startswith("autograder/suites/lab") and LAB.suite.name not in n
    ]
    assert other_suites == []
    assert not any(name.startswith("solutions/") for name in names)


def test_solution_gets_full_marks_in_results_json(autograder_tree):
    root, _ = autograder_tree
    results = run_autograder(root, LAB.solution_dir)
    assert results["score"] == results["max_score"] > 0
    assert all(test["status"] == "passed" for test in results["tests"])
    assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(
        results["tests"][0]
    )


def test_a_whole_clone_is_graded_from_its_lab_folder(autograder_tree, tmp_path):
    root, _ = autograder_tree
    clone = tmp_path / "clone"
    shutil.copytree(LAB.solution_dir, clone / "labs" / LAB.folder)
    results = run_autograder(root, clone)
    assert results["score"] == results["max_score"]


def test_empty_submission_gets_zero_with_a_reason(autograder_tree):
    root, _ = autograder_tree
    results = run_autograder(root, None)
    assert results["score"] == 0
    assert "main.py" in results["output"]
