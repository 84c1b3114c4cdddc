"""The course checks itself (``just check-course``): every lab file belongs to course.toml,
course.toml says its format, and carried files stay equal to the lab they come from."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import ROOT, CourseFormatError, find_lab, load_labs
from autograder.instructor.course_check import carry_forward, check_course

# What a lab owns, copied into a scratch course (the engine itself is not needed to check it).
COURSE_PARTS = (
    "course.toml",
    "labs",
    "solutions",
    "examples",
    "notebooks",
    "slides",
    "autograder/suites",
    "tests/examples",
    "tests/known_bad",
    "tests/labs",
)


@pytest.fixture
def scratch_course(tmp_path: Path) -> Path:
    """The course's lab files, copied as they are now into a folder of the test's own."""
    ignored = shutil.ignore_patterns("__pycache__", "models", "*.db")
    for part in COURSE_PARTS:
        source, target = ROOT / part, tmp_path / part
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignored)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    for lab in load_labs():
        if lab.data_dir.is_dir():
            shutil.copytree(lab.data_dir, tmp_path / lab.data_dir.relative_to(ROOT))
    return tmp_path


def test_the_course_passes_its_own_check():
    report = check_course()
    assert report.problems == []
    assert [lab.number for lab in report.labs] == [lab.number for lab in load_labs()]


def test_the_command_says_so_in_one_line():
    command = [sys.executable, "-m", "autograder.instructor.course_check"]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.strip().splitlines()[-1].startswith("course check: ")


@pytest.mark.parametrize(
    ("first_line", "says"),
    [("", "has no format line"), ("format = 2\n", "format 2")],
    ids=["missing", "unknown"],
)
def test_course_toml_without_a_known_format_is_refused_in_one_line(tmp_path, first_line, says):
    text = (ROOT / "course.toml").read_text().replace("format = 1\n", first_line, 1)
    path = tmp_path / "course.toml"
    path.write_text(text)
    with pytest.raises(CourseFormatError, match=says) as refused:
        load_labs(path)
    assert len(str(refused.value).splitlines()) == 1
    report = check_course(tmp_path)
    assert len(report.problems) == 1 and says in report.problems[0]


def test_files_no_lab_owns_are_reported(scratch_course):
    assert check_course(scratch_course).problems == []
    (scratch_course / "notebooks" / "09-streaming.ipynb").write_text("{}")
    (scratch_course / "examples" / "old-lab").mkdir()
    (scratch_course / "tests" / "known_bad" / "03-model-serving-old.toml").write_text("")
    (scratch_course / "autograder" / "suites" / "lab03_model_serving_v2.py").write_text("")
    problems = check_course(scratch_course).problems
    for name in (
        "notebooks/09-streaming.ipynb",
        "examples/old-lab",
        "tests/known_bad/03-model-serving-old.toml",
        "autograder/suites/lab03_model_serving_v2.py",
    ):
        assert any(problem.startswith(f"{name}: ") for problem in problems), (name, problems)
    assert len(problems) == 4


def test_a_missing_part_is_reported(scratch_course):
    lab = find_lab(2)
    (scratch_course / lab.slides.relative_to(ROOT)).unlink()
    problems = check_course(scratch_course).problems
    assert problems == [f"lab 02 has no deck: slides/{lab.folder}.md"]


def test_a_fix_that_did_not_reach_the_later_labs_is_reported(scratch_course):
    """A fix in lab 04's errors.py, which labs 05-08 carry: each of them is named, and
    --fix carries the fix forward."""
    lab = find_lab(4)
    errors = scratch_course / lab.solution_dir.relative_to(ROOT) / "errors.py"
    errors.write_text(errors.read_text() + "\n# a fix written in lab 04 only\n")
    problems = check_course(scratch_course).problems
    carriers = []  # the labs after 04 that carry errors.py unchanged, up to one that changes it
    for later in load_labs()[lab.number :]:
        if "errors.py" not in later.carries:
            break
        carriers.append(later)
    assert [later.number for later in carriers] == [5, 6, 7, 8]
    for later in carriers:
        name = (later.solution_dir / "errors.py").relative_to(ROOT).as_posix()
        assert any(problem.startswith(f"{name} is carried from lab 04") for problem in problems), (
            problems
        )
    assert len(problems) == len(carriers)
    written = carry_forward(scratch_course, load_labs(scratch_course / "course.toml"))
    assert len(written) == len(carriers)
    assert check_course(scratch_course).problems == []
    for later in carriers:
        carried = (scratch_course / later.solution_dir.relative_to(ROOT) / "errors.py").read_text()
        assert carried.endswith("# a fix written in lab 04 only\n")
        assert carried.startswith(f'"""Lab {later.number:02d}')


def test_a_file_equal_to_the_previous_labs_must_be_declared(scratch_course):
    toml = scratch_course / "course.toml"
    toml.write_text(toml.read_text().replace('    "observability.py",\n', "", 1))
    problems = check_course(scratch_course).problems
    assert len(problems) == 1 and "observability.py equals lab 05's" in problems[0], problems
