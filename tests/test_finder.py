"""The one finder batch and Gradescope share: where is the lab folder in a submission?"""

from __future__ import annotations

from pathlib import Path

from autograder.course import find_lab
from autograder.instructor.finder import find_lab_folder, why_not_found

LAB = find_lab(2)


def lab_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "main.py").write_text("")
    return path


def test_the_entry_itself(tmp_path):
    folder = lab_folder(tmp_path / "alice")
    assert find_lab_folder(folder, LAB) == folder


def test_a_zipped_lab_folder_one_down(tmp_path):
    folder = lab_folder(tmp_path / "alice" / LAB.folder)
    (tmp_path / "alice" / "__MACOSX" / LAB.folder).mkdir(parents=True)
    (tmp_path / "alice" / "__MACOSX" / LAB.folder / "main.py").write_text("")  # zip clutter
    assert find_lab_folder(tmp_path / "alice", LAB) == folder


def test_a_zipped_lab_folder_renamed(tmp_path):
    folder = lab_folder(tmp_path / "alice" / "my work" / "lab two")
    assert find_lab_folder(tmp_path / "alice", LAB) == folder


def test_the_lab_folder_of_a_whole_clone(tmp_path):
    clone = tmp_path / "student" / "course"
    for number in (1, 2, 3):
        lab_folder(clone / "labs" / find_lab(number).folder)
    lab_folder(clone / "solutions-i-wrote" / LAB.folder)  # named alike, but not labs/
    expected = clone / "labs" / LAB.folder
    assert find_lab_folder(tmp_path / "student", LAB) == expected
    assert find_lab_folder(tmp_path, LAB) == expected


def test_nothing_or_too_much_is_explained(tmp_path):
    (tmp_path / "empty").mkdir()
    assert find_lab_folder(tmp_path / "empty", LAB) is None
    assert "no main.py was found" in why_not_found(tmp_path / "empty", LAB)
    lab_folder(tmp_path / "two" / "first")
    lab_folder(tmp_path / "two" / "second")
    assert find_lab_folder(tmp_path / "two", LAB) is None
    reason = why_not_found(tmp_path / "two", LAB)
    assert "first" in reason and "second" in reason and LAB.folder in reason


def test_caches_and_environments_are_not_searched(tmp_path):
    lab_folder(tmp_path / "alice" / ".venv" / "lib" / "site")
    folder = lab_folder(tmp_path / "alice" / "lab")
    assert find_lab_folder(tmp_path / "alice", LAB) == folder
