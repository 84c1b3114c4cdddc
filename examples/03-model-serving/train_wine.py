"""Train a small wine classifier and save it with its metadata (a script, not an app).

The wine data set ships with scikit-learn: 178 wines from three cultivars grown in the same
region of Italy (in the original study: Barolo, Grignolino and Barbera). Three of its
measurements are enough for a decent classifier.

    uv run python examples/03-model-serving/train_wine.py --out /tmp/wine
"""

import argparse
import json
from pathlib import Path

import joblib
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = ["alcohol", "color_intensity", "proline"]
CULTIVARS = ["barolo", "grignolino", "barbera"]  # what the targets 0, 1 and 2 stand for
SEED = 42


def load_data():
    """The three measurements of every wine, and its cultivar as a name."""
    wine = load_wine()
    columns = [wine.feature_names.index(name) for name in FEATURES]
    rows = wine.data[:, columns]  # one row per wine, columns in the order of FEATURES
    names = [CULTIVARS[target] for target in wine.target]
    return rows, names


def train(folder: Path, version: str = "1.0.0") -> Path:
    """Fit the pipeline and save it into folder with its metadata; return the model's path."""
    rows, names = load_data()
    x_train, x_test, y_train, y_test = train_test_split(
        rows, names, test_size=0.25, random_state=SEED, stratify=names
    )
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    pipeline.fit(x_train, y_train)
    accuracy = pipeline.score(x_test, y_test)  # on wines the model never saw
    return save(pipeline, folder, version, accuracy)


def save(pipeline, folder: Path, version: str, accuracy: float) -> Path:
    """Write wine.joblib and, beside it, wine.json (the metadata); return the first."""
    metadata = {
        "version": version,
        "classes": [str(name) for name in pipeline.classes_],
        "features": FEATURES,
        "metrics": {"accuracy": round(float(accuracy), 4)},
    }
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / "wine.joblib"
    joblib.dump(pipeline, model_path)
    model_path.with_suffix(".json").write_text(json.dumps(metadata, indent=2))
    return model_path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train the wine classifier.")
    parser.add_argument("--out", type=Path, default=Path("models"), help="output folder")
    parser.add_argument("--version", default="1.0.0", help="version written in wine.json")
    args = parser.parse_args()
    print(f"saved {train(args.out, args.version)}")
