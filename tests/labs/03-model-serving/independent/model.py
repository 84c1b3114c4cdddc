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
        table = [[float(getattr(m, name)) for name in FEATURES] for m in measurements]
        classes = [str(c) for c in self.pipeline.classes_]
        results = []
        for row in self.pipeline.predict_proba(table):
            chances = dict(zip(classes, (float(v) for v in row), strict=True))
            best = max(chances, key=chances.__getitem__)
            results.append(Prediction(species=best, probabilities=chances))
        return results


def load_model(model_path: Path) -> IrisModel:
    """Load model.joblib and the model.json metadata that lies beside it."""
    path = Path(model_path)
    with path.with_suffix(".json").open() as handle:
        metadata = json.load(handle)
    return IrisModel(pipeline=joblib.load(path), metadata=metadata)
