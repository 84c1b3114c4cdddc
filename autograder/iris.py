"""The grader's own iris model, saved in the format the labs load.

The labs' contract (lab 03 handout): ``model.joblib`` holds a fitted scikit-learn pipeline
whose ``predict_proba`` takes rows of the four measurements in centimetres, in the order of
``FEATURES`` and was fitted on species *names*, so ``pipeline.classes_`` are the names
(in the order of its probability columns); ``model.json`` beside it holds the metadata.
Nothing here is imported from ``solutions/``: the grader trains its own model, so no pickle
is ever committed.
"""

from __future__ import annotations

import json
from pathlib import Path

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
GRADER_VERSION = "grader-1.0"
SEED = 7


def train(seed: int = SEED):
    """Fit a small, seeded pipeline on iris; return (pipeline, metadata)."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    iris = load_iris()
    species = iris.target_names[iris.target]
    x_train, x_test, y_train, y_test = train_test_split(
        iris.data, species, test_size=0.25, random_state=seed, stratify=species
    )
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    pipeline.fit(x_train, y_train)
    metadata = {
        "version": GRADER_VERSION,
        "classes": [str(name) for name in pipeline.classes_],
        "features": FEATURES,
        "metrics": {"accuracy": round(float(pipeline.score(x_test, y_test)), 4)},
    }
    return pipeline, metadata


def save_model(folder: Path, *, version: str = GRADER_VERSION) -> Path:
    """Train and write ``model.joblib`` and ``model.json`` into ``folder``; return the first."""
    import joblib

    pipeline, metadata = train()
    metadata["version"] = version
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / "model.joblib"
    joblib.dump(pipeline, model_path)
    model_path.with_suffix(".json").write_text(json.dumps(metadata, indent=2))
    return model_path
