"""A batch route with a bounded size: 1 to 50 readings in one request, answers in order.

Run it with ``uv run fastapi dev examples/03-model-serving/batch_limits.py``.
"""

from fastapi import FastAPI
from pydantic import BaseModel, Field

MAX_READINGS = 50


class Reading(BaseModel):
    """One temperature, no colder than absolute zero."""

    celsius: float = Field(ge=-273.15, le=1000)


class ReadingBatch(BaseModel):
    """At least one reading and at most MAX_READINGS: an empty or a huge batch is a 422."""

    items: list[Reading] = Field(min_length=1, max_length=MAX_READINGS)


app = FastAPI(title="Batch conversion")


@app.post("/fahrenheit/batch")
def to_fahrenheit(batch: ReadingBatch) -> dict:
    """One answer per reading, in the order the readings came."""
    return {"fahrenheit": [round(item.celsius * 9 / 5 + 32, 2) for item in batch.items]}
