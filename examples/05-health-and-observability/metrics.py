"""Prometheus metrics: counters and a histogram in the app's own registry, served at /metrics.

The counter is labelled by the route's *template* ("/users/{user_id}"), never by the raw path
("/users/1", "/users/2"...): every label value starts a new time series, so raw paths would
grow the metrics without limit.
"""

import time

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

# One registry for this app: importing the module twice creates a second registry instead of
# registering the same metric names twice in prometheus_client's global one (an error).
registry = CollectorRegistry()
PAGE_VIEWS = Counter(
    "page_views_total", "Pages served, by route template.", ["route"], registry=registry
)
RENDER_TIME = Histogram(
    "page_render_seconds", "Time to serve a page, in seconds.", registry=registry
)

app = FastAPI(title="Profiles")


@app.middleware("http")
async def count_pages(request: Request, call_next):
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")  # set by the router once a route matched
    template = route.path if route is not None else "unmatched"
    PAGE_VIEWS.labels(route=template).inc()
    RENDER_TIME.observe(time.perf_counter() - started)
    return response


@app.get("/users/{user_id}")
def read_user(user_id: int) -> dict:
    return {"id": user_id, "name": f"user {user_id}"}


@app.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    """Every metric of the registry, in the Prometheus text format."""
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
