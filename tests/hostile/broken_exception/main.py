"""A submission whose GET / works but whose GET /flowers/{flower_id} raises an exception
that cannot even be printed (its __str__ raises)."""

from fastapi import FastAPI

app = FastAPI()


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("cannot print this")


@app.get("/")
def read_root() -> dict:
    return {"message": "Welcome"}


@app.get("/flowers/{flower_id}")
def read_flower(flower_id: int) -> dict:
    raise Unprintable()
