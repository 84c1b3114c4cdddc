"""Building a copy of a lab folder with a few exact text edits written in.

The course uses this for its known-bad submissions (``tests/known_bad/``) and lab 06 for
the buggy and the harmlessly different implementations the students' tests run against.
An edit names a file, a text that must occur exactly once, and its replacement, so a
variant follows the reference as it evolves and an edit that no longer applies fails loudly.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from autograder.course import GENERATED_PARTS, GENERATED_SUFFIXES

# What running the lab wrote (a trained model, caches): a variant starts without it.
IGNORED = shutil.ignore_patterns(*GENERATED_PARTS, *(f"*{suffix}" for suffix in GENERATED_SUFFIXES))


class EditError(ValueError):
    """An edit whose text does not occur exactly once in its file."""


def apply_edits(folder: Path, edits: Iterable[Mapping[str, str]], label: str = "variant") -> None:
    """Apply ``{"file", "replace", "with"}`` edits to the files under ``folder``."""
    for edit in edits:
        path = folder / edit["file"]
        text = path.read_text()
        count = text.count(edit["replace"])
        if count != 1:
            raise EditError(f"{label}: {edit['replace']!r} occurs {count} times in {edit['file']}")
        path.write_text(text.replace(edit["replace"], edit["with"]))


def build_variant(
    source: Path, destination: Path, edits: Iterable[Mapping[str, str]], label: str = "variant"
) -> Path:
    """Copy ``source`` to ``destination``, apply ``edits`` there, and return ``destination``."""
    shutil.copytree(source, destination, ignore=IGNORED)
    apply_edits(destination, edits, label)
    return destination
