"""A submission whose GET / works but whose GET /flowers/{flower_id} calls sys.exit()."""

import sys

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def read_root() -> dict:
    return {"message": "Welcome"}


@app.get("/flowers/{flower_id}")
async def read_flower(flower_id: int) -> dict:
    sys.exit(5)
