"""Lab 02 · Request validation: the Iris API records observations sent as JSON.

Run it with `fastapi dev main.py` (or `uv run just serve 2`) and open /docs.
"""

from typing import Annotated

from fastapi import Body, FastAPI, HTTPException, Query, status

from api_docs import UNREADABLE_BODY, not_found, serve_docs_offline
from flowers import FLOWERS
from schemas import ObservationIn, ObservationOut, ObserverOut

app = FastAPI(title="Iris API", version="0.2.0")
serve_docs_offline(app)  # /docs and /redoc work without internet (see api_docs.py)


@app.get("/", tags=["greetings"], summary="Say welcome")
def read_root() -> dict:
    """Greet the caller: the smallest useful route."""
    return {"message": "Welcome to the Iris API"}


@app.get("/hello/{name}", tags=["greetings"], summary="Greet someone by name")
def say_hello(name: str, shout: bool = False) -> dict:
    """Greet someone by name; `?shout=true` greets in capitals."""
    message = f"Hello, {name}!"
    return {"message": message.upper() if shout else message}


@app.get("/flowers", tags=["flowers"], summary="List flowers, a page at a time")
def list_flowers(
    species: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict]:
    """List flowers in id order, optionally of one species, a page at a time."""
    chosen = [flower for flower in FLOWERS if species is None or flower["species"] == species]
    return chosen[offset : offset + limit]


@app.get(
    "/flowers/{flower_id}",
    tags=["flowers"],
    summary="Read one flower",
    responses=not_found("flower"),
)
def read_flower(flower_id: int) -> dict:
    """One flower by its id, or 404 when there is no such flower."""
    for flower in FLOWERS:
        if flower["id"] == flower_id:
            return flower
    raise HTTPException(status_code=404, detail=f"Flower {flower_id} not found")


# Observations live in memory for now: they are lost when the server stops (lab 08 adds a
# database).
observations: dict[int, ObservationOut] = {}


EXAMPLE = {
    "observer": {"name": "Grace", "email": "grace@herbarium.example"},
    "measurement": {
        "sepal_length": 6.3,
        "sepal_width": 2.9,
        "petal_length": 5.6,
        "petal_width": 1.8,
    },
    "species": "virginica",
    "notes": "by the pond",
}


@app.post(
    "/observations",
    status_code=status.HTTP_201_CREATED,
    response_model=ObservationOut,
    tags=["observations"],
    responses=UNREADABLE_BODY,
)
def record_observation(
    body: Annotated[
        ObservationIn,
        Body(openapi_examples={"virginica": {"summary": "A virginica", "value": EXAMPLE}}),
    ],
) -> ObservationOut:
    new_id = max(observations, default=0) + 1
    stored = ObservationOut(
        id=new_id,
        measurement=body.measurement,
        observer=ObserverOut(name=body.observer.name),
        species=body.species,
        notes=body.notes,
    )
    observations[new_id] = stored
    return stored


@app.get(
    "/observations/{observation_id}",
    response_model=ObservationOut,
    tags=["observations"],
    summary="Read one observation",
    responses=not_found("observation"),
)
def read_observation(observation_id: int) -> ObservationOut:
    """One recorded observation, or 404."""
    try:
        return observations[observation_id]
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No observation {observation_id}") from None
