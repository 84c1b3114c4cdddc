"""Every route hangs."""

import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def root():
    time.sleep(3600)


@app.get("/hello/{name}")
def hello(name: str):
    time.sleep(3600)


@app.get("/flowers")
def flowers():
    time.sleep(3600)


@app.get("/flowers/{flower_id}")
async def flower(flower_id: int):
    time.sleep(3600)
