"""A submission that tries to hold 4 GB in memory while being imported (say, a whole data
set read at once). Without the grader's memory cap it would get it, and slow the machine to
a crawl; with the cap it gets a MemoryError."""

from fastapi import FastAPI

app = FastAPI()

DATASET = bytearray(4 * 1024**3)
