"""``just serve N`` and ``just train N``: run the student's own lab folder.

``serve`` runs ``fastapi dev`` in the lab folder (no second ``uv run``, no shell line
echoed, Ctrl+C ends it quietly), on the app the grader grades: ``main.py``, or
``app.main:app`` for a lab laid out as a package (``submission.entrypoint``).
``train`` runs the lab's ``train.py`` there, so the model lands in the lab's own ``models/``
folder; a ``train`` that is still a TODO is answered with the TODO's place instead of a traceback.
"""

from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
import traceback
from pathlib import Path

from autograder import submission
from autograder.causes import find_todos
from autograder.terminal import own_foreground

TRAIN_SCRIPT = "train.py"


def serve(folder: Path, extra: list[str]) -> int:
    """Run ``fastapi dev`` on the lab's app in ``folder`` until Ctrl+C, which ends it
    quietly."""
    try:
        entry = submission.entrypoint(folder)
    except submission.SubmissionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not (folder / entry.file).is_file():
        print(f"error: {folder} has no {submission.missing_what(folder, entry)}", file=sys.stderr)
        return 2
    # main.py as a path (as the earlier labs' handouts show), any other app by its entry point
    target = [entry.file] if entry == submission.Entrypoint() else ["--entrypoint", str(entry)]
    command = [sys.executable, "-m", "fastapi", "dev", *target, *extra]
    if (folder / "app" / "prestart.py").is_file():
        # From lab 12 on, the once-only start-up work (migrations) runs before the server;
        # when it fails, its error shows and the server starts all the same.
        subprocess.run([sys.executable, "-m", "app.prestart"], cwd=folder, check=False)
    with own_foreground():
        server = subprocess.Popen(command, cwd=folder)
        while True:
            try:
                code = server.wait()
                break
            except KeyboardInterrupt:
                continue  # the server got the same Ctrl+C: let it shut down
    return 0 if code in (0, -signal.SIGINT, 130) else code


def _todo_place(folder: Path, file: str) -> str:
    todos = [todo for todo in find_todos(folder) if todo.file == file]
    return f" ({todos[0].label}, {todos[0].place})" if todos else ""


def train(folder: Path, extra: list[str]) -> int:
    """Run the lab's ``train.py`` in ``folder`` with ``extra`` arguments."""
    script = folder / TRAIN_SCRIPT
    if not script.is_file():
        print(f"error: this lab has no {TRAIN_SCRIPT}: it serves no model of its own")
        return 2
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    sys.argv = [TRAIN_SCRIPT, *extra]
    try:
        runpy.run_path(TRAIN_SCRIPT, run_name="__main__")
    except NotImplementedError:
        print(
            f"{TRAIN_SCRIPT} is not written yet{_todo_place(folder, TRAIN_SCRIPT)}: "
            "write the training there first."
        )
        return 1
    except SystemExit as end:
        return end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
    except KeyboardInterrupt:
        return 1
    except Exception:  # noqa: BLE001 - the student's script: show its traceback as Python would
        traceback.print_exc()
        return 1
    return 0
