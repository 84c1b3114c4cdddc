"""Importing a student's submission and explaining, in one message, why it did not import."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
import tomllib
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from autograder.app_routes import dependencies_of
from autograder.own_files import read_own_file

# The app of a lab folder without its own entry point: ``app`` in ``main.py``.
ENTRY_MODULE = "main"
ENTRY_ATTRIBUTE = "app"
# The file a lab folder declares its app in, the way `fastapi dev` and `fastapi run` read it:
# ``[tool.fastapi] entrypoint = "app.main:app"``.
PROJECT_FILE = "pyproject.toml"
MAX_PROJECT_BYTES = 64 * 1024  # more than any pyproject.toml holds
MAX_TEXT = 300


class SubmissionError(Exception):
    """The submission cannot be graded: the message says which file, line and error."""


@dataclass(frozen=True)
class Entrypoint:
    """Where a submission's app lives: ``module`` (``main`` or ``app.main``) and the
    ``attribute`` of that module that is the app (``app``)."""

    module: str = ENTRY_MODULE
    attribute: str = ENTRY_ATTRIBUTE

    @property
    def file(self) -> str:
        """The module's file inside the submission folder: ``main.py``, ``app/main.py``."""
        return self.module.replace(".", "/") + ".py"

    def __str__(self) -> str:
        return f"{self.module}:{self.attribute}"


_IMPORT_STRING = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*")


def entrypoint(folder: str | Path) -> Entrypoint:
    """Where the app of a submission folder is, found the way `fastapi dev` and `fastapi run`
    find it when started in that folder:

    1. the entry point a ``pyproject.toml`` declares (``[tool.fastapi] entrypoint =
       "app.main:app"``), when the folder has one (the course's labs do not: a
       ``pyproject.toml`` in a lab folder would make ``uv run`` there build an environment
       of its own instead of using the course's);
    2. ``app`` in ``main.py`` (labs 01-10);
    3. ``app`` in ``app/main.py``, the package layout of the later labs.

    A declaration that cannot be read raises :class:`SubmissionError` saying what to write.
    """
    folder = Path(folder)
    project = folder / PROJECT_FILE
    if not os.path.lexists(project):
        return _discovered(folder)
    # Read as the grader may be root: never through a link, never more than a project file
    # holds, never waiting on a pipe.
    text = read_own_file(project.absolute(), limit=MAX_PROJECT_BYTES)
    if text is None:
        raise SubmissionError(f"{PROJECT_FILE} cannot be read: it is not a regular file (a link?)")
    try:
        data = tomllib.loads(text.decode())
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SubmissionError(f"{PROJECT_FILE} cannot be read: {error_text(error)}") from None
    tool = data.get("tool")
    fastapi = tool.get("fastapi") if isinstance(tool, dict) else None
    declared = fastapi.get("entrypoint") if isinstance(fastapi, dict) else None
    if declared is None:
        return _discovered(folder)
    if not isinstance(declared, str) or not _IMPORT_STRING.fullmatch(declared.strip()):
        raise SubmissionError(
            f"{PROJECT_FILE}: [tool.fastapi] entrypoint must read like "
            f'"app.main:app" (module:attribute), not {declared!r}'
        )
    module, _, attribute = declared.strip().partition(":")
    return Entrypoint(module, attribute)


def missing_what(folder: Path, entry: Entrypoint) -> str:
    """What a folder without its app lacks, in words: ``main.py (or app/main.py)``, or the
    file of the entry point its ``pyproject.toml`` declares."""
    if entry not in (Entrypoint(), PACKAGE_ENTRY):
        return f"{entry.file} (the entry point {entry} of its {PROJECT_FILE})"
    return f"{Entrypoint().file} (or {PACKAGE_ENTRY.file})"


def _discovered(folder: Path) -> Entrypoint:
    """``main:app``, or ``app.main:app`` for a folder with ``app/main.py`` and no ``main.py``."""
    if not (folder / "main.py").is_file() and (folder / PACKAGE_ENTRY.file).is_file():
        return PACKAGE_ENTRY
    return Entrypoint()


PACKAGE_ENTRY = Entrypoint("app.main", "app")

_loaded: dict[Path, ModuleType] = {}
_entries: dict[Path, Entrypoint] = {}
# The entry point of the submission imported last (what ``find_dependency`` looks in).
_current = Entrypoint()


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


def _location(module: ModuleType) -> str | None:
    """The file a module was read from, or the folder of a package without an
    ``__init__.py`` (a namespace package, such as an ``app/`` folder of modules)."""
    file = getattr(module, "__file__", None)
    if isinstance(file, str):
        return file
    path = getattr(module, "__path__", None)
    try:
        places = list(path) if path is not None else []
    except Exception:  # noqa: BLE001 - an odd module's path may refuse to be listed
        return None
    return places[0] if len(places) == 1 and isinstance(places[0], str) else None


# name -> (module, its location): a module's file does not change, and a grading looks for
# the submission's modules among every imported one up to thirty times (lab 03: 3 ms a look).
_locations: dict[str, tuple[object, str | None]] = {}


def _module_locations() -> list[tuple[str, str | None]]:
    """``(name, location)`` of every module in ``sys.modules`` (see :func:`_location`)."""
    found = []
    for name, module in list(sys.modules.items()):
        known = _locations.get(name)
        if known is None or known[0] is not module:
            known = _locations[name] = (module, _location(module))
        found.append((name, known[1]))
    return found


def _forget_modules_under(folder: Path) -> None:
    """Drop modules imported from ``folder`` so the next import reads the files again.

    All are found before any is dropped: a namespace package finds its folder through its
    parent package's entry in ``sys.modules``."""
    found = []
    for name, file in _module_locations():
        if file is not None and _inside(file, folder) is not None:
            found.append(name)
    for name in found:
        sys.modules.pop(name, None)


def modules_from(folder: Path) -> dict[str, ModuleType]:
    """The imported modules whose file is inside ``folder`` (the submission's own modules).

    The submission is imported from ``folder`` as it is on ``sys.path``, so a prefix test is
    enough (and far cheaper than resolving the path of every module).
    """
    prefixes = tuple({str(folder) + os.sep, str(Path(folder).resolve()) + os.sep})
    found = {}
    for name, file in _module_locations():
        if file is not None and (file + os.sep).startswith(prefixes):
            found[name] = sys.modules[name]
    return found


def entry_folder() -> Path:
    """The submission folder of the app imported last (the folder first on ``sys.path``):
    ``main.py``'s folder, or the folder that holds the ``app/`` package."""
    origin = Path(importlib.util.find_spec(_current.module).origin).resolve()
    return origin.parents[_current.module.count(".")]


def entry_module() -> ModuleType | None:
    """The imported module that holds the app (``main``, or ``app.main``), or None."""
    return sys.modules.get(_current.module)


def app_of(module: ModuleType) -> object:
    """The app of an imported entry module (its ``app``, or the attribute the folder
    declares)."""
    return getattr(module, _current.attribute)


@contextmanager
def imported_afresh(folder: Path, name: str | None = None) -> Iterator[ModuleType]:
    """Import the submission's module ``name`` (default: the module that holds the app)
    and its own modules again, as new modules, so that nothing an earlier start left in
    them counts; put back the modules that were there before on the way out. Used by
    checks that need a freshly started app."""
    if name is None:
        name = entrypoint(folder).module
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


def describe_import_error(
    error: BaseException, folder: Path, entry: Entrypoint | None = None
) -> str:
    """One plain message for an error raised while importing the submission."""
    folder = Path(folder).resolve()
    file = (entry or Entrypoint()).file
    if isinstance(error, SyntaxError) and error.filename:
        relative = _inside(error.filename, folder) if os.path.isabs(error.filename) else None
        shown = relative or Path(error.filename).name
        return f"{shown}, line {error.lineno}: {type(error).__name__}: {error.msg}"
    where = where_in_submission(error.__traceback__, folder) or file
    if isinstance(error, SystemExit):
        return (
            f"{where}: the code called sys.exit() (exit status {error.code!r}) while being "
            f"imported: the grader imports {file}, so nothing may exit at import time"
        )
    if isinstance(error, KeyboardInterrupt):
        return f"{where}: KeyboardInterrupt was raised while {file} was being imported"
    return f"{where}: {error_text(error)}"


def _check_app(module: ModuleType, entry: Entrypoint) -> None:
    """Raise :class:`SubmissionError` unless the entry point's attribute (``app``) is a
    FastAPI application."""
    from fastapi import FastAPI

    name, file = entry.attribute, entry.file
    expected = f"expected {name} = FastAPI()"
    try:
        app = getattr(module, name, None)
    except Exception as error:  # noqa: BLE001 - a module __getattr__ may raise anything
        raise SubmissionError(f"reading `{name}` from {file} failed: {error_text(error)}") from None
    if app is None:
        raise SubmissionError(f"{file} does not define `{name}` ({expected})")
    if isinstance(app, FastAPI):
        return
    if isinstance(app, type) and issubclass(app, FastAPI):
        raise SubmissionError(
            f"`{name}` in {file} is the FastAPI class itself, not an application: "
            f"call it ({name} = FastAPI())"
        )
    kind = type(app)
    described = (
        kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    )
    raise SubmissionError(
        f"`{name}` in {file} is a {described}, not a FastAPI application ({expected})"
    )


def load(folder: str | Path, *, reload: bool = False) -> ModuleType:
    """Import the module that holds the app from ``folder`` (``main.py``, or the entry point
    its ``pyproject.toml`` declares, such as ``app/main.py``) and check it defines a FastAPI
    app. Returns that module; :func:`app_of` gives its app.

    The folder goes first on ``sys.path`` so the submission's own modules (``schemas.py``,
    ``model.py``, the ``app`` package...) are the ones imported. Raises
    :class:`SubmissionError` with one line naming the file, the line and the error.
    """
    global _current
    folder = Path(folder).resolve()
    if folder in _loaded and not reload:
        _current = _entries[folder]
        return _loaded[folder]
    entry = entrypoint(folder)
    if not (folder / entry.file).is_file():
        raise SubmissionError(
            f"{folder} has no {missing_what(folder, entry)}: is this the lab folder?"
        )
    for other in list(_loaded):
        _forget_modules_under(other)
        _loaded.pop(other)
    _forget_modules_under(folder)
    # Modules of the same names imported from elsewhere (another lab's ``app`` package, and
    # its ``app.api``...) would shadow the submission's: drop them, submodules too.
    for name in (_current.module, entry.module):
        top = name.split(".")[0]
        for loaded in [key for key in sys.modules if key == top or key.startswith(top + ".")]:
            sys.modules.pop(loaded, None)
    _current = entry
    if str(folder) in sys.path:
        sys.path.remove(str(folder))
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(entry.module)
    except BaseException as error:  # noqa: BLE001 - a submission may raise anything, even SystemExit
        raise SubmissionError(describe_import_error(error, folder, entry)) from None
    _check_app(module, entry)
    _loaded[folder], _entries[folder] = module, entry
    return module


def find_dependency(app, name: str):
    """The student's dependency called ``name``, wherever it is defined: ``main.<name>``
    (on the module that holds the app), or a function of that name one of the app's routes
    depends on (``model.get_model`` used by a router). None when there is none."""
    found = getattr(entry_module(), name, None)
    if found is not None:
        return found
    for call in dependencies_of(app):
        if getattr(call, "__name__", None) == name:
            return call
    return None
