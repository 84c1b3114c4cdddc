"""Where is the lab folder inside a submission? One answer, shared by batch and Gradescope.

Students hand in their work in many shapes: the lab folder itself, the lab folder zipped
(so one folder down, maybe renamed), or a whole clone of the course. The lab folder is the
folder that holds the app: ``main.py``, or ``app/main.py`` in the labs laid out as a package;
this module finds it, or says in one sentence why it cannot.
"""

from __future__ import annotations

from pathlib import Path

from autograder import submission
from autograder.course import Lab

SEARCH_DEPTH = 4  # how many folders down a lab folder may be
# Folders that are never a student's lab: tools' caches, environments, macOS zip clutter.
IGNORED = {"__MACOSX", "__pycache__", "node_modules", "site-packages", ".venv", "venv"}


def _candidates(entry: Path):
    """Every folder under ``entry`` (itself included), breadth first, down to SEARCH_DEPTH."""
    level = [entry]
    for _ in range(SEARCH_DEPTH + 1):
        following = []
        for folder in level:
            yield folder
            try:
                children = sorted(path for path in folder.iterdir() if path.is_dir())
            except OSError:
                continue
            following += [
                child
                for child in children
                if child.name not in IGNORED
                and not child.name.startswith(".")
                and not child.is_symlink()
            ]
        level = following


def _holds_app(folder: Path) -> bool:
    """Whether ``folder`` holds an app: its ``main.py``, or ``app/main.py``."""
    try:
        return (folder / submission.entrypoint(folder).file).is_file()
    except submission.SubmissionError:
        return (folder / "main.py").is_file()


def folders_with_main(entry: Path) -> list[Path]:
    """The folders under ``entry`` that hold an app (``main.py`` or ``app/main.py``),
    shallowest first. The ``app/`` package of a lab folder is part of that folder, not a lab
    folder of its own."""
    found = [folder for folder in _candidates(entry) if _holds_app(folder)]
    packages = {folder / "app" for folder in found if (folder / "app" / "main.py").is_file()}
    return [folder for folder in found if folder not in packages]


def find_lab_folder(entry: Path, lab: Lab) -> Path | None:
    """The student's lab folder inside ``entry``, or None when there is none (or several).

    In order: ``entry`` itself when it holds ``main.py``; a folder named like the lab
    (``labs/02-request-validation`` in a clone, or the zipped lab folder), the shallowest
    first; otherwise the one folder holding a ``main.py`` (a zipped, renamed lab folder).
    """
    found = folders_with_main(entry)
    if not found:
        return None
    if found[0] == entry:
        return entry
    named = [folder for folder in found if folder.name == lab.folder]
    if named:
        in_labs = [folder for folder in named if folder.parent.name == "labs"]
        return (in_labs or named)[0]
    return found[0] if len(found) == 1 else None


def why_not_found(entry: Path, lab: Lab) -> str:
    """One sentence for the student and the instructor: why no lab folder was chosen."""
    found = folders_with_main(entry)
    if len(found) > 1:
        names = ", ".join(folder.relative_to(entry).as_posix() for folder in found[:4])
        return (
            f"several folders hold a main.py ({names}) and none is called {lab.folder}: "
            f"hand in only the {lab.folder} folder"
        )
    return (
        f"no main.py was found (nor app/main.py): hand in the {lab.folder} folder (with its "
        "app in it) "
        "or a clone of the course"
    )
