"""Lab 08 · the prediction log: every predicted flower is a row, callers label them later.

- ``log_predictions`` writes the rows of one request (called by /predict and /predict/batch);
- ``GET /predictions`` lists them a page at a time, filtered, in a stable order (by id);
- ``GET``, ``PATCH`` (feedback) and ``DELETE`` (admins) work on one row;
- ``GET /accuracy`` compares predictions with their labels, by model version.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlalchemy import func
from sqlmodel import Session, col, select

from api_docs import not_found
from database import SessionDep
from errors import request_id_of
from records import (
    FeedbackUpdate,
    PredictionPage,
    PredictionPublic,
    PredictionRecord,
    VersionAccuracy,
)
from schemas import Measurement, Prediction, Species
from security import ADMIN_ERRORS, AUTH_ERRORS, AdminUser, Caller

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
NOT_FOUND = not_found("logged prediction")

# Every route of the log needs a caller: 401 without one (see api_docs.py).
router = APIRouter(tags=["prediction log"], responses=AUTH_ERRORS)


def log_predictions(
    session: Session,
    request: Request,
    measurements: list[Measurement],
    predictions: list[Prediction],
    *,
    model_version: str,
    caller: str,
) -> list[PredictionRecord]:
    """Write one row per predicted flower, in one transaction; return the rows (with ids)."""
    rid = request_id_of(request)
    rows = [
        PredictionRecord.from_prediction(
            flower, answer, model_version=model_version, request_id=rid, caller=caller
        )
        for flower, answer in zip(measurements, predictions, strict=True)
    ]
    session.add_all(rows)
    session.commit()
    for row in rows:
        session.refresh(row)
    return rows


def as_utc(moment: datetime) -> datetime:
    """A time of a filter in UTC; a time without a time zone is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@router.get("/predictions", summary="List logged predictions, a page at a time")
def list_predictions(
    session: SessionDep,
    caller: Caller,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    species: Species | None = None,
    model_version: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    labelled: bool | None = None,
) -> PredictionPage:
    """Logged predictions, oldest first (by id), a page at a time, optionally filtered."""
    conditions = []
    if species is not None:
        conditions.append(PredictionRecord.species == species)
    if model_version is not None:
        conditions.append(PredictionRecord.model_version == model_version)
    if since is not None:
        conditions.append(col(PredictionRecord.created_at) >= as_utc(since))
    if until is not None:
        conditions.append(col(PredictionRecord.created_at) < as_utc(until))
    if labelled is True:
        conditions.append(col(PredictionRecord.true_species).is_not(None))
    elif labelled is False:
        conditions.append(col(PredictionRecord.true_species).is_(None))

    count_query = select(func.count(col(PredictionRecord.id))).where(*conditions)
    matching = session.exec(count_query).one()
    page_query = (
        select(PredictionRecord)
        .where(*conditions)
        .order_by(col(PredictionRecord.id).asc())
        .offset(offset)
        .limit(limit)
    )
    rows = [PredictionPublic.model_validate(row) for row in session.exec(page_query).all()]
    return PredictionPage(items=rows, total=matching, offset=offset, limit=limit)


def record_or_404(session: Session, prediction_id: int) -> PredictionRecord:
    """The row with this id, or a 404."""
    record = session.get(PredictionRecord, prediction_id)
    if record is None:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND,
            detail=f"Prediction {prediction_id} not found",
        )
    return record


@router.get(
    "/predictions/{prediction_id}", summary="Read one logged prediction", responses=NOT_FOUND
)
def read_prediction(prediction_id: int, session: SessionDep, caller: Caller) -> PredictionPublic:
    """One logged prediction."""
    return PredictionPublic.model_validate(record_or_404(session, prediction_id))


@router.patch(
    "/predictions/{prediction_id}",
    summary="Label a prediction with the true species",
    responses=NOT_FOUND,
)
def give_feedback(
    prediction_id: int, feedback: FeedbackUpdate, session: SessionDep, caller: Caller
) -> PredictionPublic:
    """Attach the true species (and a note) to a logged prediction: only the fields sent
    change; null clears one."""
    record = record_or_404(session, prediction_id)
    for field, value in feedback.model_dump(exclude_unset=True).items():
        setattr(record, field, value)
    session.add(record)
    session.commit()
    session.refresh(record)
    return PredictionPublic.model_validate(record)


@router.delete(
    "/predictions/{prediction_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a logged prediction (admins)",
    responses={**ADMIN_ERRORS, **NOT_FOUND},
)
def delete_prediction(prediction_id: int, session: SessionDep, admin: AdminUser) -> Response:
    """Remove a logged prediction (admins only)."""
    session.delete(record_or_404(session, prediction_id))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/accuracy", summary="Live accuracy per model version")
def live_accuracy(session: SessionDep, caller: Caller) -> list[VersionAccuracy]:
    """For each model version with labelled predictions: how many, how many right, and the
    share right. Unlabelled predictions do not count."""
    query = select(
        PredictionRecord.model_version,
        PredictionRecord.species,
        PredictionRecord.true_species,
    ).where(col(PredictionRecord.true_species).is_not(None))
    tally: dict[str, list[int]] = {}
    for version, predicted, actual in session.exec(query):
        counts = tally.setdefault(version, [0, 0])
        counts[0] += 1
        counts[1] += int(predicted == actual)
    return [
        VersionAccuracy(
            model_version=version, labelled=total, correct=right, accuracy=right / total
        )
        for version, (total, right) in sorted(tally.items())
    ]
