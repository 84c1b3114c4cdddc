"""Query parameters: the `?key=value` part of the URL, with types, defaults and bounds."""

from typing import Annotated

from fastapi import FastAPI, Query

app = FastAPI(title="Query parameters")

PLANETS = [
    {"name": "Mercury", "moons": 0, "rocky": True},
    {"name": "Venus", "moons": 0, "rocky": True},
    {"name": "Earth", "moons": 1, "rocky": True},
    {"name": "Mars", "moons": 2, "rocky": True},
    {"name": "Jupiter", "moons": 95, "rocky": False},
    {"name": "Saturn", "moons": 146, "rocky": False},
    {"name": "Uranus", "moons": 28, "rocky": False},
    {"name": "Neptune", "moons": 16, "rocky": False},
]


@app.get("/planets")
def list_planets(
    rocky: bool | None = None,
    min_moons: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=8)] = 8,
    upper: bool = False,
) -> list[str]:
    """Planet names from the Sun outwards, filtered by the query parameters."""
    names = [
        planet["name"]
        for planet in PLANETS
        if (rocky is None or planet["rocky"] == rocky) and planet["moons"] >= min_moons
    ]
    names = names[:limit]
    return [name.upper() for name in names] if upper else names
