"""Timing a command as a user runs it: the median of a few runs, after a warm-up."""

from __future__ import annotations

import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_time(command: list[str], repeat: int) -> float:
    """Median wall time of a command run from the project's folder, after one untimed
    warm-up run (which fills the disk cache)."""
    subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)
