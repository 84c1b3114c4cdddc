"""Each lab's latest score, kept in a git-ignored file for ``just progress``."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from autograder.course import ROOT, load_labs
from autograder.results import GradeResult

PROGRESS_FILE = ROOT / ".progress.json"


def read(path: Path = PROGRESS_FILE) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def record(result: GradeResult, path: Path = PROGRESS_FILE) -> None:
    """Remember the latest score of a lab (written atomically)."""
    data = read(path)
    data[result.lab] = {
        "score": result.score,
        "max_score": result.max_score,
        "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".progress-")
    with os.fdopen(handle, "w") as stream:
        json.dump(data, stream, indent=2)
    os.replace(temporary, path)


def rows(path: Path = PROGRESS_FILE) -> list[tuple[str, str, str, str]]:
    """(lab, title, score, when) for every lab, in course order."""
    data = read(path)
    table = []
    for lab in load_labs():
        entry = data.get(lab.folder)
        if entry:
            score = f"{entry['score']:g}/{entry['max_score']:g}"
            table.append((lab.folder, lab.title, score, entry["graded_at"]))
        else:
            table.append((lab.folder, lab.title, "not graded yet", ""))
    return table
