"""One handler for every HTTPException, including unknown routes and wrong methods.

Starlette, the toolkit under FastAPI, raises *its own* ``HTTPException`` when no route matches
the path (404) or the path exists but not for this method (405). FastAPI's ``HTTPException``
is a subclass of it, so a handler registered for Starlette's class catches both kinds.
"""

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

app = FastAPI(title="Notes")
NOTES = {1: "buy milk"}


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Every HTTPException in one shape; its headers (such as Allow on a 405) are kept."""
    return JSONResponse(
        status_code=exc.status_code,
        content={"problem": {"status": exc.status_code, "message": str(exc.detail)}},
        headers=exc.headers,
    )


@app.get("/notes/{note_id}")
def read_note(note_id: int) -> dict:
    """One note, or 404 (FastAPI's HTTPException, caught by the same handler)."""
    if note_id not in NOTES:
        raise HTTPException(status_code=404, detail=f"Note {note_id} not found")
    return {"id": note_id, "text": NOTES[note_id]}
