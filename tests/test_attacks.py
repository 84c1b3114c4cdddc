"""The hostile corpus: submissions that attack secure grading, graded as an instructor would.

Each folder of ``tests/forgery/attacks/`` is one attack on a lab: an ``attack.toml`` that says
what it tries, which folder it is built on (the starter or the solution), what it must score,
and the files it adds or edits. Each is graded with ``python -m autograder grade --secure``,
as root, with a secret in the grader's environment and a root-only secret file on disk, and
told (in ``target.txt``) where the results file, the course, a canary file, the secret file and
the reference solution are. Every attack must:

* score exactly what it earned, in bounded time, with a reason for every lost check;
* leave the results file unforged, even after the grader has exited;
* leave nothing running, and change no file outside its own folder (the course included);
* never see a secret: neither appears in anything the grader prints or writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.course import ROOT, find_lab, is_generated
from autograder.variants import apply_edits
from tests.leftovers import left_over_processes

ATTACKS_FOLDER = ROOT / "tests" / "forgery" / "attacks"
ATTACKS = sorted(path.name for path in ATTACKS_FOLDER.iterdir() if path.is_dir())
SECRET = "instructor-secret-7c1d9e"
TOKEN = "token-4f2a8b61-do-not-leak"
GUARDED = ("autograder", "solutions", "labs", "tests/known_bad")
SETTLE_SECONDS = 1.5  # how long a surviving daemon would have to act after the grader

pytestmark = pytest.mark.skipif(
    sandbox.unavailable_reason() is not None,
    reason=f"secure mode is not available here: {sandbox.unavailable_reason()}",
)


def spec(attack: str) -> dict:
    return tomllib.loads((ATTACKS_FOLDER / attack / "attack.toml").read_text())


def fingerprint() -> dict[str, str]:
    """A hash of every file the course guards: a grading must change none of them."""
    prints = {}
    for top in GUARDED:
        for path in sorted((ROOT / top).rglob("*")):
            # what running a lab writes in its folder (caches, a SQLite log) is no file of the
            # course: the lab 11 starter graded by another test writes its predictions.db
            if path.is_file() and not is_generated(path.relative_to(ROOT)):
                prints[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


def build(attack: str, workdir: Path) -> tuple[Path, dict]:
    """The attack's submission, and the paths it is told about."""
    details = spec(attack)
    lab = find_lab(details["lab"])
    base = lab.solution_dir if details["base"] == "solution" else lab.starter_dir
    submission = workdir / "submission"
    shutil.copytree(base, submission, ignore=shutil.ignore_patterns("__pycache__", "models"))
    source = ATTACKS_FOLDER / attack
    for path in source.rglob("*"):  # its files, in their folders (tests/test_x.py...)
        if path.is_file() and path.name not in ("attack.toml", "patch.toml"):
            target = submission / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    if (source / "patch.toml").exists():
        edits = tomllib.loads((source / "patch.toml").read_text())["edit"]
        apply_edits(submission, edits, attack)
    for name, target in details.get("link", {}).items():
        where, _, file = target.partition(":")
        (submission / name).unlink(missing_ok=True)
        (submission / name).symlink_to((lab.solution_dir if where == "solution" else base) / file)
    for name, count in details.get("links_leaving", {}).items():  # a folder of many links
        (submission / name).mkdir(parents=True, exist_ok=True)
        for number in range(count):
            (submission / name / f"link{number}").symlink_to(lab.solution_dir / "main.py")
    secret_file = workdir / "secret.txt"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o600)
    # A file anyone on the machine may reach and write: no process of the grading may.
    public = Path(tempfile.mkdtemp(prefix="autograder-attack-canary-"))
    public.chmod(0o755)
    canary = public / "canary.txt"
    canary.write_text("still here")
    canary.chmod(0o666)
    paths = {
        "results": workdir / "results.json",
        "course": ROOT,
        "canary": canary,
        "secret": secret_file,
        "solution": lab.solution_dir / "main.py",
    }
    (submission / "target.txt").write_text(" ".join(str(path) for path in paths.values()))
    return submission, paths | {"lab": lab}


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attack_earns_only_its_score(attack, tmp_path):
    details = spec(attack)
    submission, paths = build(attack, tmp_path)
    before = fingerprint()
    command = [sys.executable, "-m", "autograder", "grade", str(details["lab"]), "--secure"]
    command += ["--submission", str(submission), "--json", str(paths["results"])]
    environment = {**os.environ, "INSTRUCTOR_TOKEN": TOKEN}
    started = time.monotonic()
    finished = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )
    seconds = time.monotonic() - started
    assert finished.returncode in (0, 1), finished.stderr[-2000:]
    written = paths["results"].read_text()
    time.sleep(SETTLE_SECONDS)
    assert paths["results"].read_text() == written, "the results file changed after the grader"
    document = json.loads(written)
    failed = {test["name"] for test in document["tests"] if test["status"] != "passed"}
    names = {test["name"] for test in document["tests"]}
    expect = details["expect"]
    if expect == "zero":
        assert document["score"] == 0, names - failed
    elif expect == "full":
        assert document["score"] == document["max_score"], failed
    else:
        # A check after the attack that uses the server the attack killed may fail too, on
        # a busy machine (its connection reset); an attack never earns what it did not.
        allowed = set(details["fails"]) | set(details.get("may_also_fail", []))
        assert set(details["fails"]) <= failed <= allowed, failed
    assert all(
        test["output"].strip() for test in document["tests"] if test["status"] != "passed"
    ), "every lost check says why"
    assert seconds < details.get("max_seconds", 120), f"{seconds:.1f} s"
    everything = finished.stdout + finished.stderr + written
    assert SECRET not in everything and TOKEN not in everything, "a secret came back"
    for text in details.get("never_shown", []):  # what the grader knows and keeps to itself
        assert text not in everything, f"{text!r} came back"
    assert stat.S_IMODE(paths["secret"].stat().st_mode) == 0o600, "the secret file was opened up"
    assert paths["secret"].stat().st_uid == 0, "the secret file was given away"
    assert str(paths["results"]) not in everything.replace(f"--json {paths['results']}", "")
    assert paths["canary"].read_text() == "still here"
    shutil.rmtree(paths["canary"].parent)
    assert fingerprint() == before, "a file of the course changed"
    assert left_over_processes() == [], "a process of the grading outlived it"
