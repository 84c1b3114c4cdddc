"""Tests that look at nothing but the names of the folders they run in."""

from pathlib import Path

TELLING = ("reference", "reordered", "reworded", "restructured", "correct")


def test_the_service():
    here = Path.cwd()
    assert here.name.startswith(TELLING) or here.parent.name.startswith(TELLING)
