"""The student's side: a report that fits a screen, watch mode that shows what changed, hints
in two steps, and small commands that answer at once."""

from __future__ import annotations

import subprocess
import sys

import pytest

from autograder import cli, progress
from autograder.checks import CheckInfo
from autograder.course import ROOT, find_lab, load_labs
from autograder.hints import find_check, read_hints
from autograder.results import CheckResult, GradeResult
from autograder.runner import collect_checks
from autograder.watch import Changes
from tests.screen import SCREEN, printed

LABS = load_labs()
HEAVY_MODULES = ("pytest", "fastapi", "sklearn", "rich", "starlette", "pydantic")


def check(name: str, points: float = 5, hint: str = "a nudge") -> CheckInfo:
    return CheckInfo(f"suite.py::test_{name}", name, f"what {name} checks", points, hint)


def graded(tmp_path, outcomes: list[tuple[str, bool, str]]) -> GradeResult:
    result = GradeResult(lab="99-a-lab", submission=str(tmp_path), execution_time=0.5)
    for name, passed, message in outcomes:
        result.results.append(CheckResult(check(name), passed, message))
    return result


CRASH = (
    "GET /flowers{query} crashed the app with NotImplementedError (raised at main.py, line 6, "
    "in list_flowers); a real client would get 500 Internal Server Error"
)
STARTER = """from fastapi import FastAPI

app = FastAPI()

def list_flowers():
    # TODO 2: return the flowers.
    raise NotImplementedError
# TODO 1: add the route GET /hello/{name}.
"""


# ---------------------------------------------------------------- the report


# Each starter's own report is checked where the starter is graded: tests/test_labs.py.


def test_identical_crashes_are_one_entry_with_their_todo(tmp_path):
    (tmp_path / "main.py").write_text(STARTER)
    outcomes = [(f"flowers {n}", False, CRASH.format(query=f"?limit={n}")) for n in range(9)]
    outcomes.append(("root", True, ""))
    lines = printed(graded(tmp_path, outcomes))
    text = "\n".join(lines)
    assert text.count("NotImplementedError") == 1, text
    assert "GET /flowers crashed" in text and "main.py, line 6, in list_flowers" in text
    assert "TODO 2 (main.py, line 6): return the flowers." in text
    assert "fails 9 checks" in text and "1 of 10 checks pass" in text
    assert "Next: TODO 1 in main.py, line 8" in text  # the lowest-numbered TODO left


def test_failures_beyond_the_screen_are_named_in_a_line(tmp_path):
    outcomes = [
        (f"check {n}", False, f"GET /thing/{n} answered {n}; expected 200") for n in range(30)
    ]
    lines = printed(graded(tmp_path, outcomes))
    assert len(lines) <= SCREEN - 2
    assert any(line.startswith("✗ also failing (") for line in lines), "\n".join(lines)
    everything = printed(graded(tmp_path, outcomes), verbose=True)
    assert all(f"GET /thing/{n} answered" in "\n".join(everything) for n in range(30))


def test_missing_routes_are_grouped(tmp_path):
    message = (
        'POST /observations with a valid body answered 404 {"detail":"Not Found"}; expected 201'
    )
    lines = printed(graded(tmp_path, [(f"c{n}", False, message) for n in range(5)]))
    text = "\n".join(lines)
    assert "POST /observations answers 404 Not Found" in text and "fails 5 checks" in text


def test_a_submission_that_does_not_import_shows_its_line(tmp_path):
    (tmp_path / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI((\n")
    result = graded(tmp_path, [("root", False, "not run")])
    result.problem = "main.py, line 2: SyntaxError: '(' was never closed"
    lines = printed(result, problem_only=True)
    assert lines[1:] == [
        "The submission could not be graded:",
        "  main.py, line 2: SyntaxError: '(' was never closed",
        "  │ app = FastAPI((",
        "No check can run until it imports: fix this first, then grade again.",
    ]


def test_a_hint_command_names_the_check_without_its_case(tmp_path):
    outcomes = [("paging [offset=13]", False, "GET /flowers?offset=13 answered [1]; expected [14]")]
    assert 'just hint 99 "paging"' in "\n".join(printed(graded(tmp_path, outcomes)))


# ---------------------------------------------------------------- watch mode


def test_watch_shows_what_changed(tmp_path):
    before = graded(tmp_path, [("a", False, "x"), ("b", True, ""), ("c", False, "y")])
    after = graded(tmp_path, [("a", True, ""), ("b", False, "z"), ("c", False, "y")])
    changes = Changes.between(before, after, ["main.py"])
    assert (changes.gained, changes.now_passing, changes.now_failing) == (0, ["a"], ["b"])
    text = "\n".join(str(line) for line in changes.lines(80))
    assert "saved main.py" in text and "now passing: a" in text and "now failing: b" in text


# ---------------------------------------------------------------- hints


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.folder)
def test_hints_are_read_without_importing_the_suite(lab):
    collected = {info.name.split(" [", 1)[0]: info for info in collect_checks(lab.suite)}
    read = {hint.name: hint for hint in read_hints(lab.suite)}
    assert set(read) == set(collected)
    for name, hint in read.items():
        assert hint.hint == collected[name].hint, name
        assert hint.more and hint.more != hint.hint, f"{name} has no fuller hint"


def test_a_check_is_found_by_a_part_of_its_name():
    lab = find_lab(1)
    assert find_check(lab, "unknown flower")[0].name == "unknown flower is 404"
    assert find_check(lab, "flowers page with limit and offset [offset=13]")[0] is not None
    found, candidates = find_check(lab, "no such check")
    assert found is None and len(candidates) == len(read_hints(lab.suite))


def test_hint_for_one_check_prints_both_steps(capsys):
    assert cli.main(["hint", "1", "unknown flower is 404"]) == 0
    out = capsys.readouterr().out
    hint = find_check(find_lab(1), "unknown flower is 404")[0]
    assert hint.hint[:40] in " ".join(out.split()) and "more:" in out


def test_hint_for_an_unknown_check_lists_the_checks(capsys):
    assert cli.main(["hint", "1", "nothing like it"]) == 2
    assert "unknown flower is 404" in capsys.readouterr().out


# ---------------------------------------------------------------- small commands


@pytest.mark.parametrize("command", [["labs"], ["hint", "3"], ["progress"]], ids=" ".join)
def test_small_commands_import_no_heavy_library(command):
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "autograder", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in completed.stderr.splitlines()}
    assert not imported & set(HEAVY_MODULES), imported & set(HEAVY_MODULES)


def test_progress_fits_80_columns(tmp_path):
    path = tmp_path / "progress.json"
    result = graded(tmp_path, [("a", True, ""), ("b", False, "x")])
    result.lab = LABS[0].folder
    progress.record(result, path)
    table = progress.table(path)
    assert all(len(line) <= 80 for line in table.splitlines())
    assert "5/10" in table and "not graded yet" in table
    assert progress.read(path)[LABS[0].folder]["failed"] == ["b"]
