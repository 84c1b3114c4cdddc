"""Command line: ``python -m autograder grade|watch|hint|progress|labs|path|sync``, and for
instructors ``batch|gradescope|classroom|classroom-result|release``.

Exit status of ``grade``: 0 full marks, 1 graded below full marks, 2 usage error (every
command answers a usage error, or a refusal, in one line with status 2).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder.course import UnknownLab, find_lab, load_labs
from autograder.instructor.tooling import DEFAULT_RELEASE_LABS as DEFAULT_LABS

FULL_MARKS, BELOW_FULL, USAGE_ERROR = 0, 1, 2


class UsageError(Exception):
    """A mistake on the command line, reported in one line with exit status 2."""


def _submission(args) -> tuple[Path, bool, str]:
    """The folder to grade, whether it is the student's own lab folder, and, when a handed-in
    folder holds no lab folder, why (the grading then reports that instead of running)."""
    lab = find_lab(args.lab)
    if args.solution and args.submission:
        raise UsageError("give either --solution or --submission, not both")
    if args.solution:
        return lab.solution_dir, False, ""
    folder = Path(args.submission) if args.submission else lab.starter_dir
    if not folder.exists():
        raise UsageError(f"{folder} does not exist")
    if not folder.is_dir():
        raise UsageError(f"{folder} is a file, not a folder: give the lab folder")
    if args.submission:
        from autograder.instructor.finder import find_lab_folder, why_not_found

        found = find_lab_folder(folder, lab)  # the folder itself, a zipped folder, a clone
        if found is None:
            return folder.resolve(), False, why_not_found(folder, lab)
        folder = found
    return folder.resolve(), args.submission is None, ""


def _import_report() -> None:
    """Import what printing the report needs (rich): done while the checks run."""
    import autograder.hidden_checks
    import autograder.report  # noqa: F401


def _check_writable(path: str) -> None:
    """Refuse, before grading, a results file that could not be written afterwards."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    try:
        if target.is_dir():
            raise UsageError(f"--json {path}: that is a folder; give a file name")
        if not parent.is_dir():
            raise UsageError(f"--json {path}: the folder {parent} does not exist")
        writable = os.access(parent, os.W_OK | os.X_OK) and (
            not target.exists() or os.access(target, os.W_OK)
        )
    except OSError as error:
        raise UsageError(f"--json {path}: {error.strerror.lower()}") from None
    if not writable:
        raise UsageError(f"--json {path}: this file cannot be written here")


def _grade_securely_or_refuse(lab, limits):
    """A warm grader; in secure mode, a refusal (exit 2) where the sandbox cannot hold."""
    from autograder.isolation.errors import SecureModeUnavailable
    from autograder.processes import StartMethodError
    from autograder.runner import Grader

    try:
        return Grader(lab, limits)
    except (SecureModeUnavailable, StartMethodError) as error:
        raise UsageError(str(error)) from None


def cmd_grade(args) -> int:
    from autograder.runner import Limits

    lab = find_lab(args.lab)
    folder, is_own_lab, missing = _submission(args)
    if args.json:
        _check_writable(args.json)
    limits = Limits(check_timeout=args.timeout or lab.check_timeout, secure=args.secure)
    waiting = None if args.quiet else _import_report
    grader = _grade_securely_or_refuse(lab, limits)
    result = _not_found(grader, missing) if missing else grader.grade(folder, while_waiting=waiting)
    grader.close()  # in secure mode, every sandbox is gone before the results are written
    if args.json:
        result.write_json(args.json)
    if not args.quiet:
        from autograder.hidden_checks import hidden_checks_in
        from autograder.report import render

        render(
            result,
            title=f"Lab {lab.number:02d} · {lab.title}",
            hidden_not_run=hidden_checks_in(lab.suite),
            lab_number=lab.number,
            verbose=args.verbose,
        )
        for note in result.notes:
            print(f"Note: {note}")
    if is_own_lab:
        from autograder import progress

        progress.record(result)
    return FULL_MARKS if result.full_marks else BELOW_FULL


def _not_found(grader, reason: str):
    """The result for a submission without a lab folder: every check failed, with why."""
    from autograder.results import CheckResult, GradeResult

    result = GradeResult(lab=grader.lab.folder, submission="", problem=reason)
    result.results = [CheckResult(check, False, reason) for check in grader.checks]
    return result


def cmd_watch(args) -> int:
    from autograder.watch import watch

    lab = find_lab(args.lab)
    folder, _, missing = _submission(args)
    if missing:
        raise UsageError(f"{args.submission}: {missing}")
    watch(lab, folder)  # until Ctrl+C, which ends it quietly
    return FULL_MARKS


def cmd_serve(args) -> int:
    from autograder.student_run import serve

    return serve(find_lab(args.lab).starter_dir, args.extra)


def cmd_train(args) -> int:
    from autograder.student_run import train

    return train(find_lab(args.lab).starter_dir, args.extra)


def cmd_progress(args) -> int:
    from autograder import progress

    print(progress.table())
    return FULL_MARKS


def cmd_labs(args) -> int:
    from autograder import progress

    scores = progress.read()
    for lab in load_labs():
        entry = scores.get(lab.folder)
        score = progress.score_text(entry) if entry else ""
        print(f"{lab.number:2d}  {lab.folder:30.30s} {lab.title:36.36s} {score}".rstrip())
    print("\nGrade one with `just lab N`; its handout is labs/NN-slug/README.md.")
    return FULL_MARKS


def cmd_path(args) -> int:
    lab = find_lab(args.lab)
    print(lab.solution_dir if args.solution else lab.starter_dir)
    return FULL_MARKS


def cmd_hint(args) -> int:
    from autograder.student_hints import show_hints

    return show_hints(find_lab(args.lab), args.check)


def build_parser() -> argparse.ArgumentParser:
    from autograder.instructor import commands as instructor

    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def lab_command(name: str, handler, help_text: str, *, submission: bool = True):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("lab", help="lab number (3), slug (model-serving) or folder name")
        if submission:
            command.add_argument("--submission", help="folder to grade (default: labs/NN-slug)")
            command.add_argument("--solution", action="store_true", help="grade the reference")
        command.set_defaults(handler=handler)
        return command

    grade = lab_command("grade", cmd_grade, "grade a submission of one lab")
    grade.add_argument("--json", metavar="FILE", help="also write Gradescope results.json")
    grade.add_argument("--quiet", action="store_true", help="print nothing; use the exit status")
    grade.add_argument("--timeout", type=float, help="seconds one check may run")
    grade.add_argument(
        "--verbose", action="store_true", help="every check in full, passed ones too"
    )
    grade.add_argument(
        "--secure",
        action="store_true",
        help="run the student's code in sandbox processes (official grading)",
    )
    lab_command("watch", cmd_watch, "re-grade on every save")
    for name, handler, text in (
        ("serve", cmd_serve, "run a lab's app with fastapi dev (auto-reload)"),
        ("train", cmd_train, "run a lab's train.py in its folder"),
    ):
        command = lab_command(name, handler, text, submission=False)
        command.add_argument("extra", nargs=argparse.REMAINDER, help="passed on")
    path = lab_command("path", cmd_path, "print a lab's folder", submission=False)
    path.add_argument("--solution", action="store_true", help="the reference solution's folder")
    hint = lab_command("hint", cmd_hint, "hints for a lab, or one check", submission=False)
    hint.add_argument("check", nargs="?", help="a check's name (or a part of it)")
    batch = commands.add_parser(
        "batch",
        help="grade a folder of submissions, securely (instructors; needs root on Linux)",
    )
    batch.add_argument("lab", help="lab number, slug or folder name")
    batch.add_argument("submissions", help="folder with one entry per student")
    batch.add_argument(
        "--out", help="the gradebook CSV to write (default: grades/NN-slug/grades.csv)"
    )
    batch.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers")
    batch.add_argument("--timeout", type=float, help="seconds one check may run")
    batch.add_argument(
        "--regrade", action="store_true", help="grade everyone again, changed or not"
    )
    batch.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    batch.set_defaults(handler=instructor.cmd_batch)
    gradescope = lab_command(
        "gradescope",
        instructor.cmd_gradescope,
        "build a lab's Gradescope autograder zip",
        submission=False,
    )
    gradescope.add_argument("--out", help="zip to write (default build/gradescope/NN-slug.zip)")
    classroom = commands.add_parser("classroom", help="write the GitHub Classroom workflow")
    classroom.add_argument("--lab", action="append", help="grade only these labs (repeatable)")
    classroom.add_argument(
        "--repository", help="OWNER/NAME of the course on GitHub (default: the GitHub origin)"
    )
    classroom.add_argument("--ref", help="the course commit to grade with (default: HEAD)")
    classroom.add_argument(
        "--token-secret",
        default="COURSE_REPOSITORY_TOKEN",
        help="secret holding a token that can read the course repository "
        "(default: COURSE_REPOSITORY_TOKEN)",
    )
    classroom.add_argument(
        "--public-course", action="store_true", help="the course repository is public: no token"
    )
    classroom.add_argument("--out", help="workflow file (default .github/workflows/classroom.yml)")
    classroom.set_defaults(handler=instructor.cmd_classroom)
    result = lab_command(
        "classroom-result",
        instructor.cmd_classroom_result,
        "grade and write the Classroom reporter payload",
    )
    result.add_argument("--github-output", help="file to append result=... to ($GITHUB_OUTPUT)")
    release = commands.add_parser(
        "release", help="write the students' copy of the course, from the last commit"
    )
    release.add_argument("destination", help="a new or empty folder")
    release.add_argument(
        "--labs",
        default=DEFAULT_LABS,
        help=f"labs to release: 2, 1-3 or all (default: {DEFAULT_LABS}; each starter "
        "contains the finished labs before it)",
    )
    release.add_argument(
        "--allow-dirty",
        action="store_true",
        help="release the last commit even if the working tree or labs/ differ from it",
    )
    release.set_defaults(handler=instructor.cmd_release)
    commands.add_parser("progress", help="every lab's latest score").set_defaults(
        handler=cmd_progress
    )
    commands.add_parser("labs", help="list the labs").set_defaults(handler=cmd_labs)
    sync = commands.add_parser("sync", help="regenerate labs/ from solutions/ (instructors)")
    sync.add_argument("--check", action="store_true", help="only report differences")
    sync.add_argument("--force", action="store_true", help="overwrite edited starters too")
    sync.set_defaults(handler=instructor.cmd_sync)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (UnknownLab, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        return BELOW_FULL
