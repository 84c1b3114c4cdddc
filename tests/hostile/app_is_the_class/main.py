"""A submission that forgot the parentheses: `app` is the FastAPI class itself."""

from fastapi import FastAPI

app = FastAPI
