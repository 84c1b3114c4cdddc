"""Each lab's latest score, kept in a git-ignored file for ``just progress`` and ``just hint``.

Besides the score, the file keeps the names of the checks that failed last time, so that
``just hint N`` can start with the fuller hint of the first one. Nothing here imports more
than the standard library: ``just progress`` answers at once.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from autograder.course import ROOT, load_labs
from autograder.results import GradeResult

PROGRESS_FILE = ROOT / ".progress.json"
WIDTH = 80


def read(path: Path = PROGRESS_FILE) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(result: GradeResult, path: Path = PROGRESS_FILE) -> None:
    """Remember the latest score of a lab and its failed checks (written atomically)."""
    data = read(path)
    data[result.lab] = {
        "score": result.score,
        "max_score": result.max_score,
        "graded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "failed": [item.check.name for item in result.results if not item.passed],
        "problem": result.problem,
    }
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".progress-")
    with os.fdopen(handle, "w") as stream:
        json.dump(data, stream, indent=2)
    os.replace(temporary, path)


def score_text(entry: dict) -> str:
    try:
        return f"{entry['score']:g}/{entry['max_score']:g}"
    except (KeyError, TypeError, ValueError):
        return "?"


def _when(entry: dict) -> str:
    """``2026-12-03 15:31`` (UTC) from the stored ISO time."""
    text = str(entry.get("graded_at", ""))
    return text[:16].replace("T", " ")


def rows(path: Path = PROGRESS_FILE) -> list[tuple[str, str, str, str]]:
    """(lab, title, score, when) for every lab, in course order."""
    data = read(path)
    table = []
    for lab in load_labs():
        entry = data.get(lab.folder)
        if isinstance(entry, dict):
            table.append((lab.folder, lab.title, score_text(entry), _when(entry)))
        else:
            table.append((lab.folder, lab.title, "not graded yet", ""))
    return table


def table(path: Path = PROGRESS_FILE, width: int = WIDTH) -> str:
    """Every lab's latest score as a plain table that fits ``width`` columns."""
    score_width, when_width = 14, 16
    title_width = width - 4 - score_width - when_width - 3
    lines = [f"{'lab':3} {'title':{title_width}} {'latest score':>{score_width}}  graded (UTC)"]
    for folder, title, score, when in rows(path):
        number = folder.split("-", 1)[0]
        if len(title) > title_width:
            title = title[: title_width - 1] + "…"
        lines.append(f"{number:3} {title:{title_width}} {score:>{score_width}}  {when}".rstrip())
    return "\n".join(lines)
