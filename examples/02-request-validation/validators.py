"""Rules a type cannot say: ``field_validator`` for one field, ``model_validator`` for several.

A validator that raises ``ValueError`` becomes a 422 error whose ``loc`` names the field (or
the whole model, for a model validator). A validator may also *change* the value: what it
returns is what gets stored.
"""

from datetime import date
from typing import Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field, field_validator, model_validator


class Booking(BaseModel):
    """A hotel booking."""

    guest: str = Field(min_length=1, max_length=60)
    size: Literal["S", "M", "L"]
    check_in: date
    check_out: date

    @field_validator("guest")
    @classmethod
    def guest_is_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("guest must not be blank")
        return value

    @field_validator("size", mode="before")
    @classmethod
    def size_in_capitals(cls, value: object) -> object:
        # mode="before" runs on the raw JSON value, before the Literal check: " m" -> "M".
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def check_out_after_check_in(self) -> "Booking":
        # mode="after" runs once every field is valid, so both dates are real dates here.
        if self.check_out <= self.check_in:
            raise ValueError("check_out must be after check_in")
        return self


app = FastAPI(title="Hotel bookings")


@app.post("/bookings")
def add_booking(booking: Booking) -> Booking:
    """Echo a valid booking back, as the validators left it."""
    return booking
