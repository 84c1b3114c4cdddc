"""A lab's suite run directly with pytest, as the README shows instructors
(``uv run pytest autograder/suites/labNN_….py --submission=DIR``), grades like the grader:
the submission is opened first, so checks that start the student's own commands (lab 12's
prestart) run them in its folder."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from autograder.course import ROOT, find_lab

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="grading needs fork")


def test_a_suite_run_directly_starts_the_students_commands_in_its_folder():
    lab = find_lab(12)
    suite = ROOT / "autograder" / "suites" / "lab12_production_server.py"
    command = [sys.executable, "-m", "pytest", str(suite), f"--submission={lab.solution_dir}"]
    command += ["-q", "-p", "no:randomly", "-k", "prestart_trains_a_missing_model"]
    environment = {key: value for key, value in os.environ.items() if "PYTEST" not in key}
    result = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout, result.stdout[-2000:]


def test_a_direct_run_loads_the_plugins_a_grading_registers():
    """The suites' pytest.ini names with ``-p`` the plugins that a grading gives pytest as
    modules (it sets the ini's ``addopts`` aside): the two lists must be the same."""
    import configparser
    import shlex

    from autograder.pytest_run import SUITE_CONFIG, SUITE_PLUGINS

    ini = configparser.ConfigParser()
    ini.read(SUITE_CONFIG)
    words = shlex.split(ini["pytest"]["addopts"])
    named = [words[i + 1] for i, word in enumerate(words) if word == "-p"]
    assert [name for name in named if not name.startswith("no:")] == list(SUITE_PLUGINS)
    assert "--disable-plugin-autoload" in words
