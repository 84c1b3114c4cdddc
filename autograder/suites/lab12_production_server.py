"""Lab 12 · Production server: the checks. PLACEHOLDER suite written by `just new-lab`.

Every check here is a PLACEHOLDER: it checks the placeholder route of the scaffold's main.py,
so that the course's own tests run from the first commit (the solution gets full marks, the
starter scores 0). Replace them with checks of this lab's contract (CONTRIBUTING.md,
"Checks"; the helpers of ``autograder/suites/support.py``), then remove ``draft = true`` from
the lab's entry in course.toml.
"""

from __future__ import annotations

import pytest

from autograder import check
from autograder.suites import support

PLACEHOLDER_CHECKS = 10  # the smallest number of checks a suite of the course holds
EXPECTED = {"lab": 12, "status": "draft"}


@check(
    points=1,
    hint="PLACEHOLDER hint: GET /draft answers the lab's number and its status. Handout: the "
    'contract, "Routes".',
    more='PLACEHOLDER fuller hint: return {"lab": 12, "status": "draft"} from GET /draft.',
)
@pytest.mark.parametrize("number", range(1, PLACEHOLDER_CHECKS + 1), ids=str)
def test_placeholder_check(client, number):
    """PLACEHOLDER check: GET /draft answers 200 with {"lab": 12, "status": "draft"}."""
    response = client.get("/draft")
    support.expect_status(response, 200, "GET /draft")
    body = support.json_or_fail(response, "GET /draft")
    assert body == EXPECTED, f"GET /draft answered {body!r}; expected {EXPECTED!r}"
