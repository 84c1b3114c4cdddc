"""Lab 02 · the shapes of the JSON the Iris API accepts and returns (Pydantic v2 models).

FastAPI reads these models three times: to validate every request body (a bad one is answered
422 before your route runs), to filter every response (fields the response model does not
declare never leave the server), and to write the schemas you see in /docs and /openapi.json.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Species = Literal["setosa", "versicolor", "virginica"]


class Measurement(BaseModel):
    """The four measurements of one flower, in centimetres."""

    petal_width: float = Field(gt=0, le=10, description="cm")
    petal_length: float = Field(gt=0, le=10, description="cm")
    sepal_width: float = Field(gt=0, le=10, description="cm")
    sepal_length: float = Field(gt=0, le=10, description="cm")

    @model_validator(mode="after")
    def petal_is_shorter(self) -> "Measurement":
        if not self.petal_length < self.sepal_length:
            raise ValueError(
                f"petal_length ({self.petal_length}) must be shorter than "
                f"sepal_length ({self.sepal_length})"
            )
        return self

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
            ]
        }
    )


class Observer(BaseModel):
    """Who measured the flower. The e-mail address is kept private."""

    model_config = ConfigDict(str_strip_whitespace=True)

    email: str
    name: str = Field(min_length=1, max_length=100)

    @field_validator("email")
    @classmethod
    def one_at_sign(cls, value: str) -> str:
        parts = value.split("@")
        if len(parts) != 2 or not all(parts):
            raise ValueError("email needs exactly one @ with text on both sides")
        return value.lower()


class ObservationIn(BaseModel):
    """What a client sends to record a flower it measured."""

    measurement: Measurement
    observer: Observer
    notes: str | None = Field(default=None, max_length=500)
    species: Species | None = None

    @field_validator("species", mode="before")
    @classmethod
    def tidy_species(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().lower()
        return value


class ObserverOut(BaseModel):
    """The public part of an observer: the name only."""

    name: str


class ObservationOut(BaseModel):
    """What the API returns for an observation: no e-mail address."""

    observer: ObserverOut
    id: int
    notes: str | None = None
    species: Species | None = None
    measurement: Measurement
