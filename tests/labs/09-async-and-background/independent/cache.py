"""Lab 09 · a bounded cache of predictions, so a flower asked again costs no model call.

A prediction depends on two things only: the four measurements and the model that made it.
So the cache key is both (the model's version, the measurements); the value is the
``Prediction``. The cache is bounded: when it is full, the entry used least recently goes
(an "LRU" cache). A model reload empties it, because a new file may hold a different model
under the same version label.

Routes run in many threads at once (plain ``def`` routes run in FastAPI's threadpool), so
every method takes a lock.
"""

import threading
from collections import OrderedDict
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from model import FEATURES
from schemas import Measurement, Prediction
from security import AUTH_ERRORS, Caller

CacheKey = tuple[str, tuple[float, ...]]


def cache_key(model_version: str, measurement: Measurement) -> CacheKey:
    """What a prediction depends on: the model version and all four measurements."""
    # TODO 9: return (model_version, the four measurements in FEATURES order, as a tuple).
    values = measurement.model_dump()
    return model_version, tuple(float(values[feature]) for feature in FEATURES)


class PredictionCache:
    """At most ``max_size`` predictions, the least recently used dropped first."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[CacheKey, Prediction] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: CacheKey) -> Prediction | None:
        """The cached prediction for ``key`` (now the most recently used), or None."""
        # TODO 10: under the lock: on a hit, move the key to the end of the OrderedDict
        #          (move_to_end), count a hit and return the value; else count a miss
        #          and return None.
        with self._lock:
            try:
                prediction = self._entries.pop(key)
            except KeyError:
                self.misses += 1
                return None
            self._entries[key] = prediction  # put back last: the most recent use
            self.hits += 1
            return prediction

    def put(self, key: CacheKey, prediction: Prediction) -> None:
        """Keep ``prediction`` for ``key``; drop the least recently used entries beyond
        ``max_size``."""
        # TODO 11: under the lock: store it at the end, then while there are more than
        #          max_size entries, popitem(last=False) (the oldest use goes first).
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = prediction
            for _ in range(len(self._entries) - self.max_size):
                oldest = next(iter(self._entries))
                del self._entries[oldest]

    def clear(self) -> None:
        """Forget every entry (the model changed)."""
        with self._lock:
            self._entries.clear()


class CacheStats(BaseModel):
    """What GET /cache reports: the cache's size and use, and the model's work."""

    size: int
    max_size: int
    hits: int
    misses: int
    model_calls: int


def get_cache(request: Request) -> PredictionCache:
    """The cache made at start-up (a dependency, so tests can replace it)."""
    return request.app.state.cache


CacheDep = Annotated[PredictionCache, Depends(get_cache)]


router = APIRouter(tags=["model"], responses=AUTH_ERRORS)


@router.get("/cache", summary="How the prediction cache is doing")
def cache_stats(cache: CacheDep, request: Request, caller: Caller) -> CacheStats:
    """The cache's size, its bound, its hits and misses, and how many flowers the loaded
    model has classified since it was loaded (every miss costs one; a hit costs none)."""
    model = getattr(request.app.state, "model", None)
    return CacheStats(
        size=len(cache),
        max_size=cache.max_size,
        hits=cache.hits,
        misses=cache.misses,
        model_calls=getattr(model, "flowers_classified", 0),
    )
