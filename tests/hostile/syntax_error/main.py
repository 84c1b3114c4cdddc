"""A submission with a syntax error: the closing parenthesis of the decorator is missing."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/"
def read_root() -> dict:
    return {"message": "Welcome"}
