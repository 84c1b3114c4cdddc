"""Lab 12 · PLACEHOLDER route written while the lab is a draft: replaced by the lab's own
routes (settings, CORS, rate limits, versions) before the lab is released."""

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

router = APIRouter(tags=["draft"])


class DraftStatus(BaseModel):
    """PLACEHOLDER answer: which lab this is, and that it is still a draft."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"lab": 11, "status": "draft"}]})

    lab: int
    status: str


@router.get("/draft", summary="PLACEHOLDER: the lab's status")
def draft_status() -> DraftStatus:
    """PLACEHOLDER route: replace it with the first route of this lab's contract."""
    return DraftStatus(lab=11, status="draft")
