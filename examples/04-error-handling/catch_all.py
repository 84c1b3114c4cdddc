"""A catch-all handler: a bug becomes a 500 that reveals nothing; the details go to the log.

A handler registered for ``Exception`` runs for any error no other handler caught. The
caller learns only that something failed; whoever runs the service reads the traceback in
the log.
"""

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)

app = FastAPI(title="Calculator")


@app.exception_handler(Exception)
async def hide_the_details(request: Request, exc: Exception) -> JSONResponse:
    """Log the whole error (exc_info adds the traceback), answer a plain 500."""
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        status_code=500,
        content={"detail": "Something went wrong on our side."},
    )


@app.get("/ratio")
def ratio(a: float, b: float) -> dict:
    """a / b. The bug: b = 0 raises ZeroDivisionError."""
    return {"ratio": a / b}
