"""Batch grading: every student exactly once, correct scores, and nothing lost to a kill -9."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.batch import find_lab_folder, grade_class
from autograder.course import ROOT, find_lab
from autograder.runner import Limits

LAB = find_lab(2)


def make_class(folder: Path, *, copies: int = 1) -> dict[str, float | None]:
    """A small class: solutions, starters, a whole clone, a broken one and an empty entry."""
    expected: dict[str, float | None] = {}
    for index in range(copies):
        shutil.copytree(LAB.solution_dir, folder / f"full-{index}")
        expected[f"full-{index}"] = 100.0
        shutil.copytree(LAB.starter_dir, folder / f"starter-{index}")
        expected[f"starter-{index}"] = 0.0
    clone = folder / "clone" / "labs" / LAB.folder
    shutil.copytree(LAB.solution_dir, clone)
    expected["clone"] = 100.0
    broken = folder / "broken"
    shutil.copytree(LAB.solution_dir, broken)
    (broken / "main.py").write_text("this is not python\n")
    expected["broken"] = 0.0
    (folder / "empty").mkdir()
    expected["empty"] = 0.0
    return expected


def read_gradebook(path: Path) -> dict[str, float]:
    with path.open() as stream:
        rows = list(csv.DictReader(stream))
    students = [row["student"] for row in rows]
    assert len(students) == len(set(students)), f"a student appears twice: {students}"
    return {row["student"]: float(row["score"]) for row in rows}


def test_the_lab_folder_is_found_in_a_whole_clone(tmp_path):
    clone = tmp_path / "student" / "course" / "labs" / LAB.folder
    clone.mkdir(parents=True)
    (clone / "main.py").write_text("")
    assert find_lab_folder(tmp_path / "student", LAB) == clone
    assert find_lab_folder(tmp_path, LAB) == clone
    (tmp_path / "nothing").mkdir()
    assert find_lab_folder(tmp_path / "nothing", LAB) is None


def test_a_class_is_graded_once_each_with_feedback(tmp_path):
    submissions = tmp_path / "submissions"
    expected = make_class(submissions)
    out = tmp_path / "grades.csv"
    summary = grade_class(
        LAB, submissions, out, jobs=2, limits=Limits(check_timeout=5), show_progress=False
    )
    assert read_gradebook(out) == expected
    assert summary["students"] == summary["graded"] == len(expected)
    assert summary["full_marks"] == 2 and summary["errors"] == 2
    feedback = tmp_path / "grades-feedback"
    broken = json.loads((feedback / "broken.json").read_text())
    assert "main.py, line 1" in broken["output"]
    assert {"name", "score", "max_score", "status", "output"} <= set(broken["tests"][0])
    assert "Score: 0/100" in (feedback / "starter-0.md").read_text()
    again = grade_class(LAB, submissions, out, jobs=2, show_progress=False)
    assert again["graded_now"] == 0, "a finished student was graded twice"
    assert read_gradebook(out) == expected


@pytest.mark.skipif(sys.platform == "win32", reason="kill -9 is POSIX")
def test_a_killed_run_resumes_and_loses_nobody(tmp_path):
    submissions = tmp_path / "submissions"
    expected = make_class(submissions, copies=3)
    out = tmp_path / "grades.csv"
    feedback = tmp_path / "grades-feedback"
    command = [sys.executable, "-m", "autograder", "batch", "2", str(submissions)]
    command += ["--out", str(out), "--jobs", "1", "--quiet"]
    run = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list(feedback.glob("*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    subprocess.run(["pkill", "-9", "-g", str(run.pid)], check=False)
    run.wait()
    done_before = {path.name for path in feedback.glob("*.json")}
    assert 2 <= len(done_before) < len(expected), "kill the run while it is half done"
    for path in feedback.glob("*.json"):
        json.loads(path.read_text())  # a file is whole or absent, never half written
    finished = subprocess.run(command, cwd=ROOT, timeout=180, check=False)
    assert finished.returncode == 0
    assert read_gradebook(out) == expected
