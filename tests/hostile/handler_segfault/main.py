"""A submission whose GET / works but whose GET /flowers/{flower_id} crashes the process
with a segmentation fault (reading memory at address 0)."""

import ctypes

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def read_root() -> dict:
    return {"message": "Welcome"}


@app.get("/flowers/{flower_id}")
def read_flower(flower_id: int) -> dict:
    return {"id": ctypes.string_at(0)}
