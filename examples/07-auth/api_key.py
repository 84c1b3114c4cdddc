"""Lab 07 example: a weather station sends readings with an API key.

Machines have no password to type: they send a long random key in a header. The keys live in
the environment (STATION_KEYS='{"roof": "...", "garden": "..."}'), never in the code, and are
compared with `secrets.compare_digest`, whose time does not depend on how much of a guess
was right.

Try it: `STATION_KEYS='{"roof": "k-roof-123"}' uv run fastapi dev examples/07-auth/api_key.py`,
then `curl -X POST -H 'X-API-Key: k-roof-123' 'http://127.0.0.1:8000/readings?celsius=21.5'`.
"""

import json
import os
import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import APIKeyHeader

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def station_for(api_key: Annotated[str | None, Depends(api_key_header)]) -> str:
    """The station this key belongs to; 401 for a missing or unknown key."""
    keys: dict[str, str] = json.loads(os.environ.get("STATION_KEYS", "{}"))
    if api_key is not None:
        for station, key in keys.items():
            if secrets.compare_digest(api_key.encode(), key.encode()):
                return station
    raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Unknown API key")


Station = Annotated[str, Depends(station_for)]

app = FastAPI(title="Weather station")


@app.post("/readings")
def add_reading(celsius: float, station: Station) -> dict:
    """Record one temperature, from the station the key belongs to."""
    return {"station": station, "celsius": celsius}
