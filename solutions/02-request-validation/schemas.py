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

    # BEGIN SOLUTION
    #: # TODO 1: four float fields, each greater than 0 and at most 10 (centimetres):
    #: #         sepal_length, sepal_width, petal_length, petal_width. Use Field(...).
    #: # TODO 2: a model_validator (mode="after") that rejects a petal_length that is not
    #: #         shorter than the sepal_length (raise ValueError: FastAPI answers 422).
    #: pass
    sepal_length: float = Field(gt=0, le=10, description="sepal length in cm")
    sepal_width: float = Field(gt=0, le=10, description="sepal width in cm")
    petal_length: float = Field(gt=0, le=10, description="petal length in cm")
    petal_width: float = Field(gt=0, le=10, description="petal width in cm")

    @model_validator(mode="after")
    def petal_shorter_than_sepal(self) -> "Measurement":
        if self.petal_length >= self.sepal_length:
            raise ValueError("petal_length must be shorter than sepal_length")
        return self

    # END SOLUTION

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
            ]
        }
    )


class Observer(BaseModel):
    """Who measured the flower. The e-mail address is kept private."""

    # BEGIN SOLUTION
    #: # TODO 3: name: a str of 1 to 100 characters, surrounding spaces stripped, never blank;
    #: #         email: a str with text on both sides of exactly one "@", stored in lower case.
    #: #         Use Field(...) for the length and a field_validator for each rule.
    #: pass
    name: str = Field(min_length=1, max_length=100)
    email: str

    @field_validator("name")
    @classmethod
    def name_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("name must not be blank")
        return value

    @field_validator("email")
    @classmethod
    def email_looks_valid(cls, value: str) -> str:
        local, at, domain = value.strip().partition("@")
        if not at or not local or not domain or "@" in domain:
            raise ValueError("email must look like name@example.org")
        return value.strip().lower()

    # END SOLUTION


class ObservationIn(BaseModel):
    """What a client sends to record a flower it measured."""

    measurement: Measurement
    observer: Observer
    # BEGIN SOLUTION
    #: # TODO 4: species: an optional Species (default None) that also accepts "Setosa " by
    #: #         stripping and lower-casing text before it is checked
    #: #         (a field_validator with mode="before").
    #: #         notes: an optional str of at most 500 characters (default None).
    #: # TODO 5: a model_config with an example body (like Measurement's above), so /docs
    #: #         shows a ready-to-send observation.
    species: Species | None = None
    notes: str | None = Field(default=None, max_length=500)

    @field_validator("species", mode="before")
    @classmethod
    def normalise_species(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "measurement": {
                        "sepal_length": 5.1,
                        "sepal_width": 3.5,
                        "petal_length": 1.4,
                        "petal_width": 0.2,
                    },
                    "observer": {"name": "Ada", "email": "ada@example.org"},
                    "species": "setosa",
                    "notes": "by the river",
                }
            ]
        }
    )
    # END SOLUTION


class ObserverOut(BaseModel):
    """The public part of an observer: the name only."""

    name: str


class ObservationOut(BaseModel):
    """What the API returns for an observation: no e-mail address."""

    # BEGIN SOLUTION
    #: # TODO 6: id (int), measurement (a Measurement), observer (an ObserverOut), species
    #: #         (an optional Species) and notes (an optional str), both defaulting to None.
    #: pass
    id: int
    measurement: Measurement
    observer: ObserverOut
    species: Species | None = None
    notes: str | None = None
    # END SOLUTION
