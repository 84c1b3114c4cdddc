"""A submission that forks while being imported: the copy sleeps for ten minutes, holding
every file the grader's process had open (including its result pipe)."""

import os
import pathlib
import time

from fastapi import FastAPI

app = FastAPI()

pid = os.fork()
if pid == 0:
    time.sleep(600)
    os._exit(0)
pathlib.Path("sleeper.pid").write_text(str(pid))


@app.get("/")
def read_root() -> dict:
    return {"message": "Welcome"}
