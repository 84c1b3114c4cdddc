"""Lab 10 · predictions over a WebSocket: one connection, many flowers.

``/predict/live?token=<access token>`` is a WebSocket. The client logs in first (``POST
/token``, lab 07) and puts its access token in the query: a browser cannot add an
``Authorization`` header to a WebSocket. The server accepts the connection, checks the
token, and closes with code 1008 (policy violation) when it is missing or invalid.

Then each text message is one flower's measurements as JSON, and each answer is one JSON
message: a prediction, or an error in the course's envelope. A bad message gets its error
and the connection stays open for the next one.
"""

import json
from typing import Any

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect, status
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from errors import field_problems, new_request_id
from explain import STATS
from model import IrisModel
from schemas import ErrorDetail, ErrorOut, FieldProblem, LivePredictionOut, Measurement
from security import user_from_token

router = APIRouter(tags=["streams"])


def error_frame(code: str, message: str, fields: list[dict[str, str]] | None = None) -> dict:
    """An error message in the course's envelope: ``{"error": {"code": ..., "message": ...,
    "request_id": ...}}``, with ``fields`` for a validation error. Every message gets an id
    of its own, as every HTTP request does."""
    problems = None if fields is None else [FieldProblem(**item) for item in fields]
    detail = ErrorDetail(code=code, message=message, request_id=new_request_id(), fields=problems)
    return ErrorOut(error=detail).model_dump(exclude_none=True)


def answer(text: str, model: IrisModel | None) -> dict[str, Any]:
    """The answer to one message: a prediction, or an error frame.

    ``invalid_json`` when the text is not JSON, ``validation_error`` (with ``fields``) when
    it is JSON but not the four measurements, ``model_unavailable`` when no model is loaded.
    """
    # TODO 5: parse the text as JSON, validate it as a Measurement and predict; answer
    # each problem with error_frame(code, message, fields) instead of raising.
    raise NotImplementedError


@router.websocket("/predict/live")
async def predict_live(websocket: WebSocket, token: str | None = None) -> None:
    """Predict every flower the client sends, on one connection, until it leaves."""
    # TODO 4: accept the connection, then close it with code 1008 and a reason when the
    # token is missing or user_from_token refuses it (it raises HTTPException).
    raise NotImplementedError
    # TODO 6: count the socket in STATS.sockets_open until it ends (try/finally); answer
    # each text message with answer(text, model) until the client disconnects.
