"""Every lab proves itself: the solution gets full marks, the starter gets only its free points,
and every known-bad variant loses exactly the checks of its bug."""

from __future__ import annotations

import pytest

from autograder.course import load_labs
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
def test_starter_gets_only_its_free_points(lab, grader_for):
    result = grader_for(lab.number).grade(lab.starter_dir)
    passed = [r.check.name for r in result.results if r.passed]
    assert result.score == lab.free_points, f"the starter passes {passed}"


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
