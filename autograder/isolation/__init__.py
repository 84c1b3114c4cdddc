"""Where the student's code runs during a grading: chosen once, then used the same way.

Two modes share one interface (:class:`Isolation`):

* :class:`InProcess`: the grading child imports the submission and the checks call it
  directly (what ``just lab N`` does);
* ``Sandboxed`` (secure mode, for official grading): the student's code runs in sandbox
  processes as another user (:mod:`autograder.sandbox`).

The command line picks the mode (``grade --secure``); the warm grader makes the isolation
with :func:`choose` and its grading child makes it current (:func:`activate`). From then on
the plugin, the suites and the runs of the student's own tests use :func:`current`, or the
shortcuts :func:`call`, :func:`override` and :func:`clear_overrides`, and never ask which
mode they are in.
"""

from __future__ import annotations

from typing import Any

from autograder.isolation.base import Isolation
from autograder.isolation.errors import SandboxError, SecureModeUnavailable
from autograder.isolation.in_process import InProcess

_current: Isolation = InProcess()


def choose(*, secure: bool) -> Isolation:
    """A new isolation for one grading: sandboxed when ``secure``, else in-process."""
    if secure:
        from autograder.isolation.sandboxed import Sandboxed

        return Sandboxed()
    return InProcess()


def for_grading(limits) -> Isolation:
    """The isolation a grading with these :class:`~autograder.limits.Limits` asks for."""
    return choose(secure=limits.secure)


def activate(isolation: Isolation) -> None:
    """Make ``isolation`` the one this process uses (in a grading child, before the checks)."""
    global _current
    _current = isolation


def current() -> Isolation:
    """The isolation of this process's grading (in-process when none was chosen)."""
    return _current


def call(probe, *args, timeout: float | None = None, **kwargs) -> Any:
    """Run a probe of a suite where the student's modules can be imported (see
    :meth:`Isolation.call`)."""
    return _current.call(probe, *args, timeout=timeout, **kwargs)


def override(app, dependency: str, replacement) -> None:
    """Replace the student's dependency called ``dependency`` (see :meth:`Isolation.override`)."""
    _current.override(app, dependency, replacement)


def clear_overrides(app) -> None:
    """Undo :func:`override`."""
    _current.clear_overrides(app)


__all__ = [
    "InProcess",
    "Isolation",
    "SandboxError",
    "SecureModeUnavailable",
    "activate",
    "call",
    "choose",
    "clear_overrides",
    "current",
    "for_grading",
    "override",
]
