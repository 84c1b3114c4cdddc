"""Lab 12 · Production server: PLACEHOLDER app written by `just new-lab`.

Replace it with this lab's service: start from the previous lab's main.py
(solutions/11-production-hardening/main.py) and add what this lab teaches. The other modules of
this folder are lab 11's, carried unchanged (`carries` in course.toml).
"""

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from api_docs import serve_docs_offline


class DraftStatus(BaseModel):
    """PLACEHOLDER answer: which lab this is, and that it is still a draft."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"lab": 12, "status": "draft"}]})

    lab: int
    status: str


app = FastAPI(title="Iris API", version="0.12.0")
serve_docs_offline(app)  # /docs and /redoc work without internet (see api_docs.py)


@app.get("/draft", tags=["draft"], summary="PLACEHOLDER: the lab's status")
def draft_status() -> DraftStatus:
    """PLACEHOLDER route: replace it with the first route of this lab's contract."""
    # TODO 1: answer {"lab": 12, "status": "draft"} (PLACEHOLDER task: replace it).
    raise NotImplementedError
