"""Lab 11 example: a token bucket, and a route limited by it on a clock tests can replace."""

import math
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException


@dataclass
class TokenBucket:
    capacity: float  # the largest burst
    rate: float  # tokens per second
    tokens: float
    last: float  # when tokens was counted

    def take(self, now: float) -> float:
        """Take one token: 0, or the seconds until one is back."""
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            return (1 - self.tokens) / self.rate  # nothing taken
        self.tokens -= 1
        return 0.0


def get_clock() -> float:
    """The time the limit reads; tests replace this dependency."""
    return time.monotonic()


buckets: dict[str, TokenBucket] = {}


def rate_limit(
    x_client: Annotated[str, Header()], now: Annotated[float, Depends(get_clock)]
) -> None:
    """Two requests in a burst, then one every 5 seconds, per client."""
    bucket = buckets.setdefault(x_client, TokenBucket(2, 0.2, tokens=2, last=now))
    wait = bucket.take(now)
    if wait > 0:
        seconds = str(max(1, math.ceil(wait)))
        raise HTTPException(429, "Too many requests", headers={"Retry-After": seconds})


app = FastAPI()


@app.get("/quote", dependencies=[Depends(rate_limit)])
def quote() -> dict:
    return {"quote": "Make it work, make it right, make it fast."}
