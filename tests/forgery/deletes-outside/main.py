"""Deletes a file outside its own folder (the test's canary), at import and in a handler."""

import contextlib
import os

from fastapi import FastAPI


def vandalise() -> None:
    with contextlib.suppress(Exception):
        os.remove(os.environ["CANARY_FILE"])


vandalise()
app = FastAPI()


@app.get("/")
def root():
    vandalise()
    return {"message": "hi"}
