"""Does a fresh interpreter per grading score what a fork of the warm grader scores?

A system without ``fork`` (native Windows) grades with ``AUTOGRADER_START=spawn``: each
grading child is a new Python that imports the grader, the suite and the submission. This
grades, for each lab asked for, the solution, the starter and every known-bad variant with
both start methods, compares which checks passed, and prints what differs, how many
messages differ (a request id or a time may, from one run to the next) and the time each
method took. The course's tests run the same comparison on labs 01 and 02
(``tests/test_start_method.py``); this covers every lab, in about an hour on 2 cores (lab 12
alone takes about 21 minutes: its 26 submissions are graded twice, with real servers each
time). Run with ``uv run just bench-start`` (``--labs 3 8``, ``--every 2`` for every second
variant). Exits with 1 when a score differs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import processes  # noqa: E402
from autograder.course import find_lab, load_labs  # noqa: E402
from autograder.runner import Grader, Limits  # noqa: E402
from tests.variants import variants_for  # noqa: E402


def grader(lab, method: str) -> Grader:
    """A warm grader of ``lab`` whose children start by ``method``."""
    previous = os.environ.get(processes.START_VARIABLE)
    os.environ[processes.START_VARIABLE] = method
    try:
        return Grader(lab, Limits(check_timeout=lab.check_timeout))
    finally:
        if previous is None:
            os.environ.pop(processes.START_VARIABLE)
        else:
            os.environ[processes.START_VARIABLE] = previous


def outcome(result) -> tuple:
    """What must be equal: whether the submission could be graded, and each check's name
    and whether it passed (so the score). Messages are only counted
    (:func:`message_differences`): they may hold what differs from run to run, such as a
    request id, a time or a temporary folder."""
    return result.problem is None, tuple((r.check.name, r.passed) for r in result.results)


def message_differences(forked, spawned) -> int:
    """How many checks' messages differ between the two gradings."""
    pairs = zip(forked.results, spawned.results, strict=False)
    return sum(one.message != other.message for one, other in pairs)


def first_difference(forked: tuple, spawned: tuple) -> str:
    """One line on where two outcomes part."""
    if forked[0] != spawned[0]:
        return f"graded: fork {forked[0]}, spawn {spawned[0]}"
    for one, other in zip(forked[1], spawned[1], strict=False):
        if one != other:
            return f"{one[0]}: fork {one[1:]!r}, spawn {other[1:]!r}"
    return f"{len(forked[1])} checks by fork, {len(spawned[1])} by spawn"


def compare_lab(lab, every: int, folder: Path) -> tuple[int, list[str], int, float, float]:
    """Grade ``lab``'s cases both ways: (cases, differences, checks whose messages differ,
    fork seconds, spawn seconds)."""
    by = {method: grader(lab, method) for method in processes.START_METHODS}
    cases = [("solution", lab.solution_dir), ("starter", lab.starter_dir)]
    for variant in variants_for(lab)[::every]:
        cases.append((variant.name, variant.build(folder / variant.name)))
    differences = []
    messages = 0
    seconds = dict.fromkeys(by, 0.0)
    for name, submission in cases:
        results = {}
        for method, one in by.items():
            start = time.perf_counter()
            results[method] = one.grade(submission)
            seconds[method] += time.perf_counter() - start
        forked, spawned = outcome(results["fork"]), outcome(results["spawn"])
        if forked != spawned:
            differences.append(f"{name}: {first_difference(forked, spawned)}")
        messages += message_differences(results["fork"], results["spawn"])
    return len(cases), differences, messages, seconds["fork"], seconds["spawn"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", nargs="*", help="lab numbers (default: every lab)")
    parser.add_argument("--every", type=int, default=1, help="grade every Nth variant")
    options = parser.parse_args()
    labs = [find_lab(n) for n in options.labs] if options.labs else load_labs()
    all_cases = all_differences = 0
    for lab in labs:
        with tempfile.TemporaryDirectory() as temporary:
            found = compare_lab(lab, options.every, Path(temporary))
        cases, differences, messages, forked, spawned = found
        all_cases += cases
        all_differences += len(differences)
        print(
            f"lab {lab.number:02d}: {cases - len(differences)}/{cases} graded alike "
            f"({messages} messages differ); "
            f"fork {forked:6.1f} s, spawn {spawned:6.1f} s ({spawned / forked:.1f}x)",
            flush=True,
        )
        for line in differences:
            print(f"    differs: {line}", flush=True)
    print(f"{all_cases - all_differences}/{all_cases} graded alike by fork and by spawn")
    return 1 if all_differences else 0


if __name__ == "__main__":
    sys.exit(main())
