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
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SEED = 42


def train(output_dir: Path = Path("models"), version: str = "1.0.0") -> Path:
    """Fit the pipeline, write model.joblib and model.json into output_dir, return the first."""
    # TODO 1: a. load iris; use the species names (iris.target_names[iris.target]) as
    #            labels, so pipeline.classes_ are names;
    #         b. split into a train and a test set with random_state=SEED (stratified);
    #         c. fit make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    #            on the train set;
    #         d. create output_dir and its parents (mkdir with parents=True), and
    #            joblib.dump the pipeline to output_dir/"model.joblib";
    #         e. write output_dir/"model.json": version, classes (classes_, as a list of
    #            str), features (FEATURES) and metrics {"accuracy": <score on the test set>};
    #         f. return the path of model.joblib.
    raise NotImplementedError


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the iris classifier.")
    parser.add_argument("--out", type=Path, default=Path("models"), help="output folder")
    parser.add_argument("--version", default="1.0.0", help="version written in the metadata")
    args = parser.parse_args()
    path = train(args.out, args.version)
    print(f"saved {path} and {path.with_suffix('.json')}")


if __name__ == "__main__":
    main()
