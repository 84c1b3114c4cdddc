"""Every "lab NN" a handout, a deck, a notebook or the README names is a lab of course.toml:
a student who reads "see lab 12" must find lab 12."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from autograder.course import ROOT, load_labs

LAB_NUMBERS = {lab.number for lab in load_labs()}
# "lab 7", "Lab 07", "labs 3 and 4", "labs 3 to 6", "labs 01-06"
MENTION = re.compile(
    r"\blabs?\s+(?P<first>\d{1,2})\b(?:\s*(?:,|and|or|to|-|–)\s*(?P<second>\d{1,2})\b)?",
    re.IGNORECASE,
)
# Decks that still name labs the course does not have yet: fixed in slides/, not here.
KNOWN_IN_DECKS: dict[str, str] = {}  # a deck that names a lab still to come, and why


def documents() -> list[Path]:
    labs = load_labs()
    found = [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    for lab in labs:
        found += [lab.solution_dir / "README.md", lab.starter_dir / "README.md"]
        found += [lab.slides, lab.notebook]
    return [path for path in found if path.is_file()]


def text_of(path: Path) -> str:
    """A document's words: a notebook's cells (not its outputs), any other file as it is."""
    text = path.read_text()
    if path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        return "\n".join("".join(cell["source"]) for cell in cells)
    return text


def unknown_labs(text: str) -> list[str]:
    """``line 12: lab 12`` for every mention of a lab number course.toml does not have."""
    problems = []
    for match in MENTION.finditer(text):
        numbers = [int(group) for group in match.groups() if group]
        missing = [number for number in numbers if number not in LAB_NUMBERS]
        if missing:
            line = text.count("\n", 0, match.start()) + 1
            problems.append(f"line {line}: {match.group(0)!r}")
    return problems


def _marks(path: Path):
    name = path.relative_to(ROOT).as_posix()
    if name in KNOWN_IN_DECKS:
        return [pytest.mark.xfail(reason=KNOWN_IN_DECKS[name], strict=False)]
    return []


@pytest.mark.parametrize(
    "path",
    [pytest.param(path, marks=_marks(path)) for path in documents()],
    ids=lambda path: path.relative_to(ROOT).as_posix(),
)
def test_every_lab_named_exists(path):
    problems = unknown_labs(text_of(path))
    assert not problems, f"{path.relative_to(ROOT)} names labs course.toml lacks: {problems}"


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("see lab 3", False),
        ("Lab 31 adds a login", True),  # numbers no lab will have, even a new one
        ("labs 3 and 42", True),
        ("labs 01-06", False),
        ("a lab 3.5 of nothing", False),
        ("collaborate on a lab", False),
    ],
)
def test_mentions_are_found(text, unknown):
    assert bool(unknown_labs(text)) == unknown


# 'Handout: "Resuming with Last-Event-ID"', 'Handout: the contract, "Routes"'
HANDOUT_SECTION = re.compile(r"Handout:?([^.]*)")


def headings_of(handout: Path) -> list[str]:
    """The headings of a handout, as a hint names them (no backticks or stars, any case)."""
    found = re.findall(r"^#+\s+(.*)$", handout.read_text(), re.MULTILINE)
    return [re.sub(r"[`*]", "", heading).strip().lower() for heading in found]


@pytest.mark.parametrize("lab", load_labs(), ids=lambda lab: lab.folder)
def test_every_handout_section_a_hint_names_is_a_heading_of_the_handout(lab):
    from autograder.hints import read_hints

    headings = headings_of(lab.starter_dir / "README.md")
    missing = []
    for hint in read_hints(lab.suite):
        for text in (hint.hint, hint.more):
            for reference in HANDOUT_SECTION.finditer(text or ""):
                for name in re.findall(r'"([^"]+)"', reference.group(1)):
                    wanted = re.sub(r"[`*]", "", name).strip().lower()
                    if not any(wanted in heading for heading in headings):
                        missing.append(f"{hint.name}: {name!r}")
    assert not missing, (
        f"hints name sections {lab.starter_dir.name}/README.md does not have: {missing}"
    )
