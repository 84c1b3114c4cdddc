"""A submission whose GET / works but whose GET /flowers/{flower_id} never answers."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def read_root() -> dict:
    return {"message": "Welcome"}


@app.get("/flowers/{flower_id}")
def read_flower(flower_id: int) -> dict:
    while True:
        pass
