"""Importing a student's submission and explaining, in one message, why it did not import."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

ENTRY_MODULE = "main"
MAX_TEXT = 300


class SubmissionError(Exception):
    """The submission cannot be graded: the message says which file, line and error."""


_loaded: dict[Path, ModuleType] = {}


def _inside(path: str | os.PathLike, folder: Path) -> str | None:
    """``path`` relative to ``folder`` when the file is the submission's own, else None.

    ``folder`` is resolved, and so are the paths of the files imported from it (it is
    put on ``sys.path`` resolved), so comparing text is enough. Installed packages are never
    the submission's, even in a virtual environment a student created in the lab folder.
    """
    text = os.path.abspath(os.fspath(path))
    prefix = str(folder) + os.sep
    if not text.startswith(prefix):
        return None
    relative = text[len(prefix) :]
    if "site-packages" in relative or "dist-packages" in relative:
        return None
    return relative


def _forget_modules_under(folder: Path) -> None:
    """Drop modules imported from ``folder`` so the next import reads the files again."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and _inside(file, folder) is not None:
            del sys.modules[name]


def modules_from(folder: Path) -> dict[str, ModuleType]:
    """The imported modules whose file is inside ``folder`` (the submission's own modules).

    The submission is imported from ``folder`` as it is on ``sys.path``, so a prefix test is
    enough (and far cheaper than resolving the path of every module).
    """
    prefixes = tuple({str(folder) + os.sep, str(Path(folder).resolve()) + os.sep})
    found = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and file.startswith(prefixes):
            found[name] = module
    return found


def entry_folder() -> Path:
    """The folder of the submission's main.py (the one first on ``sys.path``)."""
    return Path(importlib.util.find_spec(ENTRY_MODULE).origin).resolve().parent


@contextmanager
def imported_afresh(folder: Path, name: str = ENTRY_MODULE) -> Iterator[ModuleType]:
    """Import the submission's module ``name`` (and its own modules) again, as new modules,
    so that nothing an earlier start left in them counts; put back the modules that were
    there before on the way out. Used by checks that need a freshly started app."""
    saved = modules_from(folder)
    for module in saved:
        del sys.modules[module]
    try:
        importlib.invalidate_caches()
        yield importlib.import_module(name)
    finally:
        for module in modules_from(folder):
            sys.modules.pop(module, None)
        sys.modules.update(saved)


def where_in_submission(tb, folder: Path) -> str | None:
    """``main.py, line 12, in predict`` for the innermost traceback frame inside ``folder``."""
    found = None
    for frame in traceback.extract_tb(tb):
        relative = _inside(frame.filename, folder) if os.path.isabs(frame.filename) else None
        if relative is not None:
            found = f"{relative}, line {frame.lineno}, in {frame.name}"
    return found


def describe_error(error: BaseException, folder: Path | None = None) -> str:
    """``ValueError: bad value (raised at main.py, line 3, in f)``: one line for a student."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    message = f"{type(error).__name__}{': ' + text if text else ''}"
    where = None
    try:
        where = where_in_submission(error.__traceback__, folder or Path.cwd())
    except Exception:  # noqa: BLE001 - a traceback that cannot be read: the message alone
        where = None
    return f"{message} (raised at {where})" if where else message


def error_text(error: BaseException) -> str:
    """``TypeError: the first line of the message``, even for an exception that cannot be
    printed; long messages are cut."""
    try:
        text = str(error).strip()
    except Exception:  # noqa: BLE001 - a student's exception may fail to print itself
        text = ""
    first = text.splitlines()[0] if text else ""
    if len(first) > MAX_TEXT:
        first = first[:MAX_TEXT] + "..."
    name = type(error).__name__
    if isinstance(error, MemoryError):
        return f"{name}: {first + ' - ' if first else ''}more memory than the grader allows"
    if isinstance(error, RecursionError):
        return f"{name}: a function kept calling itself ({first or 'maximum recursion depth'})"
    return f"{name}: {first}" if first else name


def describe_import_error(error: BaseException, folder: Path) -> str:
    """One plain message for an error raised while importing the submission."""
    folder = Path(folder).resolve()
    if isinstance(error, SyntaxError) and error.filename:
        relative = _inside(error.filename, folder) if os.path.isabs(error.filename) else None
        shown = relative or Path(error.filename).name
        return f"{shown}, line {error.lineno}: {type(error).__name__}: {error.msg}"
    where = where_in_submission(error.__traceback__, folder) or f"{ENTRY_MODULE}.py"
    if isinstance(error, SystemExit):
        return (
            f"{where}: the code called sys.exit() (exit status {error.code!r}) while being "
            "imported: the grader imports main.py, so nothing may exit at import time"
        )
    if isinstance(error, KeyboardInterrupt):
        return f"{where}: KeyboardInterrupt was raised while main.py was being imported"
    return f"{where}: {error_text(error)}"


def _check_app(module: ModuleType) -> None:
    """Raise :class:`SubmissionError` unless ``module.app`` is a FastAPI application."""
    from fastapi import FastAPI

    expected = "expected app = FastAPI()"
    try:
        app = getattr(module, "app", None)
    except Exception as error:  # noqa: BLE001 - a module __getattr__ may raise anything
        raise SubmissionError(
            f"reading `app` from {ENTRY_MODULE}.py failed: {error_text(error)}"
        ) from None
    if app is None:
        raise SubmissionError(f"{ENTRY_MODULE}.py does not define `app` ({expected})")
    if isinstance(app, FastAPI):
        return
    if isinstance(app, type) and issubclass(app, FastAPI):
        raise SubmissionError(
            f"`app` in {ENTRY_MODULE}.py is the FastAPI class itself, not an application: "
            "call it (app = FastAPI())"
        )
    kind = type(app)
    described = (
        kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    )
    raise SubmissionError(
        f"`app` in {ENTRY_MODULE}.py is a {described}, not a FastAPI application ({expected})"
    )


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
    _check_app(module)
    _loaded[folder] = module
    return module


def _routes_of(app) -> Iterator:
    """Every route of the app, those of included routers too (which recent FastAPI releases
    keep behind one entry per ``include_router``)."""
    pending, seen = list(getattr(app, "routes", ())), set()
    while pending:
        route = pending.pop()
        if id(route) in seen:
            continue
        seen.add(id(route))
        yield route
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            # an unusual router that cannot list them: its own routes still count
            with contextlib.suppress(Exception):
                pending += list(contexts())
        router = getattr(route, "original_router", None)
        pending += list(getattr(router, "routes", ()))


def _dependencies_of(app) -> Iterator:
    """Every function the app's routes depend on, directly or through other dependencies
    (route, router and app dependencies included)."""
    pending = [getattr(route, "dependant", None) for route in _routes_of(app)]
    seen: set[int] = set()
    while pending:
        dependant = pending.pop()
        if dependant is None or id(dependant) in seen:
            continue
        seen.add(id(dependant))
        for sub in getattr(dependant, "dependencies", ()):
            if getattr(sub, "call", None) is not None:
                yield sub.call
            pending.append(sub)


def find_dependency(app, name: str):
    """The student's dependency called ``name``, wherever it is defined: ``main.<name>``,
    or a function of that name one of the app's routes depends on (``model.get_model``
    used by a router). None when there is none."""
    found = getattr(sys.modules.get(ENTRY_MODULE), name, None)
    if found is not None:
        return found
    for call in _dependencies_of(app):
        if getattr(call, "__name__", None) == name:
            return call
    return None
