"""Fixtures shared by the course's own tests."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from autograder.course import find_lab
from autograder.runner import Grader, Limits


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers per core, at most four more than the cores.

    Most tests wait: on a grading child, a real server starting, a stream's pauses. On
    2 cores, 2 workers left the cores idle a third of the time (1418 s for the whole run);
    4 workers ran it in 940 s, every test passing.
    """
    cores = os.cpu_count() or 1
    return min(2 * cores, cores + 4)


@pytest.fixture(scope="session")
def grader_for() -> Callable[..., Grader]:
    """``grader_for(lab_number, **limits) -> Grader``: one warm grader per lab and limits.

    The first call for a lab pays its imports and collection; every grading after that
    costs one fork. Keyword arguments override fields of :class:`~autograder.runner.Limits`
    (``check_timeout`` defaults to the lab's own).
    """
    graders: dict[tuple, Grader] = {}

    def get(lab_number: int, **limits) -> Grader:
        key = (lab_number, tuple(sorted(limits.items())))
        if key not in graders:
            lab = find_lab(lab_number)
            limits.setdefault("check_timeout", lab.check_timeout)
            graders[key] = Grader(lab, Limits(**limits))
        return graders[key]

    return get
