"""Lab 01 · Hello, API: the first routes of the Iris API.

Run it with `fastapi dev main.py` (or `uv run just serve 1`) and open /docs.
"""

from typing import Annotated

from fastapi import FastAPI, HTTPException, Query

from flowers import FLOWERS

app = FastAPI(title="Iris API", version="0.1.0")


@app.get("/")
def read_root() -> dict:
    """Greet the caller: the smallest useful route."""
    # TODO: return a JSON object with a "message" key holding any greeting.
    raise NotImplementedError


# TODO: add GET /hello/{name} with a query parameter `shout` (bool, default False).
#       It returns {"message": "Hello, <name>!"}, all in capitals when shout is true.


@app.get("/flowers")
def list_flowers(
    species: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict]:
    """List flowers in id order, optionally of one species, a page at a time."""
    # TODO: keep only the flowers of `species` when it is given, then skip `offset`
    #       flowers and return at most `limit` of them.
    raise NotImplementedError


@app.get("/flowers/{flower_id}")
def read_flower(flower_id: int) -> dict:
    """One flower by its id, or 404 when there is no such flower."""
    # TODO: return the flower whose "id" is flower_id; raise HTTPException(404) if none.
    raise NotImplementedError
