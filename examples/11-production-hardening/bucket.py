"""Lab 11 example: a token bucket, and a route limited by it on a clock tests can replace."""

import math
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException


@dataclass
class TokenBucket:
    capacity: float
    refill_per_second: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take one token: 0, or the seconds until one is back."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.refill_per_second)
        self.updated = max(self.updated, now)
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.refill_per_second


def get_clock() -> float:
    """The time the limit reads; tests replace this dependency."""
    return time.monotonic()


buckets: dict[str, TokenBucket] = {}


def rate_limit(
    x_client: Annotated[str, Header()], now: Annotated[float, Depends(get_clock)]
) -> None:
    """Two requests in a burst, then one every 5 seconds, per client."""
    bucket = buckets.setdefault(x_client, TokenBucket(2, 0.2, tokens=2, updated=now))
    wait = bucket.take(now)
    if wait > 0:
        seconds = str(max(1, math.ceil(wait)))
        raise HTTPException(429, "Too many requests", headers={"Retry-After": seconds})


app = FastAPI()


@app.get("/quote", dependencies=[Depends(rate_limit)])
def quote() -> dict:
    return {"quote": "Make it work, make it right, make it fast."}
