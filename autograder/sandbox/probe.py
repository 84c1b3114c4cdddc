"""Probes in secure mode: a function of a suite, run in a sandbox where the submission's
modules can be imported.

A check that needs to look at the student's Python objects (a client function, a training
script, a route's endpoint) asks a probe for plain data and makes its decision in the
harness. Here the probe runs in a fresh sandbox and only JSON comes back.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from autograder.isolation.errors import SandboxEndedEarly, SandboxTimedOut
from autograder.sandbox import harness
from autograder.sandbox.state import SandboxError, policy
from autograder.submission import describe_error as describe


def call(probe, *args, timeout: float | None = None, **kwargs) -> Any:
    """Run ``probe(*args, **kwargs)`` in a fresh sandbox, where the student's modules can be
    imported, and return its JSON result.

    ``probe`` is a module-level function of the suite; its result must be JSON data. An
    exception there becomes a :class:`SandboxError` with a short message. (Suites reach this
    through :func:`autograder.isolation.call`, which runs the probe here outside secure mode.)
    """
    limit = timeout or policy().timeout
    read_fd, write_fd = os.pipe()
    try:
        pid = harness.spawn(_run_probe, (probe, args, kwargs), [write_fd])
    finally:
        os.close(write_fd)
    try:
        reply = harness.read_reply(read_fd, time.monotonic() + limit)
    finally:
        os.close(read_fd)
        harness.end(pid)
    if reply is None:
        raise SandboxTimedOut(f"the student's code did not finish within {limit:g} s")
    if not reply:
        raise SandboxEndedEarly("the student's code ended its process before answering")
    try:
        document = json.loads(reply)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python recurses
        raise SandboxError("the sandbox answered something that is not JSON") from None
    if not isinstance(document, dict):
        raise SandboxError("the sandbox answered something that is not a reply")
    if "error" in document:
        raise SandboxError(str(document["error"]))
    return document.get("ok")


def _run_probe(fds: list[int], probe, args, kwargs) -> None:  # pragma: no cover - sandbox
    """In a sandbox: run the probe and reply with its JSON result."""
    try:
        harness.write_reply(fds[0], {"ok": probe(*args, **kwargs)})
    except BaseException as error:  # noqa: BLE001 - anything the student raises
        harness.write_reply(fds[0], {"error": describe(error, policy().folder)})


def import_problem(timeout: float, file: str = "main.py") -> str | None:
    """Import the submission in a sandbox: why it does not import, or None when it does.
    ``file`` is the submission's module that holds the app, named in the messages."""
    try:
        return call(_import_probe, timeout=timeout)
    except SandboxTimedOut:
        return (
            f"importing {file} did not finish within {timeout:g} s "
            "(an endless loop or a long computation at import time?)"
        )
    except SandboxEndedEarly:
        return f"{file} ended the grading process while being imported (sys.exit? a crash?)"
    except SandboxError as error:
        return f"{file}: {error}"


def _import_probe() -> str | None:  # pragma: no cover - runs in a sandbox
    from autograder import submission

    try:
        submission.load(policy().folder)
    except submission.SubmissionError as error:
        return str(error)
    return None
