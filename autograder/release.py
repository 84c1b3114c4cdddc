"""The student-facing copy of the course: ``python -m autograder release DIR [--upto N]``.

It holds the starters, handouts, notebooks, slides and the grader, and leaves out what
students must not see: ``solutions/``, the known-bad submissions, the course's
instructor-only tests and the hidden checks (each suite keeps a count of them, so the grader
can say "N hidden checks not run"). With ``--upto N`` it holds labs 1 to N only, for a
course released week by week: each starter contains the earlier labs' finished work, so a
lab's own solution first appears in the starter of the lab after it.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

from autograder.course import ROOT, Lab, load_labs

EXCLUDED_PREFIXES = ("solutions/", "tests/known_bad/", "labs/.generated.json", "build/")
INSTRUCTOR_TESTS = (
    "tests/test_labs.py",
    "tests/test_lab03_alternatives.py",
    "tests/test_batch.py",
    "tests/test_gradescope.py",
    "tests/test_classroom.py",
    "tests/test_release.py",
    "tests/test_engine.py",
    "tests/test_student_tests.py",
    "tests/hostile/",
)
HIDDEN_COUNT = re.compile(r"^HIDDEN_CHECKS = (\d+)$", re.M)


class ReleaseError(Exception):
    """The release cannot be written (for example, its folder is not empty)."""


def project_files(root: Path = ROOT) -> list[str]:
    """Files git tracks, plus new files it does not ignore."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return sorted(name for name in set(listing) if (root / name).is_file())


def _is_hidden_check(node: ast.AST) -> bool:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                constant = isinstance(keyword.value, ast.Constant) and keyword.value.value is True
                if keyword.arg == "hidden" and constant:
                    return True
    return False


def without_hidden_checks(source: str) -> tuple[str, int]:
    """The suite's source with hidden checks removed, and how many there were."""
    tree = ast.parse(source)
    hidden = [node for node in tree.body if _is_hidden_check(node)]
    if not hidden:
        return source, 0
    lines = source.splitlines(keepends=True)
    for node in sorted(hidden, key=lambda node: node.lineno, reverse=True):
        start = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list])
        del lines[start - 1 : node.end_lineno]
    text = "".join(lines).rstrip("\n") + "\n"
    note = "\n\n# Checks your instructor runs but this copy of the course does not show.\n"
    return text + f"{note}HIDDEN_CHECKS = {len(hidden)}\n", len(hidden)


def hidden_checks_in(suite: Path) -> int:
    """How many hidden checks were removed from this suite (0 in the instructors' copy)."""
    match = HIDDEN_COUNT.search(suite.read_text()) if suite.is_file() else None
    return int(match.group(1)) if match else 0


def _lab_of(name: str, labs: list[Lab]) -> Lab | None:
    for lab in labs:
        markers = (
            f"labs/{lab.folder}/",
            f"examples/{lab.folder}/",
            f"notebooks/{lab.folder}.",
            f"slides/{lab.folder}.",
            f"autograder/suites/{lab.suite.stem}",
            f"autograder/lab{lab.number:02d}/",
            f"tests/examples/test_{lab.number:02d}_",
        )
        if name.startswith(markers):
            return lab
    return None


def _course_toml_upto(text: str, upto: int) -> str:
    """course.toml without the [[lab]] blocks numbered above ``upto``."""
    blocks = re.split(r"(?m)^(?=\[\[lab\]\])", text)
    kept = [blocks[0]]
    for block in blocks[1:]:
        number = int(re.search(r"(?m)^number = (\d+)", block).group(1))
        if number <= upto:
            kept.append(block)
    return "".join(kept).rstrip("\n") + "\n"


def release(destination: Path, *, upto: int | None = None, root: Path = ROOT) -> list[str]:
    """Write the student release into ``destination`` (new or empty); return its files."""
    destination = destination.resolve()
    if destination.exists() and any(destination.iterdir()):
        raise ReleaseError(f"{destination} is not empty: choose a new folder")
    if root.resolve() in (destination, *destination.parents):
        raise ReleaseError("write the release outside the course folder")
    labs = load_labs(root / "course.toml")
    upto = upto if upto is not None else max(lab.number for lab in labs)
    written = []
    for name in project_files(root):
        if name.startswith(EXCLUDED_PREFIXES) or name.startswith(INSTRUCTOR_TESTS):
            continue
        lab = _lab_of(name, labs)
        if lab is not None and lab.number > upto:
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        source = root / name
        if name.startswith("autograder/suites/lab") and name.endswith(".py"):
            target.write_text(without_hidden_checks(source.read_text())[0])
        elif name == "course.toml":
            target.write_text(_course_toml_upto(source.read_text(), upto))
        else:
            shutil.copy2(source, target)
        written.append(name)
    _refresh_readme(destination)
    return written


def _refresh_readme(destination: Path) -> None:
    """Regenerate the README's lab table from the release's own course.toml."""
    from autograder import readme

    path = destination / "README.md"
    if path.is_file():
        labs = load_labs(destination / "course.toml")
        path.write_text(readme.with_table(path.read_text(), labs))
