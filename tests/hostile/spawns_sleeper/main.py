"""A submission that starts a long-running process while being imported (and leaves it)."""

import pathlib
import subprocess

from fastapi import FastAPI

app = FastAPI()

SLEEPER = subprocess.Popen(["sleep", "600"])
pathlib.Path("sleeper.pid").write_text(str(SLEEPER.pid))


@app.get("/")
def read_root() -> dict:
    return {"message": "Welcome"}
