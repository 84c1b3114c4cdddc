"""Lab 12 · the lifecycle log: one JSON line for each moment in a server's life.

A server with several workers is several processes, each with its own lifespan. To see what
ran where (and how often), each moment writes one line to the file named by the
IRIS_LIFECYCLE_LOG setting, with the id of the process that wrote it:

    {"event": "prestart", "pid": 4100, "time": "2026-05-04T10:00:00.123456+00:00"}
    {"event": "startup", "pid": 4107, ...}     one for each worker, its model loaded
    {"event": "shutdown", "pid": 4107, ...}    one for each worker, its model released

Without IRIS_LIFECYCLE_LOG nothing is written. Each line is written by one `write` call on a
file opened for appending, so the lines of processes writing at once never mix.
"""

import json
import os
from datetime import UTC, datetime

from app.core.config import Settings


def record(settings: Settings, event: str) -> None:
    """Append the event ``event`` of this process to the lifecycle log, if there is one."""
    if not settings.lifecycle_log:
        return
    line = {"event": event, "pid": os.getpid(), "time": datetime.now(UTC).isoformat()}
    with open(settings.lifecycle_log, "a", encoding="utf-8") as log:
        log.write(json.dumps(line) + "\n")
