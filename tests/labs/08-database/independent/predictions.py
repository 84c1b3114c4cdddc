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
    request_id = request.state.request_id
    rows = []
    for measurement, prediction in zip(measurements, predictions, strict=True):
        rows.append(
            PredictionRecord.from_prediction(
                measurement,
                prediction,
                model_version=model_version,
                request_id=request_id,
                caller=caller,
            )
        )
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
    matches = select(PredictionRecord).where(
        *matching(species, model_version, since, until, labelled)
    )
    total = session.exec(select(func.count()).select_from(matches.subquery())).one()
    page = session.exec(
        matches.order_by(col(PredictionRecord.id).asc()).offset(offset).limit(limit)
    ).all()
    return PredictionPage(
        items=[PredictionPublic.model_validate(row) for row in page],
        total=total,
        offset=offset,
        limit=limit,
    )


def matching(
    species: str | None,
    model_version: str | None,
    since: datetime | None,
    until: datetime | None,
    labelled: bool | None,
) -> list:
    """The WHERE conditions of the list's filters; a filter not given adds none."""
    conditions = []
    if species is not None:
        conditions.append(col(PredictionRecord.species) == species)
    if model_version is not None:
        conditions.append(col(PredictionRecord.model_version) == model_version)
    if since is not None:
        conditions.append(col(PredictionRecord.created_at) >= as_utc(since))
    if until is not None:
        conditions.append(col(PredictionRecord.created_at) < as_utc(until))
    if labelled is True:
        conditions.append(col(PredictionRecord.true_species).is_not(None))
    elif labelled is False:
        conditions.append(col(PredictionRecord.true_species).is_(None))
    return conditions


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
    for field in feedback.model_fields_set:  # the fields the caller sent, null included
        setattr(record, field, getattr(feedback, field))
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
    version = col(PredictionRecord.model_version)
    got_it_right = col(PredictionRecord.species) == col(PredictionRecord.true_species)
    per_version = (
        select(version, func.count(), func.count().filter(got_it_right))
        .where(col(PredictionRecord.true_species).is_not(None))
        .group_by(version)
        .order_by(version)
    )
    entries = []
    for name, labelled, correct in session.exec(per_version):
        entries.append(
            VersionAccuracy(
                model_version=name,
                labelled=labelled,
                correct=correct,
                accuracy=correct / labelled,
            )
        )
    return entries
