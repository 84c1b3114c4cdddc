"""Another correct take: an LRU cache on a plain dict (insertion order), replaced on reload."""

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from security import AUTH_ERRORS, Caller


def cache_key(model_version, measurement):
    m = measurement
    return (model_version, m.sepal_length, m.sepal_width, m.petal_length, m.petal_width)


class PredictionCache:
    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self.data: dict = {}
        self.hits = self.misses = 0
        self.lock = threading.RLock()

    def __len__(self) -> int:
        return len(self.data)

    def get(self, key):
        with self.lock:
            if key in self.data:
                self.hits += 1
                value = self.data.pop(key)
                self.data[key] = value
                return value
            self.misses += 1
            return None

    def put(self, key, value) -> None:
        with self.lock:
            self.data.pop(key, None)
            self.data[key] = value
            while len(self.data) > self.max_size:
                del self.data[next(iter(self.data))]

    def clear(self) -> None:
        with self.lock:
            self.data = {}


def get_cache(request: Request) -> PredictionCache:
    return request.app.state.cache


CacheDep = Annotated[PredictionCache, Depends(get_cache)]


class Stats(BaseModel):
    size: int
    max_size: int
    hits: int
    misses: int
    model_calls: int


router = APIRouter(tags=["model"], responses=AUTH_ERRORS)


@router.get("/cache")
def stats(request: Request, caller: Caller) -> Stats:
    cache = request.app.state.cache
    model = request.app.state.model
    return Stats(
        size=len(cache),
        max_size=cache.max_size,
        hits=cache.hits,
        misses=cache.misses,
        model_calls=model.flowers_classified if model else 0,
    )
