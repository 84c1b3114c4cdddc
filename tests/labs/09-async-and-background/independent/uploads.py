"""Lab 09 · CSV in, CSV out: batch predictions from an uploaded file.

``POST /predict/csv`` takes a file (``multipart/form-data``, field ``file``) with a header
line naming the four measurements, one flower per line. Three guards, cheapest first:

1. the size: FastAPI's own ``max_body_size`` refuses a body over 1 MiB with ``413``, and it
   counts the bytes while they arrive, so an oversized upload is never read whole;
2. the type: a file that does not say it is ``text/csv`` gets ``415``;
3. the rows: every bad value is reported at once, named by its row and column (``422``).

The answer is a CSV download, produced line by line (``StreamingResponse``), so a large
result never sits whole in memory.
"""

import csv
import io
from collections.abc import Iterator

from fastapi import APIRouter, HTTPException, Request, UploadFile, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from api_docs import CSV_DOWNLOAD, MODEL_UNAVAILABLE, TOO_LARGE, UNSUPPORTED_TYPE
from model import FEATURES, ModelDep
from schemas import Measurement, Prediction
from security import AUTH_ERRORS, Caller

MAX_UPLOAD_BYTES = 1024 * 1024  # the whole request body, file and multipart framing
CSV_TYPE = "text/csv"
RESULT_COLUMNS = [*FEATURES, "species", "probability"]
ROWS_PER_PIECE = 500  # lines of the result file sent together

router = APIRouter(tags=["predictions"], responses=AUTH_ERRORS)


def csv_lines(measurements: list[Measurement], predictions: list[Prediction]) -> Iterator[str]:
    """The result file in pieces of up to ROWS_PER_PIECE lines: a header, then one line per
    flower. Starlette runs a plain generator in a worker thread, one trip per piece it
    yields: pieces of many lines keep a 10 000-row file fast, and the first piece still
    leaves before the last line is written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    pairs = zip(measurements, predictions, strict=True)
    for number, (measurement, prediction) in enumerate(pairs, start=1):
        values = [getattr(measurement, feature) for feature in FEATURES]
        writer.writerow([*values, prediction.species, prediction.probabilities[prediction.species]])
        if number % ROWS_PER_PIECE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_download(
    measurements: list[Measurement], predictions: list[Prediction], filename: str
) -> StreamingResponse:
    """A CSV file the browser saves as ``filename``, streamed line by line."""
    # TODO 8: return a StreamingResponse of csv_lines(...) with media_type "text/csv" and
    #         the header Content-Disposition: attachment; filename="<filename>".
    disposition = f'attachment; filename="{filename}"'
    return StreamingResponse(
        csv_lines(measurements, predictions),
        media_type=CSV_TYPE,
        headers={"Content-Disposition": disposition},
    )


def read_measurements(upload: UploadFile) -> list[Measurement]:
    """Every row of the uploaded CSV as a Measurement, or one 422 naming each bad value:
    ``rows.N.column`` (rows counted from 1, the header line not counted)."""
    # The body is at most 1 MiB (max_body_size), so the file is read whole, then decoded.
    try:
        text = upload.file.read().decode("utf-8-sig")
    except UnicodeDecodeError as bad:
        raise_problems([("file", f"the file is not UTF-8 text (byte {bad.start} is not)")])
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = set(reader.fieldnames or ())
    absent = [column for column in FEATURES if column not in header]
    if absent:
        raise_problems([("file", "the header line has no column " + ", ".join(absent))])
    measurements: list[Measurement] = []
    problems: list[tuple[str, str]] = []
    number = 0
    for number, row in enumerate(reader, start=1):  # the header line is not a row
        try:
            measurements.append(Measurement(**{column: row[column] for column in FEATURES}))
        except ValidationError as invalid:
            for error in invalid.errors():
                field = f"rows.{number}"
                if error["loc"]:  # empty for a rule about the whole row
                    field += f".{error['loc'][0]}"
                problems.append((field, error["msg"].removeprefix("Value error, ")))
    if number == 0:
        raise_problems([("file", "the file has a header line but no flowers")])
    if problems:
        raise_problems(problems)
    return measurements


def raise_problems(problems: list[tuple[str, str]]) -> None:
    """A 422 in the envelope of lab 04: each (field, problem) becomes one entry of fields."""
    raise RequestValidationError(
        [{"loc": ("body", *field.split(".")), "msg": message} for field, message in problems]
    )


@router.post(
    "/predict/csv",
    summary="Predict every flower of a CSV file",
    response_class=StreamingResponse,
    max_body_size=MAX_UPLOAD_BYTES,
    responses={**CSV_DOWNLOAD, **TOO_LARGE, **UNSUPPORTED_TYPE, **MODEL_UNAVAILABLE},
)
def predict_csv(
    file: UploadFile, model: ModelDep, caller: Caller, request: Request
) -> StreamingResponse:
    """Upload a CSV file of flowers (at most 1 MiB); download it back with a species and
    its probability on each line."""
    # TODO 6: refuse a file whose content type is not text/csv with
    #         HTTPException(415); then read_measurements(file), model.predict them and
    #         return csv_download(..., "predictions.csv").
    media_type = (file.content_type or "").split(";")[0].strip().lower()
    if media_type != CSV_TYPE:
        raise HTTPException(
            status_code=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=f"The file must be {CSV_TYPE}, not {file.content_type or 'of no type'}",
        )
    flowers = read_measurements(file)
    return csv_download(flowers, model.predict(flowers), "predictions.csv")
