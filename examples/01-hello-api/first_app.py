"""The smallest useful FastAPI app: one route that answers JSON.

Run it with `uv run fastapi dev examples/01-hello-api/first_app.py` and open /docs.
"""

from fastapi import FastAPI

app = FastAPI(title="Planet API")


@app.get("/")
def read_root() -> dict:
    """A dict returned by a route function is sent to the client as a JSON object."""
    return {"planets": 8, "home": "Earth"}
