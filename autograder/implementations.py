"""Student tests against implementations: grading the tests a student wrote.

In a lab where the student writes the tests (lab 06, and lab 08's service tests), a suite
grades them by running them against several implementations of the service: correct ones
("wheats": the tests must pass) and buggy ones ("chaffs": each one they fail is a bug
caught). Every implementation is the reference service with a few exact text edits written
in (:mod:`autograder.variants`), listed in a TOML file beside the lab's suite::

    [[implementation]]
    name = "batch-limit-off-by-one"
    correct = false
    description = "refuses a batch of exactly 100 flowers"
    [[implementation.edit]]
    file = "schemas.py"
    replace = "max_length=MAX_BATCH_SIZE)"
    with = "max_length=MAX_BATCH_SIZE - 1)"

A :class:`Bench` builds them and runs the tests on each (:mod:`autograder.student_tests`),
once, when a check first asks. Nothing here knows a lab: advice about a lab's usual mistakes
lives in the lab's TOML file (``[[symptom]]``, :func:`load_symptoms`).
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from autograder import code_readings, isolation
from autograder.disguise import decoy_texts, disguise
from autograder.own_files import copy_own_tree
from autograder.run_cache import RunCache
from autograder.student_test_results import FAILED, NO_TESTS, TESTS_FOLDER, TestRun
from autograder.student_tests import RunningTests, start_tests, wait_any
from autograder.variants import build_variant

IGNORED = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc")


@dataclass(frozen=True)
class Implementation:
    """One service the student's tests run against: the reference with a few edits."""

    name: str
    correct: bool
    description: str  # what is different about it, in plain words (shown to students)
    edits: tuple[Mapping[str, str], ...] = ()
    hidden: bool = False  # used by hidden checks only: left out of the students' copy
    tests_in_reverse: bool = False  # the tests run last to first on it (order must not matter)


def load_implementations(path: Path) -> list[Implementation]:
    """Read the ``[[implementation]]`` entries of a TOML file, in order."""
    data = tomllib.loads(Path(path).read_text())
    found = []
    for entry in data.get("implementation", []):
        found.append(
            Implementation(
                name=entry["name"],
                correct=bool(entry["correct"]),
                description=entry["description"],
                edits=tuple(entry.get("edit", ())),
                hidden=bool(entry.get("hidden", False)),
                tests_in_reverse=bool(entry.get("tests_in_reverse", False)),
            )
        )
    names = [item.name for item in found]
    if len(names) != len(set(names)):
        raise ValueError(f"{path}: implementation names must be unique, got {names}")
    return found


def load_symptoms(path: Path) -> list[tuple[str, str]]:
    """The ``[[symptom]]`` entries of the same TOML file: ``(pattern, advice)`` pairs, the
    lab's advice for a usual mistake (see :func:`explain_failure_on_correct`)."""
    data = tomllib.loads(Path(path).read_text())
    symptoms = [(entry["pattern"], entry["advice"]) for entry in data.get("symptom", [])]
    for pattern, _ in symptoms:
        re.compile(pattern)  # a bad pattern fails when the file is read, not in a grading
    return symptoms


def copy_service(source: Path, destination: Path, *, exclude: Iterable[str] = ()) -> Path:
    """Copy a lab folder without its tests (and ``exclude``), solution markers removed.

    The result is the pristine reference every implementation is built from.
    """
    from autograder.sync import strip_markers

    skipped = frozenset({TESTS_FOLDER, "models", "__pycache__", ".pytest_cache", *exclude})
    # Without following any link: lab 08 copies the student's own service, as root, from a
    # folder the student's code may have changed.
    copy_own_tree(Path(source), destination, skip=skipped)
    for path in sorted(destination.rglob("*.py")):
        path.write_text(strip_markers(path.read_text()))
    return destination


# ---------------------------------------------------------------- explaining a failure


REFERENCE = "reference"  # the name of the service the student was given, as it is


def explain_failure_on_correct(
    description: str,
    run: TestRun,
    *,
    fails_on_reference: bool,
    symptoms: Iterable[tuple[str, str]] = (),
    in_reverse: bool = False,
) -> str:
    """Why the tests do not pass on a correct service, in words a student can act on.

    ``fails_on_reference``: the tests fail on the service the student was given as well
    (the ``reference`` implementation), so a test contradicts the contract or starts the app
    wrongly; otherwise a test is over-specific. ``symptoms`` are ``(regular expression,
    advice)`` pairs: the advice of each one found in the failure's message is added.
    ``in_reverse``: the tests ran last to first on that service, and pass in their order.
    """
    if run.status == NO_TESTS:
        return f"Nothing was tested: {run.message}."
    if run.status != FAILED:
        return f"On {description}: {run.message}"
    lines = [f"Your tests fail on {description}.", run.message]
    if in_reverse and not fails_on_reference:
        lines.append(
            "They pass in their own order: a test counts on what another one did before it "
            "(an observation it created, a model it loaded). Give each test what it needs "
            "with fixtures, and run one alone to see (`uv run pytest tests/...::test_name`)."
        )
    elif fails_on_reference:
        also = "" if run.implementation == REFERENCE else " as well"
        lines.append(
            f"They fail on the reference service, the one you were given{also}: a test "
            "contradicts the contract or sets the app up wrongly. Run `uv run pytest` in your "
            "lab folder."
        )
    else:
        lines.append(
            "They pass on the reference service, and this one keeps the contract too, so a "
            "test checks something the contract does not promise (an exact message, a field "
            "order, an internal name...)."
        )
    lines += [advice for pattern, advice in symptoms if re.search(pattern, run.message)]
    return "\n".join(lines)


# ---------------------------------------------------------------- a bench of implementations


def opaque_folder(parent: Path) -> Path:
    """A new folder of ``parent`` with a random name, that may be entered but not listed."""
    folder = parent / secrets.token_hex(8)
    folder.mkdir(mode=0o711)
    folder.chmod(0o711)
    return folder


class Bench:
    """The student's tests against every implementation, each run once, when first needed.

    ``reference`` is the lab folder the implementations are built from; they are built under
    ``workdir``. ``forget`` lists folders a forked run must not reuse modules from (the
    submission). Runs are cached, so the checks of a suite can ask for them in any order.

    ``cache``: where finished runs are remembered between gradings (by default, what the
    grading's isolation offers; False for none).

    Runs start in an order drawn at random for each bench, correct and buggy
    implementations mixed after a first run that is always a correct one, and the folders
    are made in another random order. Tests that keep notes from one run to the next (a
    counter in a file, which secure mode prevents: each run may write only in its own
    service folder and its private /tmp) would learn from a fixed order which runs are the
    correct services ("runs 1 and 2 pass, every later one fails"); a first run that is
    sometimes buggy would reward tests that fail only when they find no note of an earlier
    run. Asking for one run starts the runs before it in that order.

    With ``jobs`` above 1, while a check waits for one run the bench starts the next ones
    (in that order) so that ``jobs`` run at the same time; it stops
    doing so once the tests have failed on a correct implementation, because every buggy
    run is then worth nothing.

    ``every_run=False`` (a grading of some checks only, which the course's own tests use to
    grade a known-bad test suite on the checks of its bug): a run starts only when a check
    asks for it, alone, and no other run is started ahead of it.
    """

    def __init__(
        self,
        reference: Path,
        implementations: list[Implementation],
        tests_dir: Path,
        workdir: Path,
        *,
        timeout: float = 20.0,
        env: Mapping[str, str] | None = None,
        mode: str = "fork",
        forget: Iterable[Path] = (),
        jobs: int = 1,
        cache: RunCache | bool | None = None,
        every_run: bool = True,
    ) -> None:
        self.every_run = every_run
        self.implementations = {item.name: item for item in implementations}
        self.tests_dir = Path(tests_dir)
        self.workdir = Path(workdir)
        self.timeout = timeout
        self.env = dict(env or {})
        self.mode = mode
        self.forget = [Path(p).resolve() for p in forget]
        self.jobs = max(1, int(jobs))
        # Every folder here has a name that says nothing, in a folder that cannot be listed:
        # a run's tests (the student's code) see only their own service, and cannot tell
        # which implementation it is from where it runs, nor read the others.
        self.workdir.mkdir(parents=True, exist_ok=True)
        shuffle = secrets.SystemRandom().shuffle
        names = list(self.implementations)
        shuffle(names)
        self.folder_of = {name: opaque_folder(self.workdir) / "service" for name in names}
        self.order = list(self.implementations)  # the order runs start in (see above)
        shuffle(self.order)
        # A correct service always runs first (which one is drawn): tests that fail only on
        # the first run then lose everything instead of catching a bug four times in five.
        first = next((name for name in self.order if self.implementations[name].correct), None)
        if first is not None:
            self.order.remove(first)
            self.order.insert(0, first)
        self.pristine = copy_service(Path(reference), opaque_folder(self.workdir))
        self.decoys = decoy_texts(self.pristine, implementations)
        code_readings.note_code_reading(self.tests_dir)
        self.workdir.chmod(0o711)
        self.runs: dict[str, TestRun] = {}
        self.in_flight: dict[str, RunningTests] = {}
        # Runs remembered by the warm grader between gradings, by the files they ran on
        # (autograder.run_cache); None in secure mode and outside a grading.
        self.cache = isolation.current().test_runs if cache is None else cache or None
        self.keys: dict[str, str | None] = {}

    @property
    def correct(self) -> list[Implementation]:
        return [item for item in self.implementations.values() if item.correct]

    @property
    def buggy(self) -> list[Implementation]:
        return [item for item in self.implementations.values() if not item.correct]

    def build(self, name: str) -> Path:
        """The folder of one implementation (built on first use)."""
        item = self.implementations[name]
        folder = self.folder_of[name]
        if not folder.exists():
            build_variant(self.pristine, folder, item.edits, item.name)
            disguise(folder, self.decoys)
        return folder

    def _start(self, name: str) -> None:
        folder = self.build(name)
        if self.cache is not None:
            settings = {"timeout": self.timeout, "mode": self.mode}
            settings["reverse"] = self.implementations[name].tests_in_reverse
            self.keys[name] = self.cache.key(self.tests_dir, folder, self.env, settings)
            kept = self.keys[name] and self.cache.get(self.keys[name], name)
            if kept:
                self.runs[name] = kept
                return
        others = [path for other, path in self.folder_of.items() if other != name]
        running = start_tests(
            self.tests_dir,
            folder,
            timeout=self.timeout,
            env=self.env,
            mode=self.mode,
            forget=[*self.forget, *others, self.pristine],
            label=name,
            reverse=self.implementations[name].tests_in_reverse,
        )
        if running.result is not None:
            self._finished(name, running.result)
        else:
            self.in_flight[name] = running

    def _finished(self, name: str, run: TestRun) -> None:
        self.runs[name] = run
        if self.cache is not None and self.keys.get(name):
            self.cache.put(self.keys[name], run)

    def _not_started(self) -> list[str]:
        return [name for name in self.order if name not in self.runs | self.in_flight.keys()]

    def _next_to_start(self) -> str | None:
        if not self.every_run:
            return None
        if any(not self.runs[item.name].passed for item in self.correct if item.name in self.runs):
            return None
        return next(iter(self._not_started()), None)

    def run(self, name: str) -> TestRun:
        """The student's tests on one implementation (run on first request, then cached)."""
        # The runs before it in the bench's order start first, ``jobs`` at a time (once the
        # tests have failed on a correct implementation, it starts at once, alone).
        while name in self._not_started():
            if self._next_to_start() is None:
                self._start(name)
            elif len(self.in_flight) >= self.jobs:
                self._collect()
            else:
                self._start(self._not_started()[0])
        while name not in self.runs:
            while len(self.in_flight) < self.jobs and (extra := self._next_to_start()):
                self._start(extra)
            self._collect()
        return self.runs[name]

    def _collect(self) -> None:
        """Wait until a run in flight ends; keep what ended."""
        for running in wait_any(list(self.in_flight.values())):
            self._finished(running.label, running.result)
            del self.in_flight[running.label]

    def close(self) -> None:
        """Stop the runs still in flight (started ahead but never asked for)."""
        for running in self.in_flight.values():
            running.finish(timed_out=True)
        self.in_flight.clear()

    def first_failing_correct(self) -> tuple[Implementation, TestRun] | None:
        """The first correct implementation the tests fail on, or None when they pass all."""
        for item in self.correct:
            run = self.run(item.name)
            if not run.passed:
                return item, run
        return None

    def caught(self, *, budget: float | None = None) -> Iterator[Implementation]:
        """Buggy implementations the tests fail on: finished runs first, then new runs.

        With ``budget`` (seconds), no new run is waited for once that much time has passed.
        """
        started = time.monotonic()
        seen = set()
        for item in self.buggy:
            if item.name in self.runs:
                seen.add(item.name)
                if not self.runs[item.name].passed:
                    yield item
        for item in self.buggy:
            if item.name in seen:
                continue
            if budget is not None and time.monotonic() - started > budget:
                return
            if not self.run(item.name).passed:
                yield item
