"""A submission that calls sys.exit() while being imported."""

import sys

from fastapi import FastAPI

app = FastAPI()

if __name__ != "__main__":
    sys.exit(2)
