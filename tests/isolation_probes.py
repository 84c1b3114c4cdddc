"""An override and a probe for tests/test_isolation.py's suite.

They live in an importable module of the course (not in the suite, which the test writes to
a temporary folder) because a sandbox imports them by name, as it does a real suite's.
"""

from __future__ import annotations


def polite() -> str:
    """Replaces the student's ``get_greeting`` dependency."""
    return "good morning"


def route_paths() -> list[str]:
    """A probe: the paths of the student's app, as its OpenAPI document lists them."""
    import main

    return sorted(main.app.openapi()["paths"])


def already_imported(names: list[str]) -> list[str]:
    """A probe: which of the modules ``names`` the process it runs in has imported already."""
    import sys

    return [name for name in names if name in sys.modules]
