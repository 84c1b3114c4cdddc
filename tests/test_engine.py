"""The grading engine holds up against hostile submissions, and its pieces say what they should.

Hostile submissions live in ``tests/hostile/<name>/``: each is a tiny lab-01 submission that
breaks grading in one way. Partial-credit cases are built at test time from the lab-01
reference solution with one route patched, so they follow the solution and its suite as
they grow: the assertions name no check, only "the checks that call that route".
"""

from __future__ import annotations

import ast
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import cli, submission
from autograder.checks import CheckInfo, behaviour_name
from autograder.course import ROOT, Lab, find_lab
from autograder.plugin import short_message
from autograder.results import CheckResult, GradeResult
from autograder.runner import AUTOLOAD_VARIABLE, Grader, Limits, where_in_dump

HOSTILE = Path(__file__).resolve().parent / "hostile"
LAB = find_lab(1)
CHECK_TIMEOUT = 2.0
IMPORT_TIMEOUT = 3.0
LIMITS = {"check_timeout": CHECK_TIMEOUT, "import_timeout": IMPORT_TIMEOUT, "memory_mb": 512}
ROUTE = "/flowers/{flower_id}"  # the route the partial-credit cases break
# Slack on top of the time limits a case may use: forks, imports and checks on a busy machine.
SLACK = 6.0
# A check that would sleep for 600 s must end far sooner; how much sooner on a machine busy
# with other gradings is not the point (a test run once took 7.5 s for a 1 s limit).
CUT_SHORT = 60.0
NOT_RUN = "not run: the submission did not import"
GRADER_TROUBLE = ("the grader failed", "stopped responding", "stopped before this check")


def at_line(line: int) -> str:
    return rf"main\.py, line {line}, in read_flower\b"


@pytest.fixture(scope="module")
def grader(grader_for):
    return grader_for(LAB.number, **LIMITS)


def copy_case(name: str, tmp_path: Path) -> Path:
    destination = tmp_path / name
    shutil.copytree(HOSTILE / name, destination, ignore=shutil.ignore_patterns("__pycache__"))
    return destination


def graded(grader, folder: Path) -> tuple[GradeResult, float]:
    started = time.monotonic()
    result = grader.grade(folder)
    return result, time.monotonic() - started


def failures(result: GradeResult) -> dict[str, str]:
    return {item.check.nodeid: item.message for item in result.results if not item.passed}


def running(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # pragma: no cover - no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_gone(pid: int, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# ---------------------------------------------------------------- patching the solution


def patch_route(folder: Path, route: str, code: str) -> int:
    """Insert ``code`` at the start of the body of the ``GET route`` handler in main.py
    (after its docstring); return the line number of the first inserted line."""
    path = folder / "main.py"
    source = path.read_text()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == "get"
                and decorator.args
                and isinstance(decorator.args[0], ast.Constant)
                and decorator.args[0].value == route
            ):
                body = node.body
                if (
                    len(body) > 1
                    and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant)
                ):
                    body = body[1:]
                first = body[0]
                lines = source.splitlines(keepends=True)
                inserted = textwrap.indent(
                    textwrap.dedent(code).strip() + "\n", " " * first.col_offset
                )
                lines.insert(first.lineno - 1, inserted)
                path.write_text("".join(lines))
                return first.lineno
    raise AssertionError(f"main.py of the solution has no GET {route} handler")


def patched_solution(tmp_path: Path, code: str, name: str = "patched") -> tuple[Path, int]:
    folder = tmp_path / name
    shutil.copytree(LAB.solution_dir, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder, patch_route(folder, ROUTE, code)


RECORD_CALLER = """
import os
with open("calls.log", "a") as log:
    log.write(os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0] + "\\n")
"""


@pytest.fixture(scope="module")
def callers(grader, tmp_path_factory) -> set[str]:
    """The checks that call the patched route, found by a solution whose route records the
    check calling it (pytest names the running test in PYTEST_CURRENT_TEST)."""
    folder, _ = patched_solution(tmp_path_factory.mktemp("callers"), RECORD_CALLER)
    result = grader.grade(folder)
    assert not failures(result), "recording the callers must not cost any check"
    logged = set((folder / "calls.log").read_text().splitlines())
    nodeids = {check.nodeid for check in grader.checks}
    found = nodeids & logged
    assert found, f"no check calls GET {ROUTE}"
    assert found != nodeids, f"every check calls GET {ROUTE}: nothing to compare with"
    return found


# ---------------------------------------------------------------- submissions that do not import


@dataclass(frozen=True)
class NoImport:
    """A submission that cannot be imported: every check 0, one message for all."""

    problem: str  # a regular expression the message must match
    seconds: float = SLACK
    timed_out: bool = False  # the grader stopped the import at its time limit


NO_IMPORT = {
    "syntax_error": NoImport(r"^main\.py, line 8: SyntaxError: "),
    "import_error": NoImport(
        r"^settings\.py, line 7, in read_settings: FileNotFoundError: .*'settings\.json'$"
    ),
    "import_loop": NoImport(
        rf"^importing main\.py did not finish within {IMPORT_TIMEOUT:g} s "
        # the loop's two lines: the dump may catch the interpreter on either
        r"\(still running main\.py, line [78], in <module>\)$",
        seconds=IMPORT_TIMEOUT + SLACK,
        timed_out=True,
    ),
    "import_sys_exit": NoImport(
        r"^main\.py, line 10, in <module>: the code called sys\.exit\(\) \(exit status 2\)"
    ),
    "import_reads_stdin": NoImport(r"^main\.py, line 5, in <module>: EOFError\b"),
    "import_os_exit": NoImport(r"^main\.py stopped the grading process at import: .*status 3\b"),
    "import_memory_hog": NoImport(r"^main\.py, line 9, in <module>: MemoryError: .*memory"),
    "no_app": NoImport(r"^main\.py does not define `app` \(expected app = FastAPI\(\)\)$"),
    "app_not_fastapi": NoImport(
        r"^`app` in main\.py is a starlette\.applications\.Starlette, not a FastAPI application"
    ),
    "app_is_the_class": NoImport(r"the FastAPI class itself.*app = FastAPI\(\)"),
}


@pytest.mark.parametrize("name", sorted(NO_IMPORT))
def test_a_submission_that_does_not_import_scores_zero_with_one_reason(name, grader, tmp_path):
    expected = NO_IMPORT[name]
    result, seconds = graded(grader, copy_case(name, tmp_path))
    assert re.search(expected.problem, result.problem), result.problem
    assert "Traceback" not in result.problem and "\n" not in result.problem
    assert result.import_timed_out == expected.timed_out
    assert result.score == 0
    assert all(item.message.startswith(NOT_RUN) for item in result.results)
    assert seconds < expected.seconds


# ---------------------------------------------------------------- one broken route


@dataclass(frozen=True)
class BrokenRoute:
    """A tiny app whose GET / works and whose GET /flowers/{flower_id} misbehaves."""

    messages: tuple[str, ...]  # regular expressions one failure's message must all match
    timeouts: bool = False


BROKEN_ROUTE = {
    "handler_loop": BrokenRoute(
        (
            r"(^timed out after|did not answer within) [\d.]+ s \(still running main\.py, "
            r"line 1[56], in read_flower\)$",
        ),
        timeouts=True,
    ),
    "handler_os_exit": BrokenRoute(
        (r"^the grading process ended during this check: it exited with status 4 ",)
    ),
    "handler_sys_exit": BrokenRoute(
        (r"the app called sys\.exit\(5\) while answering GET /flowers/", at_line(17))
    ),
    "handler_segfault": BrokenRoute(
        (
            r"^the grading process ended during this check: .*segmentation fault \(SIGSEGV\).*, "
            r"at main\.py, line 18, in read_flower$",
        )
    ),
    "handler_memory_hog": BrokenRoute((r"MemoryError\b", at_line(15))),
    "broken_exception": BrokenRoute((r"Unprintable|cannot print this", r"main\.py, line \d+, in ")),
}


@pytest.mark.parametrize("name", sorted(BROKEN_ROUTE))
def test_a_broken_route_costs_its_checks_and_the_app_keeps_the_rest(name, grader, tmp_path):
    expected = BROKEN_ROUTE[name]
    result, seconds = graded(grader, copy_case(name, tmp_path))
    assert not result.problem
    messages = failures(result)
    root = [item for item in result.results if "root" in item.check.name.split()]
    assert all(item.passed for item in root), "GET / works: its checks must pass"
    assert any(item.passed for item in result.results), "grading went on after the route broke"
    matching = [
        message
        for message in messages.values()
        if all(re.search(pattern, message) for pattern in expected.messages)
    ]
    assert matching, f"no check failed with {expected.messages}: {messages}"
    timed_out = {item.message for item in result.results if item.timed_out}
    assert timed_out >= set(matching) if expected.timeouts else not timed_out, timed_out
    assert not [m for m in messages.values() if any(text in m for text in GRADER_TROUBLE)]
    limit = SLACK + (len(matching) * (CHECK_TIMEOUT + 1) if expected.timeouts else 0)
    assert seconds < limit


# ---------------------------------------------------------------- one route of the solution broken


@dataclass(frozen=True)
class Patch:
    code: str  # inserted at the start of the route's handler
    message: str  # a regular expression; {line} is the line of the inserted code
    all_callers_fail: bool = True  # False when a check may accept the route's error answer


PATCHES = {
    "os-exit": Patch("import os; os._exit(4)", r"^the grading process ended during this check: "),
    "segfault": Patch(
        "import ctypes; ctypes.string_at(0)",
        r"^the grading process ended during this check: .*SIGSEGV.*, at main\.py, line {line}, ",
    ),
    "sys-exit": Patch(
        "import sys; sys.exit(5)",
        r"sys\.exit\(5\).*main\.py, line {line}\b|\b500\b",
        all_callers_fail=False,
    ),
    "keyboard-interrupt": Patch(
        "raise KeyboardInterrupt",
        r"KeyboardInterrupt.*main\.py, line {line}\b|\b500\b",
        all_callers_fail=False,
    ),
    "memory-hog": Patch(
        "hog = bytearray(8 * 1024**3)",
        r"MemoryError.*main\.py, line {line}\b|\b500\b",
        all_callers_fail=False,
    ),
}


@pytest.mark.parametrize("name", sorted(PATCHES))
def test_a_broken_route_costs_exactly_the_checks_that_call_it(name, grader, callers, tmp_path):
    patch = PATCHES[name]
    folder, line = patched_solution(tmp_path, patch.code)
    result, seconds = graded(grader, folder)
    assert not result.problem
    failed = failures(result)
    assert failed, "the broken route must cost something"
    assert set(failed) <= callers, f"checks that never call GET {ROUTE} failed: {failed}"
    if patch.all_callers_fail:
        assert set(failed) == callers
    pattern = patch.message.format(line=line)
    for nodeid, message in failed.items():
        assert re.search(pattern, message), f"{nodeid}: {message!r} does not match {pattern!r}"
    assert seconds < SLACK


HANG_ONCE = """
import os
if not os.path.exists("hung"):
    open("hung", "w").close()
    while True:
        pass
"""


def test_a_hung_check_costs_only_itself(grader, callers, tmp_path):
    """The first call of the route hangs, later ones answer: the check that hung fails with
    the line it was stuck on, a fresh process runs the rest, and every other check passes."""
    folder, line = patched_solution(tmp_path, HANG_ONCE)
    result, seconds = graded(grader, folder)
    assert not result.problem
    failed = failures(result)
    assert len(failed) == 1 and set(failed) <= callers, failed
    (message,) = failed.values()
    assert [item.message for item in result.results if item.timed_out] == [message]
    assert re.search(
        r"(^timed out after|did not answer within) [\d.]+ s \(still running main\.py, line "
        rf"({line + 3}|{line + 4}), in ",
        message,
    ), message
    assert seconds < CHECK_TIMEOUT + SLACK


def test_printing_forged_results_changes_nothing(grader, tmp_path, capfd):
    forged = json.dumps({"event": "result", "nodeid": "x", "passed": True, "score": 100})
    code = f"""
    import os, sys
    for _ in range(3):
        print({forged!r}); print({forged!r}, file=sys.stderr)
        os.write(1, b'{{"score": 100, "tests": []}}\\n'); os.write(2, b'FORGED\\n')
    """
    folder, _ = patched_solution(tmp_path, code)
    result, _ = graded(grader, folder)
    assert not failures(result) and result.score == result.max_score
    quiet = copy_case("fake_output", tmp_path)
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    noisy, plain = grader.grade(quiet), grader.grade(twin)
    assert [(r.passed, r.message) for r in noisy.results] == [
        (r.passed, r.message) for r in plain.results
    ]
    assert noisy.score == plain.score < noisy.max_score
    out, err = capfd.readouterr()
    assert "FORGED" not in out + err and forged not in out + err


@pytest.mark.parametrize("name", ["spawns_sleeper", "forks_sleeper"])
def test_processes_a_submission_starts_are_killed(name, grader, tmp_path):
    folder = copy_case(name, tmp_path)
    result, seconds = graded(grader, folder)
    assert not result.problem
    assert any(item.passed for item in result.results), "GET / works: its checks must pass"
    pids = {int(pid) for pid in (folder / "sleeper.pid").read_text().split()}
    assert pids and all(wait_gone(pid) for pid in pids), "a process of the submission survived"
    assert seconds < SLACK


def test_a_process_started_by_a_route_is_killed(grader, tmp_path):
    code = """
    import subprocess
    with open("sleeper.pid", "a") as log:
        log.write(f"{subprocess.Popen(['sleep', '600']).pid}\\n")
    """
    folder, _ = patched_solution(tmp_path, code)
    result = grader.grade(folder)
    assert not failures(result)
    pids = {int(pid) for pid in (folder / "sleeper.pid").read_text().split()}
    assert pids and all(wait_gone(pid) for pid in pids), "a process of the submission survived"


def test_the_grading_process_is_unharmed(grader, tmp_path):
    limits_before = resource.getrlimit(resource.RLIMIT_AS)
    autoload_before = os.environ.get(AUTOLOAD_VARIABLE)
    for name in ("import_memory_hog", "handler_memory_hog", "import_os_exit"):
        grader.grade(copy_case(name, tmp_path))
    assert resource.getrlimit(resource.RLIMIT_AS) == limits_before
    assert os.environ.get(AUTOLOAD_VARIABLE) == autoload_before
    result = grader.grade(LAB.solution_dir)
    assert result.score == result.max_score, failures(result)


def test_a_grading_leaves_no_temporary_folder_behind(grader_for, tmp_path, monkeypatch):
    """The checks' tmp_path folders (lab 03's trained model is in one) go with the grading.

    pytest would keep each grading's folder under /tmp/pytest-of-USER, and every later
    grading would list them all; the grader gives pytest a folder of its own and removes it.
    """
    pytest_root, temporary = tmp_path / "pytest-root", tmp_path / "temporary"
    pytest_root.mkdir()
    temporary.mkdir()
    monkeypatch.setenv("PYTEST_DEBUG_TEMPROOT", str(pytest_root))  # pytest's default root
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))  # where the grader makes its own
    result = grader_for(3).grade(find_lab(3).solution_dir)
    assert result.full_marks, failures(result)
    assert not list(pytest_root.iterdir()), "pytest made its own temporary folders"
    assert not list(temporary.iterdir()), "the grading's temporary folder is still there"


# ---------------------------------------------------------------- suites that misbehave


@dataclass(frozen=True)
class SuiteLab(Lab):
    """A lab whose suite is a file of the test's own."""

    suite_file: str = ""

    @property
    def suite(self) -> Path:
        return Path(self.suite_file)


def grader_of_suite(tmp_path: Path, name: str, code: str, **limits) -> Grader:
    suite = tmp_path / f"lab99_{name}.py"  # a module name no other test uses
    suite.write_text(textwrap.dedent(code))
    lab = SuiteLab(number=99, slug=name, title=name, suite_file=str(suite))
    return Grader(lab, Limits(**limits))


def grader_in_mode(mode: str, folder: Path, number: int, slug: str, code: str) -> Grader:
    """A grader of the suite ``code`` (lab ``number``, a module name of its own in ``folder``)
    in ``mode``, "in-process" or "sandboxed"; skips the test where sandboxes cannot run."""
    from autograder import sandbox

    secure = mode == "sandboxed"
    if secure and sandbox.unavailable_reason():
        pytest.skip(sandbox.unavailable_reason())
    suite = folder / f"lab{number}_{slug}_{mode[:2]}.py"
    suite.write_text(textwrap.dedent(code))
    lab = SuiteLab(number=number, slug=slug, title=slug, suite_file=str(suite))
    return Grader(lab, Limits(check_timeout=20, secure=secure))


def test_a_suite_that_cannot_be_collected_costs_one_fork(tmp_path, monkeypatch):
    code = """
    from autograder import check

    @check(points=1, hint="h")
    def test_root(client):
        assert client.get("/").status_code == 200

    class TestHelper:  # not a test, but named like one: under -W error, collection fails
        def __init__(self):
            pass
    """
    grader = grader_of_suite(tmp_path, "uncollectable", code, strict_warnings=True)
    forks = []
    fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or fork())
    result = grader.grade(LAB.solution_dir)
    assert len(forks) == 1
    (only,) = result.results
    assert not only.passed
    assert re.match(r"^not run: the checks could not be collected \(.*TestHelper", only.message)


def test_a_check_that_hangs_in_its_own_code_times_out_without_a_line(tmp_path):
    code = """
    import time

    from autograder import check

    @check(points=1, hint="h")
    def test_waits(client):
        time.sleep(600)

    @check(points=2, hint="h")
    def test_root(client):
        assert client.get("/").status_code == 200
    """
    grader = grader_of_suite(tmp_path, "hangs", code, check_timeout=1)
    result, seconds = graded(grader, LAB.solution_dir)
    waits, root = result.results
    assert (waits.passed, waits.message, waits.timed_out) == (False, "timed out after 1 s", True)
    assert root.passed and not root.timed_out and result.score == 2
    assert seconds < CUT_SHORT


def test_strict_grading_holds_when_the_plugin_was_imported_first(grader_for):
    """This module imports autograder.plugin (for short_message) before any grading: pytest
    then warns that it cannot rewrite the plugin's asserts, which -W error must not fail."""
    result = grader_for(LAB.number, strict_warnings=True).grade(LAB.solution_dir)
    assert result.score == result.max_score, failures(result)


def test_the_hostile_corpus_is_all_tested():
    tested = {*NO_IMPORT, *BROKEN_ROUTE, "fake_output", "spawns_sleeper", "forks_sleeper"}
    cases = {path.name for path in HOSTILE.iterdir() if (path / "main.py").is_file()}
    assert cases == tested


# ---------------------------------------------------------------- messages


def raised_in(folder: Path, code: str, file: str = "main.py") -> BaseException:
    """Run ``code`` as if it were ``folder/file`` and return what it raised."""
    try:
        exec(compile(textwrap.dedent(code), str(folder / file), "exec"), {})
    except BaseException as error:  # noqa: BLE001
        return error
    raise AssertionError("the code raised nothing")


def test_import_errors_are_one_line_naming_file_and_line(tmp_path):
    folder = tmp_path.resolve()
    error = raised_in(folder, "x = 1\n\nraise ValueError('bad value\\nsecond line')\n")
    assert submission.describe_import_error(error, folder) == (
        "main.py, line 3, in <module>: ValueError: bad value"
    )
    error = raised_in(folder, "def load():\n    return {}['key']\n\nload()\n", "model.py")
    assert submission.describe_import_error(error, folder) == (
        "model.py, line 2, in load: KeyError: 'key'"
    )
    error = raised_in(folder, "import sys\nsys.exit(3)\n")
    assert submission.describe_import_error(error, folder).startswith(
        "main.py, line 2, in <module>: the code called sys.exit() (exit status 3)"
    )


def test_syntax_errors_name_the_file_inside_the_submission(tmp_path):
    folder = tmp_path.resolve()
    error = raised_in(folder, "def f(:\n    pass\n", "schemas.py")
    assert re.match(
        r"^schemas\.py, line 1: SyntaxError: ", submission.describe_import_error(error, folder)
    )
    elsewhere = SyntaxError("invalid syntax", ("/elsewhere/lib.py", 4, 1, "x x"))
    assert submission.describe_import_error(elsewhere, folder).startswith("lib.py, line 4:")
    error = raised_in(folder, "def f():\n\treturn 1\n        return 2\n")
    assert re.match(
        r"^main\.py, line 3: (TabError|IndentationError): ",
        submission.describe_import_error(error, folder),
    )


def test_unprintable_and_huge_errors_still_give_a_short_message(tmp_path):
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert submission.describe_import_error(Unprintable(), tmp_path) == "main.py: Unprintable"
    huge = submission.describe_import_error(ValueError("x" * 100_000), tmp_path)
    assert len(huge) < 400
    memory = submission.describe_import_error(MemoryError(), tmp_path)
    assert memory == "main.py: MemoryError: more memory than the grader allows"


def test_frames_of_installed_packages_are_never_the_submissions(tmp_path):
    folder = tmp_path.resolve()
    inside_venv = folder / ".venv" / "lib" / "site-packages" / "lib.py"
    error = raised_in(folder, "raise OSError('disk')\n", str(inside_venv.relative_to(folder)))
    assert submission.describe_import_error(error, folder) == "main.py: OSError: disk"


def test_failure_messages_tell_a_checks_assert_from_the_submissions(tmp_path):
    folder = tmp_path.resolve()
    try:
        raise AssertionError("GET / answered 500; expected 200\nassert 500 == 200")
    except AssertionError as error:
        own = pytest.ExceptionInfo.from_exception(error)
    assert short_message(own, folder) == "GET / answered 500; expected 200"
    students = raised_in(folder, "def read_root():\n    assert 1 > 2\n\nread_root()\n")
    message = short_message(pytest.ExceptionInfo.from_exception(students), folder)
    assert message == "AssertionError (raised at main.py, line 2, in read_root)"
    unprintable = raised_in(
        folder, "class E(Exception):\n    def __str__(self): 1/0\n\nraise E()\n"
    )
    message = short_message(pytest.ExceptionInfo.from_exception(unprintable), folder)
    assert message == "E (raised at main.py, line 4, in <module>)"


def test_where_in_dump_finds_the_innermost_submission_frame(tmp_path):
    folder = tmp_path.resolve()
    dump = textwrap.dedent(
        f"""\
        Thread 0x00007f0000000001 (most recent call first):
          File "/usr/lib/python3/threading.py", line 320 in wait
          File "/usr/lib/python3/threading.py", line 1000 in run

        Current thread 0x00007f0000000002 (most recent call first):
          File "/usr/lib/python3/ctypes/__init__.py", line 519 in string_at
          File "{folder}/main.py", line 18 in read_flower
          File "{folder}/main.py", line 30 in helper
          File "/usr/lib/python3/site-packages/anyio/_backends/_asyncio.py", line 967 in run
        """
    )
    assert where_in_dump(dump, folder) == "main.py, line 18, in read_flower"
    assert where_in_dump("Segmentation fault\n", folder) is None


@pytest.mark.parametrize(
    ("function_name", "expected"),
    [
        ("test_root_returns_a_greeting", "root returns a greeting"),
        ("test_unknown_flower_is_404", "unknown flower is 404"),
        ("root_works", "root works"),
        ("test_", ""),
    ],
)
def test_behaviour_names_are_read_from_function_names(function_name, expected):
    assert behaviour_name(function_name) == expected


# ---------------------------------------------------------------- results and the CLI


def check_info(name: str, points: float, hidden: bool = False) -> CheckInfo:
    return CheckInfo(
        nodeid=f"lab.py::test_{name}",
        name=name,
        description=f"{name} works.",
        points=points,
        hint=f"Fix {name}.",
        hidden=hidden,
    )


def test_results_follow_the_gradescope_schema(tmp_path):
    result = GradeResult(lab="01-hello-api", submission="/x", execution_time=1.23456)
    result.results = [
        CheckResult(check_info("root", 5), True),
        CheckResult(check_info("hello", 3, hidden=True), False, "GET /hello answered 404"),
    ]
    path = tmp_path / "results.json"
    result.write_json(path)
    document = json.loads(path.read_text())
    assert {"score", "execution_time", "tests"} <= set(document)
    assert document["score"] == 5 and document["execution_time"] == 1.235
    keys = {"name", "score", "max_score", "status", "output", "visibility"}
    assert all(keys <= set(test) for test in document["tests"])
    passed, failed = document["tests"]
    assert (passed["status"], passed["score"], passed["max_score"]) == ("passed", 5, 5)
    assert (failed["status"], failed["score"], failed["max_score"]) == ("failed", 0, 3)
    assert failed["visibility"] == "after_due_date" and passed["visibility"] == "visible"
    assert "GET /hello answered 404" in failed["output"] and "Fix hello." in failed["output"]


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["grade", "99"], "no lab called '99'"),
        (["grade", "1", "--solution", "--submission", "."], "either --solution or --submission"),
        (["grade", "1", "--submission", "/no/such/folder"], "does not exist"),
        (["grade", "1", "--submission", "README.md"], "is a file, not a folder"),
        (["grade", "1", "--solution", "--json", "/no/such/folder/r.json"], "does not exist"),
        (["grade", "1", "--solution", "--json", "autograder"], "that is a folder"),
    ],
)
def test_cli_usage_errors_exit_2_with_one_line(argv, error, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert cli.main(argv) == cli.USAGE_ERROR
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: ") and error in err and err.count("\n") == 1


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_exits_0_for_full_marks(tmp_path, capsys):
    path = tmp_path / "results.json"
    assert cli.main(["grade", "1", "--solution", "--quiet", "--json", str(path)]) == 0
    assert capsys.readouterr().out == ""
    document = json.loads(path.read_text())
    assert document["score"] == document["max_score"] > 0


def test_cli_exits_1_below_full_marks_and_prints_nothing_forged(tmp_path):
    forged = copy_case("fake_output", tmp_path)
    path = tmp_path / "results.json"
    below = run_cli("grade", "1", "--submission", str(forged), "--json", str(path))
    assert below.returncode == cli.BELOW_FULL, below.stderr
    assert "FORGED" not in below.stdout + below.stderr and "Score:" in below.stdout
    document = json.loads(path.read_text())
    assert document["score"] < document["max_score"]
    assert "FORGED" not in json.dumps(document)


def test_readable_takes_descriptors_numbered_past_1024():
    # A grader holding many connections numbers its pipes past 1,024, where select() fails.
    from autograder import processes

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip(f"this machine caps open files at {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2048), hard))
    read_end, write_end = os.pipe()
    high = os.dup2(read_end, 1500)
    try:
        assert processes.readable([high], 0) == []
        os.write(write_end, b"x")
        assert processes.readable([high], 1) == [high]
        os.close(write_end)
        os.read(high, 1)
        assert processes.readable([high], 1) == [high]  # its end counts as readable
    finally:
        for fd in (read_end, high):
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
