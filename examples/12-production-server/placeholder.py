"""PLACEHOLDER example of lab 12 (Production server), written by `just new-lab`.

The handout and the deck quote small apps like this one, tested in
tests/examples/test_12_production_server.py. Replace it with the examples this lab teaches from.
"""

from fastapi import FastAPI

app = FastAPI(title="Placeholder example")


@app.get("/")
def read_root() -> dict:
    """A PLACEHOLDER route."""
    return {"lab": 12, "example": "placeholder"}
