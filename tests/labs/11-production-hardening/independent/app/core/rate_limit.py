"""Lab 11 · a token bucket per caller: bursts up to a capacity, then a steady rate.

Each caller has a bucket that holds up to ``capacity`` tokens and gains
``refill_per_second`` tokens every second, never more than it holds. A request takes one
token; a caller whose bucket has less than one token left is answered 429, with the number
of seconds until a token is back (``Retry-After``).

Time is whatever number the caller passes as ``now`` (seconds): the service passes the clock
of the ``get_clock`` dependency, and tests pass any number they like, so a test of the
refill never sleeps.

The buckets live in this process's memory: a server with four worker processes has four
sets of them, and a caller gets four times the rate. A shared store (Redis, with the
``limits`` library) gives every worker the same bucket per caller.
"""

import math
import threading
from dataclasses import dataclass


@dataclass
class TokenBucket:
    """One caller's bucket: ``tokens`` left at the time ``updated`` (seconds)."""

    capacity: float
    refill_per_second: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take one token at time ``now``: 0 when there was one, else the seconds to wait
        until one is back (nothing is taken then)."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.refill_per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        missing = 1 - self.tokens
        return missing / self.refill_per_second


class RateLimiter:
    """The buckets of every caller, made when a caller is first seen (full)."""

    def __init__(self) -> None:
        self.buckets: dict[str, TokenBucket] = {}
        # Prediction routes are plain `def`: several threads may take tokens at once.
        self.lock = threading.Lock()

    def take(self, caller: str, capacity: float, refill_per_second: float, now: float) -> float:
        """Take one token from ``caller``'s bucket: 0, or the seconds to wait."""
        with self.lock:
            bucket = self.buckets.get(caller)
            if bucket is None:
                bucket = TokenBucket(capacity, refill_per_second, tokens=capacity, updated=now)
                self.buckets[caller] = bucket
            # Settings may change between two requests (a test's override): follow them.
            bucket.capacity, bucket.refill_per_second = capacity, refill_per_second
            return bucket.take(now)


def retry_after(wait: float) -> str:
    """The ``Retry-After`` value for a wait of ``wait`` seconds: whole seconds, rounded up,
    at least 1 (a client that retries sooner is refused again)."""
    return str(max(1, math.ceil(wait)))
