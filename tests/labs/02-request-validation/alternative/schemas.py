"""Lab 02 · the shapes of the JSON the Iris API accepts and returns (Pydantic v2 models).

FastAPI reads these models three times: to validate every request body (a bad one is answered
422 before your route runs), to filter every response (fields the response model does not
declare never leave the server), and to write the schemas you see in /docs and /openapi.json.

The rules live in reusable `Annotated` types (`Length`, `PersonName`, `Email`, `TidySpecies`):
each one carries its bounds and its check, so a model only has to name the type of a field.
"""

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

Species = Literal["setosa", "versicolor", "virginica"]


def _tidy_text(raw: object) -> object:
    """Runs on the raw JSON value: text loses its surrounding spaces and its capitals."""
    if isinstance(raw, str):
        return raw.strip().lower()
    return raw  # None, numbers...: left for the type check to accept or refuse


def _check_email(address: str) -> str:
    """Exactly one "@", with at least one character on each side; kept in lower case."""
    if address.count("@") != 1:
        raise ValueError("an e-mail address has exactly one '@'")
    local, domain = address.split("@")
    if not local or not domain:
        raise ValueError("an e-mail address needs text before and after its '@'")
    return address.lower()


#: A length in centimetres: more than 0, at most 10.
Length = Annotated[float, Field(gt=0, le=10, description="centimetres")]
#: A person's name: surrounding spaces removed first, then 1 to 100 characters must remain.
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
#: An e-mail address, checked by `_check_email` and stored in lower case.
Email = Annotated[str, AfterValidator(_check_email)]
#: A species, tidied ("  Setosa " -> "setosa") before the Literal looks at it.
TidySpecies = Annotated[Species | None, BeforeValidator(_tidy_text)]


class Measurement(BaseModel):
    """The four measurements of one flower, in centimetres."""

    sepal_length: Length
    sepal_width: Length
    petal_length: Length
    petal_width: Length

    @model_validator(mode="after")
    def petal_is_shorter_than_sepal(self) -> "Measurement":
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

    name: PersonName
    email: Email


class ObservationIn(BaseModel):
    """What a client sends to record a flower it measured."""

    measurement: Measurement
    observer: Observer
    species: TidySpecies = None
    notes: Annotated[str | None, Field(max_length=500)] = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "measurement": {
                        "sepal_length": 6.3,
                        "sepal_width": 3.3,
                        "petal_length": 6.0,
                        "petal_width": 2.5,
                    },
                    "observer": {"name": "Grace", "email": "grace@example.org"},
                    "species": "virginica",
                    "notes": "Near the pond, after the rain.",
                }
            ]
        }
    )


class ObserverOut(BaseModel):
    """The public part of an observer: the name only."""

    name: str


class ObservationOut(BaseModel):
    """What the API returns for an observation: no e-mail address."""

    id: int
    measurement: Measurement
    observer: ObserverOut
    species: Species | None = None
    notes: str | None = None
