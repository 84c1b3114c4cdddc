"""A submission that names its application something other than `app`."""

from fastapi import FastAPI

application = FastAPI()


@application.get("/")
def read_root() -> dict:
    return {"message": "Welcome"}
