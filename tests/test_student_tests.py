"""The engine that runs a student's own tests against implementations (lab 06).

Most tests here use a tiny implementation (a ``main.py`` holding ``VALUE``) and a few test
files written on the spot, run in a fork of this process as the grader does.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
import textwrap
from pathlib import Path

import pytest

from autograder import code_readings, implementations, isolation, sandbox
from autograder.course import find_lab
from autograder.disguise import disguise
from autograder.implementations import (
    Bench,
    Implementation,
    explain_failure_on_correct,
    load_implementations,
    load_symptoms,
)
from autograder.run_cache import RunCache
from autograder.student_test_results import (
    CRASHED,
    ERROR,
    FAILED,
    NO_TESTS,
    PASSED,
    TIMEOUT,
    TestRun,
)
from autograder.student_tests import run_tests
from autograder.variants import EditError

LAB06_IMPLEMENTATIONS = find_lab(6).data_dir / "implementations.toml"
(NO_MODEL,) = load_symptoms(LAB06_IMPLEMENTATIONS)  # lab 06's advice for a missing model
PYTEST_INI = "[pytest]\npythonpath = .\nfilterwarnings = error\n"


def service(folder: Path, value: int = 1) -> Path:
    """A tiny implementation: main.py with VALUE, and the lab-style pytest.ini."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.py").write_text(f"VALUE = {value}\n")
    (folder / "pytest.ini").write_text(PYTEST_INI)
    return folder


def student_tests_folder(folder: Path, **files: str) -> Path:
    """A tests/ folder holding ``name=source`` files (``test_a`` becomes ``test_a.py``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
    return folder


PASSING = """
    import main

    def test_value_is_one():
        assert main.VALUE == 1

    def test_skipped():
        import pytest
        pytest.skip("not yet")
"""


# ---------------------------------------------------------------- one run


def test_passing_tests_pass(tmp_path):
    tests = student_tests_folder(tmp_path / "tests", test_a=PASSING)
    run = run_tests(tests, service(tmp_path / "impl"), timeout=30)
    assert run.status == PASSED, run.message
    assert run.count("passed") == 1 and run.count("skipped") == 1
    assert run.summary() == "1 passed, 1 skipped"


def test_events_the_tests_write_themselves_are_left_out(tmp_path):
    # The tests run in the reporter's process and can write on its pipe: lines of another
    # shape (a start without its test, a result with a number for a name) change nothing.
    forged = """
        import json, os, stat

        def test_forges_events():
            lines = [json.dumps(event).encode() + b"\\n" for event in (
                {"event": "start"}, {"event": "result", "nodeid": 1}, [1], "x",
                {"event": "finished", "exit_status": True},
            )]
            for fd in range(3, 64):  # every pipe this process may write to
                try:
                    if stat.S_ISFIFO(os.fstat(fd).st_mode):
                        for line in lines:
                            os.write(fd, line)
                except OSError:
                    pass
    """
    tests = student_tests_folder(tmp_path / "tests", test_a=PASSING, test_b=forged)
    run = run_tests(tests, service(tmp_path / "impl"), timeout=30)
    assert run.status == PASSED, run.message
    assert run.count("passed") == 2 and run.count("skipped") == 1


def test_a_message_the_tests_write_themselves_is_cut_as_the_reporters(tmp_path):
    # A failure written straight on the pipe, past the reporter, is no longer than one the
    # reporter sends: what the student's tests saw (a service's code) leaves a few lines.
    forged = """
        import json, os, stat

        def test_forges_a_long_failure():
            event = {"event": "result", "nodeid": "tests/test_a.py::" + "n" * 5000,
                     "outcome": "failed", "message": "\\n".join(["x" * 900] * 40)}
            for fd in range(3, 64):
                try:
                    if stat.S_ISFIFO(os.fstat(fd).st_mode):
                        os.write(fd, json.dumps(event).encode() + b"\\n")
                except OSError:
                    pass
    """
    tests = student_tests_folder(tmp_path / "tests", test_a=forged)
    run = run_tests(tests, service(tmp_path / "impl"), timeout=30)
    assert run.status == FAILED
    assert len(run.message) < 700, len(run.message)


@pytest.mark.parametrize(
    "event",
    ['{"event": "start", "nodeid": "a"}', '{"event": "crash", "message": "%s"}' % ("x" * 1900)],
)
def test_a_run_that_floods_its_report_is_stopped(tmp_path, event):
    # Many small events, or fewer large ones: the run is stopped at the first limit it passes,
    # long before what it sends could fill the grader's memory.
    flood = f"""
        import os, stat

        def test_floods():
            line = ({event!r} + "\\n").encode() * 1000
            for fd in range(3, 64):
                try:
                    if stat.S_ISFIFO(os.fstat(fd).st_mode):
                        for _ in range(200):
                            os.write(fd, line)
                except OSError:
                    pass
    """
    tests = student_tests_folder(tmp_path / "tests", test_a=PASSING, test_b=flood)
    run = run_tests(tests, service(tmp_path / "impl"), timeout=30)
    assert run.status == ERROR, run.message
    assert "reports" in run.message and "was stopped" in run.message, run.message


def test_tests_that_depend_on_their_order_fail_when_run_in_reverse(tmp_path):
    tests = student_tests_folder(
        tmp_path / "tests",
        test_a="""
            SEEN = []

            def test_first():
                SEEN.append(1)

            def test_second():
                assert SEEN == [1]
        """,
    )
    folder = service(tmp_path / "impl")
    assert run_tests(tests, folder, timeout=30).status == PASSED
    backwards = run_tests(tests, folder, timeout=30, reverse=True)
    assert backwards.status == FAILED and "test_second" in backwards.message
    in_a_fresh_python = run_tests(tests, folder, timeout=30, reverse=True, mode="subprocess")
    assert in_a_fresh_python.status == FAILED


def test_a_tests_package_is_not_confused_with_the_graders_own(tmp_path):
    # This very file is tests.test_student_tests: a package called "tests" is imported here.
    tests = student_tests_folder(tmp_path / "tests", __init__="", test_a=PASSING)
    run = run_tests(tests, service(tmp_path / "impl"), timeout=30)
    assert run.status == PASSED, run.message


def test_a_failing_test_is_named_with_its_assertion(tmp_path):
    tests = student_tests_folder(tmp_path / "tests", test_a=PASSING)
    run = run_tests(tests, service(tmp_path / "impl", value=2), timeout=30)
    assert run.status == FAILED
    assert "test_a.py::test_value_is_one failed" in run.message
    assert "assert 2 == 1" in run.message


def test_a_failing_fixture_is_an_error(tmp_path):
    source = """
        import pytest

        @pytest.fixture
        def broken():
            raise RuntimeError("no model")

        def test_uses_it(broken):
            pass
    """
    tests = student_tests_folder(tmp_path / "tests", test_a=source)
    run = run_tests(tests, service(tmp_path / "impl"), timeout=30)
    assert run.status == FAILED
    assert "could not run" in run.message and "RuntimeError: no model" in run.message


def test_a_hanging_test_times_out_and_is_named(tmp_path):
    source = """
        import time

        def test_fast():
            pass

        def test_forever():
            time.sleep(600)
    """
    tests = student_tests_folder(tmp_path / "tests", test_a=source)
    run = run_tests(tests, service(tmp_path / "impl"), timeout=3)
    assert run.status == TIMEOUT
    assert "test_a.py::test_forever did not finish within 3 s" in run.message
    assert run.seconds < 10


def test_a_test_that_ends_the_process_is_reported(tmp_path):
    source = """
        import os

        def test_exits():
            os._exit(3)
    """
    tests = student_tests_folder(tmp_path / "tests", test_a=source)
    run = run_tests(tests, service(tmp_path / "impl"), timeout=30)
    assert run.status == CRASHED
    assert "during test_a.py::test_exits" in run.message and "exit status 3" in run.message


def test_sys_exit_in_a_test_is_a_failure(tmp_path):
    source = """
        import sys

        def test_exits():
            sys.exit(0)
    """
    tests = student_tests_folder(tmp_path / "tests", test_a=source)
    run = run_tests(tests, service(tmp_path / "impl"), timeout=30)
    assert run.status == FAILED
    assert "SystemExit" in run.message


def test_pytest_exit_stops_the_run_early(tmp_path):
    source = """
        import pytest

        def test_a():
            pass

        def test_stop():
            pytest.exit("enough")
    """
    tests = student_tests_folder(tmp_path / "tests", test_a=source)
    run = run_tests(tests, service(tmp_path / "impl"), timeout=30)
    assert not run.passed
    assert run.status == CRASHED


def test_a_syntax_error_is_explained(tmp_path):
    tests = student_tests_folder(tmp_path / "tests", test_a="def test_x(:\n    pass\n")
    run = run_tests(tests, service(tmp_path / "impl"), timeout=30)
    assert run.status == ERROR
    assert "could not load tests/test_a.py" in run.message
    assert "SyntaxError" in run.message


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"test_a": "def helper():\n    pass\n"},
        {"test_a": "import pytest\npytest.skip('x', allow_module_level=True)\n"},
    ],
    ids=["empty-folder", "no-test-functions", "all-skipped"],
)
def test_no_test_that_passed_is_not_a_pass(tmp_path, files):
    tests = student_tests_folder(tmp_path / "tests", **files)
    run = run_tests(tests, service(tmp_path / "impl"), timeout=30)
    assert run.status == NO_TESTS
    assert not run.passed


def test_a_missing_tests_folder_is_explained(tmp_path):
    run = run_tests(tmp_path / "nowhere", service(tmp_path / "impl"), timeout=30)
    assert run.status == NO_TESTS
    assert "no tests/ folder" in run.message


def test_a_process_started_by_the_tests_does_not_hold_the_run(tmp_path):
    source = """
        import os
        import time

        def test_leaves_a_child_behind():
            if os.fork() == 0:
                time.sleep(600)
                os._exit(0)
    """
    tests = student_tests_folder(tmp_path / "tests", test_a=source)
    run = run_tests(tests, service(tmp_path / "impl"), timeout=10)
    assert run.status == PASSED, run.message
    assert run.seconds < 8


def test_the_tests_cannot_write_to_the_graders_pipes(tmp_path):
    read_fd, write_fd = os.pipe()
    try:
        # The descriptor's number may be reused in the run for a file of its own: what
        # matters is that nothing written there reaches the grader's pipe.
        source = """
            import contextlib
            import os

            def test_forge():
                with contextlib.suppress(OSError):
                    os.write(int(os.environ["GRADER_FD"]), b"forged")
        """
        tests = student_tests_folder(tmp_path / "tests", test_a=source)
        env = {"GRADER_FD": str(write_fd)}
        run = run_tests(tests, service(tmp_path / "impl"), timeout=30, env=env)
        assert run.status == PASSED, run.message
        os.set_blocking(read_fd, False)
        with pytest.raises(BlockingIOError):
            os.read(read_fd, 100)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_modules_of_the_previous_implementation_are_forgotten(tmp_path, monkeypatch):
    first = service(tmp_path / "first", value=1)
    second = service(tmp_path / "second", value=2)
    # The grading process has imported the first implementation's main (the submission).
    monkeypatch.syspath_prepend(str(first))
    monkeypatch.delitem(__import__("sys").modules, "main", raising=False)
    import main  # noqa: F401 - imported on purpose, to be forgotten by the run

    source = """
        import os
        import main

        def test_value():
            assert main.VALUE == int(os.environ["EXPECTED"])
    """
    tests = student_tests_folder(tmp_path / "tests", test_a=source)
    run = run_tests(tests, second, timeout=30, env={"EXPECTED": "2"}, forget=[first])
    assert run.status == PASSED, run.message
    monkeypatch.delitem(__import__("sys").modules, "main")


def test_the_subprocess_mode_gives_the_same_result(tmp_path):
    tests = student_tests_folder(tmp_path / "tests", test_a=PASSING)
    run = run_tests(tests, service(tmp_path / "impl"), timeout=120, mode="subprocess")
    assert run.status == PASSED, run.message
    failing = run_tests(tests, service(tmp_path / "two", 2), timeout=120, mode="subprocess")
    assert failing.status == FAILED and "assert 2 == 1" in failing.message


def test_an_unknown_mode_is_refused(tmp_path):
    tests = student_tests_folder(tmp_path / "tests", test_a=PASSING)
    with pytest.raises(ValueError, match="unknown mode"):
        run_tests(tests, service(tmp_path / "impl"), mode="thread")


def test_secure_mode_runs_the_tests_as_the_sandbox(tmp_path):
    submission = service(tmp_path / "submission")
    tests = student_tests_folder(
        submission / "tests",
        test_a="""
            import os

            def test_runs_as_the_sandbox_user(tmp_path):
                assert os.getuid() == int(os.environ["EXPECTED_UID"])
                (tmp_path / "written").write_text("ok")  # the test's own folder is writable
                assert os.environ["MODEL_PATH"].endswith("model.joblib")
        """,
    )
    model = tmp_path / "model" / "model.joblib"
    model.parent.mkdir()
    model.write_text("not really a model")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - a throwaway process: secure mode cannot be turned off
        try:
            os.close(read_fd)
            sandbox.enable(submission)
            isolation.activate(isolation.choose(secure=True))  # as a grading child does
            # The sandbox sees only the grading's folder: the checks' files live there.
            work = sandbox.harness_temporary_folder()
            shutil.copytree(model.parent, work / "model")
            env = {"EXPECTED_UID": str(sandbox.policy().uid)}
            env["MODEL_PATH"] = str(work / "model" / "model.joblib")
            run = run_tests(tests, service(work / "impl"), timeout=60, env=env)
            os.write(write_fd, json.dumps([run.status, run.message]).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as reader:
        data = reader.read()
    os.waitpid(pid, 0)
    sandbox.clean_up_after(pid)
    status, message = json.loads(data)
    assert status == PASSED, message


# ---------------------------------------------------------------- a bench


def tiny_bench(tmp_path: Path, source: str, **options) -> Bench:
    implementations = [
        Implementation("one", True, "the reference"),
        Implementation(
            "also-one", True, "a copy", ({"file": "main.py", "replace": "1", "with": "1.0"},)
        ),
        Implementation(
            "two", False, "has VALUE 2", ({"file": "main.py", "replace": "1", "with": "2"},)
        ),
        Implementation(
            "three", False, "has VALUE 3", ({"file": "main.py", "replace": "1", "with": "3"},)
        ),
    ]
    tests = student_tests_folder(tmp_path / "submission" / "tests", test_a=source)
    return Bench(
        service(tmp_path / "reference"), implementations, tests, tmp_path / "work", **options
    )


def test_bench_passes_correct_and_catches_buggy(tmp_path):
    bench = tiny_bench(
        tmp_path, "import main\n\ndef test_value():\n    assert main.VALUE == 1\n", jobs=2
    )
    try:
        assert bench.first_failing_correct() is None
        assert {item.name for item in bench.caught()} == {"two", "three"}
        assert set(bench.runs) == {"one", "also-one", "two", "three"}
    finally:
        bench.close()


def test_a_bench_for_some_checks_runs_only_what_they_ask_for(tmp_path):
    """every_run=False (a grading of some checks): no run starts ahead of being asked for,
    whatever the bench's order, and the runs asked for give the same results."""
    bench = tiny_bench(
        tmp_path,
        "import main\n\ndef test_value():\n    assert main.VALUE == 1\n",
        jobs=2,
        every_run=False,
    )
    try:
        assert not bench.run("three").passed
        assert set(bench.runs) == {"three"} and not bench.in_flight
        assert bench.run("one").passed
        assert set(bench.runs) == {"three", "one"} and not bench.in_flight
    finally:
        bench.close()


def test_bench_reports_the_first_correct_implementation_failed(tmp_path):
    bench = tiny_bench(
        tmp_path, "import main\n\ndef test_value():\n    assert type(main.VALUE) is int\n"
    )
    item, run = bench.first_failing_correct()
    assert item.name == "also-one" and run.status == FAILED
    bench.close()


def test_bench_stops_starting_runs_ahead_once_a_correct_one_failed(tmp_path):
    bench = tiny_bench(tmp_path, "def test_never():\n    assert False\n", jobs=1)
    bench.run("one")
    bench.close()
    first_correct = min(bench.order.index("one"), bench.order.index("also-one"))
    assert set(bench.runs) == set(bench.order[: first_correct + 1]) | {"one"}


def test_runs_start_with_a_correct_service_then_in_a_random_order(tmp_path):
    # Tests that count their runs (a file they add to each time) must learn nothing from
    # the count: in a fixed order, the first runs would always be the correct services. And
    # tests that fail only on the first run must never catch a bug by it: the first run is
    # always a correct service (one drawn at random), the others follow mixed.
    passing = "import main\n\ndef test_value():\n    assert main.VALUE == 1\n"
    firsts, seconds = set(), set()
    for number in range(16):
        bench = tiny_bench(tmp_path / str(number), passing, jobs=1)
        firsts.add(bench.order[0])
        seconds.add(bench.order[1])
        if number == 0:
            assert bench.first_failing_correct() is None
            started = list(bench.runs)  # one job: each run ends before the next starts
            assert started == bench.order[: len(started)]
            assert {"one", "also-one"} <= set(started)
        bench.close()
    assert firsts == {"one", "also-one"}, firsts
    assert seconds & {"two", "three"} and seconds & {"one", "also-one"}, seconds


def test_tests_that_recognise_a_service_by_its_text_catch_nothing(tmp_path):
    # A hash of the files or a search for a bug's text: every service, correct or not,
    # carries a mark of this grader and the text of every bug.
    reference_hash = hashlib.sha256((service(tmp_path / "plain") / "main.py").read_bytes())
    recognising = textwrap.dedent(
        f"""
        import hashlib
        from pathlib import Path

        import main

        def test_by_its_text():
            text = Path(main.__file__).read_bytes()
            assert hashlib.sha256(text).hexdigest() == "{reference_hash.hexdigest()}"

        def test_by_a_bug_of_its_text():
            assert "VALUE = 2" not in Path(main.__file__).read_text()
        """
    )
    bench = tiny_bench(tmp_path, recognising)
    try:
        item, _ = bench.first_failing_correct()
        assert item.name == "one"
        text = (bench.build("also-one") / "main.py").read_text()
        assert "VALUE = 1.0" in text and "# VALUE = 2" in text and "# VALUE = 3" in text
    finally:
        bench.close()


def test_tests_that_read_code_are_pointed_out_and_honest_ones_are_not(tmp_path):
    reading = student_tests_folder(
        tmp_path / "reading" / "tests",
        test_a="import hashlib\nfrom pathlib import Path\n\nimport main\n\n"
        "def test_x():\n    assert Path(main.__file__).read_bytes()\n",
    )
    honest = student_tests_folder(tmp_path / "honest" / "tests", test_a=PASSING)
    assert code_readings.code_readings(reading) == [
        "tests/test_a.py, line 1: `hashlib`",
        "tests/test_a.py, line 7: `__file__`",
    ]
    assert code_readings.code_readings(honest) == []
    assert code_readings.code_readings(service(tmp_path / "solution") / "tests") == []


def test_a_service_is_marked_the_same_way_within_a_grader_only(tmp_path):
    for seed in ("first", "first", "second"):
        folder = service(tmp_path / seed / str(len(list(tmp_path.iterdir()))))
        disguise(folder, ["VALUE = 2"], seed)
    texts = [path.read_text() for path in sorted(tmp_path.rglob("main.py"))]
    assert texts[0] == texts[1] != texts[2]


def test_bench_reference_is_copied_without_tests_or_markers(tmp_path):
    reference = service(tmp_path / "reference")
    (reference / "main.py").write_text(
        "VALUE = 1\n# BEGIN SOLUTION\n#: VALUE = None\nVALUE = 1\n# END SOLUTION\n"
    )
    student_tests_folder(reference / "tests", test_a="def test_x():\n    pass\n")
    bench = Bench(reference, [Implementation("one", True, "ref")], tmp_path / "t", tmp_path / "w")
    assert not (bench.pristine / "tests").exists()
    assert "SOLUTION" not in (bench.pristine / "main.py").read_text()


def cached_bench(tmp_path: Path, cache: RunCache, name: str, source: str) -> Bench:
    """A one-service bench of a student's tests whose folder is new for each grading."""
    tests = student_tests_folder(tmp_path / name / "tests", test_a=source)
    return Bench(
        service(tmp_path / name / "reference"),
        [Implementation("one", True, "the reference")],
        tests,
        tmp_path / name / "work",
        cache=cache,
    )


def test_a_run_on_the_same_files_is_remembered_between_gradings(tmp_path, monkeypatch):
    cache = RunCache(tmp_path / "cache")
    cache.folder.mkdir()
    source = "import main\n\ndef test_value():\n    assert main.VALUE == 1\n"
    first = cached_bench(tmp_path, cache, "first", source).run("one")
    assert first.status == PASSED
    started = []
    monkeypatch.setattr(implementations, "start_tests", lambda *a, **k: started.append(1))
    again = cached_bench(tmp_path, cache, "again", source).run("one")
    assert (again.status, again.tests, started) == (PASSED, first.tests, [])


def test_changed_tests_run_again(tmp_path):
    cache = RunCache(tmp_path / "cache")
    cache.folder.mkdir()
    cached_bench(tmp_path, cache, "first", "def test_a():\n    pass\n").run("one")
    run = cached_bench(tmp_path, cache, "edited", "def test_a():\n    assert 0\n").run("one")
    assert run.status == FAILED


def test_a_run_that_timed_out_or_reads_through_a_link_is_not_remembered(tmp_path):
    cache = RunCache(tmp_path / "cache")
    cache.folder.mkdir()
    cache.put("k", TestRun("one", status=TIMEOUT, message="slow"))
    assert cache.get("k", "one") is None
    tests = student_tests_folder(tmp_path / "t", test_a="def test_a():\n    pass\n")
    (tests / "data.txt").symlink_to(tmp_path / "anywhere")
    assert cache.key(tests, service(tmp_path / "s"), {}, {}) is None


def test_a_graders_cache_folder_is_made_only_when_a_run_is_kept(tmp_path, monkeypatch):
    """A grader killed before it keeps a run leaves no empty folder in /tmp behind."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    cache = RunCache.in_temporary_folder()
    assert not cache.folder.exists()
    cache.put("k", TestRun("one", status=PASSED, message=""))
    assert stat.S_IMODE(cache.folder.stat().st_mode) == 0o700
    assert cache.get("k", "two").implementation == "two"
    cache.remove()
    assert not cache.folder.exists()


def test_a_cache_folder_made_by_someone_else_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    cache = RunCache.in_temporary_folder()
    cache.folder.mkdir(mode=0o777)
    cache.folder.chmod(0o777)  # what another user could have made, had they guessed the name
    cache.put("k", TestRun("one", status=PASSED, message=""))
    assert cache.get("k", "one") is None


def test_the_grader_model_counts_by_content_not_by_path(tmp_path):
    cache = RunCache(tmp_path / "cache")
    tests = student_tests_folder(tmp_path / "t", test_a="def test_a():\n    pass\n")
    folder = service(tmp_path / "s")
    keys = []
    for name, content in (("a", b"model"), ("b", b"model"), ("c", b"other")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.joblib").write_bytes(content)
        keys.append(
            cache.key(tests, folder, {"MODEL_PATH": str(tmp_path / name / "model.joblib")}, {})
        )
    assert keys[0] == keys[1] != keys[2]


# ---------------------------------------------------------------- lab 06's services


def test_lab06_defines_enough_correct_and_buggy_services():
    implementations = load_implementations(LAB06_IMPLEMENTATIONS)
    correct = [item for item in implementations if item.correct]
    assert implementations[0].name == "reference" and not implementations[0].edits
    assert len(correct) >= 3
    assert len(implementations) - len(correct) >= 6
    for item in implementations:
        assert item.description and "\n" not in item.description


def test_every_lab06_service_builds_from_the_reference(tmp_path):
    lab = find_lab(6)
    bench = Bench(
        lab.solution_dir,
        load_implementations(LAB06_IMPLEMENTATIONS),
        lab.solution_dir / "tests",
        tmp_path,
    )
    for name in bench.implementations:
        folder = bench.build(name)
        assert (folder / "main.py").is_file()
        assert not (folder / "tests").exists()
        for path in folder.glob("*.py"):
            compile(path.read_text(), str(path), "exec")


def test_an_edit_that_no_longer_applies_fails_loudly(tmp_path):
    broken = Implementation(
        "stale", False, "x", ({"file": "main.py", "replace": "nope", "with": ""},)
    )
    bench = Bench(service(tmp_path / "reference"), [broken], tmp_path / "t", tmp_path / "w")
    with pytest.raises(EditError, match="stale"):
        bench.build("stale")


def test_duplicate_names_are_refused(tmp_path):
    path = tmp_path / "i.toml"
    entry = '[[implementation]]\nname = "a"\ncorrect = true\ndescription = "x"\n'
    path.write_text(entry * 2)
    with pytest.raises(ValueError, match="unique"):
        load_implementations(path)


# ---------------------------------------------------------------- explaining a failure

NO_MODEL_FAILURE = (
    "test_service.py::test_real_probabilities_sum_to_one[flower0] failed: assert 503 == 200\n"
    " +  where 503 = <Response [503 Service Unavailable]>.status_code"
)


def test_a_failure_on_the_reference_is_not_called_over_specific():
    run = TestRun("reference", FAILED, "test_a.py::test_ten_cm failed: assert 200 == 422")
    text = explain_failure_on_correct(
        "the reference service", run, fails_on_reference=True, symptoms=[NO_MODEL]
    )
    assert "assert 200 == 422" in text
    assert "fail on the reference service, the one you were given:" in text
    assert "contradicts the contract or sets the app up wrongly" in text
    assert "`uv run pytest` in your lab folder" in text
    assert "does not promise" not in text
    assert "503" not in text  # no advice about a missing model for another failure


def test_another_correct_service_failing_with_the_reference_says_so():
    run = TestRun("reordered", FAILED, "test_a.py::test_x failed: assert 200 == 422")
    text = explain_failure_on_correct("a reordered service", run, fails_on_reference=True)
    assert "fail on the reference service, the one you were given as well" in text
    assert "does not promise" not in text


def test_a_failure_on_another_correct_service_only_is_over_specific():
    run = TestRun("reworded", FAILED, "test_a.py::test_message failed: assert 'a' == 'b'")
    text = explain_failure_on_correct("a reworded service", run, fails_on_reference=False)
    assert "They pass on the reference service" in text
    assert "something the contract does not promise" in text
    assert "sets the app up wrongly" not in text


@pytest.mark.parametrize(
    "message",
    [
        NO_MODEL_FAILURE,
        "test_a.py::test_x failed: assert 503 == 200",
        "test_a.py::test_x failed: KeyError: 'species' in {'error': {'code': 'model_unavailable'}}",
    ],
    ids=["response-repr", "bare-status", "error-code"],
)
def test_a_503_adds_the_lifespan_advice(message):
    symptom = NO_MODEL
    for name, on_reference in (("reference", True), ("restructured", False)):
        run = TestRun(name, FAILED, message)
        text = explain_failure_on_correct(
            "a service", run, fails_on_reference=on_reference, symptoms=[symptom]
        )
        assert "It answered 503: the app had no model" in text
        assert "`with TestClient(main.app)`" in text and "MODEL_PATH" in text


def test_an_expected_503_that_did_not_come_gets_no_lifespan_advice():
    run = TestRun(
        "reference",
        FAILED,
        "test_a.py::test_ready failed: assert 200 == 503\n"
        " +  where 200 = <Response [200 OK]>.status_code",
    )
    text = explain_failure_on_correct(
        "the reference", run, fails_on_reference=True, symptoms=[NO_MODEL]
    )
    assert "It answered 503" not in text


@pytest.mark.parametrize(
    ("status", "expected"),
    [(NO_TESTS, "Nothing was tested: no tests here."), (TIMEOUT, "On a service: no tests here")],
)
def test_a_run_that_did_not_fail_a_test_is_explained_by_its_message(status, expected):
    run = TestRun("reference", status, "no tests here")
    assert explain_failure_on_correct("a service", run, fails_on_reference=True) == expected
