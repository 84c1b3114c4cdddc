"""A grading child started as a fresh interpreter (``AUTOGRADER_START=spawn``, what a system
without fork gets) scores exactly what a forked one scores: solution, starter and known-bad
variants of labs 01 and 02 (every second of lab 02's, every third of lab 01's: each fresh
interpreter pays its imports), same checks passed, same messages. ``just bench-start``
compares every variant of every lab."""

from __future__ import annotations

import pytest

from autograder import processes
from autograder.course import find_lab
from autograder.runner import Grader, Limits
from tests.variants import variants_for

LABS = (1, 2)
EVERY_NTH_VARIANT = {1: 3, 2: 2}


def _cases() -> list[tuple[int, str]]:
    """(lab, what is graded): the solution, the starter and the chosen variants, each a test
    of its own so that parallel workers share them."""
    cases = []
    for number in LABS:
        variants = variants_for(find_lab(number))[:: EVERY_NTH_VARIANT[number]]
        cases += [(number, name) for name in ("solution", "starter", *(v.name for v in variants))]
    return cases


def outcome(result) -> tuple:
    checks = tuple((r.check.name, r.passed, r.message) for r in result.results)
    return result.problem, checks


@pytest.fixture(scope="session")
def graders_for():
    """``graders_for(lab) -> (forked, spawned)``: the two graders of a lab, made once."""
    made: dict[int, tuple[Grader, Grader]] = {}

    def get(number: int) -> tuple[Grader, Grader]:
        if number not in made:
            lab = find_lab(number)
            pair = []
            with pytest.MonkeyPatch.context() as patch:
                for method in ("fork", "spawn"):
                    patch.setenv(processes.START_VARIABLE, method)
                    pair.append(Grader(lab, Limits(check_timeout=lab.check_timeout)))
            assert (pair[0].start, pair[1].start) == ("fork", "spawn")
            made[number] = (pair[0], pair[1])
        return made[number]

    return get


CASES = _cases()


@pytest.mark.parametrize(
    ("number", "name"), CASES, ids=[f"lab{number:02d}-{name}" for number, name in CASES]
)
def test_spawned_children_grade_like_forked_ones(graders_for, number, name, tmp_path):
    forked, spawned = graders_for(number)
    lab = forked.lab
    if name in ("solution", "starter"):
        folder = lab.solution_dir if name == "solution" else lab.starter_dir
    else:
        (variant,) = [v for v in variants_for(lab) if v.name == name]
        folder = variant.build(tmp_path / name)
    by_fork, by_spawn = outcome(forked.grade(folder)), outcome(spawned.grade(folder))
    assert by_fork == by_spawn


def test_an_unknown_start_method_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(processes.START_VARIABLE, "thread")
    with pytest.raises(processes.StartMethodError, match="use one of fork, spawn"):
        processes.start_method()
