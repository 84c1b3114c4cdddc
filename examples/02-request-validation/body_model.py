"""A JSON body described by Pydantic models: Field bounds, a Literal and a nested model.

FastAPI validates the body against ``Reading`` before the route runs: a reading that breaks a
rule never reaches ``add_reading``; the client gets 422 and a list of what is wrong.

Run it with ``uv run fastapi dev examples/02-request-validation/body_model.py``.
"""

from typing import Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field


class Place(BaseModel):
    """Where the thermometer hangs."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class Reading(BaseModel):
    """One temperature reading sent by a weather station."""

    celsius: float = Field(gt=-273.15, le=100, description="degrees Celsius")
    sensor: Literal["indoor", "outdoor"]
    place: Place
    comment: str | None = Field(default=None, max_length=80)


app = FastAPI(title="Weather readings")


@app.post("/readings")
def add_reading(reading: Reading) -> Reading:
    """Echo a valid reading back; FastAPI has already checked every rule."""
    return reading
