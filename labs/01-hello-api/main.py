"""Lab 01: the Iris API says hello."""

from fastapi import FastAPI, HTTPException

from flowers import FLOWERS

app = FastAPI(title="Iris API")


@app.get("/")
def read_root() -> dict:
    """Greet the caller."""
    # TODO: return {"message": "..."} with any greeting.
    raise NotImplementedError


@app.get("/flowers/{flower_id}")
def read_flower(flower_id: int) -> dict:
    """One flower by id, or 404."""
    raise NotImplementedError
