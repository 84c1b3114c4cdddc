"""The students' copy of the course: ``python -m autograder release DIR --labs 1-3``.

Safe by construction:

* every file comes from the last commit (``git archive``), never from the working tree, so
  a lab solved in ``labs/``, an untracked file or a gradebook cannot go out;
* the starters are generated from the committed ``solutions/`` by :mod:`autograder.sync`;
* only what a student needs is kept (a list of what goes in, not of what stays out): the
  grader with its hidden checks removed, the released labs' starters, handouts, examples,
  notebooks and slides, the example tests, the lockfile, and the student README and
  justfile made from ``autograder/instructor/templates/``;
* a working tree that differs from the commit, or a ``labs/`` that differs from what
  ``solutions/`` generate, stops the release unless the instructor says otherwise.

Each starter contains the finished work of the labs before it, so releasing lab 3 also
gives away labs 1 and 2: release labs as they come due (the default is lab 1 alone).
"""

from __future__ import annotations

import re
import string
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder import readme, submission, sync
from autograder.course import ROOT, Lab, lab_owning, load_labs
from autograder.hidden_checks import (
    IMPLEMENTATIONS_FILE,
    without_hidden_checks,
    without_hidden_implementations,
)
from autograder.instructor.committed import (
    CommittedFile,
    commit_of,
    committed_files,
    uncommitted,
    write_tree,
)
from autograder.instructor.tooling import DEFAULT_RELEASE_LABS as DEFAULT_LABS

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Files a student gets whatever labs are released (besides the per-lab ones and autograder/).
COMMON_FILES = (".gitignore", "pyproject.toml", "uv.lock", "tests/__init__.py")
COMMON_FILES += ("tests/example_apps.py",)  # what every lab's example tests import
# What of the grader only instructors use: the templates `new-lab` writes a lab from.
INSTRUCTOR_ONLY = ("autograder/instructor/templates/new-lab/",)
SOLUTIONS = "solutions/"  # the folder of every lab's solution_dir, never released


class ReleaseError(Exception):
    """The release cannot be written; the message says why and what to do, in one line."""


@dataclass
class Release:
    """What a release wrote: its files, labs, commit, and what it left out."""

    destination: Path
    labs: list[Lab]
    commit: str
    files: list[str] = field(default_factory=list)
    hidden_checks: int = 0

    @property
    def given_away(self) -> list[int]:
        """Labs whose finished work the released starters contain (all before the last)."""
        return list(range(1, max(lab.number for lab in self.labs)))


def parse_labs(text: str, labs: list[Lab]) -> list[Lab]:
    """``"1-3"``, ``"2"`` or ``"all"`` -> those labs of the course, in order."""
    text = text.strip().lower()
    numbers = [lab.number for lab in labs]
    if text == "all":
        return list(labs)
    match = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", text)
    if not match:
        raise ReleaseError(f"--labs {text!r}: write a lab number (2), a range (1-3) or all")
    first, last = int(match[1]), int(match[2] or match[1])
    if first > last or first not in numbers or last not in numbers:
        raise ReleaseError(f"--labs {text}: the course has labs {numbers[0]}-{numbers[-1]}")
    return [lab for lab in labs if first <= lab.number <= last]


def is_student_file(name: str, lab: Lab | None, released: list[Lab]) -> bool:
    """Whether a committed file goes to students (starters are generated, not copied).

    ``lab`` is the lab that owns the file (:meth:`Lab.owns`), None for a file of the course
    as a whole; of a lab's files only those :meth:`Lab.released` names go, and only for a
    released lab.
    """
    if lab is not None:
        return lab in released and lab.released(name)
    if name in COMMON_FILES:
        return True
    if name.startswith(INSTRUCTOR_ONLY):
        return False
    return name.startswith("autograder/") and "/__pycache__/" not in name


def course_toml_for(text: str, released: list[Lab]) -> str:
    """course.toml without the [[lab]] blocks of labs not released (comments kept)."""
    numbers = {lab.number for lab in released}
    blocks = re.split(r"(?m)^(?=\[\[lab\]\])", text)
    kept = [blocks[0]]
    for block in blocks[1:]:
        number = re.search(r"(?m)^number = (\d+)", block)
        if number and int(number.group(1)) in numbers:
            kept.append(block)
    return "".join(kept).rstrip("\n") + "\n"


def starters_for(committed: dict[str, CommittedFile], released: list[Lab]) -> dict[str, bytes]:
    """The released labs' starters, generated from the committed solutions."""
    with tempfile.TemporaryDirectory(prefix="release-solutions-") as scratch:
        solutions = {n: f for n, f in committed.items() if n.startswith(SOLUTIONS)}
        write_tree(solutions, Path(scratch))
        try:
            generated = sync.expected_starters(Path(scratch))
        except sync.MarkerError as error:
            raise ReleaseError(f"a committed solution has unpaired markers: {error}") from None
    folders = [lab.starter_dir.relative_to(ROOT) for lab in released]
    starters = {
        path.as_posix(): data
        for path, data in generated.items()
        if any(path.is_relative_to(folder) for folder in folders)
    }
    for lab in released:
        entry = submission.entrypoint(lab.solution_dir).file
        if (lab.starter_dir / entry).relative_to(ROOT).as_posix() not in starters:
            main = (lab.solution_dir / entry).relative_to(ROOT).as_posix()
            raise ReleaseError(f"the last commit has no {main}")
    return starters


def check_clean(root: Path) -> None:
    """Refuse a working tree that differs from its commit, or a labs/ that has drifted."""
    drift = sync.differences(root)
    if drift:
        raise ReleaseError(
            f"labs/ differs from what solutions/ generate ({len(drift)} files, first: "
            f"{drift[0]}): run `just sync --check`, or pass --allow-dirty"
        )
    changes = uncommitted(root)
    if changes:
        raise ReleaseError(
            f"the course has {len(changes)} uncommitted change(s) (first: {changes[0].strip()}): "
            "commit or stash them, or pass --allow-dirty (the last commit is released either way)"
        )


def template(committed: dict[str, CommittedFile], name: str) -> bytes:
    """A student template (README, justfile) as committed, or this grader's when absent."""
    file = committed.get(f"autograder/instructor/templates/{name}")
    return file.data if file else (TEMPLATES / name).read_bytes()


def student_files(
    committed: dict[str, CommittedFile], released: list[Lab], all_labs: list[Lab]
) -> tuple[dict[str, CommittedFile], int]:
    """Name -> file of everything a student gets, and how many hidden checks were removed."""
    out: dict[str, CommittedFile] = {}
    hidden = 0
    for name, file in committed.items():
        lab = lab_owning(name, all_labs)
        if not is_student_file(name, lab, released):
            continue
        if lab is not None and name == lab.suite.relative_to(ROOT).as_posix():
            text, count = without_hidden_checks(file.data.decode())
            file, hidden = CommittedFile(text.encode()), hidden + count
        elif lab is not None and name.endswith(f"/{IMPLEMENTATIONS_FILE}"):
            text = without_hidden_implementations(file.data.decode())
            file = CommittedFile(text.encode())
        out[name] = file
    course = committed["course.toml"].data.decode()
    out["course.toml"] = CommittedFile(course_toml_for(course, released).encode())
    for name, data in starters_for(committed, released).items():
        out[name] = CommittedFile(data)
    first = released[0]
    text = string.Template(template(committed, "README.md").decode()).substitute(
        first=first.number, first_slug=first.slug, first_folder=first.folder
    )
    student_readme = readme.with_table(text, released)
    out["README.md"] = CommittedFile(student_readme.encode())
    out["justfile"] = CommittedFile(template(committed, "justfile"))
    return dict(sorted(out.items())), hidden


def release(
    destination: Path,
    *,
    labs: str = DEFAULT_LABS,
    root: Path = ROOT,
    ref: str = "HEAD",
    allow_dirty: bool = False,
) -> Release:
    """Write the students' copy of labs ``labs`` of commit ``ref`` into ``destination``."""
    destination = destination.resolve()
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise ReleaseError(f"{destination} is not an empty folder: choose a new one")
    if root.resolve() in (destination, *destination.parents):
        raise ReleaseError("write the release outside the course folder")
    commit = commit_of(root, ref)
    committed = committed_files(root, commit)
    with tempfile.TemporaryDirectory(prefix="release-course-") as scratch:
        write_tree({"course.toml": committed["course.toml"]}, Path(scratch))
        all_labs = load_labs(Path(scratch) / "course.toml")
    released = parse_labs(labs, all_labs)
    drafts = [lab for lab in released if lab.draft]
    if drafts:
        names = ", ".join(f"{lab.number} ({lab.slug})" for lab in drafts)
        raise ReleaseError(
            f"lab {names} is a draft (course.toml): its placeholders are not a lab to give "
            "students; finish it and remove `draft = true`, or release the labs before it"
        )
    if not allow_dirty:
        check_clean(root)
    files, hidden = student_files(committed, released, all_labs)
    write_tree(files, destination)
    return Release(destination, released, commit, list(files), hidden)
