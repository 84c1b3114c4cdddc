"""How fast is grading? For each lab, measured in one run:

* floor: a fresh Python importing the lab's own dependencies (what its solution imports,
  plus fastapi's TestClient), and the same plus pytest, the framework the suites are written in;
* grade: ``just solution N`` (uv + just + the grader) on the reference solution;
* re-grade: one re-grade in watch mode (a warm grader forks a fresh child).

The ratios are grade time over each floor. Goals: grade/floor at most 1.25, re-grade under
0.5 s. Run with ``uv run just bench`` (add ``--repeat 5`` for steadier medians).
"""

from __future__ import annotations

import argparse
import ast
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import find_lab, load_labs  # noqa: E402
from autograder.runner import Grader  # noqa: E402
from bench.timing import median_time  # noqa: E402


def third_party_imports(folder: Path) -> list[str]:
    """Top-level modules a lab's solution imports that are not its own files or stdlib (its
    modules and packages, such as labs 11-12's ``app/``; its own tests are left out)."""
    files = [path for path in folder.rglob("*.py") if "tests" not in path.relative_to(folder).parts]
    local = {path.relative_to(folder).parts[0].removesuffix(".py") for path in files}
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
    keep = {
        name
        for name in found
        if name.split(".")[0] not in local and name.split(".")[0] not in sys.stdlib_module_names
    }
    return sorted(keep | {"fastapi.testclient"})


def regrade_time(lab_number: int, repeat: int) -> float:
    lab = find_lab(lab_number)
    grader = Grader(lab)
    grader.grade(lab.solution_dir)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        grader.grade(lab.solution_dir)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement")
    parser.add_argument("labs", nargs="*", help="lab numbers (default: every lab)")
    args = parser.parse_args()
    labs = [find_lab(name) for name in args.labs] if args.labs else load_labs()
    python = sys.executable
    header = (
        f"{'lab':24s} {'floor':>7s} {'+pytest':>8s} {'grade':>7s} "
        f"{'grade/floor':>12s} {'grade/(floor+pytest)':>21s} {'re-grade':>9s}"
    )
    print(f"median of {args.repeat} runs, seconds\n{header}")
    for lab in labs:
        modules = third_party_imports(lab.solution_dir)
        statement = "import " + ", ".join(modules)
        floor = median_time([python, "-c", statement], args.repeat)
        floor_pytest = median_time([python, "-c", statement + ", pytest"], args.repeat)
        grade = median_time(["uv", "run", "just", "solution", str(lab.number)], args.repeat)
        regrade = regrade_time(lab.number, max(args.repeat, 5))
        print(
            f"{lab.folder:24s} {floor:7.2f} {floor_pytest:8.2f} {grade:7.2f} "
            f"{grade / floor:12.2f} {grade / floor_pytest:21.2f} {regrade:9.3f}"
        )


if __name__ == "__main__":
    main()
