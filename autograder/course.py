"""The course's ordered lab list (``course.toml``), the paths every lab owns, and how a lab is
named on the command line.

Every path that belongs to a lab is a property of :class:`Lab`; no other module builds such a
path from strings, so a lab's files are found, released, zipped and checked the same way
everywhere.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "course.toml"
SUITES = Path(__file__).resolve().parent / "suites"
# The course.toml layout this grader reads: ``format = 1`` on its first lines.
FORMAT = 1

# What running a lab writes inside its folder (a trained model, caches, a SQLite log): never
# part of a starter, a copy of a submission, or what a change to watch.
GENERATED_PARTS = frozenset({"__pycache__", ".pytest_cache", "models", ".ipynb_checkpoints"})
GENERATED_SUFFIXES = frozenset({".pyc", ".db", ".db-wal", ".db-shm", ".db-journal"})


def is_generated(relative: Path) -> bool:
    """Whether a file of a lab folder (path inside the folder) is made by running the lab."""
    return bool(GENERATED_PARTS.intersection(relative.parts)) or relative.suffix in (
        GENERATED_SUFFIXES
    )


class UnknownLab(LookupError):
    """Raised when a lab number, slug or folder name matches no lab in course.toml."""


class CourseFormatError(ValueError):
    """course.toml is written in a layout this grader does not read; the message says why."""


@dataclass(frozen=True)
class Lab:
    """One entry of course.toml, with the paths that follow from it."""

    number: int
    slug: str
    title: str
    objectives: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    free_points: float = 0
    check_timeout: float = 10
    preload: tuple[str, ...] = field(default=())
    # Files of the solution inherited unchanged from the previous lab's solution (checked
    # equal by the course check), as paths inside the lab folder.
    carries: tuple[str, ...] = ()
    # A lab written by `new-lab` and not finished yet: its placeholders are allowed, and
    # every course check that allows one says so.
    draft: bool = False

    @property
    def folder(self) -> str:
        """The folder name shared by labs/, solutions/ and notebooks/: ``03-model-serving``."""
        return f"{self.number:02d}-{self.slug}"

    @property
    def module_name(self) -> str:
        """``03_model_serving``: the folder name as a Python name."""
        return f"{self.number:02d}_{self.slug.replace('-', '_')}"

    @property
    def starter_dir(self) -> Path:
        """``labs/NN-slug/``: the student's starter, generated from the solution."""
        return ROOT / "labs" / self.folder

    @property
    def solution_dir(self) -> Path:
        """``solutions/NN-slug/``: the reference solution, with its handout."""
        return ROOT / "solutions" / self.folder

    @property
    def suite(self) -> Path:
        """``autograder/suites/labNN_slug.py``: the checks."""
        return SUITES / f"lab{self.module_name}.py"

    @property
    def data_dir(self) -> Path:
        """``autograder/labNN/``: data the suite reads (lab 06's implementations), if any."""
        return ROOT / "autograder" / f"lab{self.number:02d}"

    @property
    def notebook(self) -> Path:
        return ROOT / "notebooks" / f"{self.folder}.ipynb"

    @property
    def slides(self) -> Path:
        return ROOT / "slides" / f"{self.folder}.md"

    @property
    def examples_dir(self) -> Path:
        """``examples/NN-slug/``: the small apps the handout and deck quote."""
        return ROOT / "examples" / self.folder

    @property
    def example_tests(self) -> Path:
        """``tests/examples/test_NN_slug.py``: the tests of those examples (students get it)."""
        return ROOT / "tests" / "examples" / f"test_{self.module_name}.py"

    @property
    def known_bad(self) -> Path:
        """``tests/known_bad/NN-slug.toml``: solutions with one bug each, and what they fail."""
        return ROOT / "tests" / "known_bad" / f"{self.folder}.toml"

    @property
    def instructor_tests(self) -> Path:
        """``tests/labs/NN-slug/``: the course's own tests of this lab only (never released)."""
        return ROOT / "tests" / "labs" / self.folder

    def course_paths(self) -> dict[str, Path]:
        """Every place this lab owns in the course, by what it is."""
        return {
            "starter": self.starter_dir,
            "solution": self.solution_dir,
            "suite": self.suite,
            "data": self.data_dir,
            "notebook": self.notebook,
            "deck": self.slides,
            "examples": self.examples_dir,
            "example tests": self.example_tests,
            "known-bad": self.known_bad,
            "instructor tests": self.instructor_tests,
        }

    def released_paths(self) -> list[Path]:
        """What a student gets of this lab besides its generated starter: the suite and its
        data, the examples and their tests, the notebook and the deck."""
        return [
            self.suite,
            self.data_dir,
            self.examples_dir,
            self.example_tests,
            self.notebook,
            self.slides,
        ]

    def owns(self, name: str | Path, root: Path = ROOT) -> bool:
        """Whether the course file ``name`` (a path inside the course, or under ``root``)
        belongs to this lab."""
        return _under_any(name, self.course_paths().values(), root)

    def released(self, name: str | Path, root: Path = ROOT) -> bool:
        """Whether the course file ``name`` is one of this lab's files students get."""
        return _under_any(name, self.released_paths(), root)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _under_any(name: str | Path, places, root: Path) -> bool:
    """Whether ``name`` is one of ``places`` (files) or lies inside one of them (folders)."""
    path = Path(name)
    if path.is_absolute():
        try:
            path = path.relative_to(root)
        except ValueError:
            return False
    text = path.as_posix()
    for place in places:
        relative = _relative(place)
        if text == relative or text.startswith(relative + "/"):
            return True
    return False


def lab_owning(name: str | Path, labs: list[Lab], root: Path = ROOT) -> Lab | None:
    """The lab a course file belongs to (its starter, solution, suite, notebook...), or None."""
    for lab in labs:
        if lab.owns(name, root):
            return lab
    return None


def read_format(data: dict, path: Path) -> int:
    """The ``format`` of a course.toml; a missing or unknown one is refused in one line."""
    version = data.get("format")
    if version is None:
        raise CourseFormatError(
            f"{path.name} has no format line: put `format = {FORMAT}` at its top"
        )
    if version != FORMAT:
        raise CourseFormatError(
            f"{path.name} is written in format {version!r}; this grader reads format {FORMAT}: "
            "update the grader (autograder/) or write the file in that format"
        )
    return version


def load_labs(path: Path = METADATA) -> list[Lab]:
    """Read course.toml and return its labs in course order."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    read_format(data, path)
    labs = []
    for entry in data.get("lab", []):
        labs.append(
            Lab(
                number=int(entry["number"]),
                slug=entry["slug"],
                title=entry["title"],
                objectives=tuple(entry.get("objectives", ())),
                hints=tuple(entry.get("hints", ())),
                free_points=float(entry.get("free_points", 0)),
                check_timeout=float(entry.get("check_timeout", 10)),
                preload=tuple(entry.get("preload", ())),
                carries=tuple(entry.get("carries", ())),
                draft=bool(entry.get("draft", False)),
            )
        )
    numbers = [lab.number for lab in labs]
    if numbers != sorted(set(numbers)):
        raise ValueError(f"{path.name}: lab numbers must be unique and in order, got {numbers}")
    bad = [lab.slug for lab in labs if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", lab.slug)]
    if bad:
        raise ValueError(f"{path.name}: a slug is lowercase words joined by hyphens, got {bad}")
    return labs


def find_lab(name: str | int, labs: list[Lab] | None = None) -> Lab:
    """Find a lab by number (``3``, ``03``), slug (``model-serving``) or folder name."""
    labs = load_labs() if labs is None else labs
    text = str(name).strip().rstrip("/").split("/")[-1]
    for lab in labs:
        if text.isdigit() and int(text) == lab.number:
            return lab
        if text in (lab.slug, lab.folder, lab.suite.stem):
            return lab
    known = ", ".join(f"{lab.number} ({lab.slug})" for lab in labs)
    raise UnknownLab(f"no lab called {name!r}; the labs are: {known}")


def lab_for_suite(suite_path: str | Path) -> Lab | None:
    """The lab a suite file belongs to, or None for a file that is not a lab suite."""
    stem = Path(suite_path).stem
    for lab in load_labs():
        if lab.suite.stem == stem:
            return lab
    return None
