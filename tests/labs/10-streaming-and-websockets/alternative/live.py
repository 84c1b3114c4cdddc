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
    if model is None:
        return error_frame(
            "model_unavailable",
            "The model is not loaded, so predictions are unavailable. Try again later.",
        )
    try:
        payload = json.loads(text)
    except ValueError:
        return error_frame("invalid_json", "The message is not JSON: send a JSON object.")
    try:
        measurement = Measurement.model_validate(payload)
    except ValidationError as exc:
        return error_frame(
            "validation_error",
            "The message is not four valid measurements (see fields).",
            fields=field_problems(exc.errors()),
        )
    (prediction,) = model.predict([measurement])
    return LivePredictionOut(**prediction.model_dump(), model_version=model.version).model_dump()


@router.websocket("/predict/live")
async def predict_live(websocket: WebSocket, token: str | None = None) -> None:
    """Predict every flower the client sends, on one connection, until it leaves."""
    await websocket.accept()  # accept first: a refusal before it is a bare HTTP 403
    settings = websocket.app.state.settings
    if not token:
        await websocket.close(
            code=status.WS_1008_POLICY_VIOLATION, reason="An access token is required."
        )
        return
    try:
        user_from_token(token, settings)
    except HTTPException as exc:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=str(exc.detail))
        return

    STATS.sockets_open += 1
    try:
        async for text in websocket.iter_text():  # ends when the client disconnects
            model = getattr(websocket.app.state, "model", None)
            reply = await run_in_threadpool(answer, text, model)  # the model is CPU-bound
            await websocket.send_json(reply)
    except WebSocketDisconnect:
        pass  # the client left while its answer was on the way
    finally:
        STATS.sockets_open -= 1
