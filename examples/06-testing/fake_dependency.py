"""Lab 06 example: a route gets its model through a dependency, so a test can swap it.

`score_review` never builds the model itself: it asks for `model: ModelDep`, and FastAPI
calls `get_model` to provide it. A test sets `app.dependency_overrides[get_model]` to a
function that returns a fake, and every route that depends on `get_model` gets the fake.

Try it: `uv run fastapi dev examples/06-testing/fake_dependency.py`, then POST /reviews/score.
"""

from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, Field

HAPPY_WORDS = {"good", "great", "love", "lovely", "excellent"}


class WordModel:
    """A stand-in for a real sentiment model: the share of happy words in a text."""

    version = "words-1.0"

    def score(self, text: str) -> float:
        words = text.lower().split()
        happy = sum(word.strip(".,!?") in HAPPY_WORDS for word in words)
        return happy / max(len(words), 1)


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.model = WordModel()  # a real app would load a file here
    yield


def get_model(request: Request) -> WordModel:
    """The model loaded at start-up (a dependency, so tests can replace it)."""
    return request.app.state.model


ModelDep = Annotated[WordModel, Depends(get_model)]

app = FastAPI(title="Review scores", lifespan=lifespan)


class Review(BaseModel):
    text: str = Field(min_length=1, max_length=200)


@app.post("/reviews/score")
def score_review(review: Review, model: ModelDep) -> dict:
    """How positive a review is, from 0 to 1, and which model said so."""
    score = model.score(review.text)
    return {"score": score, "positive": score >= 0.5, "model_version": model.version}
