"""Lab 12 · loading the saved model and asking it for predictions."""

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib

from app.schemas import Measurement, Prediction

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@dataclass
class IrisModel:
    """A fitted pipeline and its metadata (the contents of model.json)."""

    pipeline: Any
    metadata: dict
    # Lab 09: how many flowers this model has classified since it was loaded (GET /cache
    # reports it). Routes run in many threads at once, so the count is kept under a lock.
    flowers_classified: int = 0
    _counting: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def version(self) -> str:
        return self.metadata["version"]

    def predict(self, measurements: list[Measurement]) -> list[Prediction]:
        """Classify flowers: the most probable species and every species' probability."""
        rows = [[getattr(item, feature) for feature in FEATURES] for item in measurements]
        with self._counting:
            self.flowers_classified += len(rows)
        classes = [str(name) for name in self.pipeline.classes_]
        predictions = []
        for row in self.pipeline.predict_proba(rows):
            probabilities = {name: float(value) for name, value in zip(classes, row, strict=True)}
            best = max(probabilities, key=probabilities.__getitem__)
            predictions.append(Prediction(species=best, probabilities=probabilities))
        return predictions


def load_model(model_path: Path) -> IrisModel:
    """Load model.joblib and the model.json metadata that lies beside it."""
    pipeline = joblib.load(model_path)
    metadata = json.loads(Path(model_path).with_suffix(".json").read_text())
    return IrisModel(pipeline=pipeline, metadata=metadata)
