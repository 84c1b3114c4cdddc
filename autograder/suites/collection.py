"""Which files of ``autograder/suites/`` pytest collects: the suites ``course.toml`` names.

Loaded by the suites' ``pytest.ini`` (``-p autograder.suites.collection``), whose
``python_files`` matches no file, so nothing is collected for its name alone: a helper module
such as ``support.py`` is never mistaken for a suite. A suite named on the command line is
collected as usual; a folder (``pytest autograder/suites``) yields the course's suites only.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from autograder.course import SUITES, load_labs


@functools.cache
def suite_names() -> frozenset[str]:
    """The file names of the suites course.toml names (read once per process: pytest asks
    about every file of the folder, even when it was given one suite)."""
    return frozenset(lab.suite.name for lab in load_labs())


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    if file_path.suffix != ".py" or file_path.parent != SUITES:
        return None
    if parent.session.isinitpath(file_path) or file_path.name not in suite_names():
        return None  # named on the command line: pytest's own collection takes it
    return pytest.Module.from_parent(parent, path=file_path)
