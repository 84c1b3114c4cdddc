"""Batch grading: every student once, never a stale grade, a gradebook that says what
happened to each, a class summary, and nothing lost to a kill -9."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import cli
from autograder.course import ROOT, find_lab
from autograder.instructor import privilege
from autograder.instructor.batch import _now_grading, grade_class
from autograder.instructor.commands import default_gradebook
from autograder.instructor.feedback import (
    GRADED,
    NOT_GRADED,
    TIMED_OUT,
    display_name,
    file_stem,
)
from autograder.runner import Limits

LAB = find_lab(2)
# Generous for a machine busy with other tests (they run in parallel); the slow import of
# SLOW_IMPORT still times out, after IMPORT_TIMEOUT.
LIMITS = Limits(check_timeout=15, import_timeout=12, secure=True)
SLOW_IMPORT = "import time\n\ntime.sleep(60)\n"


def make_class(folder: Path, *, copies: int = 1) -> dict[str, tuple[str, float]]:
    """A small class and each student's expected (status, score)."""
    expected: dict[str, tuple[str, float]] = {}
    for index in range(copies):
        shutil.copytree(LAB.solution_dir, folder / f"full-{index}")
        expected[f"full-{index}"] = (GRADED, 100.0)
        shutil.copytree(LAB.starter_dir, folder / f"starter-{index}")
        expected[f"starter-{index}"] = (GRADED, 0.0)
    shutil.copytree(LAB.solution_dir, folder / "clone" / "course" / "labs" / LAB.folder)
    expected["clone"] = (GRADED, 100.0)
    shutil.copytree(LAB.solution_dir, folder / "zipped" / "my lab")
    expected["zipped"] = (GRADED, 100.0)
    broken = folder / "broken"
    shutil.copytree(LAB.solution_dir, broken)
    (broken / "main.py").write_text("this is not python\n")
    expected["broken"] = (NOT_GRADED, 0.0)
    (folder / "empty").mkdir()
    expected["empty"] = (NOT_GRADED, 0.0)
    return expected


def read_gradebook(path: Path) -> dict[str, dict]:
    with path.open() as stream:
        rows = list(csv.DictReader(stream))
    students = [row["student"] for row in rows]
    assert len(students) == len(set(students)), f"a student appears twice: {students}"
    return {row["student"]: row for row in rows}


def outcomes(path: Path) -> dict[str, tuple[str, float]]:
    return {
        name: (row["status"], float(row["score"])) for name, row in read_gradebook(path).items()
    }


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A class graded once (secure mode, as batch always grades)."""
    folder = tmp_path_factory.mktemp("class")
    expected = make_class(folder / "submissions")
    slow = folder / "submissions" / "slow"
    shutil.copytree(LAB.solution_dir, slow)
    (slow / "main.py").write_text(SLOW_IMPORT + (slow / "main.py").read_text())
    expected["slow"] = (TIMED_OUT, 0.0)
    out = folder / "grades.csv"
    run = grade_class(LAB, folder / "submissions", out, jobs=2, limits=LIMITS, show_progress=False)
    return folder, out, expected, run


def test_each_student_is_graded_once_with_a_status(graded_class):
    folder, out, expected, run = graded_class
    assert outcomes(out) == expected
    assert sorted(run.graded) == sorted(expected) and not run.regraded and not run.unchanged
    assert sorted(run.with_status(NOT_GRADED)) == ["broken", "empty"]
    assert run.with_status(TIMED_OUT) == ["slow"]


def test_the_gradebook_tells_a_syntax_error_from_a_blank_starter(graded_class):
    _, out, _, _ = graded_class
    rows = read_gradebook(out)
    assert list(rows["broken"])[:5] == ["student", "status", "score", "max_score", "reason"]
    assert rows["starter-0"]["status"] == GRADED and rows["starter-0"]["reason"] == ""
    assert rows["broken"]["status"] == NOT_GRADED and "main.py, line 1" in rows["broken"]["reason"]
    assert "no main.py was found" in rows["empty"]["reason"]
    assert "did not finish within" in rows["slow"]["reason"]
    feedback = out.with_name("grades-feedback")
    assert "Score: 0/100" in (feedback / "starter-0.md").read_text()
    assert "could not be graded" in (feedback / "broken.md").read_text()
    document = json.loads((feedback / "broken.json").read_text())
    assert {"name", "score", "max_score", "status", "output"} <= set(document["tests"][0])
    assert len(document["submission_sha256"]) == len(document["suite_sha256"]) == 64


def test_the_class_summary_shows_the_checks_failed_most(graded_class):
    folder, out, _, run = graded_class
    text = run.summary.read_text()
    assert run.summary == folder / "grades-summary.md"
    assert "broken" in text and "empty" in text and "slow" in text  # students to look at
    rows = re.findall(r"^\| (.+?) \| [\d.]+ \| (\d+)/(\d+) \| \d+% \|$", text, re.M)
    assert rows, text
    rates = [int(passed) / int(total) for _, passed, total in rows]
    assert rates == sorted(rates), "most failed first"
    assert all(int(total) == 5 for _, _, total in rows)  # the gradable: 3 full, starter, slow
    assert run.plot is not None and run.plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run.plot.stat().st_size > 10_000
    assert run.plot.name in text


def test_a_rerun_regrades_exactly_the_changed_submission(graded_class):
    folder, out, expected, _ = graded_class
    shutil.rmtree(folder / "submissions" / "slow")  # keep the re-runs quick
    del expected["slow"]
    starter = folder / "submissions" / "starter-0"
    shutil.rmtree(starter)
    shutil.copytree(LAB.solution_dir, starter)  # the student finished the lab
    run = grade_class(LAB, folder / "submissions", out, jobs=2, limits=LIMITS, show_progress=False)
    assert run.regraded == ["starter-0"] and not run.graded
    assert sorted(run.unchanged) == sorted(set(expected) - {"starter-0"})
    assert outcomes(out)["starter-0"] == (GRADED, 100.0)
    again = grade_class(LAB, folder / "submissions", out, limits=LIMITS, show_progress=False)
    assert not again.graded and not again.regraded, "an unchanged class was graded again"
    forced = grade_class(
        LAB, folder / "submissions", out, jobs=2, limits=LIMITS, regrade=True, show_progress=False
    )
    assert sorted(forced.regraded) == sorted(expected) and not forced.unchanged


def test_a_changed_suite_makes_a_grade_stale(graded_class):
    folder, out, _, _ = graded_class
    record = out.with_name("grades-feedback") / "full-0.json"
    document = json.loads(record.read_text())
    document["suite_sha256"] = "0" * 64  # as if graded by an earlier version of the checks
    record.write_text(json.dumps(document))
    run = grade_class(LAB, folder / "submissions", out, limits=LIMITS, show_progress=False)
    assert run.regraded == ["full-0"]


def test_the_progress_names_who_is_being_graded(monkeypatch):
    monkeypatch.setattr(time, "monotonic", lambda: 100.0)
    assert _now_grading({}) == "grading"
    assert _now_grading({"bob": 98.0, "alice": 60.0}) == "grading alice (40 s), bob"


def test_batch_without_root_refuses_in_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(privilege.os, "geteuid", lambda: 1000)
    (tmp_path / "alice").mkdir()
    assert cli.main(["batch", "2", str(tmp_path), "--out", str(tmp_path / "g.csv")]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "needs root" in error and "sudo" in error
    assert not (tmp_path / "g.csv").exists()


def test_default_outputs_stay_out_of_git():
    out = default_gradebook(LAB)
    assert out.is_relative_to(ROOT)
    for path in (out, out.with_name("grades-feedback") / "alice.json", out.with_suffix(".png")):
        relative = path.relative_to(ROOT).as_posix()
        ignored = subprocess.run(["git", "check-ignore", "-q", relative], cwd=ROOT, check=False)
        assert ignored.returncode == 0, f"{relative} is not git-ignored"


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
    finished = subprocess.run(command, cwd=ROOT, timeout=180, check=False, capture_output=True)
    assert finished.returncode == 0, finished.stderr
    assert outcomes(out) == expected


def test_what_batch_wrote_under_sudo_goes_back_to_the_instructor(monkeypatch, tmp_path):
    (tmp_path / "grades" / "feedback").mkdir(parents=True)
    (tmp_path / "grades" / "feedback" / "alice.json").write_text("{}")
    monkeypatch.setenv("SUDO_UID", "65534")
    monkeypatch.setenv("SUDO_GID", "65534")
    privilege.hand_back([tmp_path / "grades"])
    for path in [tmp_path / "grades", *(tmp_path / "grades").rglob("*")]:
        assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534), path


def test_a_check_that_hangs_is_reported_as_timed_out(tmp_path):
    looping = tmp_path / "submissions" / "looping"
    shutil.copytree(LAB.solution_dir, looping)
    main = (looping / "main.py").read_text()
    marker = '    """One recorded observation, or 404."""\n'
    assert marker in main
    (looping / "main.py").write_text(
        main.replace(marker, marker + "    while True:\n        pass\n")
    )
    limits = Limits(check_timeout=2, secure=True)
    run = grade_class(
        LAB, tmp_path / "submissions", tmp_path / "grades.csv", limits=limits, show_progress=False
    )
    (row,) = read_gradebook(tmp_path / "grades.csv").values()
    assert row["status"] == TIMED_OUT and run.with_status(TIMED_OUT) == ["looping"]
    assert "ran past its time limit: " in row["reason"] and "read back" in row["reason"]
    assert 0 < float(row["score"]) < 100  # the checks that finished keep their points


def test_a_grader_failure_costs_one_student_not_the_class(monkeypatch, tmp_path):
    from autograder.runner import Grader

    original = Grader.grade

    def grade(self, submission, **options):
        if Path(submission).name == "crashes":
            raise RuntimeError("a bug in the grader")
        return original(self, submission, **options)

    monkeypatch.setattr(Grader, "grade", grade)
    shutil.copytree(LAB.solution_dir, tmp_path / "submissions" / "crashes")
    shutil.copytree(LAB.solution_dir, tmp_path / "submissions" / "fine")
    out = tmp_path / "grades.csv"
    grade_class(LAB, tmp_path / "submissions", out, limits=LIMITS, show_progress=False)
    rows = read_gradebook(out)
    assert rows["fine"]["status"] == GRADED and float(rows["fine"]["score"]) == 100
    assert rows["crashes"]["status"] == NOT_GRADED
    assert "RuntimeError: a bug in the grader" in rows["crashes"]["reason"]


ODD_NAMES = {
    "non-utf8": "caf\udce9",  # the folder b"caf\xe9"
    "long": "d" * 250,
    "formula": '=HYPERLINK("http:"&CHAR(47)&CHAR(47)&"evil.example","bob")',
    "newline": "carol\nalice",
}


def test_odd_folder_names_get_their_own_rows_and_files(tmp_path):
    submissions = tmp_path / "submissions"
    shutil.copytree(LAB.solution_dir, submissions / ODD_NAMES["non-utf8"])
    for key in ("long", "formula", "newline"):
        (submissions / ODD_NAMES[key]).mkdir(parents=True)  # no lab folder: not graded
    out = tmp_path / "grades.csv"
    run = grade_class(LAB, submissions, out, limits=LIMITS, show_progress=False)
    assert sorted(run.graded) == sorted(ODD_NAMES.values())
    rows = read_gradebook(out)
    shown = {key: display_name(name) for key, name in ODD_NAMES.items()}
    assert set(rows) == {shown["non-utf8"], shown["long"], shown["newline"], "'" + shown["formula"]}
    assert rows[r"caf\xe9"]["status"] == GRADED and float(rows[r"caf\xe9"]["score"]) == 100
    assert rows["carol\\x0aalice"]["status"] == NOT_GRADED
    feedback = out.with_name("grades-feedback")
    for name in ODD_NAMES.values():
        stem = file_stem(name)
        assert len(stem.encode()) <= 111
        assert json.loads((feedback / f"{stem}.json").read_text())["student"] == display_name(name)
        assert (feedback / f"{stem}.md").read_text().startswith("# Lab 02 ")
    assert (feedback / f"{ODD_NAMES['formula']}.json").is_file(), "a plain name keeps its files"
    again = grade_class(LAB, submissions, out, limits=LIMITS, show_progress=False)
    assert sorted(again.unchanged) == sorted(ODD_NAMES.values()) and not again.graded


def test_feedback_that_cannot_be_written_costs_one_student_not_the_class(monkeypatch, tmp_path):
    from autograder.instructor import feedback

    for name in ("alice", "bob", "carol"):
        (tmp_path / "submissions" / name).mkdir(parents=True)
    write = feedback.write_atomically
    report = feedback.markdown_report

    def fails_for_bob(student, result, title):  # once: then the record says why
        if student == "bob" and "could not be written" not in result.problem:
            raise OSError(28, "No space left on device")
        return report(student, result, title)

    def never_for_carol(path, text):
        if path.name.startswith("carol."):
            raise OSError(5, "Input/output error")
        write(path, text)

    monkeypatch.setattr(feedback, "markdown_report", fails_for_bob)
    monkeypatch.setattr(feedback, "write_atomically", never_for_carol)
    out = tmp_path / "grades.csv"
    grade_class(LAB, tmp_path / "submissions", out, limits=LIMITS, show_progress=False)
    rows = read_gradebook(out)
    assert sorted(rows) == ["alice", "bob", "carol"]
    assert all(row["status"] == NOT_GRADED for row in rows.values())
    assert "no main.py was found" in rows["alice"]["reason"]
    assert "feedback files could not be written (OSError" in rows["bob"]["reason"]
    assert "no feedback record" in rows["carol"]["reason"]
    record = json.loads((tmp_path / "grades-feedback" / "bob.json").read_text())
    assert record["submission_sha256"] == "", "graded again on the next run"


def test_the_progress_shows_names_as_text(monkeypatch):
    from autograder.instructor.batch import _progress

    monkeypatch.setattr(time, "monotonic", lambda: 100.0)
    description = _now_grading({"[/bold]\x1b]0;x\x07": 99.0})
    assert description == r"grading [/bold]\x1b]0;x\x07"
    stream = io.StringIO()
    progress = _progress(True, 1, 0)
    progress.console.file = stream
    with progress:
        progress.update(progress.tasks[0].id, description=description)
    assert "[/bold]" in stream.getvalue() and "\x1b]0;" not in stream.getvalue()
