"""Secure mode with an interpreter that other users cannot read.

A root user's Python often lives under ``/root`` (pyenv, or a Python that uv installed),
which no other user may enter. Secure mode must then still run the student's code as
another user, not fall back to root: the sandbox sees the interpreter through its own view
of the file system. This test builds the course's environment on such a Python and grades
with it: the solution keeps full marks, an attack that reads the solution by path gets 0.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.course import ROOT, find_lab

CANDIDATES = [
    *sorted(Path("/root/.local/share/uv/python").glob("cpython-3.1[1-9]*/bin/python3")),
    *sorted(Path("/root/.pyenv/versions").glob("3.1[1-9]*/bin/python3")),
]


def private_interpreter() -> Path | None:
    """A Python 3.11+ whose folder other users cannot enter, like a pyenv or uv one of root."""
    for candidate in CANDIDATES:
        parents = [candidate.resolve().parent, *candidate.resolve().parents]
        if candidate.exists() and any(not os.stat(p).st_mode & 0o001 for p in parents):
            return candidate
    return None


INTERPRETER = private_interpreter()
pytestmark = [
    pytest.mark.skipif(
        sandbox.unavailable_reason() is not None, reason="secure mode is not available here"
    ),
    pytest.mark.skipif(INTERPRETER is None or not shutil.which("uv"), reason="no private Python"),
]


@pytest.fixture(scope="module")
def private_python(tmp_path_factory) -> Path:
    """The course's locked environment, built on the private interpreter."""
    environment = tmp_path_factory.mktemp("private") / "venv"
    variables = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(environment)}
    variables.pop("VIRTUAL_ENV", None)
    command = ["uv", "sync", "--locked", "--quiet", "--python", str(INTERPRETER)]
    subprocess.run(command, cwd=ROOT, env=variables, check=True, timeout=600)
    return environment / "bin" / "python"


def grade(python: Path, *arguments: str, results: Path) -> dict:
    command = [str(python), "-m", "autograder", "grade", *arguments, "--secure", "--quiet"]
    finished = subprocess.run(
        [*command, "--json", str(results)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert finished.returncode in (0, 1), finished.stderr
    return json.loads(results.read_text())


def test_the_solution_keeps_full_marks(private_python, tmp_path):
    document = grade(private_python, "1", "--solution", results=tmp_path / "r.json")
    assert document["score"] == document["max_score"]


def test_student_code_cannot_read_the_solution(private_python, tmp_path):
    lab = find_lab(1)
    submission = tmp_path / "submission"
    shutil.copytree(lab.starter_dir, submission)
    solution = lab.solution_dir / "main.py"
    (submission / "main.py").write_text(
        "import os, sys\n"
        f"sys.path.insert(0, {str(solution.parent)!r})\n"
        f"exec(open({str(solution)!r}).read())\n"
        "assert os.getuid() != 0, 'running as root'\n"
    )
    document = grade(
        private_python, "1", "--submission", str(submission), results=tmp_path / "r.json"
    )
    assert document["score"] == 0
    assert "No such file or directory" in document.get("output", "")
