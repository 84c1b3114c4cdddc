"""An app's error after its answer costs only that request, in both modes.

When an app raises after its answer has begun, uvicorn closes that connection, and with it
any request that came on the same connection meanwhile. In secure mode every request of a
check travels to the student's app over a connection of the harness's own; one kept open for
the next request lost that request in the close, and failed a check the student's code never
broke (seen under load in 5 of 60 gradings of lab 02's unknown-observation variants: "the
app stopped answering"). Each request now gets its own connection, as each in-process
request is on its own; here the close is made certain to hit the next request.
"""

from __future__ import annotations

import textwrap

import pytest

from autograder import sandbox
from autograder.runner import Grader, Limits
from tests.test_engine import SuiteLab

APP = """
import asyncio

from fastapi import FastAPI

app = FastAPI()


@app.get("/ok")
async def ok() -> dict:
    await asyncio.sleep(0.5)  # still answering when the error below closes the connection
    return {"ok": True}


async def answer_then_fail(scope, receive, send):
    # The whole answer, then an error while the connection is still this request's.
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"{}"})
    await asyncio.sleep(0.2)
    raise RuntimeError("after the answer")


app.mount("/answer-then-fail", answer_then_fail)
"""

SUITE = """
from autograder import check


@check(points=1, hint="h")
def test_the_next_request_is_answered(app):
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/answer-then-fail/").status_code == 200
        assert client.get("/ok").json() == {"ok": True}
"""


@pytest.fixture(scope="module", params=["normal", "secure"])
def grader(request, tmp_path_factory) -> Grader:
    if request.param == "secure" and sandbox.unavailable_reason():
        pytest.skip(sandbox.unavailable_reason())
    suite = tmp_path_factory.mktemp("suite") / f"lab97_connections_{request.param}.py"
    suite.write_text(textwrap.dedent(SUITE))
    lab = SuiteLab(number=97, slug="connections", title="connections", suite_file=str(suite))
    return Grader(lab, Limits(check_timeout=20, secure=request.param == "secure"))


def test_an_error_after_the_answer_costs_no_other_request(grader, tmp_path):
    (tmp_path / "main.py").write_text(APP)
    result = grader.grade(tmp_path)
    failed = {r.check.name: r.message for r in result.results if not r.passed}
    assert not result.problem and not failed, result.problem or failed
