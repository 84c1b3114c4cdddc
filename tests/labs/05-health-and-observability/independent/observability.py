"""Lab 05 · seeing what the service does: request ids, timing, JSON logs and metrics.

main.py wires these into the app:

- ``observe_requests`` is an HTTP middleware: it gives every request an id, times it, and
  writes one access log line and the request metrics once the response is ready;
- ``record_predictions`` is called by the prediction routes: one log line and one count per
  predicted flower;
- ``router`` serves ``GET /metrics`` in the Prometheus text format.
"""

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from errors import REQUEST_ID_HEADER, new_request_id
from schemas import Prediction

PROCESS_TIME_HEADER = "X-Process-Time"
# A caller's id is echoed only when it is short and made of safe characters: anything else
# (a 10 kB string, text that imitates a log line...) is replaced by a new id.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# The route label of requests that no route matched (404s for unknown paths).
UNMATCHED_ROUTE = "unmatched"

access_log = logging.getLogger("iris.access")
prediction_log = logging.getLogger("iris.predictions")

# The service's own registry, not prometheus_client's global one: importing main.py a second
# time in the same process (tests do) makes a new registry instead of failing with
# "Duplicated timeseries in CollectorRegistry".
registry = CollectorRegistry()
PREDICTIONS = Counter(
    "predictions_total", "Flowers predicted, by species.", ("species",), registry=registry
)
REQUESTS = Counter(
    "http_requests_total",
    "Answered HTTP requests.",
    ("method", "route", "status"),
    registry=registry,
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer a request, in seconds.",
    ("method", "route"),
    registry=registry,
)


# ---------------------------------------------------------------- JSON logs


def log_json(logger: logging.Logger, **fields) -> None:
    """Write one INFO record whose message is the JSON object of ``fields``."""
    logger.info(json.dumps(fields, default=str))


class JsonFormatter(logging.Formatter):
    """Print a record as one JSON line: time, level, logger, then the message's fields."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        try:
            fields = json.loads(message)
        except ValueError:
            fields = None
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            **(fields if isinstance(fields, dict) else {"message": message}),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def setup_logging(level: int = logging.INFO) -> None:
    """Print the records of the "iris..." loggers on standard output, one JSON line each.

    Safe to call at every start-up: the handler is added only once.
    """
    logger = logging.getLogger("iris")
    logger.setLevel(level)
    if not any(isinstance(handler.formatter, JsonFormatter) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)


# ---------------------------------------------------------------- the middleware


def request_id_for(request: Request) -> str:
    """The caller's X-Request-ID when it is safe to echo, otherwise a new one."""
    candidate = request.headers.get(REQUEST_ID_HEADER, "")
    if SAFE_REQUEST_ID.fullmatch(candidate) is None:
        return new_request_id()
    return candidate


def route_of(request: Request) -> str:
    """The path template of the route that answered ("/flowers/{flower_id}"), or "unmatched".

    Metrics are labelled by template, never by the raw path: "/flowers/1", "/flowers/2"...
    would each start a new time series, without limit.
    """
    matched = request.scope.get("route")
    template = getattr(matched, "path", None)
    return template if isinstance(template, str) else UNMATCHED_ROUTE


def count_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and observe how long it took."""
    REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    LATENCY.labels(method=method, route=route).observe(seconds)


async def observe_requests(request: Request, call_next) -> Response:
    """Middleware: request id and timing headers, one access log line, request metrics."""
    rid = request_id_for(request)
    request.state.request_id = rid
    began = time.perf_counter()
    try:
        response = await call_next(request)
    except Exception as crash:
        on_crash = request.app.exception_handlers[Exception]
        response = await on_crash(request, crash)
    took = time.perf_counter() - began
    ms = took * 1000
    response.headers[REQUEST_ID_HEADER] = rid
    response.headers[PROCESS_TIME_HEADER] = f"{ms:.3f}"
    count_request(request.method, route_of(request), response.status_code, took)
    log_json(
        access_log,
        request_id=rid,
        status=response.status_code,
        path=request.url.path,
        method=request.method,
        latency_ms=round(ms, 3),
        client=request.client.host if request.client else None,
    )
    return response


# ---------------------------------------------------------------- predictions


def record_predictions(request: Request, predictions: list[Prediction], model_version: str):
    """One log line on prediction_log and one count in PREDICTIONS per predicted flower."""
    rid = getattr(request.state, "request_id", None)
    for one in predictions:
        PREDICTIONS.labels(species=one.species).inc()
        log_json(prediction_log, model_version=model_version, species=one.species, request_id=rid)


# ---------------------------------------------------------------- /metrics

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    """Every metric of the service, in the Prometheus text format."""
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
