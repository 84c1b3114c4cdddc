"""Lab 03 · loading the saved model and asking it for predictions."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib

from schemas import Measurement, Prediction

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@dataclass
class IrisModel:
    """A fitted pipeline and its metadata (the contents of model.json)."""

    pipeline: Any
    metadata: dict

    @property
    def version(self) -> str:
        return self.metadata["version"]

    def predict(self, measurements: list[Measurement]) -> list[Prediction]:
        """Classify flowers: the most probable species and every species' probability."""
        # TODO: build one row per measurement (columns in the order of FEATURES), call
        #       self.pipeline.predict_proba(rows) once, and pair each probability column
        #       with self.pipeline.classes_.
        raise NotImplementedError


def load_model(model_path: Path) -> IrisModel:
    """Load model.joblib and the model.json metadata that lies beside it."""
    # TODO: joblib.load the pipeline and json-load model_path.with_suffix(".json").
    raise NotImplementedError
