"""Lab 12 · a bounded cache of predictions, so a flower asked again costs no model call.

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

from pydantic import BaseModel

from app.model import FEATURES
from app.schemas import Measurement, Prediction

CacheKey = tuple[str, tuple[float, ...]]


def cache_key(model_version: str, measurement: Measurement) -> CacheKey:
    """What a prediction depends on: the model version and all four measurements."""
    return model_version, tuple(getattr(measurement, feature) for feature in FEATURES)


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
        with self._lock:
            prediction = self._entries.get(key)
            if prediction is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return prediction

    def put(self, key: CacheKey, prediction: Prediction) -> None:
        """Keep ``prediction`` for ``key``; drop the least recently used entries beyond
        ``max_size``."""
        with self._lock:
            self._entries[key] = prediction
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

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
