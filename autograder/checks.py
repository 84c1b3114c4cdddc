"""Declaring checks: the ``@check(points=..., hint=...)`` decorator used by every suite."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

MARKER = "check"


def check(
    *, points: float, hint: str, more: str = "", name: str | None = None, hidden: bool = False
):
    """Mark a pytest test function as a graded check.

    ``points`` is what the check is worth, ``hint`` is the nudge shown to the student when
    it fails (the idea to look at and the handout section, never the line to write),
    ``more`` the fuller hint a student asks for with ``just hint N "check name"``, ``name``
    overrides the behaviour name derived from the function name, and ``hidden`` keeps the
    check out of the student release (it is reported only to instructors).
    """
    if points < 0:
        raise ValueError("a check cannot be worth negative points")
    if not hint or not hint.strip():
        raise ValueError("every check needs a hint for the student")
    return pytest.mark.check(
        points=points, hint=hint.strip(), more=more.strip(), name=name, hidden=hidden
    )


@dataclass(frozen=True)
class CheckInfo:
    """What a student is told about one check, read from a collected pytest item."""

    nodeid: str
    name: str
    description: str
    points: float
    hint: str
    hidden: bool = False

    def as_dict(self) -> dict:
        return {
            "nodeid": self.nodeid,
            "name": self.name,
            "description": self.description,
            "points": self.points,
            "hint": self.hint,
            "hidden": self.hidden,
        }


def behaviour_name(function_name: str) -> str:
    """Turn ``test_root_returns_a_greeting`` into ``root returns a greeting``."""
    return function_name.removeprefix("test_").replace("_", " ").strip()


def info_for(item: pytest.Item) -> CheckInfo:
    """Read the check declared on a collected item; fail loudly when it has none."""
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        raise pytest.UsageError(
            f"{item.nodeid} is not a graded check: decorate it with @check(points=..., hint=...)"
        )
    function = getattr(item, "function", None)
    doc = " ".join((getattr(function, "__doc__", None) or "").split())
    callspec = getattr(item, "callspec", None)
    param_id = callspec.id if callspec is not None else None
    base = marker.kwargs.get("name") or behaviour_name(getattr(item, "originalname", item.name))
    name = f"{base} [{param_id}]" if param_id else base
    return CheckInfo(
        nodeid=item.nodeid,
        name=name,
        description=doc,
        points=float(marker.kwargs["points"]),
        hint=marker.kwargs["hint"],
        hidden=bool(marker.kwargs.get("hidden", False)),
    )
