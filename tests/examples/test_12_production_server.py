"""The examples of lab 12 (examples/12-production-server/) do what the handout and slides say.

PLACEHOLDER tests written by `just new-lab`: test each example the lab quotes.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from autograder.course import find_lab
from tests.example_apps import load_example

EXAMPLES = find_lab(12).examples_dir


def test_placeholder_example_answers_at_the_root():
    client = TestClient(load_example(EXAMPLES / "placeholder.py").app)
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"lab": 12, "example": "placeholder"}
