"""A submission whose conftest.py marks every check passed (it must have no effect)."""

from fastapi import FastAPI

app = FastAPI()
