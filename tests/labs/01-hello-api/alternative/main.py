"""Lab 01 · Hello, API: the first routes of the Iris API.

Run it with `fastapi dev main.py` (or `uv run just serve 1`) and open /docs.
"""

from itertools import islice
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Query, status

from api_docs import not_found, serve_docs_offline
from flowers import FLOWERS

app = FastAPI(title="Iris API", version="0.1.0")
serve_docs_offline(app)  # /docs and /redoc work without internet (see api_docs.py)

#: The flowers indexed by their id, for the lookups of GET /flowers/{flower_id}.
FLOWERS_BY_ID = {flower["id"]: flower for flower in FLOWERS}


@app.get("/", tags=["greetings"], summary="Say welcome")
def read_root() -> dict:
    """Greet the caller: the smallest useful route."""
    return {"message": "Hi there, this is the Iris API: try /flowers"}


@app.get("/hello/{name}", tags=["greetings"], summary="Greet someone by name")
def greet_by_name(
    name: Annotated[str, Path(description="who to greet, exactly as written")],
    shout: Annotated[bool, Query(description="true: the whole greeting in capitals")] = False,
) -> dict[str, str]:
    """Say hello to `name`; with `?shout=true` the greeting is in capitals."""
    greeting = "Hello, " + name + "!"
    if shout:
        greeting = greeting.upper()
    return {"message": greeting}


@app.get("/flowers", tags=["flowers"], summary="List flowers, a page at a time")
def list_flowers(
    species: Annotated[str | None, Query(description="keep only this species (exact text)")] = None,
    limit: Annotated[int, Query(ge=1, le=50, description="at most this many flowers")] = 5,
    offset: Annotated[int, Query(ge=0, description="skip this many flowers first")] = 0,
) -> list[dict]:
    """List flowers in id order, optionally of one species, a page at a time."""
    in_order = sorted(FLOWERS, key=lambda flower: flower["id"])
    if species is not None:
        in_order = [flower for flower in in_order if flower["species"] == species]
    return list(islice(in_order, offset, offset + limit))


@app.get(
    "/flowers/{flower_id}",
    tags=["flowers"],
    summary="Read one flower",
    responses=not_found("flower"),
)
def read_flower(flower_id: Annotated[int, Path(description="the flower's id")]) -> dict:
    """One flower by its id, or 404 when there is no such flower."""
    try:
        return FLOWERS_BY_ID[flower_id]
    except KeyError:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND,
            detail=f"There is no flower with id {flower_id}",
        ) from None
