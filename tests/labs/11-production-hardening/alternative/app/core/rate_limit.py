"""Lab 11 alternative: the token bucket kept as one number per caller, the moment its
bucket will be full again (the "generic cell rate algorithm" form of a token bucket)."""

import threading


class RateLimiter:
    """For each caller, the time at which their bucket is full again."""

    def __init__(self) -> None:
        self.full_at: dict[str, float] = {}
        self.lock = threading.Lock()

    def take(self, caller: str, capacity: float, refill_per_second: float, now: float) -> float:
        """Take one token: 0, or the seconds until one is back."""
        per_token = 1 / refill_per_second
        with self.lock:
            full_at = max(self.full_at.get(caller, now), now)
            # Taking a token pushes "full again" one token's time later; the bucket may run
            # at most `capacity` tokens ahead of now.
            after = full_at + per_token
            if after - now > capacity * per_token:
                return after - now - capacity * per_token
            self.full_at[caller] = after
            return 0.0


def retry_after(wait: float) -> str:
    """Whole seconds, rounded up, at least 1."""
    whole = int(wait)
    return str(max(1, whole if whole == wait else whole + 1))
