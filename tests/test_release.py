"""The student release: built from the last commit, whatever the working tree holds.

A clone of the course is dirtied the way an instructor's checkout gets dirty (a lab solved
in labs/, an untracked note, a gradebook in the root, a trained model), then released: none
of it may reach the students, no solution line may leak, and the release's own quickstart
commands must pass.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import ROOT, load_labs
from autograder.hidden_checks import IMPLEMENTATIONS_FILE, hidden_checks_in, without_hidden_checks
from autograder.implementations import load_implementations
from autograder.instructor.release import ReleaseError, parse_labs, release
from autograder.sync import BEGIN, END, make_starter
from tests.course_copy import course_clone

LABS = load_labs()
RUN = 3  # consecutive code lines of a solution block that prove a leak
MIN_CHARS = 40  # a shorter run ("return flower") is too common to prove anything
SECRET = "instructor-only-7f3a9c"  # planted in every file that must not leak
STUDENT_TOP_LEVEL = {
    ".gitignore",
    "README.md",
    "justfile",
    "autograder",
    "course.toml",
    "examples",
    "labs",
    "notebooks",
    "pyproject.toml",
    "slides",
    "tests",
    "uv.lock",
}
INSTRUCTOR_RECIPES = {"solution", "sync", "bench", "batch", "gradescope", "classroom", "release"}
INSTRUCTOR_RECIPES |= {"check-course", "new-lab"}


def is_code(line: str) -> bool:
    """A stripped line that is code, not a comment, a blank or a piece of a data literal."""
    return bool(line) and not line.startswith(("#", '"', "'", "}", "]", ")", "{", "["))


def code_lines(text: str) -> list[str]:
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


def dirty(course: Path) -> None:
    """What an instructor's checkout collects: each piece carries SECRET."""
    for lab in LABS:  # every lab solved in place
        for path in lab.solution_dir.rglob("*.py"):
            target = course / "labs" / lab.folder / path.relative_to(lab.solution_dir)
            target.write_text(path.read_text() + f"# {SECRET}\n")
    (course / "notes-for-next-year.md").write_text(f"answers: {SECRET}\n")
    (course / "grades.csv").write_text(f"student,score\n{SECRET},100\n")
    (course / "grades-feedback").mkdir()
    (course / "grades-feedback" / "alice.json").write_text(f'{{"student": "{SECRET}"}}\n')
    (course / "grades" / "01-hello-api").mkdir(parents=True)
    (course / "grades" / "01-hello-api" / "grades.csv").write_text(f"{SECRET}\n")
    (course / "labs" / "03-model-serving" / "models").mkdir()
    (course / "labs" / "03-model-serving" / "models" / "model.joblib").write_text(SECRET)
    suite = course / "autograder" / "suites" / "lab01_hello_api.py"
    suite.write_text(suite.read_text() + f"# {SECRET}\n")


@pytest.fixture(scope="module")
def dirty_course(tmp_path_factory) -> Path:
    course = course_clone(tmp_path_factory.mktemp("clone") / "course")
    dirty(course)
    return course


@pytest.fixture(scope="module")
def released(dirty_course, tmp_path_factory):
    destination = tmp_path_factory.mktemp("release") / "course"
    made = release(destination, labs="all", root=dirty_course, allow_dirty=True)
    return destination, made


def test_a_dirty_course_is_refused_in_one_line(dirty_course, tmp_path):
    with pytest.raises(ReleaseError, match="labs/ differs from what solutions/ generate"):
        release(tmp_path / "out", root=dirty_course)
    command = [sys.executable, "-m", "autograder", "release", str(tmp_path / "out")]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    # this checkout may be clean or not; either way the answer is 0 or one clear line
    if completed.returncode:
        assert completed.returncode == 2 and len(completed.stderr.strip().splitlines()) == 1
        assert "--allow-dirty" in completed.stderr


def test_uncommitted_changes_are_refused(tmp_path):
    course = course_clone(tmp_path / "course")
    (course / "scratch.txt").write_text("an untracked file")
    with pytest.raises(ReleaseError, match="uncommitted change"):
        release(tmp_path / "out", root=course)
    (course / "scratch.txt").unlink()
    made = release(tmp_path / "out", root=course)  # clean again: released
    assert [lab.number for lab in made.labs] == [1]  # the default: lab 1 alone


def test_nothing_of_the_working_tree_reaches_the_release(released):
    destination, made = released
    for name in made.files:
        assert SECRET.encode() not in (destination / name).read_bytes(), name
    present = {path.relative_to(destination).as_posix() for path in destination.rglob("*")}
    assert set(made.files) == {name for name in present if (destination / name).is_file()}
    assert {name.split("/")[0] for name in made.files} == STUDENT_TOP_LEVEL


def test_only_student_files_are_released(released):
    _, made = released
    tests = [name for name in made.files if name.startswith("tests/")]
    example_tests = {lab.example_tests.relative_to(ROOT).as_posix() for lab in made.labs}
    assert set(tests) <= {"tests/__init__.py", "tests/example_apps.py"} | example_tests, tests
    instructor_tests = [lab.instructor_tests.relative_to(ROOT).as_posix() for lab in LABS]
    assert not [name for name in tests if name.startswith(tuple(instructor_tests))]
    for name in made.files:
        assert not name.startswith(("solutions/", "bench/", ".ci/", "build/", "grades")), name
        assert "known_bad" not in name and "forgery" not in name and "hostile" not in name
        assert not name.endswith((".joblib", ".csv")) and name != "CONTRIBUTING.md"
        assert name != "labs/.generated.json"


def test_starters_are_generated_from_the_committed_solutions(released):
    destination, _ = released
    for lab in LABS:
        for path in lab.solution_dir.rglob("*.py"):
            relative = path.relative_to(lab.solution_dir)
            shipped = destination / "labs" / lab.folder / relative
            assert shipped.read_text() == make_starter(path.read_text()), shipped


def test_no_solution_code_leaks_into_the_release(released):
    destination, made = released
    windows = {}
    for name in made.files:
        try:
            lines = code_lines((destination / name).read_text())
        except UnicodeDecodeError:
            continue
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


def test_the_course_hidden_checks_stay_out_of_the_release(released):
    destination, made = released
    removed = 0
    for lab in LABS:
        original = without_hidden_checks(lab.suite.read_text())[1]
        shipped = destination / lab.suite.relative_to(ROOT)
        assert hidden_checks_in(shipped) == original
        removed += original
    assert removed == made.hidden_checks > 0


def test_services_only_hidden_checks_use_stay_out_of_the_release(released):
    destination, _ = released
    hidden = 0
    for lab in LABS:
        source = lab.data_dir / IMPLEMENTATIONS_FILE
        if not source.is_file():
            continue
        everything = load_implementations(source)
        shipped = destination / source.relative_to(ROOT)
        assert [item.name for item in load_implementations(shipped)] == [
            item.name for item in everything if not item.hidden
        ]
        text = shipped.read_text()
        for item in (item for item in everything if item.hidden):
            hidden += 1
            assert all(edit["with"] not in text for edit in item.edits), item.name
    assert hidden > 0


def release_environment() -> dict[str, str]:
    """Run the release's recipes with this environment's tools (no second install)."""
    environment = dict(os.environ)
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    environment["UV_RUN_RECURSION_DEPTH"] = "1"  # as inside `uv run`: recipes call python
    return environment


def quickstart_commands(readme: str) -> list[list[str]]:
    """The `uv run just ...` lines of the README's Quickstart block, as `just ...` commands."""
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = []
    for line in block.splitlines():
        words = line.split("#", 1)[0].split()
        assert words[:3] == ["uv", "run", "just"], line
        commands.append(words[2:])
    return commands


@pytest.fixture(scope="module")
def week_two(dirty_course, tmp_path_factory):
    destination = tmp_path_factory.mktemp("week2") / "course"
    return destination, release(destination, labs="1-2", root=dirty_course, allow_dirty=True)


def test_a_release_holds_only_its_labs(week_two):
    destination, made = week_two
    folders = {name.split("/")[1] for name in made.files if name.startswith("labs/")}
    assert folders == {lab.folder for lab in LABS if lab.number <= 2}
    assert [lab.number for lab in load_labs(destination / "course.toml")] == [1, 2]
    readme = (destination / "README.md").read_text()
    assert "labs/02-request-validation/README.md" in readme and "labs/03-" not in readme
    assert not any(
        name.startswith(("notebooks/03", "slides/03", "examples/03")) for name in made.files
    )
    assert made.given_away == [1]


def test_the_release_quickstart_commands_pass(week_two):
    destination, _ = week_two
    shutil.rmtree(destination / ".pytest_cache", ignore_errors=True)
    commands = quickstart_commands((destination / "README.md").read_text())
    assert ["just", "lab", "1"] in commands and ["just", "test"] in commands
    for command in commands:
        completed = subprocess.run(
            command,
            cwd=destination,
            env=release_environment(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert completed.returncode == 0, f"{command}: {completed.stdout}\n{completed.stderr}"
    grade = subprocess.run(
        ["just", "lab", "1"],
        cwd=destination,
        env=release_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Score: 0/" in grade.stdout  # the starter, graded below full marks


def test_the_student_justfile_has_no_instructor_recipes(week_two):
    destination, _ = week_two
    listing = subprocess.run(
        ["just", "--summary"],
        cwd=destination,
        env=release_environment(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert {"lab", "watch", "serve", "progress", "hint", "labs", "test"} <= set(listing)
    assert not INSTRUCTOR_RECIPES & set(listing)


def recipes(justfile: str) -> dict[str, str]:
    """Recipe name -> its text (comment line, header and body)."""
    found = {}
    for match in re.finditer(r"(?m)^(# .*\n)?([a-z-]+)( [^:\n]*)?:\n((?:    .*\n?)+)", justfile):
        found[match.group(2)] = match.group(0)
    return found


def test_student_recipes_are_the_courses_own():
    """The recipes students share with instructors are written the same in both justfiles."""
    student = recipes(Path(ROOT / "autograder/instructor/templates/justfile").read_text())
    course = recipes((ROOT / "justfile").read_text())
    shared = set(student) & set(course) - {"test"}
    assert {"lab", "watch", "serve", "progress", "hint", "labs"} <= shared
    for name in shared:
        assert student[name] == course[name], name


def test_lab_ranges():
    assert [lab.number for lab in parse_labs("2", LABS)] == [2]
    assert [lab.number for lab in parse_labs("1-3", LABS)] == [1, 2, 3]
    assert parse_labs("all", LABS) == LABS
    for wrong in ("0", "3-1", "1-99", "first", ""):
        with pytest.raises(ReleaseError):
            parse_labs(wrong, LABS)


def test_release_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "work.txt").write_text("a student's work")
    with pytest.raises(ReleaseError):
        release(tmp_path, allow_dirty=True)
    assert (tmp_path / "work.txt").read_text() == "a student's work"
    with pytest.raises(ReleaseError, match="outside the course"):
        release(ROOT / "build" / "release-here", allow_dirty=True)


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


def test_hidden_checks_are_reported_as_not_run():
    from rich.console import Console

    from autograder.report import render
    from autograder.results import GradeResult

    console = Console(record=True, width=100)
    render(GradeResult(lab="x", submission="y"), title="t", console=console, hidden_not_run=2)
    assert "2 hidden checks not run" in console.export_text()


def test_a_later_range_names_its_own_first_lab(dirty_course, tmp_path):
    made = release(tmp_path / "week3", labs="3", root=dirty_course, allow_dirty=True)
    readme = (made.destination / "README.md").read_text()
    assert ["just", "lab", "3"] in quickstart_commands(readme)
    assert "just lab 1" not in readme and made.given_away == [1, 2]


def test_the_command_says_what_it_released(tmp_path, capsys):
    from autograder import cli

    assert cli.main(["release", str(tmp_path / "a"), "--allow-dirty"]) == 0
    printed = capsys.readouterr().out
    assert "lab 1 (the default" in printed and "from commit" in printed
    assert "note:" not in printed  # lab 1 gives nothing away
    assert cli.main(["release", str(tmp_path / "b"), "--allow-dirty", "--labs", "1-3"]) == 0
    assert (
        "the finished labs 1-2: release after the due date of labs 1-2" in capsys.readouterr().out
    )
    assert cli.main(["release", str(tmp_path / "c"), "--labs", "99"]) == 2
    assert "--labs 99" in capsys.readouterr().err


def test_a_folder_that_is_not_a_git_checkout_is_refused(tmp_path):
    from autograder.instructor.committed import GitError

    (tmp_path / "course").mkdir()
    with pytest.raises(GitError):
        release(tmp_path / "out", root=tmp_path / "course", allow_dirty=True)
