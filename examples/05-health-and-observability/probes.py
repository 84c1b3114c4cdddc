"""Liveness and readiness for a service that loads a resource when it starts.

The thesaurus loads its word list in lifespan, from the file named by SYNONYMS_PATH. If the
file is missing or broken it starts anyway: /health answers 200 (the process is alive) while
/ready answers 503 (do not send traffic here) until a smoke lookup works.
"""

import json
import logging
import os
import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request

STARTED_AT = time.monotonic()
SMOKE_WORD = "happy"  # a word every real word list knows

logger = logging.getLogger("thesaurus")


@asynccontextmanager
async def lifespan(app: FastAPI):
    path = Path(os.environ.get("SYNONYMS_PATH", "synonyms.json"))
    try:
        app.state.synonyms = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        logger.error("could not load %s: %s; starting without a word list", path, error)
        app.state.synonyms = None
    yield


app = FastAPI(title="Thesaurus", version="1.2.0", lifespan=lifespan)


@app.get("/health")
def health() -> dict:
    """Liveness: the process answers. Nothing else is looked at, so this never fails."""
    return {"status": "ok", "uptime_seconds": time.monotonic() - STARTED_AT}


@app.get("/ready")
def ready(request: Request) -> dict:
    """Readiness: the word list is loaded and a real lookup works."""
    synonyms = request.app.state.synonyms
    try:
        found = synonyms[SMOKE_WORD]  # TypeError without a list, KeyError without the word
        if not found:
            raise LookupError(f"no synonyms for {SMOKE_WORD!r}")
    except Exception as error:
        logger.warning("not ready: %r", error)
        raise HTTPException(status_code=503, detail="The word list is not usable yet") from None
    return {"status": "ready", "words": len(synonyms)}


@app.get("/synonyms/{word}")
def read_synonyms(word: str, request: Request) -> list[str]:
    """The synonyms of a word (an empty list for a word the thesaurus does not know)."""
    if request.app.state.synonyms is None:
        raise HTTPException(status_code=503, detail="The word list is not loaded")
    return request.app.state.synonyms.get(word.lower(), [])
