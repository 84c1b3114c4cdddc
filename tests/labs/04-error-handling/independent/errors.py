"""Lab 04 · the Iris API's errors: its own exception classes and the one error envelope.

Every 4xx and 5xx answer has the same body, so a client needs one piece of code to read them:

    {"error": {"code": "not_found", "message": "Flower 99 not found", "request_id": "..."}}

A 422 adds "fields": one {"field": ..., "problem": ...} per bad value. The handlers that
build these answers are registered in main.py.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from schemas import ErrorDetail, ErrorOut, FieldProblem

REQUEST_ID_HEADER = "X-Request-ID"
RETRY_AFTER_SECONDS = 30

# The envelope's "code" for an HTTPException, by status code. Any other status: "http_error".
HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "too_many_requests",
}

# Where FastAPI found a value: the first item of a validation error's "loc".
LOCATIONS = ("body", "query", "path", "header", "cookie")


class ModelUnavailableError(Exception):
    """A route needs the model, but none is loaded: the service answers 503."""


class UnknownModelVersionError(Exception):
    """A client asked for a model version this server does not have: the service answers 404."""

    def __init__(self, requested: str, available: str) -> None:
        super().__init__(f"model version {requested!r} is not available")
        self.requested = requested
        self.available = available


def new_request_id() -> str:
    """A fresh, unique request id."""
    return str(uuid.uuid4())


def request_id_of(request: Request) -> str:
    """The id of this request: the one the request-id middleware chose, else the caller's
    X-Request-ID header, else a new one."""
    request_id = getattr(request.state, "request_id", None) or request.headers.get(
        REQUEST_ID_HEADER
    )
    if not request_id:
        request_id = new_request_id()
        request.state.request_id = request_id
    return request_id


def error_response(
    request: Request,
    status_code: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    fields: list[dict[str, str]] | None = None,
) -> JSONResponse:
    """An error answer in the envelope, with the X-Request-ID header and any extra headers."""
    rid = request_id_of(request)
    envelope = ErrorOut(
        error=ErrorDetail(
            code=code,
            message=message,
            request_id=rid,
            fields=[FieldProblem(**f) for f in fields] if fields is not None else None,
        )
    )
    all_headers = dict(headers or {})
    all_headers[REQUEST_ID_HEADER] = rid
    return JSONResponse(
        envelope.model_dump(exclude_none=True), status_code=status_code, headers=all_headers
    )


def field_path(loc: Sequence[Any]) -> str:
    """Where a bad value is, as a dotted path: ("body", "items", 1, "petal_length") gives
    "items.1.petal_length" and ("query", "limit") gives "limit"."""
    parts = list(loc)
    if not parts:
        return ""
    rest = parts[1:] if parts[0] in LOCATIONS else parts
    if not rest:
        return str(parts[0])
    return ".".join(map(str, rest))


def field_problems(errors: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """FastAPI's validation errors as [{"field": ..., "problem": ...}], one per error.

    Never copy an error's "input" into the answer: it is the caller's data (it may be a
    password or a whole document), and they already have it.
    """
    out = []
    for err in errors:
        msg = str(err.get("msg", "invalid value"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        out.append({"field": field_path(err.get("loc", ())), "problem": msg or "invalid value"})
    return out
