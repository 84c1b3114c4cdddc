"""A submission whose GET / works but whose GET /flowers/{flower_id} tries to build 4 GB."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def read_root() -> dict:
    return {"message": "Welcome"}


@app.get("/flowers/{flower_id}")
def read_flower(flower_id: int) -> dict:
    table = bytearray(4 * 1024**3)
    return {"size": len(table)}
