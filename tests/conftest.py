"""Fixtures shared by the course's own tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

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


# The known-bad gradings of these labs start real servers and take 20 to 45 s each. Collected
# last (test_labs.py goes lab by lab), they ran at the very end of a parallel run, with one or
# two workers busy and the others done: the last 45 s of a run used 45% of the cores.
# Run first, they leave the end of the run to short tests.
LONGEST_GRADINGS_FIRST = (
    "test_labs.py::test_known_bad_variant_loses_exactly_its_points[12-",
    # attacks that grade all of lab 12 in secure mode, or wait out hung routes
    "test_attacks.py::test_an_attack_earns_only_its_score[links-the-deployed-model",
    "test_attacks.py::test_an_attack_earns_only_its_score[fakes-a-second-worker]",
    "test_attacks.py::test_an_attack_earns_only_its_score[forks-an-idle-second-worker]",
    "test_attacks.py::test_an_attack_earns_only_its_score[hung-routes]",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the longest gradings to the front, keeping the order of everything else."""
    items.sort(key=lambda item: not any(part in item.nodeid for part in LONGEST_GRADINGS_FIRST))


@pytest.fixture(scope="session")
def grader_for() -> Iterator[Callable[..., Grader]]:
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

    yield get
    # The workers of a parallel run may end without running atexit: a grader's folder of
    # test runs (labs 06 and 08) and a sandbox launcher go now.
    for grader in graders.values():
        grader.close()
