"""Lab 12 · the prediction log's models: one table, and the shapes around it kept apart.

- ``PredictionRecord`` is the **table** (``table=True``): what a row holds.
- ``PredictionPublic`` is what the API **returns** for a row.
- ``FeedbackUpdate`` is what a caller may **change**: every field optional, so a PATCH sends
  only what it changes.
- No "create" model from callers: the service itself fills a row from the flower it
  predicted (``PredictionRecord.from_prediction``), never from a client's body, so a client
  cannot write a model version or a caller of its choosing.
"""

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.schemas import Measurement, Prediction, Species


def utc_now() -> datetime:
    """Now, in UTC. SQLModel stores a datetime as UTC text (SQLite has no date type) and
    reads it back in UTC; it refuses a datetime without a time zone."""
    return datetime.now(UTC)


class PredictionBase(SQLModel):
    """The fields a logged prediction has, in the table and in the API alike."""

    created_at: datetime = Field(default_factory=utc_now, index=True)
    sepal_length: float
    sepal_width: float
    petal_length: float
    petal_width: float
    species: str = Field(index=True)
    probabilities: dict[str, float] = Field(sa_column=Column(JSON, nullable=False))
    model_version: str = Field(index=True)
    request_id: str
    caller: str
    true_species: str | None = None
    note: str | None = None


class PredictionRecord(PredictionBase, table=True):
    """A row of the table "prediction": one predicted flower."""

    __tablename__ = "prediction"

    id: int | None = Field(default=None, primary_key=True)

    @classmethod
    def from_prediction(
        cls,
        measurement: Measurement,
        prediction: Prediction,
        *,
        model_version: str,
        request_id: str,
        caller: str,
    ) -> "PredictionRecord":
        """The row that logs one prediction."""
        return cls(
            **measurement.model_dump(),
            species=prediction.species,
            probabilities=prediction.probabilities,
            model_version=model_version,
            request_id=request_id,
            caller=caller,
        )


class PredictionPublic(PredictionBase):
    """A logged prediction as the API returns it."""

    id: int


class PredictionPage(BaseModel):
    """One page of the log: the rows, and how many rows match the filters in all."""

    items: list[PredictionPublic]
    total: int
    offset: int
    limit: int


class FeedbackUpdate(BaseModel):
    """The true species of a logged flower, and a note: send only what you change."""

    true_species: Species | None = None
    note: str | None = PydanticField(default=None, max_length=500)

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"true_species": "versicolor", "note": "checked"}]}
    )


class VersionAccuracy(BaseModel):
    """How often one model version was right, among its labelled predictions."""

    model_version: str
    labelled: int
    correct: int
    accuracy: float
