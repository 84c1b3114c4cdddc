"""The course's ordered lab list (``course.toml``) and how a lab is named on the command line."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "course.toml"
SUITES = Path(__file__).resolve().parent / "suites"


class UnknownLab(LookupError):
    """Raised when a lab number, slug or folder name matches no lab in course.toml."""


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

    @property
    def folder(self) -> str:
        """The folder name shared by labs/, solutions/ and notebooks/: ``03-model-serving``."""
        return f"{self.number:02d}-{self.slug}"

    @property
    def starter_dir(self) -> Path:
        return ROOT / "labs" / self.folder

    @property
    def solution_dir(self) -> Path:
        return ROOT / "solutions" / self.folder

    @property
    def suite(self) -> Path:
        return SUITES / f"lab{self.number:02d}_{self.slug.replace('-', '_')}.py"

    @property
    def notebook(self) -> Path:
        return ROOT / "notebooks" / f"{self.folder}.ipynb"

    @property
    def slides(self) -> Path:
        return ROOT / "slides" / f"{self.folder}.md"


def load_labs(path: Path = METADATA) -> list[Lab]:
    """Read course.toml and return its labs in course order."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
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
            )
        )
    numbers = [lab.number for lab in labs]
    if numbers != sorted(set(numbers)):
        raise ValueError(f"{path.name}: lab numbers must be unique and in order, got {numbers}")
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
