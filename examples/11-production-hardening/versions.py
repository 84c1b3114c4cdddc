"""Lab 11 example: /v1 deprecated beside /v2, with Deprecation and Sunset headers."""

from datetime import UTC, datetime
from email.utils import format_datetime

from fastapi import APIRouter, Depends, FastAPI, Response

DEPRECATED_AT = datetime(2026, 1, 1, tzinfo=UTC)
SUNSET_AT = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)


def mark_deprecated(response: Response) -> None:
    response.headers["Deprecation"] = f"@{int(DEPRECATED_AT.timestamp())}"  # RFC 9745
    response.headers["Sunset"] = format_datetime(SUNSET_AT, usegmt=True)  # RFC 8594


v1 = APIRouter(prefix="/v1", deprecated=True, dependencies=[Depends(mark_deprecated)])
v2 = APIRouter(prefix="/v2")


@v1.get("/price")
def price_v1() -> dict:
    return {"price": 12.5}


@v2.get("/price")
def price_v2() -> dict:
    return {"amount": 12.5, "currency": "EUR"}


app = FastAPI()
app.include_router(v1)
app.include_router(v2)
