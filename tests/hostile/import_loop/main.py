"""A submission that never finishes importing."""

from fastapi import FastAPI

app = FastAPI()

while True:
    pass
