"""A grading child started as a fresh interpreter (``AUTOGRADER_START=spawn``, what a system
without fork gets) scores exactly what a forked one scores: solution, starter and known-bad
variants of labs 01 and 02 (all of lab 02's, every third of lab 01's 39: each fresh
interpreter pays its imports), same checks passed, same messages."""

from __future__ import annotations

import pytest

from autograder import processes
from autograder.course import find_lab
from autograder.runner import Grader, Limits
from tests.variants import variants_for

LABS = (1, 2)
EVERY_NTH_VARIANT = {1: 3, 2: 1}


def outcome(result) -> tuple:
    checks = tuple((r.check.name, r.passed, r.message) for r in result.results)
    return result.problem, checks


@pytest.fixture(scope="module", params=LABS, ids=lambda number: f"lab{number:02d}")
def graders(request) -> tuple[Grader, Grader]:
    lab = find_lab(request.param)
    made = []
    with pytest.MonkeyPatch.context() as patch:
        for method in ("fork", "spawn"):
            patch.setenv(processes.START_VARIABLE, method)
            made.append(Grader(lab, Limits(check_timeout=lab.check_timeout)))
    forked, spawned = made
    assert (forked.start, spawned.start) == ("fork", "spawn")
    return forked, spawned


def test_spawned_children_grade_like_forked_ones(graders, tmp_path):
    forked, spawned = graders
    lab = forked.lab
    folders = {"solution": lab.solution_dir, "starter": lab.starter_dir}
    for variant in variants_for(lab)[:: EVERY_NTH_VARIANT[lab.number]]:
        folders[variant.name] = variant.build(tmp_path / variant.name)
    different = {}
    for name, folder in folders.items():
        by_fork, by_spawn = outcome(forked.grade(folder)), outcome(spawned.grade(folder))
        if by_fork != by_spawn:
            different[name] = (by_fork, by_spawn)
    assert not different, different


def test_an_unknown_start_method_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(processes.START_VARIABLE, "thread")
    with pytest.raises(processes.StartMethodError, match="use one of fork, spawn"):
        processes.start_method()
