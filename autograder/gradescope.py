"""Building a lab's Gradescope autograder zip: ``python -m autograder gradescope <lab>``.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once to build the
image, then ``run_autograder`` for every submission, which must write
``/autograder/results/results.json``. The zip holds the engine, this lab's suite, the lab's
starter (given code some suites build on), and the lockfile that pins the environment.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from autograder.course import ROOT, SUITES, Lab

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image.
set -euo pipefail
cd /autograder/source
python3 -m pip install --quiet uv
uv sync --locked
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it must write results/results.json.
set -u
root="${{GRADESCOPE_ROOT:-/autograder}}"
python="${{AUTOGRADER_PYTHON:-$root/source/.venv/bin/python}}"
mkdir -p "$root/results"
cd "$root/source"
"$python" -m autograder grade {lab} --submission "$root/submission" \\
    --json "$root/results/results.json" --quiet {secure}
status=$?
if [ "$status" -ge 2 ] || [ ! -s "$root/results/results.json" ]; then
    printf '%s\n' "{fallback}" > "$root/results/results.json"
fi
exit 0
"""

ENGINE_FILES = ("pyproject.toml", "uv.lock", "course.toml")
FALLBACK = (
    '{"score": 0, "tests": [], "output": "The autograder could not grade this submission: '
    'upload the lab folder (with main.py) or a clone of the course."}'
)


def zip_members(lab: Lab) -> dict[str, Path]:
    """Archive name -> file on disk, for everything the zip holds besides the two scripts."""
    members = {name: ROOT / name for name in ENGINE_FILES}
    package = SUITES.parent
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(ROOT)
        if not path.is_file() or "__pycache__" in relative.parts:
            continue
        other_suite = path.parent == SUITES and path.stem.startswith("lab") and path != lab.suite
        if other_suite:
            continue  # only this lab's suite (and the data folders beside the suites)
        members[relative.as_posix()] = path
    for path in sorted(lab.starter_dir.rglob("*")):
        relative = path.relative_to(ROOT)
        if path.is_file() and "__pycache__" not in relative.parts:
            members[relative.as_posix()] = path
    return members


def _add_script(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    archive.writestr(info, text)


def build_zip(lab: Lab, out: Path, *, secure: bool = True) -> Path:
    """Write the autograder zip for ``lab`` to ``out`` and return its path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_script(archive, "setup.sh", SETUP_SH)
        fallback = FALLBACK.replace('"', '\\"')
        secure_flag = "--secure" if secure else ""
        run = RUN_AUTOGRADER.format(lab=lab.number, secure=secure_flag, fallback=fallback)
        _add_script(archive, "run_autograder", run)
        for name, path in zip_members(lab).items():
            archive.write(path, name)
    return out
