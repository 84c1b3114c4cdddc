"""Lab 12 · predictions over a WebSocket: one connection, many flowers.

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

from app.errors import field_problems, new_request_id
from app.explain import STATS
from app.model import IrisModel
from app.schemas import ErrorDetail, ErrorOut, FieldProblem, LivePredictionOut, Measurement
from app.security import user_from_token

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
    try:
        data = json.loads(text)
    except ValueError:
        return error_frame(
            "invalid_json", "The message is not JSON: send an object with the four measurements."
        )
    try:
        measurement = Measurement.model_validate(data)
    except ValidationError as exc:
        fields = field_problems(exc.errors())
        return error_frame("validation_error", "The measurements are not valid.", fields)
    if model is None:
        return error_frame(
            "model_unavailable", "The model is not loaded, so predictions are unavailable."
        )
    (prediction,) = model.predict([measurement])
    return LivePredictionOut(**prediction.model_dump(), model_version=model.version).model_dump()


@router.websocket("/predict/live")
async def predict_live(websocket: WebSocket, token: str | None = None) -> None:
    """Predict every flower the client sends, on one connection, until it leaves."""
    await websocket.accept()
    try:
        user_from_token(token or "", websocket.app.state.settings)
    except HTTPException as refusal:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=str(refusal.detail))
        return
    STATS.sockets_open += 1
    try:
        while True:
            text = await websocket.receive_text()
            # The prediction is CPU-bound: a worker thread does it, the event loop stays free.
            frame = await run_in_threadpool(answer, text, websocket.app.state.model)
            await websocket.send_json(frame)
    except WebSocketDisconnect:
        pass  # the client left: nothing more to send
    finally:
        STATS.sockets_open -= 1
