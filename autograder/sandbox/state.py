"""What every part of secure mode shares: the grading's policy and the error students see."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.isolation.errors import SandboxError, SecureModeUnavailable  # noqa: F401

MAX_REPLY_BYTES = 4 << 20
COPY_PREFIX = "autograder-sandbox-"  # the folders of one grading: <prefix><harness pid>-...
# The empty folder each launcher mounts its sandboxes' new root on (plus its pid).
LAUNCHER_ROOT_PREFIX = "/tmp/autograder-launcher-"
# Unprivileged user ids for student code (no account needed): the base plus the harness's
# pid, so no two running gradings share one. Above the ranges systems hand out (accounts,
# systemd's dynamic users and containers); the span is Linux's largest pid_max.
SANDBOX_UID_BASE = 2_000_000_000
SANDBOX_UID_SPAN = 1 << 22


@dataclass
class Policy:
    """Where and how the student's code runs during one grading."""

    base: Path  # the grading's folder: the copy, the checks' files, sockets, /tmp
    folder: Path  # the private copy of the submission, inside ``base``
    uid: int  # the unprivileged user the student's code runs as
    memory_mb: int = 2048
    max_processes: int = 160  # threads count too: a server has a thread pool
    max_file_mb: int = 64
    max_open_files: int = 1024
    cpu_seconds: int = 300
    timeout: float = 20.0
    # The one folder of ``base`` the sandbox may write in (its in-memory /tmp aside), or
    # None for the whole of ``base``: a run of a student's own tests writes in its service
    # folder only, so that no run leaves a note the next one can read.
    writable: Path | None = None

    def as_request(self) -> dict:
        """The policy as plain data, for the launcher."""
        return {
            "base": str(self.base),
            "folder": str(self.folder),
            "uid": self.uid,
            "memory_mb": self.memory_mb,
            "max_processes": self.max_processes,
            "max_file_mb": self.max_file_mb,
            "max_open_files": self.max_open_files,
            "cpu_seconds": self.cpu_seconds,
            "timeout": self.timeout,
            "writable": None if self.writable is None else str(self.writable),
        }

    @classmethod
    def from_request(cls, request: dict) -> Policy:
        fields = dict(request)
        fields["base"], fields["folder"] = Path(fields["base"]), Path(fields["folder"])
        if fields.get("writable") is not None:
            fields["writable"] = Path(fields["writable"])
        return cls(**fields)


_policy: Policy | None = None


def policy() -> Policy:
    if _policy is None:
        raise RuntimeError("secure mode is not enabled")
    return _policy


def set_policy(value: Policy | None) -> None:
    global _policy
    _policy = value


def sandbox_uid_for(harness_pid: int) -> int:
    """The user id the sandboxes of one grading run as: unique among running gradings."""
    return SANDBOX_UID_BASE + harness_pid % SANDBOX_UID_SPAN  # a pid is below the span
