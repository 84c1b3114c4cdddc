"""Hidden checks: graded by the instructor, left out of the students' copy of the course.

A check declared with ``@check(..., hidden=True)`` is removed from the suite the student
release ships; the shipped suite keeps their number (``HIDDEN_CHECKS = N``) so the grader
can tell the student "N hidden checks not run". The services that only hidden checks run
students' tests against (``hidden = true`` in a lab's ``implementations.toml``) are left out
of the students' copy too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

HIDDEN_COUNT = re.compile(r"^HIDDEN_CHECKS = (\d+)$", re.M)


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


IMPLEMENTATIONS_FILE = "implementations.toml"  # a lab's services for students' tests


def without_hidden_implementations(text: str) -> str:
    """An implementations TOML file without its ``hidden = true`` entries (comments kept),
    for the students' copy of the course: hidden checks are not there to use them."""
    blocks = re.split(r"(?m)^(?=\[\[(?:implementation|symptom)\]\])", text)
    kept = [
        block
        for block in blocks
        if not re.search(r"(?m)^hidden\s*=\s*true\s*$", block.split("[[implementation.edit]]")[0])
    ]
    return "".join(kept)
