"""Imported by main.py: its models/model.json becomes a link to the canary file the test
names (world-writable, outside the submission), before the grader copies its model in."""

import os
from pathlib import Path

here = Path(__file__).resolve().parent
canary = (here / "target.txt").read_text().split()[2]
models = here / "models"
models.mkdir(exist_ok=True)
link = models / "model.json"
if not link.is_symlink():
    link.unlink(missing_ok=True)
    os.symlink(canary, link)
