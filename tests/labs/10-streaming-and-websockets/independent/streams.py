"""Lab 10 · the explanation of a prediction, streamed token by token.

Two forms of the same stream, both written with FastAPI's own streaming support (a path
operation that ``yield``s):

* ``GET /predict/explain``: Server-Sent Events (``response_class=EventSourceResponse``),
  for browsers. One ``token`` event per token, with the token's position as its ``id``, then
  one ``done`` event. A client that reconnects sends ``Last-Event-ID`` and gets the rest.
* ``GET /predict/explain/lines``: JSON Lines (no response class: a generator route streams
  ``application/jsonl``), for programs. One JSON object per line, the same events.

``GET /stream-stats`` reports the counters of explain.py (given).
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from api_docs import ERRORS, MODEL_UNAVAILABLE, as_json
from explain import STATS, explanation_tokens
from model import ModelDep
from schemas import Measurement, Prediction, StreamStatsOut
from security import AUTH_ERRORS, Caller, SettingsDep

router = APIRouter(tags=["streams"])
# The errors come before the first event, in the JSON envelope (see api_docs.as_json).
STREAM_ERRORS = as_json({**ERRORS, **AUTH_ERRORS, **MODEL_UNAVAILABLE})


@dataclass
class Explanation:
    """A prediction and the tokens of its explanation, ready to stream."""

    prediction: Prediction
    model_version: str
    tokens: list[str]


def explain_measurement(
    measurement: Annotated[Measurement, Query()], model: ModelDep, caller: Caller
) -> Explanation:
    """Predict the flower of the query and write its explanation (a dependency).

    A plain ``def``: the model's work is CPU-bound, so FastAPI runs it in a worker thread,
    and the event loop stays free while the stream waits between tokens.
    """
    (prediction,) = model.predict([measurement])
    tokens = explanation_tokens(measurement, prediction, model.version)
    return Explanation(prediction=prediction, model_version=model.version, tokens=tokens)


ExplanationDep = Annotated[Explanation, Depends(explain_measurement)]


async def explanation_events(
    explanation: Explanation, delay: float, after: int = 0
) -> AsyncIterator[dict[str, Any]]:
    """The events of one stream: a ``token`` event for each token after position ``after``,
    ``delay`` seconds apart, then one ``done`` event.

    Each token adds one to ``STATS.tokens_generated``; ``STATS.streams_open`` counts this
    generator while it runs. When the client leaves, FastAPI cancels the stream: the
    ``await`` raises ``CancelledError``, the loop ends and ``finally`` still runs.
    """
    total = len(explanation.tokens)
    STATS.streams_open += 1
    try:
        position = max(after, 0)
        while position < total:
            if position > max(after, 0):
                await asyncio.sleep(delay)
            position += 1
            STATS.tokens_generated += 1
            yield {"event": "token", "id": position, "text": explanation.tokens[position - 1]}
        yield {
            "event": "done",
            "tokens": total,
            "species": explanation.prediction.species,
            "model_version": explanation.model_version,
        }
    finally:
        STATS.streams_open -= 1


@router.get(
    "/predict/explain",
    response_class=EventSourceResponse,
    summary="Stream the explanation of a prediction (Server-Sent Events)",
    responses=STREAM_ERRORS,
)
async def explain_as_events(
    explanation: ExplanationDep,
    settings: SettingsDep,
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
) -> AsyncIterator[ServerSentEvent]:
    """The explanation of the flower in the query, token by token, as Server-Sent Events.

    Each token is an event named `token` whose id is its position (1, 2, ...); a final event
    named `done` ends the stream. With a `Last-Event-ID` header, the stream starts after that
    token.
    """
    delay = settings.token_delay_seconds
    async for item in explanation_events(explanation, delay, after=last_event_id or 0):
        fields = dict(item)
        name = fields.pop("event")
        if name == "token":
            yield ServerSentEvent(event=name, id=str(fields.pop("id")), data=fields)
        else:
            yield ServerSentEvent(event=name, data=fields)


@router.get(
    "/predict/explain/lines",
    summary="Stream the explanation of a prediction (JSON Lines)",
    responses=STREAM_ERRORS,
)
async def explain_as_lines(
    explanation: ExplanationDep, settings: SettingsDep
) -> AsyncIterator[dict[str, Any]]:
    """The same events as `/predict/explain`, one JSON object per line
    (`application/jsonl`): `{"event": "token", "id": 1, "text": "..."}` for each token, then
    `{"event": "done", ...}`."""
    async for item in explanation_events(explanation, settings.token_delay_seconds):
        yield item


@router.get("/stream-stats", summary="Count the open streams and sockets")
def read_stream_stats() -> StreamStatsOut:
    """Tokens generated so far, and the streams and WebSockets open right now."""
    return StreamStatsOut(
        tokens_generated=STATS.tokens_generated,
        streams_open=STATS.streams_open,
        sockets_open=STATS.sockets_open,
    )
