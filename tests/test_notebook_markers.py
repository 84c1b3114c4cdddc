"""nbval reads a marker comment (``# NBVAL_IGNORE_OUTPUT``) only when it is alone on its line:
a reason written after it on the same line silently turns the marker off."""

from __future__ import annotations

import json

import pytest
from nbval.plugin import comment_markers

from autograder.course import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_nbval_comment_is_a_marker_nbval_reads(notebook):
    cells = json.loads(notebook.read_text())["cells"]
    unread = [
        line.strip()
        for cell in cells
        if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines()
        if line.strip().lstrip("#").strip().startswith("NBVAL")
        and line.strip().lstrip("#").strip() not in comment_markers
    ]
    assert not unread, f"nbval ignores these comments (put the marker alone on its line): {unread}"
