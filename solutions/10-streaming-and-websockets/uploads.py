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

import codecs
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
    return StreamingResponse(
        csv_lines(measurements, predictions),
        media_type=CSV_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def read_measurements(upload: UploadFile) -> list[Measurement]:
    """Every row of the uploaded CSV as a Measurement, or one 422 naming each bad value:
    ``rows.N.column`` (rows counted from 1, the header line not counted)."""
    text = codecs.iterdecode(upload.file, "utf-8-sig")
    try:
        reader = csv.DictReader(text)
        missing = [name for name in FEATURES if name not in (reader.fieldnames or [])]
        if missing:
            raise_problems([("file", f"the header line lacks the column(s) {', '.join(missing)}")])
        rows = list(reader)
    except UnicodeDecodeError:
        raise_problems([("file", "the file is not UTF-8 text")])
    if not rows:
        raise_problems([("file", "the file has a header line but no rows")])
    measurements, problems = [], []
    for number, row in enumerate(rows, start=1):
        values = {feature: row.get(feature) for feature in FEATURES}
        try:
            measurements.append(Measurement.model_validate(values))
        except ValidationError as error:
            for problem in error.errors():
                where = f"rows.{number}" + "".join(f".{part}" for part in problem["loc"])
                problems.append((where, problem["msg"]))
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
    content_type = (file.content_type or "").split(";")[0].strip().lower()
    if content_type != CSV_TYPE:
        raise HTTPException(
            status_code=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=f"Upload a CSV file (text/csv), not {content_type or 'a file without a type'}.",
        )
    measurements = read_measurements(file)
    return csv_download(measurements, model.predict(measurements), "predictions.csv")
