"""A friendlier 422: the same status, one short entry per problem, and no echo of the input.

FastAPI raises ``RequestValidationError`` when a request breaks the rules of its parameters
or body; ``exc.errors()`` is the list FastAPI would have put in ``detail``.
"""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field


class Guest(BaseModel):
    name: str = Field(min_length=1)
    age: int = Field(ge=0, le=130)


class Party(BaseModel):
    room: str
    guests: list[Guest] = Field(min_length=1, max_length=20)


app = FastAPI(title="Parties")


@app.exception_handler(RequestValidationError)
async def friendly_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Keep 422; say where each problem is as a path such as "body/guests/1/age"."""
    problems = [
        {"at": "/".join(str(part) for part in error["loc"]), "problem": error["msg"]}
        for error in exc.errors()
    ]
    return JSONResponse(status_code=422, content={"problems": problems})


@app.post("/parties")
def plan_party(party: Party) -> dict:
    """Accept a party of 1 to 20 guests."""
    return {"room": party.room, "guests": len(party.guests)}
