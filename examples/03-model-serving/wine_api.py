"""A wine API that loads its model once, at start-up, from a path given by the environment.

Train a model, then start the API with the model's path in WINE_MODEL:

    uv run python examples/03-model-serving/train_wine.py --out /tmp/wine
    WINE_MODEL=/tmp/wine/wine.joblib uv run fastapi dev examples/03-model-serving/wine_api.py
"""

import json
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import joblib
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, Field

FEATURES = ["alcohol", "color_intensity", "proline"]


class Wine(BaseModel):
    """Three measurements of a wine, within the ranges a real wine can have."""

    alcohol: float = Field(gt=0, le=20, description="alcohol, % by volume")
    color_intensity: float = Field(gt=0, le=15)
    proline: float = Field(gt=0, le=2000, description="proline, mg/L")


@asynccontextmanager
async def lifespan(app: FastAPI):
    # Before the yield: runs once, when the server starts, before the first request.
    model_path = Path(os.environ.get("WINE_MODEL", "models/wine.joblib"))
    app.state.pipeline = joblib.load(model_path)
    app.state.metadata = json.loads(model_path.with_suffix(".json").read_text())
    yield
    # After the yield: runs once, when the server stops (nothing to clean up here).


app = FastAPI(title="Wine API", lifespan=lifespan)


def get_pipeline(request: Request) -> Any:
    """The pipeline loaded at start-up. A dependency, so a test can swap in a fake one."""
    return request.app.state.pipeline


PipelineDep = Annotated[Any, Depends(get_pipeline)]


@app.post("/cultivar")
def predict_cultivar(wine: Wine, pipeline: PipelineDep, request: Request) -> dict:
    """The most probable cultivar and the probability of each one."""
    row = [getattr(wine, name) for name in FEATURES]  # the training order of the columns
    (probabilities,) = pipeline.predict_proba([row])  # one row in, one row of probabilities out
    by_cultivar = {
        str(name): float(value)
        for name, value in zip(pipeline.classes_, probabilities, strict=True)
    }
    return {
        "cultivar": max(by_cultivar, key=by_cultivar.__getitem__),
        "probabilities": by_cultivar,
        "model_version": request.app.state.metadata["version"],
    }


@app.get("/about")
def about(request: Request) -> dict:
    """What the loaded model says about itself: the metadata saved beside it."""
    return request.app.state.metadata
