"""A lab's Gradescope autograder zip: ``python -m autograder gradescope <lab>``.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once (as root) to
build the image, then ``run_autograder`` (as root) for every submission, which must write
``/autograder/results/results.json``. Grading is always secure: the student's code runs as
another user.

The zip is built from the last commit, never from the working tree: the engine, this lab's
suite (hidden checks included: Gradescope shows them after the due date), the lab's
starter generated from the committed solution, ``course.toml``, ``pyproject.toml`` and
``uv.lock``. ``setup.sh`` installs a pinned uv and only the ``grader`` dependency group on
top of the labs' own dependencies.
"""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from autograder.course import ROOT, Lab, lab_owning, load_labs
from autograder.instructor.committed import CommittedFile, commit_of, committed_files
from autograder.instructor.release import ReleaseError, starters_for
from autograder.instructor.tooling import SYNC_FOR_GRADING, UV_VERSION

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
cd /autograder/source
if ! command -v curl >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq curl ca-certificates
fi
# uv at the version this zip was made for, installed by its own installer.
curl -LsSf https://astral.sh/uv/{UV_VERSION}/install.sh | env UV_UNMANAGED_INSTALL=/usr/local/bin sh
# A Python uv downloads goes where the sandbox user (student code) can read it.
export UV_PYTHON_INSTALL_DIR=/opt/uv-python
# The labs' dependencies and the grader's, from the lockfile; no development tools.
{SYNC_FOR_GRADING} --compile-bytecode
chmod -R a+rX /autograder/source /opt/uv-python 2>/dev/null || true
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this, as root, for every submission; it must write results/results.json.
set -u
root="${{GRADESCOPE_ROOT:-/autograder}}"
python="${{AUTOGRADER_PYTHON:-$root/source/.venv/bin/python}}"
results="$root/results/results.json"
mkdir -p "$root/results"
cd "$root/source"
"$python" -m autograder grade {lab} --submission "$root/submission" \\
    --json "$results" --quiet --secure 2>"$root/results/grader-errors.txt"
status=$?
if [ "$status" -ge 2 ] || [ ! -s "$results" ]; then
    # The last line of the errors, without what would end or break a JSON string.
    reason="$(tail -n 1 "$root/results/grader-errors.txt" | tr -d '"\\\\[:cntrl:]' | cut -c 1-300)"
    printf '{{"score": 0, "tests": [], "output": "%s %s"}}\\n' "{fallback}" "$reason" >"$results"
fi
exit 0
"""

FALLBACK = "The autograder could not grade this submission; show this message to your instructor."
TOP_FILES = ("pyproject.toml", "uv.lock", "course.toml")


def zip_members(lab: Lab, files: dict[str, CommittedFile], labs: list[Lab]) -> dict[str, bytes]:
    """Archive name -> content, from the committed ``files``, besides the two scripts."""
    members = {name: files[name].data for name in TOP_FILES}
    for name, file in files.items():
        if not name.startswith("autograder/") or "/__pycache__/" in name:
            continue
        owner = lab_owning(name, labs)
        if owner is None or owner == lab:
            members[name] = file.data  # the engine, and this lab's suite and data
    members.update(starters_for(files, [lab]))
    return members


def _add_script(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    archive.writestr(info, text)


def build_zip(lab: Lab, out: Path, *, root: Path = ROOT, ref: str = "HEAD") -> Path:
    """Write the autograder zip for ``lab`` of commit ``ref`` to ``out``; return its path."""
    if lab.draft:
        raise ReleaseError(
            f"lab {lab.number} ({lab.slug}) is a draft (course.toml): its checks are "
            "placeholders; finish it and remove `draft = true` before grading students with it"
        )
    files = committed_files(root, commit_of(root, ref))
    labs = load_labs()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_script(archive, "setup.sh", SETUP_SH)
        run = RUN_AUTOGRADER.format(lab=lab.number, fallback=FALLBACK)
        _add_script(archive, "run_autograder", run)
        for name, data in sorted(zip_members(lab, files, labs).items()):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, data, zipfile.ZIP_DEFLATED)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buffer.getvalue())
    return out
