"""Log records cross from a sandbox to the harness: the student's app logs there, the checks
read ``caplog`` here. Each record travels as one JSON line on a pipe."""

from __future__ import annotations

import contextlib
import json
import os
import threading


class RemoteError(Exception):
    """Stands for an exception logged in the sandbox; its text is the formatted traceback."""


_STANDARD_ATTRIBUTES = set(vars(__import__("logging").makeLogRecord({})))


class LogForwarder:
    """In the sandbox: a logging handler writing each record as one JSON line on a pipe."""

    def __init__(self, fd: int) -> None:
        import logging

        self.fd = fd
        self.lock = threading.Lock()
        forwarder = self

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                forwarder.send(record)

        self.handler = Handler(level=0)

    def send(self, record) -> None:
        import logging

        document = {
            "name": record.name,
            "levelno": record.levelno,
            "levelname": record.levelname,
            "msg": record.getMessage(),
            "pathname": record.pathname,
            "lineno": record.lineno,
            "funcName": record.funcName,
            "created": record.created,
        }
        if record.exc_info and record.exc_info[1] is not None:
            document["exc_text"] = logging.Formatter().formatException(record.exc_info)
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES}
        document["extra"] = json.loads(json.dumps(extra, default=str))
        self.write(document)

    def write(self, document: dict) -> None:
        line = (json.dumps(document, default=str) + "\n").encode()
        with self.lock, contextlib.suppress(OSError):
            while line:
                line = line[os.write(self.fd, line) :]


def replay(document: dict) -> None:
    """In the harness: log a record that came from the sandbox, as if it had been logged here."""
    import logging

    fields = {key: document[key] for key in document if key not in ("extra", "exc_text")}
    extra = document.get("extra", {})
    fields.update(extra if isinstance(extra, dict) else {})
    fields["args"] = None
    if "exc_text" in document:
        fields["exc_info"] = (RemoteError, RemoteError(str(document["exc_text"])), None)
        fields["exc_text"] = str(document["exc_text"])
    try:
        record = logging.makeLogRecord(fields)
        logging.getLogger(str(record.name)).handle(record)
    except Exception:  # noqa: BLE001 - a line the student's code forged: not a record
        return
