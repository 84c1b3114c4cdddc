"""Why checks failed, grouped: one entry per cause, so the same crash is explained once.

Failed checks are grouped when their messages show one cause:

* the same error raised at the same line of the submission (``raised at main.py, line 20``)
  or the same line running when time ran out: a *crash*, shown with the TODO above it;
* a request to a path the app does not have (``answered 404 {"detail":"Not Found"}``);
* otherwise, exactly the same message.

It also finds the TODO comments left in a submission, for the report's "next step".
Nothing here imports pytest, FastAPI or rich.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder import submission
from autograder.course import GENERATED_PARTS
from autograder.results import CheckResult, GradeResult

ERROR_NAME = r"[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Iteration|Warning)"
RAISED_AT = re.compile(
    rf"(?P<error>{ERROR_NAME}(?::[^()\n]*?)?)\s*\(raised at (?P<file>[^,()]+), "
    r"line (?P<line>\d+), in (?P<function>[^)]+)\)"
)
STILL_RUNNING = re.compile(
    r"(?P<error>timed out after [\d.]+ s) \(still running (?P<file>[^,()]+), "
    r"line (?P<line>\d+), in (?P<function>[^)]+)\)"
)
REQUEST = re.compile(r"^(?P<method>GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (?P<path>/[^\s?]*)")
CALL = re.compile(r"^(?P<function>[A-Za-z_][\w.]*)\(")
NOT_FOUND = re.compile(r' answered 404 \(?\{"detail": ?"Not Found"\}')
TODO = re.compile(r"#\s*TODO\b(?:\s+(?P<number>\d+))?\s*:?\s*(?P<text>.*)$")
# Folders that hold no code of the student's: what running the lab wrote, installed packages.
SKIPPED_FOLDERS = GENERATED_PARTS | {"site-packages", "node_modules", "build"}
MAX_FILES, MAX_FILE_BYTES = 60, 200_000


@dataclass(frozen=True)
class Todo:
    """A ``# TODO N: ...`` comment left in the submission."""

    file: str  # relative to the submission folder
    line: int
    number: int | None
    text: str

    @property
    def label(self) -> str:
        return f"TODO {self.number}" if self.number is not None else "TODO"

    @property
    def place(self) -> str:
        return f"{self.file}, line {self.line}"


@dataclass
class Cause:
    """One reason for failure, and the checks it fails."""

    kind: str  # "crash", "missing-route" or "message"
    title: str  # one line: what happened
    evidence: str  # the first check's message: what was sent and what came back
    results: list[CheckResult] = field(default_factory=list)
    place: str = ""  # "main.py, line 20, in read_root" for a crash
    error: str = ""  # "AttributeError: 'State' object has no attribute 'model'" for a crash
    site: tuple[str, int] | None = None  # the file and line of a crash
    after: str = ""  # what the message says after the crash's place (its consequence)
    todo: Todo | None = None

    @property
    def points(self) -> float:
        return sum(result.check.points for result in self.results)

    @property
    def names(self) -> list[str]:
        return [result.check.name for result in self.results]


def _request_of(message: str) -> str:
    """``GET /flowers`` for a message that starts with a request (its query left out)."""
    match = REQUEST.match(message)
    return f"{match['method']} {match['path']}" if match else ""


def _call_of(message: str) -> str:
    """``train()`` for a message that starts with a call of one of the student's functions."""
    match = CALL.match(message)
    return f"{match['function']}()" if match else ""


def _key_and_cause(result: CheckResult) -> tuple[tuple, Cause]:
    message = result.message.strip() or "failed"
    crash = RAISED_AT.search(message) or STILL_RUNNING.search(message)
    if crash:
        error = crash["error"].strip()
        place = f"{crash['file']}, line {crash['line']}, in {crash['function'].strip()}"
        request = _request_of(message) or _call_of(message)
        verb = "timed out" if error.startswith("timed out") else "crashed"
        shown = error.split(":")[0] if verb == "crashed" else error
        title = f"{request} {verb}: {shown}" if request else f"{verb}: {shown}"
        cause = Cause("crash", title, message, place=place, error=error)
        cause.after = message[crash.end() :].strip(" ;,.")
        cause.site = (crash["file"], int(crash["line"]))
        return ("crash", crash["file"], crash["line"], error.split(":")[0]), cause
    request = _request_of(message)
    if request and NOT_FOUND.search(message):
        title = f"{request} answers 404 Not Found: the app has no such route"
        return ("missing-route", request), Cause("missing-route", title, message)
    first_line = message.splitlines()[0]
    return ("message", message), Cause("message", first_line, message)


def group_failures(result: GradeResult, folder: Path | None = None) -> list[Cause]:
    """The failed checks of ``result`` grouped by cause, in the order of the first check of
    each cause. With ``folder``, a crash names the TODO comment above the line it came from."""
    causes: dict[tuple, Cause] = {}
    for item in result.results:
        if item.passed:
            continue
        key, cause = _key_and_cause(item)
        if key not in causes:
            causes[key] = cause
            if folder is not None and cause.site is not None:
                cause.todo = todo_above(folder, *cause.site)
        causes[key].results.append(item)
    for cause in causes.values():
        if cause.kind != "message":
            continue
        if len(cause.results) == 1:
            cause.title = cause.results[0].check.name
        else:
            cause.title = f"{len(cause.results)} checks fail for one reason"
    return list(causes.values())


# ---------------------------------------------------------------- TODO comments


def _source_files(folder: Path) -> list[Path]:
    """The submission's own Python files, the module that holds the app first (``main.py``
    or ``app/main.py``), then by depth (no symlinks, no installed code)."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        relative = path.relative_to(folder).parts
        if any(part.startswith(".") or part in SKIPPED_FOLDERS for part in relative[:-1]):
            continue
        if path.is_symlink() or not inside(folder, path):
            continue
        found.append(path)
        if len(found) >= MAX_FILES:
            break
    try:
        entry = folder / submission.entrypoint(folder).file
    except submission.SubmissionError:
        entry = folder / submission.Entrypoint().file
    return sorted(found, key=lambda path: (path != entry, len(path.parts), str(path)))


def inside(folder: Path, path: Path) -> bool:
    """Whether ``path`` is a regular file of ``folder`` itself (no link leads out of it)."""
    try:
        real = path.resolve(strict=True)
        return real.is_file() and real.is_relative_to(Path(folder).resolve(strict=True))
    except (OSError, RuntimeError):
        return False


def _lines(path: Path) -> list[str]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return []
        return path.read_text(errors="replace").splitlines()
    except OSError:
        return []


def _todos_in(lines: list[str], relative: str) -> list[Todo]:
    todos = []
    for index, line in enumerate(lines):
        match = TODO.search(line.strip()) if line.lstrip().startswith("#") else None
        if not match:
            continue
        text = match["text"].strip()
        indent = len(line) - len(line.lstrip())
        for following in lines[index + 1 : index + 6]:  # the comment's continuation lines
            stripped = following.strip()
            deeper = len(following) - len(following.lstrip()) >= indent
            if not stripped.startswith("#") or TODO.search(stripped) or not deeper:
                break
            text += " " + stripped.lstrip("#").strip()
        number = int(match["number"]) if match["number"] else None
        todos.append(Todo(relative, index + 1, number, text))
    return todos


def find_todos(folder: Path) -> list[Todo]:
    """Every TODO comment in the submission, by number (unnumbered ones last)."""
    folder = Path(folder)
    todos: list[Todo] = []
    for path in _source_files(folder):
        todos += _todos_in(_lines(path), path.relative_to(folder).as_posix())
    return sorted(todos, key=lambda todo: (todo.number is None, todo.number or 0))


def todo_above(folder: Path, file: str, line: int) -> Todo | None:
    """The TODO comment of the function that raised at ``file``, ``line``."""
    path = Path(folder) / file
    if path.is_symlink() or path.suffix != ".py" or not inside(folder, path):
        return None
    lines = _lines(path)
    if not 0 < line <= len(lines):
        return None
    for index in range(line - 1, max(-1, line - 40), -1):
        text = lines[index].strip()
        if text.startswith("#") and TODO.search(text):
            return next(todo for todo in _todos_in(lines, file) if todo.line == index + 1)
        if text.startswith(("def ", "async def ", "class ")):
            return None
    return None
