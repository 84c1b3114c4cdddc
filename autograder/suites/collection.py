"""Which files of ``autograder/suites/`` pytest collects: the suites ``course.toml`` names.

Loaded by the suites' ``pytest.ini`` (``-p autograder.suites.collection``), whose
``python_files`` matches no file, so nothing is collected for its name alone: a helper module
such as ``support.py`` is never mistaken for a suite. A suite named on the command line is
collected as usual; a folder (``pytest autograder/suites``) yields the course's suites only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.course import SUITES, lab_for_suite


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    if file_path.suffix != ".py" or file_path.parent != SUITES:
        return None
    if parent.session.isinitpath(file_path) or lab_for_suite(file_path) is None:
        return None  # named on the command line: pytest's own collection takes it
    return pytest.Module.from_parent(parent, path=file_path)
