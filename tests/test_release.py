"""The student release: no solutions, no hidden checks, no known-bad submissions, no leaks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from autograder import release as release_module
from autograder.course import load_labs
from autograder.release import ReleaseError, hidden_checks_in, release, without_hidden_checks
from autograder.sync import BEGIN, END

LABS = load_labs()
RUN = 3  # consecutive code lines of a solution block that prove a leak
MIN_CHARS = 40  # a shorter run ("return flower") is too common to prove anything


def is_code(line: str) -> bool:
    """A stripped line that is code, not a comment, a blank or a piece of a data literal."""
    return bool(line) and not line.startswith(("#", '"', "'", "}", "]", ")", "{", "["))


def code_lines(text: str) -> list[str]:
    """The code lines of a file, stripped: what is compared between files."""
    return [line.strip() for line in text.splitlines() if is_code(line.strip())]


def solution_runs(lab) -> set[tuple[str, ...]]:
    """Runs of consecutive lines a student must write for ``lab`` (inside solution blocks)."""
    runs = set()
    for path in lab.solution_dir.rglob("*.py"):
        blocks, inside = [], False
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped in (BEGIN, END):
                inside = stripped == BEGIN
                if inside:
                    blocks.append([])
            elif inside and is_code(stripped):
                blocks[-1].append(stripped)
        for block in blocks:
            size = min(RUN, len(block))
            for start in range(len(block) - size + 1):
                run = tuple(block[start : start + size])
                if sum(map(len, run)) >= MIN_CHARS:
                    runs.add(run)
    return runs


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    destination = tmp_path_factory.mktemp("release") / "course"
    files = release(destination)
    return destination, files


def test_release_leaves_out_solutions_and_known_bad_submissions(released):
    destination, files = released
    assert not (destination / "solutions").exists()
    assert not (destination / "tests" / "known_bad").exists()
    assert all(not name.startswith(("solutions/", "tests/known_bad/")) for name in files)
    for lab in LABS:
        assert (destination / "labs" / lab.folder / "main.py").is_file()
        assert (destination / "labs" / lab.folder / "README.md").is_file()


def test_no_solution_code_leaks_into_the_release(released):
    destination, files = released
    texts = {}
    for name in files:
        try:
            texts[name] = (destination / name).read_text()
        except UnicodeDecodeError:
            continue
    windows = {}
    for name, text in texts.items():
        lines = code_lines(text)
        windows[name] = {
            tuple(lines[i : i + size]) for size in range(1, RUN + 1) for i in range(len(lines))
        }
    leaks = []
    for lab in LABS:
        later = tuple(
            prefix
            for other in LABS
            if other.number > lab.number
            for prefix in (f"labs/{other.folder}/", f"autograder/lab{other.number:02d}/")
        )
        for run in solution_runs(lab):
            for name, present in windows.items():
                if run in present and not name.startswith(later):
                    leaks.append(f"{lab.folder}: {run!r} in {name}")
    assert not leaks, "\n".join(leaks[:20])


def test_release_upto_keeps_only_the_first_labs(tmp_path):
    destination = tmp_path / "week2"
    files = release(destination, upto=2)
    folders = {name.split("/")[1] for name in files if name.startswith("labs/")}
    assert folders == {lab.folder for lab in LABS if lab.number <= 2}
    course = (destination / "course.toml").read_text()
    assert "number = 3" not in course
    assert "labs/03-" not in (destination / "README.md").read_text()


def test_release_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "work.txt").write_text("a student's work")
    with pytest.raises(ReleaseError):
        release(tmp_path)
    assert (tmp_path / "work.txt").read_text() == "a student's work"


SUITE = '''"""A suite."""

from autograder import check


@check(points=1, hint="h")
def test_visible(client):
    """Seen by students."""


@check(points=2, hint="h", hidden=True)
def test_secret(client):
    """Only instructors run this."""
    assert client.get("/").status_code == 200
'''


def test_hidden_checks_are_removed_and_counted(tmp_path):
    text, count = without_hidden_checks(SUITE)
    assert count == 1
    assert "test_secret" not in text and "Only instructors" not in text
    assert "def test_visible" in text
    compile(text, "suite.py", "exec")
    suite = tmp_path / "lab99_example.py"
    suite.write_text(text)
    assert hidden_checks_in(suite) == 1
    assert without_hidden_checks(text) == (text, 0)


def test_the_course_hidden_checks_stay_out_of_the_release(released):
    destination, _ = released
    for lab in LABS:
        original = without_hidden_checks(lab.suite.read_text())[1]
        shipped = destination / lab.suite.relative_to(lab.suite.parents[2])
        assert hidden_checks_in(shipped) == original
    assert any(without_hidden_checks(lab.suite.read_text())[1] for lab in LABS)


def test_hidden_checks_are_reported_as_not_run(tmp_path):
    from rich.console import Console

    from autograder.report import render
    from autograder.results import GradeResult

    console = Console(record=True, width=100)
    render(GradeResult(lab="x", submission="y"), title="t", console=console, hidden_not_run=2)
    assert "2 hidden checks not run" in console.export_text()


def test_the_release_grades_a_lab(released):
    destination, _ = released
    lab = LABS[1]
    completed = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(lab.number)],
        cwd=destination,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1, completed.stderr  # the starter is graded, below full marks
    assert "Score: 0/" in completed.stdout


def test_release_module_lists_only_instructor_tests_it_knows():
    for name in release_module.INSTRUCTOR_TESTS:
        assert name.startswith("tests/")
