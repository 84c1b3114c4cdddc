"""How the engine runs pytest: every argument, plugin choice and warning filter, in one place.

Two kinds of runs:

* a *suite run* grades a submission with one of the course's suites: only the graders' own
  configuration (``autograder/suites/pytest.ini``) and plugins, no terminal output, short
  failure reports (:func:`suite_arguments`, :func:`collect_checks`);
* a *student-tests run* runs the student's own ``tests/`` folder inside an implementation of
  a service, with that implementation's ``pytest.ini`` (:func:`student_tests_arguments`).

Either way, installed plugins are not auto-loaded (nbval alone costs a second a run), except
anyio's, which async code may use, and the warning filters are those of a fresh Python
(:func:`fresh_warnings`), whatever filters the grading process had.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import sys
import warnings
from pathlib import Path

import pytest

from autograder.checks import CheckInfo, info_for
from autograder.course import SUITES

SUITE_CONFIG = SUITES / "pytest.ini"
AUTOLOAD_VARIABLE = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
# Built-in pytest plugins a suite run never needs.
UNUSED_PLUGINS = ("doctest", "junitxml", "pastebin", "cacheprovider", "stepwise")
# ...and those that only matter when checks run: collecting without them saves the garbage
# collections pytest runs at exit to find unraisable exceptions (0.1 s with FastAPI loaded).
COLLECTION_UNUSED_PLUGINS = ("unraisableexception", "threadexception", "faulthandler")
# Plugins such as anyio's are imported before a run starts; pytest would warn that it cannot
# rewrite their asserts, and a configuration that makes warnings errors would fail on it.
QUIET_ASSERT_REWRITE = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]


def _anyio_plugin() -> list[str]:
    """anyio's plugin, loaded by name as auto-loading would (async checks and tests)."""
    if importlib.util.find_spec("anyio") is not None:
        return ["-p", "anyio.pytest_plugin"]
    return []


# ---------------------------------------------------------------- suite runs


# The plugins the suites' pytest.ini names with ``-p``. A suite run registers them as modules
# (:func:`suite_plugins`) and sets that ini's ``addopts`` aside: pytest looks a ``-p`` name up
# among every installed package's entry points first, 10 ms each on a course's environment.
SUITE_PLUGINS = ("anyio.pytest_plugin", "autograder.plugin", "autograder.suites.collection")


def suite_plugins() -> list:
    """The modules of :data:`SUITE_PLUGINS` that are installed, imported."""
    return [
        importlib.import_module(name)
        for name in SUITE_PLUGINS
        if importlib.util.find_spec(name.split(".")[0]) is not None
    ]


def suite_base_arguments(suite: Path) -> list[str]:
    """Arguments that make pytest read only the graders' own configuration; its plugins are
    :func:`suite_plugins`, given to ``pytest.main`` as objects (the ini's ``addopts`` name
    the same ones for a direct run of a suite)."""
    args = [str(suite), "-c", str(SUITE_CONFIG), "--rootdir", str(SUITES), "-o", "addopts="]
    for name in UNUSED_PLUGINS:
        args += ["-p", f"no:{name}"]
    return args


def suite_arguments(
    suite: Path,
    folder: Path,
    *,
    deselect: list[str] = (),
    strict_warnings: bool = False,
    extra: list[str] = (),
) -> list[str]:
    """The arguments of one grading child's run of ``suite`` against ``folder``."""
    args = [*suite_base_arguments(suite), "--submission", str(folder)]
    # no terminal output, no output capture (prints go to /dev/null), the engine's faulthandler
    args += ["-p", "no:terminal", "-p", "no:faulthandler", "--capture=no"]
    args += [f"--deselect={nodeid}" for nodeid in deselect]
    args += list(extra)
    if strict_warnings:
        # Warnings of the submission and the checks are errors; pytest's own note that a
        # grader module was imported before it could rewrite its asserts is not.
        args += ["-W", "error", *QUIET_ASSERT_REWRITE]
    return args


def student_tests_arguments(folder: Path, tests_folder: str) -> list[str]:
    """The arguments of a run of the student's tests inside an implementation ``folder``."""
    config = folder / "pytest.ini"
    # --basetemp: the tests' tmp_path folders live in the implementation's folder, away
    # from the temporary folders of the grader's own pytest session.
    arguments = [str(folder / tests_folder), "--rootdir", str(folder)]
    arguments += ["--basetemp", str(folder / ".tmp")]
    if config.is_file():
        arguments += ["-c", str(config)]
    # --tb=native: only a failure's last line reaches the student (student_reporter), and
    # pytest's long tracebacks parse the source of every frame of the app's deep stack: a
    # tenth of a lab 06 grading. The crash message, asserts explained, is the same.
    arguments += ["--tb=native"]
    return [*arguments, *_anyio_plugin(), "-p", "no:cacheprovider", "-q", "-x"]


def student_tests_command(folder: Path, tests_folder: str) -> list[str]:
    """The command line of a student-tests run in a fresh ``python -m pytest``; it reports
    through :mod:`autograder.student_reporter`, loaded as a plugin."""
    arguments = student_tests_arguments(folder, tests_folder)
    return [sys.executable, "-m", "pytest", *arguments, "-p", "autograder.student_reporter"]


def run_student_tests(folder: Path, tests_folder: str, reporter) -> int:
    """``pytest.main`` for a student-tests run in this process: the warning filters of a
    fresh Python (the tests' ``pytest.ini`` decides what a warning does)."""
    fresh_warnings(command_line=False)
    arguments = [*student_tests_arguments(folder, tests_folder), *QUIET_ASSERT_REWRITE]
    return int(pytest.main(arguments, plugins=[reporter]))


# ---------------------------------------------------------------- plugins


class NoPluginAutoload:
    """Run pytest without importing every installed plugin.

    A context manager around ``pytest.main``, and a plugin for it: the environment is put
    back as soon as pytest has loaded its plugins, so that a process a check starts (a
    student's own test run, say) sees the user's setting.
    """

    def __init__(self) -> None:
        self.before = os.environ.get(AUTOLOAD_VARIABLE)

    def __enter__(self) -> NoPluginAutoload:
        os.environ[AUTOLOAD_VARIABLE] = "1"
        return self

    def __exit__(self, *exc_info) -> None:
        self.restore()

    def restore(self) -> None:
        if self.before is None:
            os.environ.pop(AUTOLOAD_VARIABLE, None)
        else:
            os.environ[AUTOLOAD_VARIABLE] = self.before

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self) -> None:
        self.restore()


class ShortReports:
    """Only the plugin's short message of a failure reaches the student; pytest's long
    tracebacks, which parse the source of every frame of a web framework's deep stack,
    cost up to a second per failed check. Native ones cost next to nothing."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.option.tbstyle = "native"


def run_suite(args: list[str], plugins: list) -> int:
    """``pytest.main`` for a suite run: no auto-loaded plugins, short failure reports."""
    with NoPluginAutoload() as autoload:
        plugins = [*suite_plugins(), *plugins, autoload, ShortReports()]
        return int(pytest.main(args, plugins=plugins))


# ---------------------------------------------------------------- warnings


def fresh_warnings(*, strict: bool = False, command_line: bool = True) -> None:
    """Python's default warning filters, whatever filters the running process had: a grading
    started from a test run that turns warnings into errors must score what the command line
    scores. ``command_line``: apply the interpreter's ``-W`` options too; ``strict``: every
    warning is an error."""
    warnings.resetwarnings()
    for category in (ResourceWarning, ImportWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
    if command_line:
        for option in sys.warnoptions:
            with contextlib.suppress(Exception):
                warnings._setoption(option)  # noqa: SLF001 - how Python itself applies -W
    if strict:
        warnings.simplefilter("error")


# ---------------------------------------------------------------- collection


class _Collector:
    def __init__(self) -> None:
        self.checks: list[CheckInfo] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.checks = [info_for(item) for item in session.items]


def collect_checks(suite: Path) -> list[CheckInfo]:
    """Collect a suite's checks (names, points, hints) without running any of them."""
    collector = _Collector()
    output = io.StringIO()
    with (
        NoPluginAutoload() as autoload,
        warnings.catch_warnings(),
        contextlib.redirect_stdout(output),
        contextlib.redirect_stderr(output),
    ):
        fresh_warnings(strict=False)  # collect as the command line does, even in a test run
        args = [*suite_base_arguments(suite), "--collect-only", "-q"]
        for name in COLLECTION_UNUSED_PLUGINS:
            args += ["-p", f"no:{name}"]
        code = pytest.main(args, plugins=[*suite_plugins(), collector, autoload])
    if code != 0 or not collector.checks:
        raise RuntimeError(f"could not collect the checks of {suite}:\n{output.getvalue()}")
    return collector.checks
