"""A submission whose settings module fails while main.py is being imported."""

from fastapi import FastAPI

from settings import SETTINGS

app = FastAPI(title=SETTINGS["title"])
