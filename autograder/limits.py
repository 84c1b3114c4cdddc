"""What one grading may use: time per check, time to import, memory, warnings, the mode."""

from __future__ import annotations

from dataclasses import dataclass

IMPORT_TIMEOUT = 30.0
MEMORY_LIMIT_MB = 2048
# Once a check of a grading has timed out, the next ones get less time: a hung app must not
# cost the full limit for every check. A check still gets three times the slowest check that
# finished in this grading, and never less than this.
AFTER_A_HANG_SECONDS = 2.0
# The app's start-up (and a sandbox's answer) may take this share of a check's time limit:
# a start-up that hangs then fails its check with that reason, before the check times out.
START_SHARE = 0.8


@dataclass
class Limits:
    """What one grading child may use."""

    check_timeout: float = 10.0
    import_timeout: float = IMPORT_TIMEOUT
    memory_mb: int = MEMORY_LIMIT_MB
    strict_warnings: bool = False
    secure: bool = False  # student code in sandbox processes (see autograder.isolation)

    @property
    def start_timeout(self) -> float:
        """Seconds the app's start-up may take before its check fails with that reason."""
        return START_SHARE * self.check_timeout
