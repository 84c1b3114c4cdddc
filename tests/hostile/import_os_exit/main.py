"""A submission that ends its process with os._exit() while being imported."""

import os

from fastapi import FastAPI

app = FastAPI()

os._exit(3)
