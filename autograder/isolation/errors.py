"""The errors both isolation modes raise, importable without starting either mode."""

from __future__ import annotations


class SandboxError(AssertionError):
    """The student's code failed where it ran (a probe, an override, a served app); the
    message says how, in words for the student."""


class SandboxTimedOut(SandboxError):
    """The student's code did not answer within its time limit."""


class SandboxEndedEarly(SandboxError):
    """The student's code ended its process before it answered."""


class SecureModeUnavailable(RuntimeError):
    """Secure mode cannot be arranged on this machine; the message says why and what to do."""
