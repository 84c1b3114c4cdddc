"""The Gradescope zip, end to end in a simulated /autograder tree.

The zip is built from a clone whose working tree is dirty (lab solved in labs/, a trained
model); its environment is built the way setup.sh builds it (the grader dependency group,
from the zip's own lockfile); run_autograder then grades real uploads, zipped folders
included, in secure mode, as Gradescope runs it (as root).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

from autograder.course import ROOT, find_lab, load_labs
from autograder.hidden_checks import without_hidden_checks
from autograder.instructor.gradescope import build_zip
from autograder.instructor.tooling import UV_VERSION
from autograder.sync import make_starter
from tests.course_copy import course_clone

LAB = find_lab(2)
SECRET = "solved-in-the-working-tree-41c2"


@pytest.fixture(scope="module")
def autograder_tree(tmp_path_factory):
    """/autograder with the zip unpacked in source/ and its environment built."""
    course = course_clone(tmp_path_factory.mktemp("clone") / "course")
    starter = course / "labs" / LAB.folder
    for path in LAB.solution_dir.glob("*.py"):
        (starter / path.name).write_text(path.read_text() + f"# {SECRET}\n")
    (starter / "models").mkdir()
    (starter / "models" / "model.joblib").write_text(SECRET)
    # Secure grading runs student code as another user: the tree must be readable by it.
    root = Path(tempfile.mkdtemp(prefix="autograder-"))
    root.chmod(0o755)
    archive = build_zip(LAB, root / "autograder.zip", root=course)
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        opened.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    setup = (root / "source" / "setup.sh").read_text()
    (sync,) = re.findall(r"^uv sync .*$", setup, re.M)
    # The same environment without compiling every library to bytecode (Gradescope pays
    # that once per image; here it was 16 CPU-seconds of each run of the course's tests).
    sync = sync.replace(" --compile-bytecode", "")
    environment = {**os.environ, "UV_PYTHON": "/usr/bin/python3"}
    for name in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"):
        environment.pop(name, None)
    subprocess.run(sync.split(), cwd=root / "source", env=environment, check=True, timeout=600)
    yield root, names
    shutil.rmtree(root, ignore_errors=True)


def upload(root: Path, files: dict[str, Path | str]) -> None:
    """What Gradescope leaves in /autograder/submission: the upload, unzipped."""
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    submission.mkdir()
    for name, source in files.items():
        target = submission / name
        if isinstance(source, Path):
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source)
    submission.chmod(0o755)


def zipped_upload(root: Path, folder: Path, inside: str, tmp_path: Path) -> None:
    """A student zips their lab folder (as ``inside``/...) and uploads the zip."""
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                opened.write(path, f"{inside}/{path.relative_to(folder)}")
                opened.writestr(f"__MACOSX/{inside}/._{path.name}", "mac clutter")
    upload(root, {})
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(root / "submission")


def run_autograder(root: Path) -> dict:
    environment = {"GRADESCOPE_ROOT": str(root), "PATH": "/usr/bin:/bin", "HOME": str(root)}
    subprocess.run(
        ["bash", str(root / "source" / "run_autograder")], env=environment, check=True, timeout=300
    )
    return json.loads((root / "results" / "results.json").read_text())


def test_zip_holds_committed_files_and_only_this_labs_suite(autograder_tree):
    root, names = autograder_tree
    assert {"setup.sh", "run_autograder", "uv.lock", "pyproject.toml", "course.toml"} <= set(names)
    suite = LAB.suite.relative_to(ROOT).as_posix()
    assert suite in names
    every_suite = {lab.suite.relative_to(ROOT).as_posix() for lab in load_labs()}
    assert [name for name in names if name in every_suite] == [suite]
    assert not any(name.startswith(("solutions/", "tests/", "bench/")) for name in names)
    assert not any(name.endswith(".joblib") or "/models/" in name for name in names)
    for path in LAB.solution_dir.glob("*.py"):
        shipped = (root / "source" / "labs" / LAB.folder / path.name).read_text()
        assert shipped == make_starter(path.read_text()) and SECRET not in shipped
    shipped_suite = (root / "source" / suite).read_text()
    assert without_hidden_checks(shipped_suite)[1] > 0, "Gradescope grades the hidden checks too"


def test_setup_installs_a_pinned_uv_and_only_the_grader_group(autograder_tree):
    root, _ = autograder_tree
    setup = (root / "source" / "setup.sh").read_text()
    assert f"https://astral.sh/uv/{UV_VERSION}/install.sh" in setup
    assert "pip install" not in setup
    assert (
        "--no-dev --group grader --locked" in setup or "--locked --no-dev --group grader" in setup
    )
    installed = {
        path.name.split("-")[0].lower()
        for path in (root / "source" / ".venv").glob("lib/python3*/site-packages/*.dist-info")
    }
    # matplotlib is a lab dependency (lab 12's load report draws a plot): it belongs here
    assert {"pytest", "rich", "fastapi", "scikit_learn", "matplotlib"} <= installed
    assert not {"jupyter", "nbval", "ruff", "schemathesis"} & installed


def test_a_zipped_lab_folder_gets_its_real_score(autograder_tree, tmp_path):
    root, _ = autograder_tree
    zipped_upload(root, LAB.solution_dir, LAB.folder, tmp_path)
    results = run_autograder(root)
    assert results["score"] == results["max_score"] > 0
    assert all(test["status"] == "passed" for test in results["tests"])
    assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(
        results["tests"][0]
    )
    assert any(test["visibility"] == "after_due_date" for test in results["tests"])


def test_a_zipped_renamed_folder_and_a_whole_clone_are_found(autograder_tree, tmp_path):
    root, _ = autograder_tree
    zipped_upload(root, LAB.solution_dir, "my lab two", tmp_path)
    assert run_autograder(root)["score"] == 100
    upload(root, {f"course/labs/{LAB.folder}": LAB.solution_dir})
    assert run_autograder(root)["score"] == 100


def test_a_starter_scores_zero_and_an_empty_upload_is_explained(autograder_tree, tmp_path):
    root, _ = autograder_tree
    zipped_upload(root, LAB.starter_dir, LAB.folder, tmp_path)
    results = run_autograder(root)
    assert results["score"] == 0 and "output" not in results  # graded, not a failure
    upload(root, {"notes.txt": "I forgot the code"})
    results = run_autograder(root)
    assert results["score"] == 0
    assert "no main.py was found" in results["output"] and LAB.folder in results["output"]


def test_a_grader_that_cannot_start_still_writes_results(autograder_tree):
    root, _ = autograder_tree
    upload(root, {"main.py": "app = None\n"})
    environment = {
        "GRADESCOPE_ROOT": str(root),
        "PATH": "/usr/bin:/bin",
        "AUTOGRADER_PYTHON": "/nonexistent/python",
    }
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=environment, check=True)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "could not grade" in results["output"]
