"""``just new-lab N slug`` writes a draft lab that the course's own tests accept from the first
commit, and that can never be taken for a finished lab.

Everything happens in a clone of the course in a temporary folder: no lab is ever added to
the course itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import find_lab, load_labs
from autograder.instructor.gradescope import build_zip
from autograder.instructor.release import ReleaseError, release
from autograder.submission import entrypoint
from tests.course_copy import course_clone, git

NUMBER, SLUG, TITLE = 13, "demo-lab", "A demo lab"
FOLDER = f"{NUMBER}-{SLUG}"
# The course's own tests that look at every lab, run in the clone for the new lab.
COURSE_TESTS = [
    "tests/test_course.py",
    "tests/test_course_check.py",
    "tests/test_labs.py",
    "tests/test_empty_app.py",
    "tests/test_student_side.py",
    "tests/test_slides.py",
    "tests/test_snippets.py",
    "tests/test_lab_references.py",
    f"tests/examples/test_{NUMBER}_{SLUG.replace('-', '_')}.py",
]
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")


def run(course: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python *args`` in the clone, which imports the clone's own grader."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A clone of the course with lab 13 written by the scaffold."""
    clone = course_clone(tmp_path_factory.mktemp("new-lab") / "course")
    made = run(clone, "-m", "autograder.instructor.scaffold", str(NUMBER), SLUG, "--title", TITLE)
    assert made.returncode == 0, made.stdout + made.stderr
    return clone


def test_the_lab_gets_its_folder_set_and_a_draft_entry(course):
    labs = load_labs(course / "course.toml")
    lab = labs[-1]
    assert (lab.number, lab.slug, lab.title, lab.draft) == (NUMBER, SLUG, TITLE, True)
    previous = labs[-2]
    # the placeholder app goes where the previous lab keeps its app (main.py, app/main.py)
    entry = entrypoint(course / f"solutions/{previous.folder}").file
    assert set(lab.carries) >= set(previous.carries) - {entry}
    for name in (
        f"solutions/{FOLDER}/README.md",
        f"solutions/{FOLDER}/{entry}",
        f"labs/{FOLDER}/{entry}",
        f"autograder/suites/lab{NUMBER}_{SLUG.replace('-', '_')}.py",
        f"tests/known_bad/{FOLDER}.toml",
        f"examples/{FOLDER}/placeholder.py",
        f"notebooks/{FOLDER}.ipynb",
        f"slides/{FOLDER}.md",
    ):
        assert (course / name).is_file(), name
    starter = (course / f"labs/{FOLDER}/{entry}").read_text()
    assert "# TODO 1:" in starter and "raise NotImplementedError" in starter
    assert f"[{TITLE}](labs/{FOLDER}/README.md)" in (course / "README.md").read_text()


def test_the_course_check_names_the_draft(course):
    checked = run(course, "-m", "autograder.instructor.course_check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"lab {NUMBER} ({SLUG}) is a draft" in checked.stdout


def test_the_courses_own_tests_pass_on_the_new_lab(course):
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."], cwd=course, capture_output=True
    )
    assert lint.returncode == 0, lint.stdout.decode()
    synced = run(course, "-m", "autograder", "sync", "--check")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    options = ["-q", "-p", "no:cacheprovider", "-k", FOLDER]
    tested = run(course, "-m", "pytest", *options, *COURSE_TESTS)
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
    assert " passed" in tested.stdout and "failed" not in tested.stdout


def test_a_finished_lab_may_not_keep_a_placeholder(course, tmp_path):
    toml = course / "course.toml"
    original = toml.read_text()
    try:
        toml.write_text(original.replace("draft = true", "draft = false"))
        checked = run(course, "-m", "autograder.instructor.course_check")
    finally:
        toml.write_text(original)
    assert checked.returncode == 1
    assert f"lab {NUMBER} is not marked as a draft" in checked.stdout
    assert "still say PLACEHOLDER" in checked.stdout


def test_a_draft_lab_is_never_released_or_zipped(course, tmp_path):
    git(course, "add", "--all")
    git(course, "commit", "--quiet", "--message", "a new lab")
    with pytest.raises(ReleaseError, match=f"lab {NUMBER} \\({SLUG}\\) is a draft"):
        release(tmp_path / "out", labs="all", root=course)
    made = release(tmp_path / "first-labs", labs="1-2", root=course, allow_dirty=True)
    assert [lab.number for lab in made.labs] == [1, 2]
    draft = load_labs(course / "course.toml")[-1]
    with pytest.raises(ReleaseError, match="is a draft"):
        build_zip(draft, tmp_path / "draft.zip", root=course)
    assert not (tmp_path / "draft.zip").exists()


@pytest.mark.parametrize(
    ("number", "slug", "says"),
    [
        (3, "another-lab", "would not come last"),
        (NUMBER + 1, find_lab(1).slug, "exists already"),
        (NUMBER + 1, "Not_A_Slug", "lowercase words joined by hyphens"),
    ],
)
def test_a_lab_that_cannot_be_added_is_refused_in_one_line(course, number, slug, says):
    before = (course / "course.toml").read_text()
    refused = run(course, "-m", "autograder.instructor.scaffold", str(number), slug)
    assert refused.returncode == 2 and refused.stdout == ""
    assert len(refused.stderr.strip().splitlines()) == 1 and says in refused.stderr
    assert (course / "course.toml").read_text() == before
