"""Importing a student's submission and explaining, in one message, why it did not import."""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path
from types import ModuleType

ENTRY_MODULE = "main"


class SubmissionError(Exception):
    """The submission cannot be graded: the message says which file, line and error."""


_loaded: dict[Path, ModuleType] = {}


def _forget_modules_under(folder: Path) -> None:
    """Drop modules imported from ``folder`` so the next import reads the files again."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve().is_relative_to(folder):
            del sys.modules[name]


def where_in_submission(tb, folder: Path) -> str | None:
    """``main.py, line 12, in predict`` for the innermost traceback frame inside ``folder``."""
    found = None
    for frame in traceback.extract_tb(tb):
        path = Path(frame.filename)
        if path.is_absolute() and path.resolve().is_relative_to(folder):
            found = f"{path.resolve().relative_to(folder)}, line {frame.lineno}, in {frame.name}"
    return found


def describe_import_error(error: BaseException, folder: Path) -> str:
    """One plain message for an error raised while importing the submission."""
    if isinstance(error, SyntaxError) and error.filename:
        path = Path(error.filename)
        shown = path.name
        if path.is_absolute() and path.resolve().is_relative_to(folder):
            shown = str(path.resolve().relative_to(folder))
        return f"{shown}, line {error.lineno}: {type(error).__name__}: {error.msg}"
    if isinstance(error, SystemExit):
        what = f"exit status {error.code!r}"
        where = where_in_submission(error.__traceback__, folder) or f"{ENTRY_MODULE}.py"
        return f"{where}: the code called sys.exit() ({what}) while being imported"
    where = where_in_submission(error.__traceback__, folder) or f"{ENTRY_MODULE}.py"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{where}: {type(error).__name__}{': ' + text if text else ''}"


def load(folder: str | Path, *, reload: bool = False) -> ModuleType:
    """Import ``main.py`` from ``folder`` and check it defines a FastAPI ``app``.

    The folder goes first on ``sys.path`` so the submission's own modules (``schemas.py``,
    ``model.py``...) are the ones imported. Raises :class:`SubmissionError` with one line
    naming the file, the line and the error.
    """
    folder = Path(folder).resolve()
    if folder in _loaded and not reload:
        return _loaded[folder]
    if not (folder / f"{ENTRY_MODULE}.py").is_file():
        raise SubmissionError(f"{folder} has no {ENTRY_MODULE}.py: is this the lab folder?")
    for other in list(_loaded):
        _forget_modules_under(other)
        _loaded.pop(other)
    _forget_modules_under(folder)
    sys.modules.pop(ENTRY_MODULE, None)
    if str(folder) in sys.path:
        sys.path.remove(str(folder))
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(ENTRY_MODULE)
    except BaseException as error:  # noqa: BLE001 - a submission may raise anything, even SystemExit
        raise SubmissionError(describe_import_error(error, folder)) from None
    app = getattr(module, "app", None)
    if app is None:
        raise SubmissionError(f"{ENTRY_MODULE}.py does not define `app` (expected app = FastAPI())")
    from fastapi import FastAPI

    if not isinstance(app, FastAPI):
        raise SubmissionError(
            f"`app` in {ENTRY_MODULE}.py is a {type(app).__name__}, not a FastAPI application"
        )
    _loaded[folder] = module
    return module
