"""Another correct take: the limit on the router, the CSV built in full then sent in chunks."""

import csv
import io

from fastapi import APIRouter, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from errors import error_response
from model import FEATURES, ModelDep
from schemas import Measurement
from security import Caller

router = APIRouter(tags=["predictions"], max_body_size=1_048_576)


def csv_download(measurements, predictions, filename):
    out = io.StringIO()
    fields = ["species", "probability", *FEATURES]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for m, p in zip(measurements, predictions, strict=True):
        writer.writerow(
            {**m.model_dump(), "species": p.species, "probability": p.probabilities[p.species]}
        )
    text = out.getvalue()
    chunks = (text[i : i + 4096] for i in range(0, len(text), 4096))
    return StreamingResponse(
        chunks,
        media_type="text/csv",
        headers={"content-disposition": f"attachment; filename={filename}"},
    )


@router.post("/predict/csv")
def predict_csv(file: UploadFile, model: ModelDep, caller: Caller, request: Request):
    kind = file.headers.get("content-type", "")
    if kind.partition(";")[0].strip() != "text/csv":
        return error_response(request, 415, "unsupported_media_type", "CSV files only")
    reader = csv.DictReader(io.TextIOWrapper(file.file, encoding="utf-8"))
    flowers, errors = [], []
    try:
        missing = sorted(set(FEATURES) - set(reader.fieldnames or ()))
        if missing:
            raise RequestValidationError(
                [{"loc": ("body", "file"), "msg": f"no column {', '.join(missing)}"}]
            )
        for index, row in enumerate(reader):
            try:
                flowers.append(Measurement(**{name: row.get(name) for name in FEATURES}))
            except ValidationError as problem:
                for item in problem.errors():
                    errors.append(
                        {"loc": ("body", "rows", index + 1, *item["loc"]), "msg": item["msg"]}
                    )
    except UnicodeDecodeError:
        raise RequestValidationError([{"loc": ("body", "file"), "msg": "not UTF-8 text"}]) from None
    if errors:
        raise RequestValidationError(errors)
    if not flowers:
        raise RequestValidationError([{"loc": ("body", "file"), "msg": "no rows"}])
    return csv_download(flowers, model.predict(flowers), "predictions.csv")
