"""Every lab proves itself: the solution gets full marks, the starter gets only its free points
(with a report that fits a screen), and every known-bad variant loses exactly the checks of
its bug."""

from __future__ import annotations

import pytest

from autograder.causes import find_todos
from autograder.course import load_labs
from tests.screen import SCREEN, printed
from tests.variants import variants_for

LABS = load_labs()
VARIANTS = [variant for lab in LABS for variant in variants_for(lab)]


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.folder)
def test_solution_gets_full_marks(lab, grader_for):
    result = grader_for(lab.number, strict_warnings=True).grade(lab.solution_dir)
    failed = {r.check.name: r.message for r in result.results if not r.passed}
    assert not result.problem, result.problem
    assert not failed, failed


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.folder)
def test_starter_gets_only_its_free_points_and_a_report_that_fits_a_screen(lab, grader_for):
    result = grader_for(lab.number).grade(lab.starter_dir)
    passed = [r.check.name for r in result.results if r.passed]
    assert result.score == lab.free_points, f"the starter passes {passed}"
    # What the student sees first: it fits an 80 x 24 terminal and names the first TODO.
    lines = printed(result)
    first = find_todos(lab.starter_dir)[0]
    assert len(lines) <= SCREEN - 2, "\n".join(lines)  # the command line and the next prompt
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    assert f"{first.label} in {first.place}" in lines[-1] + lines[-2], "\n".join(lines)
    assert lines[-3].startswith("Score: 0/") or lines[-2].startswith("Score: 0/")


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.folder)
def test_lab_has_enough_known_bad_variants(lab):
    assert len(variants_for(lab)) >= 3


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: f"{v.lab.folder}:{v.name}")
def test_known_bad_variant_loses_exactly_its_points(variant, grader_for, tmp_path):
    folder = variant.build(tmp_path / variant.lab.folder)
    grader = grader_for(variant.lab.number)
    suite = {check.name for check in grader.checks}
    unknown = (set(variant.fails) | set(variant.graded_on or ())) - suite
    assert not unknown, f"{variant.name} names checks the suite does not have: {unknown}"
    if variant.graded_on is not None:
        assert set(variant.fails) <= set(variant.graded_on), (
            f"{variant.name}: a check of fails is not in graded_on"
        )
    result = grader.grade(folder, only=variant.graded_on)
    failed = {r.check.name for r in result.results if not r.passed}
    assert failed == set(variant.fails), (
        f"{variant.name} ({variant.bug}) should fail exactly {sorted(variant.fails)}; "
        f"it failed {sorted(failed)}. Unexpected: "
        + "; ".join(
            f"{r.check.name}: {r.message}"
            for r in result.results
            if r.passed == (r.check.name in variant.fails)
        )
    )
    lost = sum(r.check.points for r in result.results if r.check.name in variant.fails)
    assert result.score == pytest.approx(result.max_score - lost)
    messages = [r.message for r in result.results if not r.passed]
    assert variant.says in "\n".join(messages), (
        f"{variant.name}: no failure message names the cause ({variant.says!r}): {messages}"
    )
