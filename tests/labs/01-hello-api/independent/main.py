"""Lab 01 · Hello, API: the first routes of the Iris API.

Run it with `fastapi dev main.py` (or `uv run just serve 1`) and open /docs.
"""

from typing import Annotated

from fastapi import FastAPI, HTTPException, Query

from api_docs import not_found, serve_docs_offline
from flowers import FLOWERS

app = FastAPI(title="Iris API", version="0.1.0")
serve_docs_offline(app)  # /docs and /redoc work without internet (see api_docs.py)


@app.get("/", tags=["greetings"], summary="Say welcome")
def read_root() -> dict:
    """Greet the caller: the smallest useful route."""
    return {"message": "Welcome to the Iris API"}


@app.get("/hello/{name}", tags=["greetings"], summary="Greet someone")
def say_hello(name: str, shout: Annotated[bool, Query()] = False) -> dict[str, str]:
    """Greet by name."""
    text = "Hello, " + name + "!"
    return {"message": text.upper() if shout else text}


@app.get("/flowers", tags=["flowers"], summary="List flowers, a page at a time")
def list_flowers(
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(gt=0, lt=51)] = 5,
    species: Annotated[str | None, Query()] = None,
) -> list[dict]:
    """List flowers in id order, optionally of one species, a page at a time."""
    selected = sorted(FLOWERS, key=lambda f: f["id"])
    if species is not None:
        selected = [f for f in selected if f["species"] == species]
    page = []
    for index, flower in enumerate(selected):
        if index >= offset and len(page) < limit:
            page.append(dict(flower))
    return page


@app.get(
    "/flowers/{flower_id}",
    tags=["flowers"],
    summary="Read one flower",
    responses=not_found("flower"),
)
def read_flower(flower_id: int) -> dict:
    """One flower by its id, or 404 when there is no such flower."""
    by_id = {f["id"]: f for f in FLOWERS}
    if flower_id not in by_id:
        raise HTTPException(404, detail=f"There is no flower number {flower_id}")
    return by_id[flower_id]
