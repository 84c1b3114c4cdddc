"""Degrade, don't die: a start-up resource that may be missing, and 503 while it is.

``lifespan`` loads a word list from WORDS_PATH. If it cannot, it logs the error and starts
anyway without the words: the rest of the API keeps working, and the routes that need the
words answer 503 Service Unavailable with a Retry-After header.
"""

import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)


class WordsUnavailableError(Exception):
    """The word list is not loaded."""


@asynccontextmanager
async def lifespan(app: FastAPI):
    path = Path(os.environ.get("WORDS_PATH", "words.txt"))
    try:
        app.state.words = set(path.read_text().split())
    except OSError:
        logger.exception("could not read the word list %s; starting without it", path)
        app.state.words = None
    yield


def get_words(request: Request) -> set[str]:
    """The loaded words, or WordsUnavailableError."""
    if request.app.state.words is None:
        raise WordsUnavailableError()
    return request.app.state.words


app = FastAPI(title="Spell checker", lifespan=lifespan)


@app.exception_handler(WordsUnavailableError)
async def words_unavailable(request: Request, exc: WordsUnavailableError) -> JSONResponse:
    return JSONResponse(
        status_code=503,
        content={"detail": "The word list is not loaded; try again later"},
        headers={"Retry-After": "60"},
    )


@app.get("/")
def home() -> dict:
    """Works with or without the word list."""
    return {"service": "spell checker"}


@app.get("/check/{word}")
def check(word: str, words: Annotated[set[str], Depends(get_words)]) -> dict:
    """Is the word in the list?"""
    return {"word": word, "known": word.lower() in words}
