"""Secure mode: the student's code runs in sandboxes, never beside the checks.

In secure mode (``grade --secure``, batch grading, Gradescope, GitHub Classroom) the process
that runs pytest and the suite (the *harness*) never imports the submission. Instead:

* ``app`` is a :class:`SandboxedApp`, an ASGI app that starts the student's app in a sandbox
  when its lifespan starts and forwards every request to it (:mod:`.proxy`, :mod:`.server`);
* :func:`call` runs a *probe*, a function of the suite, in a fresh sandbox where the
  submission's modules can be imported, and returns its result as JSON (:mod:`.probe`);
* what the app logs there is logged again in the harness (:mod:`.logbridge`).

Sandboxes are forked by a launcher that never saw the grader's environment or arguments
(:mod:`.launcher`), and confined as :mod:`.confine` explains: their own namespaces and file
system view, an unprivileged user, limits. A machine where that cannot be arranged gets a
refusal with the reason (:func:`prepare`), never a silent downgrade.

The engine reaches this package only through :mod:`autograder.isolation` (its ``Sandboxed``
mode). Suites call probes and overrides through ``autograder.isolation`` too; the names
``call``, ``override`` and ``clear_overrides`` are kept here for them, and work in both modes.
"""

from autograder.isolation import call, clear_overrides, override
from autograder.sandbox.harness import (
    copy_into_submission,
    copy_notes,
    enable,
    harness_temporary_folder,
    prepare,
    shut_down,
    spawn,
    unavailable_reason,
)
from autograder.sandbox.probe import import_problem
from autograder.sandbox.proxy import SandboxedApp
from autograder.sandbox.server import KeepServing, SandboxServer
from autograder.sandbox.state import (
    COPY_PREFIX,
    SANDBOX_UID_BASE,
    Policy,
    SandboxError,
    SecureModeUnavailable,
    policy,
)
from autograder.sandbox.workspace import (
    clean_up_after,
    clean_up_stale,
    hand_over,
    live_processes_of,
    share_with_sandbox,
)

# What serving an app in a sandbox imports: the launcher imports it once, before forking.
PRELOAD = (
    "httpx",
    "uvicorn.config",
    "uvicorn.server",
    "uvicorn.lifespan.on",
    "uvicorn.loops.auto",
    "uvicorn.loops.asyncio",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.websockets.auto",
    "autograder.sandbox.probe",
    "autograder.sandbox.server",
    "autograder.held_model",  # the grader's held model, unpickled by lab 09's app
)

__all__ = [
    "COPY_PREFIX",
    "KeepServing",
    "PRELOAD",
    "SANDBOX_UID_BASE",
    "Policy",
    "SandboxError",
    "SandboxServer",
    "SandboxedApp",
    "SecureModeUnavailable",
    "call",
    "clean_up_after",
    "clean_up_stale",
    "clear_overrides",
    "copy_into_submission",
    "copy_notes",
    "enable",
    "hand_over",
    "harness_temporary_folder",
    "import_problem",
    "live_processes_of",
    "override",
    "policy",
    "prepare",
    "share_with_sandbox",
    "shut_down",
    "spawn",
    "unavailable_reason",
]
