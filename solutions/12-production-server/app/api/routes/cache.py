"""Lab 12 · ``GET /cache``: how the prediction cache is doing."""

from fastapi import APIRouter, Request

from app.cache import CacheStats
from app.deps import CacheDep, Caller
from app.security import AUTH_ERRORS

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
