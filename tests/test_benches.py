"""The benches run: each script of ``bench/`` imports and reads its options.

The benches measure; they are run by hand (``uv run just bench``, ``bench-serve``, ...) and
never timed here. This only keeps them from breaking unseen when the engine they use moves.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(path for path in (ROOT / "bench").glob("*.py") if "def main" in path.read_text())


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_bench_script_starts_and_explains_its_options(script):
    answer = subprocess.run(
        [sys.executable, str(script), "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert answer.returncode == 0, answer.stderr
    assert "usage:" in answer.stdout
