"""Lab 06: the handout, the deck and the wheats-and-chaffs diagram give the numbers of
versions the grader really has (``implementations.toml``), so a service added to the grader
cannot leave them behind."""

from __future__ import annotations

import re
import tomllib

from autograder.course import ROOT, find_lab

LAB = find_lab(6)
IMPLEMENTATIONS = tomllib.loads((LAB.data_dir / "implementations.toml").read_text())[
    "implementation"
]
# The reference run with the tests in reverse order is a run, not another version.
CORRECT = sum(1 for i in IMPLEMENTATIONS if i.get("correct") and not i.get("tests_in_reverse"))
BUGGY = sum(1 for i in IMPLEMENTATIONS if not i.get("correct"))
RUNS = len(IMPLEMENTATIONS)


def numbers_before(text: str, words: str) -> set[int]:
    """Every number written just before ``words`` in ``text``."""
    return {int(n) for n in re.findall(rf"\b(\d+) {words}", text)}


def test_the_handout_counts_the_grader_s_versions():
    text = (LAB.solution_dir / "README.md").read_text()
    assert numbers_before(text, "versions of the service") == {CORRECT + BUGGY}
    assert numbers_before(text, r"\*\*buggy\*\* services") == {BUGGY}
    assert numbers_before(text, "chaffs") == {BUGGY}
    assert numbers_before(text, "times, once per version") == {RUNS}


def test_the_deck_counts_the_grader_s_versions():
    text = (ROOT / "slides" / "06-testing.md").read_text()
    assert numbers_before(text, "versions") == {CORRECT + BUGGY}
    assert numbers_before(text, "buggy") == {BUGGY}
    assert numbers_before(text, "correct") == {CORRECT}


def test_the_diagram_counts_the_grader_s_versions():
    source = (ROOT / "slides" / "diagrams" / "wheats-and-chaffs.dot").read_text()
    assert numbers_before(source, "chaffs") == {BUGGY}
    assert numbers_before(source, "wheats") == {CORRECT}
