"""Secure mode: student code never runs beside the checks, so nothing it does forges a mark.

Each whole submission in ``tests/forgery/`` attacks the grader (patches pytest, ships a
conftest, forges a results file, fork-bombs, deletes files outside its folder); each must
score 0 with the batch around it unharmed. The course's solutions keep full marks in secure
mode. ``tests/test_attacks.py`` grades the corpus under ``tests/forgery/attacks/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.batch import grade_class
from autograder.course import ROOT, find_lab, load_labs
from autograder.runner import Limits
from tests.leftovers import left_over_processes

FORGERY = ROOT / "tests" / "forgery"
ATTACKS = sorted(path.name for path in FORGERY.iterdir() if path.is_dir())
LAB = find_lab(2)
pytestmark = pytest.mark.skipif(
    sandbox.unavailable_reason() is not None,
    reason=f"secure mode is not available here: {sandbox.unavailable_reason()}",
)


@pytest.fixture(scope="module")
def secure_grader(grader_for):
    return grader_for(LAB.number, secure=True, check_timeout=10)


@pytest.fixture
def canary(tmp_path, monkeypatch):
    """A file outside every submission that an attack tries to delete or overwrite."""
    path = tmp_path / "canary.txt"
    path.write_text("still here")
    monkeypatch.setenv("CANARY_FILE", str(path))
    monkeypatch.setenv("FORGED_RESULTS", str(tmp_path / "results.json"))
    return path


def drops_privileges() -> bool:
    """Whether student code runs as another user here (secure mode refuses otherwise)."""
    return sandbox.unavailable_reason() is None


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attack_scores_zero_in_bounded_time(attack, secure_grader, canary):
    started = time.monotonic()
    result = secure_grader.grade(FORGERY / attack)
    assert result.score == 0, [r.check.name for r in result.results if r.passed]
    assert time.monotonic() - started < 120
    assert all(r.message for r in result.results), "every lost check says why"
    assert left_over_processes() == [], "a sandbox process outlived the grading"
    if drops_privileges():
        assert canary.read_text() == "still here"


def test_a_submission_cannot_overwrite_the_graders_results(tmp_path, canary):
    out = tmp_path / "results.json"
    command = [sys.executable, "-m", "autograder", "grade", "2", "--secure", "--quiet"]
    command += ["--submission", str(FORGERY / "forges-results"), "--json", str(out)]
    env = {**os.environ, "FORGED_RESULTS": str(out)}
    subprocess.run(command, cwd=ROOT, env=env, timeout=180, check=False)
    assert json.loads(out.read_text())["score"] == 0


@pytest.fixture
def own_temporary_directory(monkeypatch) -> Iterator[Path]:
    """A temporary directory for this test's gradings alone (others may run beside it)."""
    folder = Path(tempfile.mkdtemp(prefix="secure-test-"))
    folder.chmod(0o1777)  # like /tmp: the sandbox user makes its folders there too
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("lab", load_labs(), ids=lambda lab: lab.folder)
def test_solutions_keep_full_marks_in_secure_mode(lab, grader_for, own_temporary_directory):
    result = grader_for(lab.number, secure=True).grade(lab.solution_dir)
    failed = {r.check.name: r.message for r in result.results if not r.passed}
    assert not result.problem and not failed, result.problem or failed
    left = list(own_temporary_directory.glob(f"{sandbox.COPY_PREFIX}*"))
    assert not left, "a grading left its copy or its app's socket behind"


def test_folders_of_a_killed_grading_are_removed_by_the_next(tmp_path):
    pid = os.fork()
    if pid == 0:  # pragma: no cover - a process that ends at once: its pid is then free
        os._exit(0)
    os.waitpid(pid, 0)
    stale = Path(tempfile.mkdtemp(prefix=f"{sandbox.COPY_PREFIX}{pid}-"))
    (stale / "submission").mkdir()
    mine = Path(tempfile.mkdtemp(prefix=f"{sandbox.COPY_PREFIX}{os.getpid()}-"))
    try:
        sandbox.clean_up_stale()
        assert not stale.exists()
        assert mine.exists(), "the folders of a running grading are kept"
    finally:
        shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(mine, ignore_errors=True)


def test_a_batch_with_attackers_grades_everyone_else_correctly(tmp_path, canary):
    submissions = tmp_path / "class"
    for attack in ATTACKS:
        shutil.copytree(FORGERY / attack, submissions / f"attacker-{attack}")
    shutil.copytree(LAB.solution_dir, submissions / "honest-1")
    shutil.copytree(LAB.solution_dir, submissions / "honest-2")
    out = tmp_path / "grades.csv"
    grade_class(
        LAB,
        submissions,
        out,
        jobs=2,
        limits=Limits(check_timeout=10, secure=True),
        show_progress=False,
    )
    feedback = tmp_path / "grades-feedback"
    scores = {path.stem: json.loads(path.read_text())["score"] for path in feedback.glob("*.json")}
    assert scores["honest-1"] == scores["honest-2"] == 100
    assert all(scores[f"attacker-{attack}"] == 0 for attack in ATTACKS)
    if drops_privileges():
        assert canary.read_text() == "still here"


def test_secure_mode_refuses_without_root_instead_of_grading_unconfined(tmp_path):
    """Not root: one line saying why and how to fix it, exit 2, no grading at all."""
    shared = Path(tempfile.mkdtemp(prefix="refusal-"))
    shared.chmod(0o777)
    out = shared / "results.json"
    command = [sys.executable, "-m", "autograder", "grade", "1", "--solution", "--secure"]
    finished = subprocess.run(
        [*command, "--json", str(out)],
        cwd=ROOT,
        user=65534,
        group=65534,
        extra_groups=[],
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(shared)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    written = out.exists()
    shutil.rmtree(shared, ignore_errors=True)
    assert finished.returncode == 2, finished.stderr
    assert finished.stderr.startswith("error: secure mode needs root")
    assert finished.stderr.count("\n") == 1, finished.stderr
    assert not written, "nothing is graded, so nothing is written"


def test_a_launcher_that_died_is_replaced(grader_for, own_temporary_directory):
    """The process that forks sandboxes is root and out of the students' reach; should it die
    all the same, the next grading starts a new one and grades as before."""
    grader = grader_for(1, secure=True)
    assert grader.grade(find_lab(1).solution_dir).full_marks
    launcher = sandbox.harness.launcher()
    launcher.process.kill()
    launcher.process.wait()
    result = grader.grade(find_lab(1).solution_dir)
    assert result.full_marks, {r.check.name: r.message for r in result.results if not r.passed}


# One in thirty of each lab's known-bad variants, spread evenly (the first of every lab
# included): a secure grading of a variant costs up to 100 s of a test process on 2 cores
# (lab 08), and the solution of every lab is graded in secure mode above.
SAMPLE_EVERY = 30


def sampled_variants():
    from tests.variants import variants_for

    for lab in load_labs():
        for number, variant in enumerate(variants_for(lab)):
            if number % SAMPLE_EVERY == 0:
                yield pytest.param(variant, id=f"{lab.folder}-{variant.name}")


@pytest.mark.parametrize("variant", list(sampled_variants()))
def test_known_bad_variants_lose_the_same_points_in_secure_mode(variant, grader_for, tmp_path):
    """A sample of the known-bad corpus graded in secure mode fails exactly its checks, as in
    normal mode (tests/test_labs.py grades every variant in normal mode), on the checks it
    is graded on there."""
    grader = grader_for(variant.lab.number, secure=True)
    result = grader.grade(variant.build(tmp_path / "v"), only=variant.graded_on)
    failed = {r.check.name for r in result.results if not r.passed}
    assert failed == set(variant.fails), {
        r.check.name: r.message for r in result.results if r.check.name in failed
    }


def test_student_code_runs_in_the_grading_time_zone(grader_for, tmp_path):
    """Sandboxes run in the grading's time zone (UTC+05:30) as the grading child does: a
    time read from the local clock and labelled UTC is caught in secure mode too."""
    from tests.variants import variants_for

    (variant,) = [
        variant
        for variant in variants_for(find_lab(8))
        if variant.name == "created-at-from-the-local-clock"
    ]
    grader = grader_for(8, secure=True)
    result = grader.grade(variant.build(tmp_path / "v"), only=list(variant.fails))
    failed = {r.check.name: r.message for r in result.results if not r.passed}
    assert set(failed) == set(variant.fails), failed
    assert variant.says in "\n".join(failed.values())


HOLDERS = """import os as _os
import time as _time

for _ in range(3):  # each within its own memory limit; together past the grading's budget
    if _os.fork() == 0:
        _held = b"x" * (200 << 20)
        _time.sleep(30)
        _os._exit(0)
_time.sleep(3)
"""


def test_processes_that_together_hold_too_much_memory_are_all_stopped(grader_for, tmp_path):
    submission = tmp_path / "holders"
    shutil.copytree(LAB.starter_dir, submission)
    main = submission / "main.py"
    main.write_text(HOLDERS + main.read_text())
    grader = grader_for(LAB.number, secure=True, check_timeout=10, memory_mb=256)
    result = grader.grade(submission)
    assert result.score == 0
    assert any("MB of memory" in note for note in result.notes), result.notes
    assert left_over_processes() == [], "a sandbox process outlived the grading"


IN_FILES = """import os as _os
import time as _time

_held = []
for _number in range(4):  # memory, though no page of any process: 50 MB files (the limit: 64)
    for _place in ("/tmp", "/dev/shm"):
        with open(f"{_place}/held-{_number}", "wb") as _file:
            _file.write(b"x" * (50 << 20))
    # Removed but kept open (a descriptor can travel where no process shows it): still there.
    _held.append(open(f"/tmp/held-{_number}", "rb"))
    _os.unlink(f"/tmp/held-{_number}")
_time.sleep(3)
"""


def test_memory_held_in_files_counts_against_the_budget_too(grader_for, tmp_path):
    submission = tmp_path / "in-files"
    shutil.copytree(LAB.starter_dir, submission)
    main = submission / "main.py"
    main.write_text(IN_FILES + main.read_text())
    grader = grader_for(LAB.number, secure=True, check_timeout=10, memory_mb=200)
    result = grader.grade(submission)
    assert result.score == 0
    assert any("MB of memory" in note for note in result.notes), result.notes


OWN_MOUNT = """import ctypes as _ctypes
import os as _os
import time as _time

# Memory in a tmpfs of its own, mounted in a user namespace of its own (where the watchdog
# would not look); where that is refused, in ordinary files of /tmp (where it does look).
_libc = _ctypes.CDLL(None, use_errno=True)
_uid, _gid = _os.getuid(), _os.getgid()
_place = "/tmp/own"
_os.makedirs(_place, exist_ok=True)
_libc.prctl(4, 1, 0, 0, 0)  # dumpable again: /proc/self/uid_map becomes writable
if _libc.unshare(0x10000000 | 0x00020000) == 0:
    _maps = {"uid_map": f"0 {_uid} 1", "setgroups": "deny", "gid_map": f"0 {_gid} 1"}
    for _name, _text in _maps.items():
        with open(f"/proc/self/{_name}", "w") as _file:
            _file.write(_text)
    _libc.mount(b"none", _place.encode(), b"tmpfs", 0, b"size=2g")
for _number in range(5):  # 250 MB in 50 MB files (the file size limit: 64; /tmp's size: 256)
    with open(f"{_place}/held-{_number}", "wb") as _file:
        _file.write(b"x" * (50 << 20))
for _number in range(4):  # and 200 MB where the watchdog looks
    with open(f"/dev/shm/held-{_number}", "wb") as _file:
        _file.write(b"x" * (50 << 20))
_time.sleep(3)
"""


def test_memory_in_a_file_system_of_its_own_making_counts_too(grader_for, tmp_path):
    # The system-call filter refuses the namespace, so the files land where they are counted.
    submission = tmp_path / "own-mount"
    shutil.copytree(LAB.starter_dir, submission)
    main = submission / "main.py"
    main.write_text(OWN_MOUNT + main.read_text())
    grader = grader_for(LAB.number, secure=True, check_timeout=10, memory_mb=200)
    result = grader.grade(submission)
    assert result.score == 0
    assert any("MB of memory" in note for note in result.notes), result.notes


def test_an_import_error_that_reads_like_a_timeout_is_shown_as_it_is(secure_grader, tmp_path):
    submission = tmp_path / "words"
    shutil.copytree(LAB.starter_dir, submission)
    main = submission / "main.py"
    main.write_text('raise RuntimeError("the code did not finish within 1 s")\n' + main.read_text())
    result = secure_grader.grade(submission)
    assert "RuntimeError: the code did not finish within 1 s" in result.problem, result.problem
    assert not result.import_timed_out


def test_two_graders_starting_at_once_test_their_sandboxes_as_different_users():
    # Each self-test kills what its user left running: a shared user let one grader's
    # self-test kill the other's ("the self-test sandbox ended without answering").
    from autograder.sandbox import harness

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write_fd, str(harness.self_test_uid()).encode())
        os._exit(0)
    os.close(write_fd)
    theirs = int(os.read(read_fd, 64))
    os.close(read_fd)
    os.waitpid(pid, 0)
    mine = harness.self_test_uid()
    assert mine != theirs
    for uid in (mine, theirs):
        assert uid >= harness.SANDBOX_UID_BASE + harness.SANDBOX_UID_SPAN  # no harness's user
