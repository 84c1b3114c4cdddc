"""The instructors' commands of the command line: batch, gradescope, classroom,
classroom-result, release and sync (see :mod:`autograder.cli`)."""

from __future__ import annotations

import os
from pathlib import Path

from autograder.cli import (
    FULL_MARKS,
    UsageError,
    _grade_securely_or_refuse,
    _not_found,
    _submission,
)
from autograder.course import find_lab
from autograder.instructor.tooling import DEFAULT_RELEASE_LABS as DEFAULT_LABS


def cmd_batch(args) -> int:
    from autograder.instructor.privilege import hand_back, secure_grading_problem

    lab = find_lab(args.lab)
    submissions = Path(args.submissions)
    if not submissions.is_dir():
        raise UsageError(f"{submissions} is not a folder of submissions")
    problem = secure_grading_problem()
    if problem:
        raise UsageError(problem)
    from autograder.instructor.batch import feedback_dir_for, grade_class
    from autograder.instructor.class_summary import summary_files
    from autograder.runner import Limits

    out = Path(args.out) if args.out else default_gradebook(lab)
    created = out.resolve()  # the gradebook, or the first of its folders batch will create
    while not created.parent.exists():
        created = created.parent
    limits = Limits(check_timeout=args.timeout or lab.check_timeout, secure=True)
    try:
        run = grade_class(
            lab,
            submissions,
            out,
            jobs=args.jobs,
            limits=limits,
            regrade=args.regrade,
            show_progress=not args.quiet,
        )
    finally:
        hand_back([created, feedback_dir_for(out.resolve()), *summary_files(out.resolve())])
    if not args.quiet:
        from autograder.instructor.feedback import NOT_GRADED, TIMED_OUT

        print(
            f"{len(run.students)} students: {len(run.graded)} graded, "
            f"{len(run.regraded)} re-graded, {len(run.unchanged)} unchanged "
            f"(same files, same checks); {run.full_marks} full marks"
        )
        for status in (NOT_GRADED, TIMED_OUT):
            names = run.with_status(status)
            if names:
                print(f"{status} ({len(names)}): {', '.join(names)}")
        print(f"gradebook: {run.gradebook}\nfeedback:  {run.feedback}/\nsummary:   {run.summary}")
    return FULL_MARKS


def default_gradebook(lab) -> Path:
    """``grades/NN-slug/grades.csv`` in the course folder (git-ignored, never released)."""
    from autograder.course import ROOT

    return ROOT / "grades" / lab.folder / "grades.csv"


def cmd_gradescope(args) -> int:
    from autograder.instructor.committed import GitError, commit_of, uncommitted
    from autograder.instructor.gradescope import build_zip
    from autograder.instructor.release import ReleaseError

    lab = find_lab(args.lab)
    out = Path(args.out or f"build/gradescope/{lab.folder}.zip")
    try:
        path = build_zip(lab, out)
        commit, changes = commit_of()[:12], uncommitted()
    except (GitError, ReleaseError) as error:
        raise UsageError(str(error)) from None
    print(f"wrote {path}, from commit {commit} (committed files only)")
    if changes:
        print(f"note: {len(changes)} uncommitted change(s) are not in it; commit them first")
    return FULL_MARKS


def cmd_classroom(args) -> int:
    from autograder.instructor.classroom import ClassroomError, write_workflow

    labs = [find_lab(name) for name in args.lab] if args.lab else None
    out = {"out": Path(args.out)} if args.out else {}
    secret = None if args.public_course else args.token_secret
    try:
        path = write_workflow(labs, args.repository, args.ref, token_secret=secret, **out)
    except ClassroomError as error:
        raise UsageError(str(error)) from None
    print(f"wrote {path}: commit it to the template repository of the Classroom assignment")
    if secret:
        print(f"it reads the course repository with the secret {secret}: see README.md")
    return FULL_MARKS


def cmd_classroom_result(args) -> int:
    from autograder.instructor import classroom
    from autograder.report import render
    from autograder.runner import Limits

    lab = find_lab(args.lab)
    folder, _, missing = _submission(args)
    limits = Limits(check_timeout=lab.check_timeout, secure=True)
    grader = _grade_securely_or_refuse(lab, limits)
    result = _not_found(grader, missing) if missing else grader.grade(folder)
    grader.close()  # every sandbox is gone before the results are reported
    # a CI log, not a screen: every check in full, as before the report grouped failures
    render(result, title=f"Lab {lab.number:02d} · {lab.title}", lab_number=lab.number, verbose=True)
    line = f"result={classroom.encode(classroom.payload(result))}\n"
    target = args.github_output or os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a") as stream:
            stream.write(line)
    else:
        print(line, end="")
    return FULL_MARKS


def cmd_release(args) -> int:
    from autograder.instructor.committed import GitError
    from autograder.instructor.release import ReleaseError, release

    try:
        made = release(Path(args.destination), labs=args.labs, allow_dirty=args.allow_dirty)
    except (ReleaseError, GitError) as error:
        raise UsageError(str(error)) from None
    default = " (the default: pass --labs 1-3 for more)" if args.labs == DEFAULT_LABS else ""
    print(f"wrote {len(made.files)} files to {made.destination}")
    print(f"{_labs([lab.number for lab in made.labs])}{default}, from commit {made.commit[:12]}")
    print(
        f"left out: solutions, {made.hidden_checks} hidden check(s), known-bad submissions, "
        "the course's own tests, instructor recipes and docs"
    )
    if made.given_away:
        print(
            f"note: the starters contain the finished {_labs(made.given_away)}: "
            f"release after the due date of {_labs(made.given_away)}"
        )
    return FULL_MARKS


def _labs(numbers: list[int]) -> str:
    """``[2]`` -> ``lab 2``; ``[1, 2, 3]`` -> ``labs 1-3``."""
    return f"lab {numbers[0]}" if len(numbers) == 1 else f"labs {numbers[0]}-{numbers[-1]}"


def cmd_sync(args) -> int:
    from autograder.sync import sync

    return sync(check=args.check, force=args.force)
