"""Lab 12 · the flowers of the iris data set, a page at a time."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from app.api_docs import not_found
from app.flowers import FLOWERS

router = APIRouter(tags=["flowers"])


@router.get("/flowers", summary="List flowers, a page at a time")
def list_flowers(
    species: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict]:
    """List flowers in id order, optionally of one species, a page at a time."""
    chosen = [flower for flower in FLOWERS if species is None or flower["species"] == species]
    return chosen[offset : offset + limit]


@router.get("/flowers/{flower_id}", summary="Read one flower", responses=not_found("flower"))
def read_flower(flower_id: int) -> dict:
    """One flower by its id, or 404 when there is no such flower."""
    for flower in FLOWERS:
        if flower["id"] == flower_id:
            return flower
    raise HTTPException(status_code=404, detail=f"Flower {flower_id} not found")
