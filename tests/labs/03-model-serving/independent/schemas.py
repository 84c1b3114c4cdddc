"""Lab 03 · the shapes of the JSON the Iris API accepts and returns (Pydantic v2 models)."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Species = Literal["setosa", "versicolor", "virginica"]


class Measurement(BaseModel):
    """The four measurements of one flower, in centimetres."""

    sepal_length: float = Field(gt=0, le=10, description="sepal length in cm")
    sepal_width: float = Field(gt=0, le=10, description="sepal width in cm")
    petal_length: float = Field(gt=0, le=10, description="petal length in cm")
    petal_width: float = Field(gt=0, le=10, description="petal width in cm")

    @model_validator(mode="after")
    def petal_shorter_than_sepal(self) -> "Measurement":
        if self.petal_length >= self.sepal_length:
            raise ValueError("petal_length must be shorter than sepal_length")
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


class ObservationIn(BaseModel):
    """What a client sends to record a flower it measured."""

    measurement: Measurement
    observer: Observer
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


MAX_BATCH_SIZE = 100


class BatchRequest(BaseModel):
    """Several flowers to classify in one request (1 to MAX_BATCH_SIZE of them)."""

    items: Annotated[list[Measurement], Field(min_length=1, max_length=MAX_BATCH_SIZE)]


class Prediction(BaseModel):
    """The predicted species and the probability of every species (they sum to 1)."""

    species: Species
    probabilities: dict[str, float]


class PredictionOut(Prediction):
    """One prediction and the version of the model that made it."""

    model_version: str


class BatchPredictionOut(BaseModel):
    """One prediction per item, in the order of the request."""

    predictions: list[Prediction]
    model_version: str


class ModelInfo(BaseModel):
    """What the loaded model says about itself (its metadata file)."""

    version: str
    classes: list[str]
    features: list[str]
    metrics: dict[str, float]
