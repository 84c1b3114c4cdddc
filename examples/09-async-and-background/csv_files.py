"""CSV in and out: an upload with a size limit and a type check, a streamed download."""

import codecs
import csv
import io
from collections.abc import Iterator

from fastapi import FastAPI, HTTPException, UploadFile
from fastapi.responses import StreamingResponse

app = FastAPI(title="CSV demo")
MAX_UPLOAD_BYTES = 64 * 1024


@app.post("/count-words", max_body_size=MAX_UPLOAD_BYTES)
def count_words(file: UploadFile) -> dict:
    """FastAPI refuses a body over the limit with 413 while it arrives."""
    if file.content_type != "text/csv":
        raise HTTPException(status_code=415, detail="send a text/csv file")
    rows = csv.DictReader(codecs.iterdecode(file.file, "utf-8"))
    return {"words": sum(len(row["text"].split()) for row in rows)}


def squares(count: int) -> Iterator[str]:
    """One line at a time: the whole file never sits in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["n", "square"])
    for n in range(count):
        writer.writerow([n, n * n])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


@app.get("/squares.csv")
def download_squares(count: int = 10) -> StreamingResponse:
    return StreamingResponse(
        squares(count),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="squares.csv"'},
    )
