"""An app with no routes at all."""

from fastapi import FastAPI

app = FastAPI()
