"""HTTPException: stop a route and answer an error with a status, a detail and headers.

FastAPI turns the exception into the answer: its status code, ``{"detail": ...}`` as the
body, and any headers you give it.
"""

from fastapi import FastAPI, HTTPException

BOOKS = {1: "Dune", 2: "Solaris"}
REBUILDING_REPORTS = True

app = FastAPI(title="Library")


@app.get("/books/{book_id}")
def read_book(book_id: int) -> dict:
    """One book, or 404."""
    if book_id not in BOOKS:
        raise HTTPException(status_code=404, detail=f"Book {book_id} not found")
    return {"id": book_id, "title": BOOKS[book_id]}


@app.get("/reports/latest")
def latest_report() -> dict:
    """The latest report, or 503 while it is being rebuilt."""
    if REBUILDING_REPORTS:
        raise HTTPException(
            status_code=503,
            detail="The reports are being rebuilt",
            headers={"Retry-After": "120"},  # seconds: when it is worth asking again
        )
    return {"books": len(BOOKS)}
