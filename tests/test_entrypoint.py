"""Where a submission's app is: ``main.py``, the ``app/`` package, or a declared entry point.

The grader finds the app the way `fastapi dev` and `fastapi run` do when started in the lab
folder, so a student's app that those commands serve is the app that gets graded.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from autograder import submission
from autograder.course import find_lab
from autograder.instructor.finder import find_lab_folder, why_not_found
from autograder.runner import missing_entry

APP = """\
from fastapi import FastAPI

from app.api import routes

app = FastAPI()
app.include_router(routes.router)
"""
ROUTES = """\
from fastapi import APIRouter

router = APIRouter()


@router.get("/answer")
def answer() -> dict:
    return {{"answer": {value}}}
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return folder


def package_app(folder: Path, value: int = 42) -> Path:
    """A lab folder laid out as a package, with no ``__init__.py`` anywhere."""
    return write(folder, {"app/main.py": APP, "app/api/routes.py": ROUTES.format(value=value)})


@pytest.fixture
def restore_imports():
    """Put ``sys.path`` back and forget the test's submissions once a test is done."""
    path = list(sys.path)
    yield
    sys.path[:] = path
    for folder in list(submission._loaded):
        submission._forget_modules_under(folder)
        submission._loaded.pop(folder)
        submission._entries.pop(folder, None)
    submission._current = submission.Entrypoint()


def test_a_folder_with_main_py_keeps_main_py(tmp_path):
    write(tmp_path, {"main.py": "", "app/main.py": ""})
    assert str(submission.entrypoint(tmp_path)) == "main:app"


def test_a_folder_with_only_app_main_py_is_a_package(tmp_path):
    entry = submission.entrypoint(package_app(tmp_path))
    assert (str(entry), entry.file) == ("app.main:app", "app/main.py")


def test_an_entry_point_declared_in_pyproject_wins(tmp_path):
    write(tmp_path, {"pyproject.toml": '[tool.fastapi]\nentrypoint = "service.web:api"\n'})
    entry = submission.entrypoint(tmp_path)
    assert (entry.module, entry.attribute, entry.file) == ("service.web", "api", "service/web.py")


def test_a_pyproject_without_an_entry_point_changes_nothing(tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.ruff]\nline-length = 100\n", "main.py": ""})
    assert str(submission.entrypoint(tmp_path)) == "main:app"


@pytest.mark.parametrize(
    "text",
    [
        '[tool.fastapi]\nentrypoint = "app/main.py"\n',
        "[tool.fastapi\n",
        "[tool.fastapi]\nentrypoint = 3\n",
    ],
    ids=["a path, not module:attribute", "not TOML", "not a string"],
)
def test_a_bad_declaration_is_one_clear_line(tmp_path, text):
    write(tmp_path, {"pyproject.toml": text})
    with pytest.raises(submission.SubmissionError, match="pyproject.toml") as raised:
        submission.entrypoint(tmp_path)
    assert "\n" not in str(raised.value)


def test_a_package_app_imports_and_a_reload_reads_its_files_again(tmp_path, restore_imports):
    folder = package_app(tmp_path / "lab")
    from fastapi.testclient import TestClient

    module = submission.load(folder)
    assert TestClient(submission.app_of(module)).get("/answer").json() == {"answer": 42}
    assert submission.entry_folder() == folder.resolve()
    package_app(folder, value=7)
    again = submission.load(folder, reload=True)
    assert TestClient(submission.app_of(again)).get("/answer").json() == {"answer": 7}


def test_an_import_error_in_a_package_names_its_file(tmp_path, restore_imports):
    folder = package_app(tmp_path / "lab")
    write(folder, {"app/api/routes.py": "raise RuntimeError('broken on purpose')\n"})
    with pytest.raises(submission.SubmissionError, match=r"app/api/routes\.py, line 1"):
        submission.load(folder)


def test_an_app_missing_from_the_package_is_named(tmp_path, restore_imports):
    folder = write(tmp_path / "lab", {"app/main.py": "application = None\n"})
    with pytest.raises(submission.SubmissionError, match=r"app/main\.py does not define `app`"):
        submission.load(folder)


def test_a_folder_without_an_app_names_both_places(tmp_path):
    problem = missing_entry(tmp_path)
    assert "main.py (or app/main.py)" in problem


def test_the_finder_takes_the_lab_folder_not_its_app_package(tmp_path):
    lab = find_lab(11)
    handed_in = package_app(tmp_path / "zip" / "my-work")
    assert find_lab_folder(tmp_path / "zip", lab) == handed_in
    assert "no main.py was found" in why_not_found(tmp_path / "empty", lab)


def test_a_package_of_the_same_name_imported_elsewhere_does_not_shadow_it(
    tmp_path, restore_imports
):
    """Another ``app`` package (another lab's, a test's) already imported, with an
    ``app.api`` of its own: the submission's ``app.api.routes`` is still the one found."""
    other = write(tmp_path / "other", {"app/__init__.py": "", "app/api/__init__.py": ""})
    for name in [name for name in sys.modules if name == "app" or name.startswith("app.")]:
        del sys.modules[name]
    sys.path.insert(0, str(other))
    __import__("app.api")
    sys.path.remove(str(other))
    module = submission.load(package_app(tmp_path / "lab", value=7))
    assert submission.app_of(module).routes and "app.api.routes" in sys.modules
    assert str(tmp_path / "lab") in sys.modules["app.api.routes"].__file__
