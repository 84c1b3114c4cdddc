"""Generating the starters in ``labs/`` from the reference solutions in ``solutions/``.

Solutions are the single source. In a solution's ``.py`` files (and its ``Dockerfile`` and
``.dockerignore``, whose comments start with ``#`` too), a *solution block* is::

    # BEGIN SOLUTION
    #: # TODO: return the flower with this id, or 404.
    #: raise NotImplementedError
    ...the reference code...
    # END SOLUTION

In the starter the whole block becomes its ``#:`` lines with the ``#: `` removed (the TODO
text and a stub), indented like the ``# BEGIN SOLUTION`` line. Everything outside blocks
is copied as it is, so each starter carries the previous labs' finished work.

``sync`` never loses an edit: it overwrites a starter file only when the file is still
exactly what it last generated (recorded in ``labs/.generated.json``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from autograder.course import ROOT, is_generated, load_labs

BEGIN, END, STARTER_PREFIX = "# BEGIN SOLUTION", "# END SOLUTION", "#:"
MANIFEST = ROOT / "labs" / ".generated.json"
# Files besides ``.py`` ones whose solution blocks the starter replaces.
MARKED_NAMES = ("Dockerfile", ".dockerignore")


class MarkerError(ValueError):
    """A solution file whose BEGIN/END SOLUTION markers do not pair up."""


def make_starter(source: str, filename: str = "<source>") -> str:
    """Replace every solution block of a Python source with its starter lines."""
    output: list[str] = []
    block_start = None
    indent = ""
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if block_start is not None:
                raise MarkerError(f"{filename}:{number}: BEGIN SOLUTION inside another block")
            block_start, indent = number, line[: len(line) - len(line.lstrip())]
        elif stripped == END:
            if block_start is None:
                raise MarkerError(f"{filename}:{number}: END SOLUTION without BEGIN SOLUTION")
            block_start = None
        elif block_start is not None:
            if stripped.startswith(STARTER_PREFIX):
                text = stripped[len(STARTER_PREFIX) :]
                text = text[1:] if text.startswith(" ") else text
                output.append(f"{indent}{text}\n" if text else "\n")
        else:
            output.append(line)
    if block_start is not None:
        raise MarkerError(f"{filename}:{block_start}: BEGIN SOLUTION is never closed")
    return "".join(output)


def strip_markers(source: str) -> str:
    """The solution as a reader should see it: markers and starter lines removed."""
    keep = []
    inside = False
    for line in source.splitlines(keepends=True):
        stripped = line.strip()
        if stripped in (BEGIN, END):
            inside = stripped == BEGIN
            continue
        if inside and stripped.startswith(STARTER_PREFIX):
            continue
        keep.append(line)
    return "".join(keep)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def solution_files(folder: Path):
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not is_generated(relative):
            yield relative


def expected_starters(root: Path = ROOT) -> dict[Path, bytes]:
    """Every starter file the generator makes: path under ``root`` -> content."""
    files: dict[Path, bytes] = {}
    for lab in load_labs():
        source_dir = root / lab.solution_dir.relative_to(ROOT)
        if not source_dir.is_dir():
            continue
        for relative in solution_files(source_dir):
            data = (source_dir / relative).read_bytes()
            if relative.suffix == ".py" or relative.name in MARKED_NAMES:
                data = make_starter(data.decode(), str(relative)).encode()
            files[lab.starter_dir.relative_to(ROOT) / relative] = data
    return files


def differences(root: Path = ROOT) -> list[str]:
    """Starter files that are missing or differ from what the generator makes."""
    found = []
    for relative, data in expected_starters(root).items():
        target = root / relative
        if not target.is_file():
            found.append(f"missing: {relative}")
        elif target.read_bytes() != data:
            found.append(f"differs: {relative}")
    return found


def sync(*, check: bool = False, force: bool = False, root: Path = ROOT) -> int:
    """Regenerate ``labs/``; with ``check`` only report. Returns an exit status."""
    from autograder import readme

    readme_path = root / readme.README.relative_to(ROOT)
    if check:
        problems = differences(root)
        if readme_path.is_file() and not readme.update(readme_path, check=True):
            problems.append("differs: README.md lab table (from course.toml)")
        for problem in problems:
            print(problem)
        if problems:
            print("labs/ is out of date: run `just sync`", file=sys.stderr)
        return 1 if problems else 0
    manifest_path = root / MANIFEST.relative_to(ROOT)
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    refused, written = [], 0
    for relative, data in expected_starters(root).items():
        target = root / relative
        key = relative.as_posix()
        if target.is_file():
            current = target.read_bytes()
            if current == data:
                manifest[key] = _digest(data)
                continue
            if manifest.get(key) != _digest(current) and not force:
                refused.append(key)
                continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        manifest[key] = _digest(data)
        written += 1
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n")
    if readme_path.is_file() and not readme.update(readme_path):
        print("updated the lab table in README.md")
    print(f"wrote {written} starter file(s)")
    if refused:
        print("kept these edited files (they differ from what sync last wrote):", file=sys.stderr)
        for key in refused:
            print(f"  {key}", file=sys.stderr)
        print("move your edits elsewhere, or run `just sync --force` to overwrite", file=sys.stderr)
        return 1
    return 0
