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
    # BEGIN SOLUTION
    #: # TODO 1: return a dict with a "message" key holding any greeting you like.
    #: #         FastAPI turns the dict into a JSON object.
    #: raise NotImplementedError
    return {"message": "Welcome to the Iris API"}
    # END SOLUTION


# BEGIN SOLUTION
#: # TODO 2: add the route GET /hello/{name}. Its function takes the path parameter `name`
#: #         (str) and the query parameter `shout` (bool, default False), and returns
#: #         {"message": "Hello, <name>!"}, all in capitals when shout is true.
@app.get("/hello/{name}", tags=["greetings"], summary="Greet someone by name")
def say_hello(name: str, shout: bool = False) -> dict:
    """Greet someone by name; `?shout=true` greets in capitals."""
    message = f"Hello, {name}!"
    return {"message": message.upper() if shout else message}


# END SOLUTION


@app.get("/flowers", tags=["flowers"], summary="List flowers, a page at a time")
def list_flowers(
    # BEGIN SOLUTION
    #: # TODO 3: declare three query parameters: species (str or None, default None),
    #: #         limit (int from 1 to 50, default 5) and offset (int, at least 0, default 0).
    #: #         Put the bounds in Annotated[int, Query(...)].
    species: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
    offset: Annotated[int, Query(ge=0)] = 0,
    # END SOLUTION
) -> list[dict]:
    """List flowers in id order, optionally of one species, a page at a time."""
    # BEGIN SOLUTION
    #: # TODO 4: keep only the flowers of `species` when it is given, then skip `offset`
    #: #         flowers and return at most `limit` of them.
    #: raise NotImplementedError
    chosen = [flower for flower in FLOWERS if species is None or flower["species"] == species]
    return chosen[offset : offset + limit]
    # END SOLUTION


@app.get(
    "/flowers/{flower_id}",
    tags=["flowers"],
    summary="Read one flower",
    responses=not_found("flower"),
)
def read_flower(flower_id: int) -> dict:
    """One flower by its id, or 404 when there is no such flower."""
    # BEGIN SOLUTION
    #: # TODO 5: return the flower whose "id" is flower_id;
    #: #         raise HTTPException(status_code=404, detail=...) when there is none.
    #: raise NotImplementedError
    for flower in FLOWERS:
        if flower["id"] == flower_id:
            return flower
    raise HTTPException(status_code=404, detail=f"Flower {flower_id} not found")
    # END SOLUTION
