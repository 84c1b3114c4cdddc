"""Lab 12 · the prediction log: every predicted flower is a row, callers label them later.

- ``log_predictions`` writes the rows of one request (called by /predict and /predict/batch);
- ``GET /predictions`` lists them a page at a time, filtered, in a stable order (by id);
- ``GET``, ``PATCH`` (feedback) and ``DELETE`` (admins) work on one row;
- ``GET /accuracy`` compares predictions with their labels, by model version.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlalchemy import case, func, insert
from sqlmodel import Session, col, select

from app.api_docs import not_found
from app.deps import AdminUser, Caller, SessionDep
from app.records import (
    FeedbackUpdate,
    PredictionPage,
    PredictionPublic,
    PredictionRecord,
    VersionAccuracy,
    utc_now,
)
from app.schemas import Measurement, Prediction, Species
from app.security import ADMIN_ERRORS, AUTH_ERRORS

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
) -> list[int]:
    """Write one row per predicted flower with one INSERT; return their ids, in order.

    Lab 12: the rows go in as plain dictionaries, one ``INSERT ... RETURNING id`` for them
    all (SQLAlchemy's bulk INSERT), instead of a ``PredictionRecord`` object per row that the
    session tracks and flushes. The rows are the same; building and flushing 100 objects was
    most of a batch prediction's time.
    """
    logged_at = utc_now()  # the rows of one request share their time
    rows = [
        {
            **measurement.model_dump(),
            "created_at": logged_at,
            "species": prediction.species,
            "probabilities": prediction.probabilities,
            "model_version": model_version,
            "request_id": request.state.request_id,
            "caller": caller,
        }
        for measurement, prediction in zip(measurements, predictions, strict=True)
    ]
    statement = insert(PredictionRecord).returning(
        PredictionRecord.id, sort_by_parameter_order=True
    )
    ids = list(session.scalars(statement, rows))
    session.commit()
    return ids


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
    filters = []
    if species is not None:
        filters.append(PredictionRecord.species == species)
    if model_version is not None:
        filters.append(PredictionRecord.model_version == model_version)
    if since is not None:
        filters.append(PredictionRecord.created_at >= as_utc(since))
    if until is not None:
        filters.append(PredictionRecord.created_at < as_utc(until))
    if labelled is not None:
        labels = col(PredictionRecord.true_species)
        filters.append(labels.is_not(None) if labelled else labels.is_(None))
    total = session.exec(select(func.count()).select_from(PredictionRecord).where(*filters)).one()
    page = (
        select(PredictionRecord)
        .where(*filters)
        .order_by(col(PredictionRecord.id))
        .offset(offset)
        .limit(limit)
    )
    items = [PredictionPublic.model_validate(row) for row in session.exec(page)]
    return PredictionPage(items=items, total=total, offset=offset, limit=limit)


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
    record.sqlmodel_update(feedback.model_dump(exclude_unset=True))
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
    right = case((col(PredictionRecord.species) == col(PredictionRecord.true_species), 1), else_=0)
    rows = session.exec(
        select(PredictionRecord.model_version, func.count(), func.sum(right))
        .where(col(PredictionRecord.true_species).is_not(None))
        .group_by(col(PredictionRecord.model_version))
        .order_by(col(PredictionRecord.model_version))
    )
    return [
        VersionAccuracy(
            model_version=version, labelled=labelled, correct=correct, accuracy=correct / labelled
        )
        for version, labelled, correct in rows
    ]
