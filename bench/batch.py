"""Batch grading against one fresh process per submission, measured in one run.

A class is generated (solutions, starters and known-bad variants, round robin), then graded
twice with the same number of parallel jobs and the same limits:

* batch: ``python -m autograder batch`` (a warm grader forked into workers, a fresh child
  per submission);
* fresh: one ``python -m autograder grade --submission … --json …`` process per submission,
  ``--jobs`` of them at a time (every one pays the imports again).

Both grade securely (student code as another user), as batch always does, so the bench needs
root on Linux, like batch itself. It prints both wall times and the speed-up, and checks
that both gave every student the same score. Run with
``sudo .venv/bin/python bench/batch.py`` (options: ``--lab``, ``--students``, ``--jobs``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import find_lab  # noqa: E402
from autograder.instructor.privilege import secure_grading_problem  # noqa: E402
from tests.variants import variants_for  # noqa: E402


def make_class(lab, folder: Path, students: int) -> None:
    """``students`` lab folders: the solution, the starter and each known-bad variant in turn."""
    import shutil

    sources = ["solution", "starter", *variants_for(lab)]
    for number in range(students):
        source = sources[number % len(sources)]
        target = folder / f"student-{number:03d}"
        if source == "solution":
            shutil.copytree(lab.solution_dir, target)
        elif source == "starter":
            shutil.copytree(lab.starter_dir, target)
        else:
            source.build(target)


def run_batch(lab, folder: Path, out: Path, jobs: int) -> float:
    command = [sys.executable, "-m", "autograder", "batch", str(lab.number), str(folder)]
    command += ["--out", str(out), "--jobs", str(jobs), "--quiet"]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True)
    return time.perf_counter() - start


def run_fresh(lab, folder: Path, out: Path, jobs: int) -> float:
    out.mkdir()

    def grade(student: Path) -> None:
        command = [sys.executable, "-m", "autograder", "grade", str(lab.number), "--quiet"]
        command += ["--submission", str(student), "--json", str(out / f"{student.name}.json")]
        command += ["--secure"]
        subprocess.run(command, cwd=ROOT, check=False)

    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(grade, sorted(folder.iterdir())))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="2", help="the lab whose suite grades the class")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    lab = find_lab(args.lab)
    problem = secure_grading_problem()
    if problem:
        sys.exit(f"error: {problem.replace('-m autograder batch LAB DIR', 'bench/batch.py')}")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        make_class(lab, work / "class", args.students)
        batch = run_batch(lab, work / "class", work / "grades.csv", args.jobs)
        fresh = run_fresh(lab, work / "class", work / "fresh", args.jobs)
        batch_scores = {
            path.stem: json.loads(path.read_text())["score"]
            for path in (work / "grades-feedback").glob("*.json")
        }
        fresh_scores = {
            path.stem: json.loads(path.read_text())["score"]
            for path in (work / "fresh").glob("*.json")
        }
    print(f"lab {lab.folder}, {args.students} students, {args.jobs} jobs, secure")
    print(f"batch (warm workers, fresh child each): {batch:7.1f} s")
    print(f"one fresh process per submission:       {fresh:7.1f} s")
    print(f"speed-up: {fresh / batch:.1f}x")
    same = batch_scores == fresh_scores and len(batch_scores) == args.students
    print("same scores both ways:", "yes" if same else f"NO: {batch_scores} vs {fresh_scores}")


if __name__ == "__main__":
    main()
