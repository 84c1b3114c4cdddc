"""The course checks itself: ``just check-course``, or
``python -m autograder.instructor.course_check``.

It answers, in one line a problem, what a maintainer would otherwise find by hand:

* ``course.toml`` is in a format this grader reads (``format = 1``);
* every starter, solution, suite, data folder, notebook, deck, example folder, example test,
  known-bad file and instructor-test folder belongs to an entry of ``course.toml`` (a file
  nobody owns is a lab half removed or misnamed);
* every lab has its parts (a draft lab, written by ``new-lab``, is named as one);
* the files a lab carries from the previous lab's solution (``carries`` in ``course.toml``)
  are still equal to the lab they come from, once markers are stripped and the lab number in
  their first line is set aside; a file equal to the previous lab's that is not declared is
  reported too, so the list stays complete. ``--fix`` carries such files forward.

It reads files only (``--fix`` writes carried files, nothing else) and exits 1 when it found a
problem, 0 otherwise.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder import submission
from autograder.course import ROOT, CourseFormatError, Lab, is_generated, load_labs
from autograder.sync import MarkerError, strip_markers

# Files in the lab-owned folders that belong to the course as a whole, not to one lab.
SHARED = {
    "autograder/suites/__init__.py",
    "autograder/suites/pytest.ini",
    "autograder/suites/support.py",
    "autograder/suites/app_starts.py",
    "autograder/suites/databases.py",
    "autograder/suites/dockerfiles.py",
    "autograder/suites/collection.py",
    "labs/.generated.json",
    "notebooks/sanitize.cfg",
    "slides/course.css",
    "tests/examples/__init__.py",
}
# Example folders that belong to the engine's own tests, not to a lab.
ENGINE_EXAMPLES = {"examples/engine"}
# Where labs keep their files: (folder, what it holds, how one entry is named).
LAB_PLACES = (
    ("labs", "starter folders", "dir"),
    ("solutions", "solution folders", "dir"),
    ("autograder/suites", "suites", "file"),
    ("notebooks", "notebooks", "file"),
    ("slides", "decks", "file"),
    ("examples", "example folders", "dir"),
    ("tests/examples", "example tests", "file"),
    ("tests/known_bad", "known-bad files", "file"),
    ("tests/labs", "instructor-test folders", "dir"),
)
# The parts every lab has (a draft lab too: `new-lab` writes them all).
REQUIRED = ("starter", "solution", "suite", "notebook", "deck", "examples", "example tests")
REQUIRED += ("known-bad",)
LAB_HEADER = re.compile(r"\bLab \d\d\b")
PLACEHOLDER = "PLACEHOLDER"  # what `new-lab` writes wherever work is left


@dataclass
class CourseReport:
    """What the check found: problems (each one line) and notes (true, but not problems)."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    labs: list[Lab] = field(default_factory=list)
    files: int = 0


def entry_file(folder: Path) -> str:
    """The module of a lab folder that holds its app: ``main.py`` or the file its
    ``pyproject.toml`` names (``app/main.py``)."""
    try:
        return submission.entrypoint(folder).file
    except submission.SubmissionError as error:
        return f"pyproject.toml ({error})"


def in_course(path: Path, root: Path) -> Path:
    """A lab's path (under the grader's ROOT) in the course at ``root``."""
    return root / path.relative_to(ROOT)


def _entries(root: Path, folder: str, kind: str) -> list[str]:
    """The course-relative names of the folders or files directly inside ``folder``."""
    place = root / folder
    if not place.is_dir():
        return []
    found = []
    for path in sorted(place.iterdir()):
        name = path.relative_to(root).as_posix()
        if path.name.startswith(".") and name not in SHARED:
            continue  # hidden files: editors' and tools' own
        if path.name == "__pycache__" or name in SHARED:
            continue
        if kind == "dir" and path.is_dir() or kind == "file" and path.is_file():
            found.append(name)
    return found


def orphans(root: Path, labs: list[Lab]) -> list[str]:
    """One line for every lab-place entry that no lab of ``labs`` owns."""
    owned = {
        in_course(path, root).relative_to(root).as_posix()
        for lab in labs
        for path in lab.course_paths().values()
    }
    problems = []
    for folder, what, kind in LAB_PLACES:
        for name in _entries(root, folder, kind):
            if folder == "slides" and not name.endswith(".md"):
                continue  # the theme, the diagrams: shared by every deck
            if name in ENGINE_EXAMPLES or name in owned:
                continue
            problems.append(f"{name}: in {folder}/ ({what}) but no lab of course.toml owns it")
    for path in sorted((root / "autograder").glob("lab[0-9]*")):
        name = path.relative_to(root).as_posix()
        if path.is_dir() and name not in owned:
            problems.append(f"{name}: a lab data folder, but no lab of course.toml owns it")
    return problems


def missing_parts(root: Path, lab: Lab) -> list[str]:
    """One line for each part ``lab`` lacks."""
    paths = lab.course_paths()
    problems = []
    for part in REQUIRED:
        path = in_course(paths[part], root)
        if not path.exists():
            problems.append(f"lab {lab.number:02d} has no {part}: {path.relative_to(root)}")
    for folder in ("starter", "solution"):
        entry = entry_file(in_course(paths[folder], root))
        for name in ("README.md", entry):
            path = in_course(paths[folder], root) / name
            if not path.is_file():
                problems.append(
                    f"lab {lab.number:02d} has no {folder} {name}: {path.relative_to(root)}"
                )
    return problems


def normalized(text: str) -> str:
    """A solution file as a later lab inherits it: markers stripped, and the lab number of
    its first line (the module docstring's ``Lab 04 ·``) set aside."""
    return carried_copy(text, 0)


def carried_copy(text: str, number: int) -> str:
    """A solution file as lab ``number`` carries it: markers stripped, and its first line's
    ``Lab NN`` (if it names one) made this lab's."""
    first, newline, rest = strip_markers(text).partition("\n")
    return LAB_HEADER.sub(f"Lab {number:02d}", first, count=1) + newline + rest


def _solution_files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not is_generated(path.relative_to(folder))
    }


def _read(path: Path) -> str | None:
    try:
        return normalized(path.read_text())
    except (UnicodeDecodeError, MarkerError):
        return None


@dataclass(frozen=True)
class Carried:
    """A carried file of ``lab`` that no longer equals the lab it comes from (``origin``)."""

    lab: Lab
    name: str
    origin: Lab
    path: Path
    origin_path: Path


def carried_differences(root: Path, labs: list[Lab]) -> list[Carried]:
    """Carried files that differ from their origin: the last lab before that wrote the file
    itself (did not carry it). A fix in lab 04's errors.py that did not reach labs 05-08 is
    one entry for each of them."""
    found = []
    solutions = {lab.number: _solution_files(in_course(lab.solution_dir, root)) for lab in labs}
    for index, lab in enumerate(labs):
        for name in lab.carries:
            origin = index - 1
            while origin > 0 and name in labs[origin].carries:
                origin -= 1
            if origin < 0:
                continue  # the first lab carries nothing: reported by carried_problems
            source = solutions[labs[origin].number].get(name)
            target = solutions[lab.number].get(name)
            if source is None or target is None:
                continue  # reported by carried_problems
            if _read(source) != _read(target):
                found.append(Carried(lab, name, labs[origin], target, source))
    return found


def carried_problems(root: Path, labs: list[Lab]) -> list[str]:
    """One line for each carried file that is missing, differs from its origin, or is equal
    to the previous lab's without being declared."""
    problems = []
    for index, lab in enumerate(labs):
        mine = _solution_files(in_course(lab.solution_dir, root))
        previous = labs[index - 1] if index else None
        theirs = _solution_files(in_course(previous.solution_dir, root)) if previous else {}
        for name in lab.carries:
            if previous is None:
                problems.append(f"lab {lab.number:02d} carries {name}, but no lab comes before it")
            elif name not in mine or name not in theirs:
                where = "its solution" if name not in mine else f"lab {previous.number:02d}'s"
                problems.append(f"lab {lab.number:02d} carries {name}, which {where} lacks")
        for name, path in mine.items():
            if name in lab.carries or name == "README.md" or name not in theirs:
                continue
            text = _read(path)
            if text is not None and text == _read(theirs[name]):
                problems.append(
                    f"{path.relative_to(root)} equals lab {previous.number:02d}'s: add "
                    f'"{name}" to `carries` of lab {lab.number} in course.toml, so that a fix '
                    "there must reach it"
                )
    for item in carried_differences(root, labs):
        problems.append(
            f"{item.path.relative_to(root)} is carried from lab {item.origin.number:02d} but "
            f"differs from {item.origin_path.relative_to(root)}: bring the change to every "
            "lab that carries it (`just check-course --fix` copies it forward), or drop it "
            f"from `carries` of lab {item.lab.number} if the lab changes it on purpose"
        )
    return problems


def carry_forward(root: Path, labs: list[Lab]) -> list[Path]:
    """Write each differing carried file as its origin has it (markers stripped, its own lab
    number in the first line); return the files written."""
    written = []
    for item in carried_differences(root, labs):
        text = carried_copy(item.origin_path.read_text(), item.lab.number)
        item.path.write_text(text)
        written.append(item.path)
    return written


def files_of(lab: Lab, root: Path) -> list[Path]:
    """Every file ``lab`` owns in the course at ``root``."""
    found = []
    for place in lab.course_paths().values():
        path = in_course(place, root)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += [
                item
                for item in path.rglob("*")
                if item.is_file() and not is_generated(item.relative_to(path))
            ]
    return found


def placeholders_left(root: Path, lab: Lab) -> list[str]:
    """The files of ``lab`` that still say PLACEHOLDER (what ``new-lab`` wrote)."""
    found = []
    for path in files_of(lab, root):
        try:
            if PLACEHOLDER in path.read_text():
                found.append(path.relative_to(root).as_posix())
        except UnicodeDecodeError:
            continue
    return sorted(found)


def check_course(root: Path = ROOT) -> CourseReport:
    """Check the course at ``root``; see the module's docstring for what is checked."""
    report = CourseReport()
    try:
        labs = load_labs(root / "course.toml")
    except (CourseFormatError, ValueError, KeyError, OSError) as error:
        report.problems.append(f"course.toml: {error}")
        return report
    report.labs = labs
    report.problems += orphans(root, labs)
    for lab in labs:
        report.problems += missing_parts(root, lab)
        left = placeholders_left(root, lab)
        if lab.draft:
            report.notes.append(
                f"lab {lab.number:02d} ({lab.slug}) is a draft (course.toml): {len(left)} of its "
                "files still say PLACEHOLDER; it cannot be released until it is finished"
            )
        elif left:
            report.problems.append(
                f"lab {lab.number:02d} is not marked as a draft, but {', '.join(left[:3])}"
                + (f" and {len(left) - 3} more" if len(left) > 3 else "")
                + " still say PLACEHOLDER: finish them, or put `draft = true` back"
            )
    report.problems += carried_problems(root, labs)
    report.files = sum(len(files_of(lab, root)) for lab in labs)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.instructor.course_check",
        description="Check that every lab file belongs to course.toml and carried files agree.",
    )
    parser.add_argument("--fix", action="store_true", help="carry changed carried files forward")
    options = parser.parse_args(argv)
    if options.fix:
        try:
            labs = load_labs()
        except (CourseFormatError, ValueError) as error:
            print(f"course.toml: {error}", file=sys.stderr)
            return 1
        for path in carry_forward(ROOT, labs):
            print(f"carried forward: {path.relative_to(ROOT)}")
    report = check_course()
    for note in report.notes:
        print(f"note: {note}")
    for problem in report.problems:
        print(problem)
    if report.problems:
        print(f"course check: {len(report.problems)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"course check: {len(report.labs)} labs, {report.files} files, each owned by its lab; "
        "carried files agree"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
