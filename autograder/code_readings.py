"""Students' tests that read the code of the service they test, instead of calling it.

The grader's checks count what each service does. A test that opens a service's source,
hashes its files or reorders pytest's run can tell the services apart without testing them:
it costs no points, but the student (and the instructor) are told where it happens.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from autograder import stages
from autograder.own_files import copy_own_tree

# What tests that look at a service's text instead of its behaviour use: the checks count
# what services do, so a test that reads their code is worth an instructor's look.
CODE_READING = re.compile(
    r"__file__|__loader__|__cached__|__code__|\bco_(?:code|consts|names)\b|getsource|"
    r"linecache|get_source|find_spec|\bmarshal\b|\bhashlib\b|\bimport (?:ast|dis|inspect)\b|"
    r"\bfrom (?:ast|dis|inspect) import|[\"']\*?\.pyc?[\"']|"
    r"pytest_collection_modifyitems|pytest_collection_finish|pytest_runtestloop|session\.items"
)
MAX_SHOWN_READINGS = 3
_noted: set[Path] = set()


def code_readings(tests_dir: Path) -> list[str]:
    """Where the student's tests use what reads code or files of code, or what changes how
    pytest runs them (their order, say): "file, line: text".

    The tests are scanned in a copy of the grader's (no link followed, no depth that makes
    the scan recurse: see :func:`~autograder.own_files.copy_own_tree`)."""
    found = []
    with tempfile.TemporaryDirectory(prefix="tests-") as scratch:
        copy = copy_own_tree(
            Path(tests_dir), Path(scratch) / "tests", skip=frozenset({"__pycache__"})
        )
        for path in sorted(copy.rglob("*.py")):
            text = path.read_text(errors="replace")
            for number, line in enumerate(text.splitlines(), start=1):
                match = CODE_READING.search(line)
                if match:
                    where = (Path(Path(tests_dir).name) / path.relative_to(copy)).as_posix()
                    found.append(f"{where}, line {number}: `{match.group()}`")
    return found


def note_code_reading(tests_dir: Path) -> None:
    """Tell the student (and the instructor) once when their tests look at code, not at
    what the service does: it costs no points, and it is worth a look."""
    tests_dir = Path(tests_dir)
    if tests_dir in _noted:
        return
    _noted.add(tests_dir)
    found = code_readings(tests_dir)
    if found:
        shown = "; ".join(found[:MAX_SHOWN_READINGS])
        more = (
            f" (and {len(found) - MAX_SHOWN_READINGS} more)"
            if len(found) > MAX_SHOWN_READINGS
            else ""
        )
        stages.note(
            f"worth a look: your tests read code or files of code, or steer how pytest runs "
            f"them ({shown}{more}). The checks count what each service does; a test that looks "
            "at a service's text, or a run reordered by hand, tests nothing."
        )
