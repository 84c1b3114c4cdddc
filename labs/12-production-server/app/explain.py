"""Lab 12 · a small, deterministic text generator: the explanation of a prediction.

A large language model writes its answer one *token* (a word or a piece of one) at a time,
and a chat window shows each token as it comes. This module stands in for such a model,
with no download and no randomness: :func:`explanation_tokens` writes the same explanation
for the same flower every time, as a list of tokens. Joined, they are the whole text.

It also keeps :data:`STATS`, the counters of the streams and sockets this process serves,
which ``GET /stream-stats`` reports. Given: nothing to write in this file.
"""

from dataclasses import dataclass

from app.schemas import Measurement, Prediction


def explanation_text(measurement: Measurement, prediction: Prediction, model_version: str) -> str:
    """The explanation of one prediction, in plain words."""
    ranked = sorted(prediction.probabilities.items(), key=lambda item: item[1], reverse=True)
    best, best_probability = ranked[0]
    runner_up, runner_up_probability = ranked[1] if len(ranked) > 1 else ranked[0]
    petals = "short and narrow" if measurement.petal_length < 2.5 else "long and wide"
    return (
        f"Model {model_version} reads this flower as {best} (probability "
        f"{best_probability:.2f}). Its petals, {measurement.petal_length:g} by "
        f"{measurement.petal_width:g} cm, are {petals}. The next best guess is {runner_up}, "
        f"at {runner_up_probability:.2f}."
    )


def explanation_tokens(
    measurement: Measurement, prediction: Prediction, model_version: str
) -> list[str]:
    """The explanation as tokens: its first word, then each next word with the space before
    it, so that ``"".join(tokens)`` is the whole text."""
    first, *rest = explanation_text(measurement, prediction, model_version).split(" ")
    return [first, *(f" {word}" for word in rest)]


@dataclass
class StreamStats:
    """What this process is streaming: read by ``GET /stream-stats``.

    * ``tokens_generated``: tokens the explanation generators have produced, all streams
      together, since the process started (a generator that stops when its client leaves
      stops adding to it);
    * ``streams_open``: explanation generators running right now;
    * ``sockets_open``: WebSocket connections accepted and not yet finished.
    """

    tokens_generated: int = 0
    streams_open: int = 0
    sockets_open: int = 0


#: The process's counters. Every stream and every socket updates this one object.
STATS = StreamStats()
