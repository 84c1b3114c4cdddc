"""Lab 03 · train the iris classifier and save it with its metadata.

    uv run python train.py                    # writes models/model.joblib and models/model.json
    uv run python train.py --version 1.1.0 --out /tmp/models

The pipeline is fitted on species names, so `pipeline.classes_` are the names, in the order of
the columns of `pipeline.predict_proba`. Everything random is seeded: the same command gives
the same model.
"""

import argparse
import json
from pathlib import Path

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SEED = 42


def train(output_dir: Path = Path("models"), version: str = "1.0.0") -> Path:
    """Fit the pipeline, write model.joblib and model.json into output_dir, return the first."""
    iris = load_iris()
    names = [str(iris.target_names[i]) for i in iris.target]
    x_train, x_test, y_train, y_test = train_test_split(
        iris.data, names, test_size=0.3, random_state=SEED, stratify=names
    )
    pipeline = Pipeline(
        [("scale", StandardScaler()), ("classify", LogisticRegression(max_iter=1000))]
    )
    pipeline.fit(x_train, y_train)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    model_file = output_dir / "model.joblib"
    joblib.dump(pipeline, model_file)
    meta = {
        "features": list(FEATURES),
        "metrics": {"accuracy": float(pipeline.score(x_test, y_test))},
        "classes": [str(c) for c in pipeline.classes_],
        "version": version,
    }
    (output_dir / "model.json").write_text(json.dumps(meta))
    return model_file


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the iris classifier.")
    parser.add_argument("--out", type=Path, default=Path("models"), help="output folder")
    parser.add_argument("--version", default="1.0.0", help="version written in the metadata")
    args = parser.parse_args()
    path = train(args.out, args.version)
    print(f"saved {path} and {path.with_suffix('.json')}")


if __name__ == "__main__":
    main()
