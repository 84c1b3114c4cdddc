"""Built services that tests cannot tell apart by their text, only by what they do.

A lab whose student writes tests grades them against services built from the reference with
the edits of the lab's TOML file (:mod:`autograder.implementations`). The student has those
edits, so a test could recognise a service by its source (a hash of a file, a search for a
bug's line) instead of testing it. :func:`disguise` marks every file of a built service so
that no such shortcut works; :func:`decoy_texts` gathers the bugs' lines it hides in every
service.
"""

from __future__ import annotations

import ast
import random
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.implementations import Implementation

# Chosen once per grader process (a warm grader keeps it between re-grades, so remembered
# runs still apply): the mark every service's files get, see :func:`disguise`.
DISGUISE_SEED = secrets.token_hex(8)


def disguise(folder: Path, decoys: Iterable[str], seed: str = DISGUISE_SEED) -> None:
    """Mark every Python file of a built service so that tests cannot tell services apart by
    their text, only by what they do.

    The services are built from edits the student has (the lab's TOML file ships with the
    course), so a test could recognise a service by its source instead of testing it: a
    hash of the files, or a search for a bug's text. Between the file's top-level
    statements, at places drawn from ``seed`` and the file's name, go constants with drawn
    names and values, and every bug's changed lines (``decoys``) as comments. A hash (of
    the file, or of what is left once its end or its comments are cut) matches no service
    the student could build, and every service, correct ones included, contains every
    bug's text. Tests that parse the code can still undo this; they are plain to see.
    """
    texts = sorted({line.rstrip() for text in decoys for line in text.splitlines()} - {""})
    for path in sorted(folder.rglob("*.py")):
        name = path.relative_to(folder).as_posix()
        draw = random.Random(f"{seed}:{name}")
        lines = path.read_text().splitlines()
        places = _statement_ends(lines)
        inserts: dict[int, list[str]] = {}
        for text in [f"# {line}" for line in texts] + [""] * max(2, len(places) // 3):
            if not text:  # a constant: a name and a value nobody can guess
                letters = "".join(draw.choices("abcdefghijklmnopqrstuvwxyz", k=10))
                text = f"_{letters} = {draw.randrange(1 << 31)}"
            inserts.setdefault(draw.choice(places), []).append(text)
        for place in sorted(inserts, reverse=True):
            lines[place:place] = inserts[place]
        path.write_text("\n".join(lines) + "\n")


def _statement_ends(lines: list[str]) -> list[int]:
    """Line indexes where a new line can go between top-level statements (after the module's
    docstring and ``from __future__`` imports, which must come first); the end if the file
    does not parse."""
    try:
        body = ast.parse("\n".join(lines)).body
    except SyntaxError:
        return [len(lines)]
    first = 0
    for index, node in enumerate(body):
        is_docstring = (
            index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        )
        if is_docstring or (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            first = index + 1
    ends = [node.end_lineno for node in body[first:] if node.end_lineno is not None]
    return ends or [len(lines)]


def decoy_texts(pristine: Path, implementations: Iterable[Implementation]) -> list[str]:
    """The whole lines each buggy implementation changes or adds (see :func:`disguise`)."""
    lines = []
    for item in implementations:
        if item.correct:
            continue
        edited: dict[str, str] = {}
        for edit in item.edits:
            text = edited.get(edit["file"]) or (pristine / edit["file"]).read_text()
            edited[edit["file"]] = text.replace(edit["replace"], edit["with"], 1)
        for file, text in edited.items():
            before = set((pristine / file).read_text().splitlines())
            lines += [line for line in text.splitlines() if line not in before]
    return lines
