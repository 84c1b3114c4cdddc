"""Correct solutions other than the reference, for the tests in ``tests/labs/NN-slug/``.

An alternative is the lab's reference solution with text edits applied (``edits``, in the
format of the known-bad variants) and the files of a folder laid over it (``overlay``: the
``alternative/`` folder beside the lab's test, laid out like the lab folder). It is graded
as a student's submission would be, in normal or secure mode, and must get full marks.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from autograder.course import Lab
from autograder.runner import Grader
from autograder.variants import build_variant

LEFT_OUT = frozenset({"__pycache__", ".pytest_cache"})


def build_alternative(
    lab: Lab,
    scratch: Path,
    *,
    edits: Iterable[Mapping[str, str]] = (),
    overlay: Path | None = None,
) -> Path:
    """Write the alternative into ``scratch/<lab folder>`` and return that folder.

    Everything under ``scratch`` is made readable by all, as a student's clone is: in secure
    mode the sandbox's user reads it.
    """
    folder = build_variant(lab.solution_dir, scratch / lab.folder, edits, "alternative")
    if overlay is not None:
        for path in overlay.rglob("*"):
            relative = path.relative_to(overlay)
            if path.is_file() and not LEFT_OUT.intersection(relative.parts):
                target = folder / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
    for path in [scratch, *scratch.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def failed_checks(grader: Grader, folder: Path) -> dict[str, str]:
    """Grade ``folder``: each failed check's name and message (the submission must import)."""
    result = grader.grade(folder)
    assert not result.problem, result.problem
    return {r.check.name: r.message for r in result.results if not r.passed}
