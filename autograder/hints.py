"""Hints in two steps, read from a suite's source without importing it.

Every check has a short ``hint`` (the nudge the report prints: the idea and the handout
section) and may have a fuller one, ``more`` (up to the line to write), that a student asks
for with ``just hint N "check name"``. Reading them with :mod:`ast` keeps ``just hint``
instant: no pytest, FastAPI or scikit-learn is imported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from autograder.course import Lab


@dataclass(frozen=True)
class CheckHint:
    """What a student may read about one check before running it."""

    name: str  # the behaviour name, without the [parameter] of a parametrized check
    points: float  # per case, for a parametrized check
    description: str
    hint: str
    more: str = ""

    @property
    def fuller(self) -> str:
        """The fuller hint, or the nudge when the check has only one."""
        return self.more or self.hint


def _is_check(decorator: ast.expr) -> bool:
    function = decorator.func if isinstance(decorator, ast.Call) else None
    return (isinstance(function, ast.Name) and function.id == "check") or (
        isinstance(function, ast.Attribute) and function.attr == "check"
    )


def _constants(tree: ast.Module) -> dict[str, object]:
    """Module-level ``NAME = <literal>`` assignments (hints shared by several checks)."""
    found: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    found[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
    return found


def _value(node: ast.expr, constants: dict[str, object]) -> object:
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return ast.literal_eval(node)


def read_hints(suite: Path) -> list[CheckHint]:
    """Every check of ``suite`` in file order, with its hints, read from the source."""
    tree = ast.parse(suite.read_text(), filename=str(suite))
    constants = _constants(tree)
    hints = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if not _is_check(decorator):
                continue
            options = {kw.arg: _value(kw.value, constants) for kw in decorator.keywords}
            name = options.get("name") or node.name.removeprefix("test_").replace("_", " ")
            hints.append(
                CheckHint(
                    name=str(name).strip(),
                    points=float(options.get("points", 0)),
                    description=" ".join((ast.get_docstring(node) or "").split()),
                    hint=" ".join(str(options.get("hint", "")).split()),
                    more=" ".join(str(options.get("more", "")).split()),
                )
            )
    return hints


def _base_name(name: str) -> str:
    """``flowers page with limit and offset`` for ``... [offset=13]``."""
    return name.split(" [", 1)[0].strip().lower()


def find_check(lab: Lab, asked: str) -> tuple[CheckHint | None, list[CheckHint]]:
    """The check a student named (exactly, without its [case], or by a unique part of its
    name), and the candidates when the name is ambiguous or unknown."""
    hints = read_hints(lab.suite)
    wanted = _base_name(asked)
    for hint in hints:
        if hint.name.lower() == wanted:
            return hint, []
    partial = [hint for hint in hints if wanted and wanted in hint.name.lower()]
    if len(partial) == 1:
        return partial[0], []
    return None, partial or hints
