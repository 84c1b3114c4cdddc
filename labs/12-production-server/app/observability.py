"""Lab 12 · seeing what the service does: request ids, timing, JSON logs and metrics.

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

from fastapi import Request, Response
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
)

from app.errors import REQUEST_ID_HEADER, new_request_id
from app.schemas import Prediction

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
REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
    registry=registry,
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, in seconds, by method and route template.",
    ["method", "route"],
    registry=registry,
)
PREDICTIONS = Counter(
    "predictions_total",
    "Flowers classified by /predict and /predict/batch, by predicted species.",
    ["species"],
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
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if SAFE_REQUEST_ID.fullmatch(given) else new_request_id()


def route_of(request: Request) -> str:
    """The path template of the route that answered ("/flowers/{flower_id}"), or "unmatched".

    Metrics are labelled by template, never by the raw path: "/flowers/1", "/flowers/2"...
    would each start a new time series, without limit.
    """
    route = request.scope.get("route")
    return getattr(route, "path", None) or UNMATCHED_ROUTE


def count_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and observe how long it took."""
    REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    LATENCY.labels(method=method, route=route).observe(seconds)


async def observe_requests(request: Request, call_next) -> Response:
    """Middleware: request id and timing headers, one access log line, request metrics."""
    request_id = request_id_for(request)
    request.state.request_id = request_id
    started = time.perf_counter()
    try:
        response = await call_next(request)
    except Exception as error:
        # A route crashed. The 500 would be written after every middleware has given up,
        # so this one would never see it: answer it here, with lab 04's handler.
        response = await request.app.exception_handlers[Exception](request, error)
    seconds = time.perf_counter() - started
    response.headers[REQUEST_ID_HEADER] = request_id
    response.headers[PROCESS_TIME_HEADER] = f"{seconds * 1000:.3f}"
    route = route_of(request)
    count_request(request.method, route, response.status_code, seconds)
    log_json(
        access_log,
        method=request.method,
        path=request.url.path,
        route=route,
        status=response.status_code,
        latency_ms=round(seconds * 1000, 3),
        request_id=request_id,
    )
    return response


# ---------------------------------------------------------------- predictions


def record_predictions(request: Request, predictions: list[Prediction], model_version: str):
    """One log line on prediction_log and one count in PREDICTIONS per predicted flower."""
    request_id = getattr(request.state, "request_id", None)
    for prediction in predictions:
        PREDICTIONS.labels(species=prediction.species).inc()
        log_json(
            prediction_log,
            species=prediction.species,
            model_version=model_version,
            request_id=request_id,
        )


# ---------------------------------------------------------------- /metrics
