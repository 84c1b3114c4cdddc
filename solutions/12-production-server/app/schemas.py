"""Lab 12 · the shapes of the JSON the Iris API accepts and returns (Pydantic v2 models)."""

from typing import Literal

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

    items: list[Measurement] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class Prediction(BaseModel):
    """The predicted species and the probability of every species (they sum to 1)."""

    species: Species
    probabilities: dict[str, float]


class PredictionOut(Prediction):
    """One prediction, the version of the model that made it, and its id in the log."""

    model_version: str
    prediction_id: int


class LoggedPrediction(Prediction):
    """One prediction of a batch, and its id in the log."""

    prediction_id: int


class BatchPredictionOut(BaseModel):
    """One prediction per item, in the order of the request."""

    predictions: list[LoggedPrediction]
    model_version: str


class ClassProbability(BaseModel):
    """Lab 11: one species and how probable the model finds it."""

    species: Species
    probability: float


class PredictionOutV2(BaseModel):
    """Lab 11: version 2 of one prediction: the species, then the ``k`` most probable
    species, most probable first, instead of a dictionary of every probability."""

    species: Species
    top_classes: list[ClassProbability]
    model_version: str
    prediction_id: int


class ModelInfo(BaseModel):
    """What the loaded model says about itself (its metadata file)."""

    version: str
    classes: list[str]
    features: list[str]
    metrics: dict[str, float]


class FieldProblem(BaseModel):
    """One bad value of a request: where it is and what is wrong with it."""

    field: str = Field(description='dotted path of the value, e.g. "measurement.petal_length"')
    problem: str = Field(description="what is wrong, in plain words")


class ErrorDetail(BaseModel):
    """What went wrong: a code for programs, a message for people, the id of the request."""

    code: str = Field(description='machine-readable, e.g. "not_found" or "model_unavailable"')
    message: str
    request_id: str
    fields: list[FieldProblem] | None = Field(default=None, description="422 only")


class ErrorOut(BaseModel):
    """The body of every 4xx and 5xx answer of the Iris API."""

    error: ErrorDetail

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "not_found",
                        "message": "Flower 99 not found",
                        "request_id": "3f2a9c1e-8d4b-4c1a-9e6f-0b7d5a2c4e81",
                    }
                }
            ]
        }
    )


# Lab 10: the counters of GET /stream-stats, and a prediction sent over the WebSocket.


class StreamStatsOut(BaseModel):
    """What the service is streaming: see explain.StreamStats."""

    tokens_generated: int
    streams_open: int
    sockets_open: int


class LivePredictionOut(Prediction):
    """One answer of the WebSocket /predict/live: a prediction and the model's version."""

    model_version: str
