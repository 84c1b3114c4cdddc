"""Lab 02 · the shapes of the JSON the Iris API accepts and returns (Pydantic v2 models)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Species = Literal["setosa", "versicolor", "virginica"]


class Measurement(BaseModel):
    """The four measurements of one flower, in centimetres."""

    # TODO: four float fields, each greater than 0 and at most 10 (centimetres):
    #       sepal_length, sepal_width, petal_length, petal_width.
    # TODO: a model_validator (mode="after") that rejects a petal_length that is not
    #       shorter than the sepal_length.
    pass

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
            ]
        }
    )


class Observer(BaseModel):
    """Who measured the flower. The e-mail address is kept private."""

    # TODO: name (a str of 1 to 100 characters, surrounding spaces stripped, never blank)
    #       and email (a str with text on both sides of one "@", stored in lower case).
    pass


class ObservationIn(BaseModel):
    """What a client sends to record a flower it measured."""

    measurement: Measurement
    observer: Observer
    # TODO: species: an optional Species (default None) that also accepts "Setosa " by
    #       stripping and lower-casing text before it is checked
    #       (a field_validator with mode="before").
    # TODO: notes: an optional str of at most 500 characters (default None).

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


class ObserverOut(BaseModel):
    """The public part of an observer: the name only."""

    name: str


class ObservationOut(BaseModel):
    """What the API returns for an observation: no e-mail address."""

    # TODO: id (int), measurement, observer (an ObserverOut), species and notes.
    pass
