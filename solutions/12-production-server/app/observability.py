"""Lab 12 · seeing what the service does: request ids, timing, JSON logs and metrics.

main.py wires these into the app:

- ``ObserveRequests`` is a middleware: it gives every request an id, times it, and writes
  one access log line and the request metrics once the response begins;
- ``record_predictions`` is called by the prediction routes: one log line and one count per
  predicted flower;
- ``router`` serves ``GET /metrics`` in the Prometheus text format.
"""

import json
import logging
import queue
import re
import sys
import time
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener

from fastapi import Request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
)
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


def start_logging(level: int = logging.INFO) -> QueueListener:
    """Print the records of the "iris..." loggers on standard output, one JSON line each,
    from a thread of their own; stop the listener it returns at shutdown.

    A request only formats its record and puts the line on a queue (``QueueHandler``); the
    listener's thread writes the lines. Without the queue, every thread that logs takes the
    handler's lock and writes to the terminal itself, and a batch of 100 flowers (100 lines)
    waits for the others' writes. ``listener.stop()`` writes what is still queued, then
    ends the thread: the lifespan calls it last, so no line is lost at shutdown.
    """
    logger = logging.getLogger("iris")
    logger.setLevel(level)
    for handler in [h for h in logger.handlers if isinstance(h, QueueHandler)]:
        logger.removeHandler(handler)  # the handler of an earlier start in this process
    lines: queue.SimpleQueue = queue.SimpleQueue()
    to_queue = QueueHandler(lines)
    to_queue.setFormatter(JsonFormatter())
    logger.addHandler(to_queue)
    listener = QueueListener(lines, logging.StreamHandler(sys.stdout))
    listener.start()
    return listener


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


class ObserveRequests:
    """Middleware: request id and timing headers, one access log line, request metrics.

    Lab 05 wrote this as ``@app.middleware("http")``, which Starlette runs through its
    ``BaseHTTPMiddleware``: every request then gets a task of its own and its answer travels
    through a memory stream, a cost every route pays (``uv run just bench-serve`` measured
    it). Here it is a plain ASGI middleware, as Starlette's own middleware are written: it
    calls the app with a ``send`` of its own, which adds the headers to the answer's first
    message (``http.response.start``, the status and headers) and then logs and counts it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # WebSockets and the lifespan pass through
            await self.app(scope, receive, send)
            return
        request = Request(scope)  # the headers and the state; the body is left to the route
        request_id = request_id_for(request)
        request.state.request_id = request_id
        started = time.perf_counter()
        answered = False

        async def send_observed(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
                seconds = time.perf_counter() - started
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers[PROCESS_TIME_HEADER] = f"{seconds * 1000:.3f}"
                observe(request, message["status"], seconds, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        except Exception as error:
            if answered:  # the answer had begun: nothing else can be sent
                raise
            # A route crashed. The 500 would be written after every middleware has given up,
            # so this one would never see it: answer it here, with lab 04's handler.
            response = await request.app.exception_handlers[Exception](request, error)
            await response(scope, receive, send_observed)


def observe(request: Request, status: int, seconds: float, request_id: str) -> None:
    """Count one answered request and write its access log line."""
    route = route_of(request)
    count_request(request.method, route, status, seconds)
    log_json(
        access_log,
        method=request.method,
        path=request.url.path,
        route=route,
        status=status,
        latency_ms=round(seconds * 1000, 3),
        request_id=request_id,
    )


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
