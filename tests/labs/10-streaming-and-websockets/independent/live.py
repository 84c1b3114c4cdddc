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
    try:
        payload = json.loads(text)
    except ValueError:
        return error_frame("invalid_json", "The message is not valid JSON.")
    if not isinstance(payload, dict):
        problem = [{"field": "body", "problem": "Send one JSON object with the four measurements."}]
        return error_frame("validation_error", "The message is not a flower.", problem)
    try:
        flower = Measurement.model_validate(payload)
    except ValidationError as exc:
        return error_frame(
            "validation_error", "The measurements are not valid.", field_problems(exc.errors())
        )
    if model is None:
        return error_frame("model_unavailable", "No model is loaded: try again later.")
    (prediction,) = model.predict([flower])
    out = LivePredictionOut(**prediction.model_dump(), model_version=model.version)
    return out.model_dump()


@router.websocket("/predict/live")
async def predict_live(websocket: WebSocket, token: str | None = None) -> None:
    """Predict every flower the client sends, on one connection, until it leaves."""
    await websocket.accept()
    settings = websocket.app.state.settings
    try:
        if not token:
            raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="no token")
        user_from_token(token, settings)
    except HTTPException:
        await websocket.close(
            code=status.WS_1008_POLICY_VIOLATION, reason="A valid access token is required."
        )
        return
    STATS.sockets_open += 1
    try:
        while True:
            message = await websocket.receive_text()
            model = getattr(websocket.app.state, "model", None)
            reply = await run_in_threadpool(answer, message, model)
            await websocket.send_json(reply)
    except WebSocketDisconnect:
        return
    finally:
        STATS.sockets_open -= 1
