"""How fast are the student's small commands? Measured in one run, as a student types them.

Each command runs through ``uv run just ...`` (what the handouts tell students to type), and
the same command straight through the project's Python, so the part that ``uv`` and ``just``
add is visible. The goal is under 0.5 s for ``just labs``, ``just hint N`` and ``just progress``:
they read course.toml and the last results, and never import pytest, FastAPI or scikit-learn
(``tests/test_student_side.py`` checks the imports). Run with ``uv run just bench-commands``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.timing import median_time  # noqa: E402

GOAL = 0.5
COMMANDS = {
    "labs": ["labs"],
    "hint 3": ["hint", "3"],
    "progress": ["progress"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement")
    args = parser.parse_args()
    print(f"{'command':<14}{'uv run just':>13}{'python -m':>11}   goal < {GOAL} s")
    for name, words in COMMANDS.items():
        through_just = median_time(["uv", "run", "just", *words], args.repeat)
        direct = median_time([sys.executable, "-m", "autograder", *words], args.repeat)
        verdict = "met" if through_just < GOAL else "missed"
        print(f"{name:<14}{through_just:>11.3f} s{direct:>9.3f} s   {verdict}")


if __name__ == "__main__":
    main()
