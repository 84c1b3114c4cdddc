"""The submission's fingerprint: it covers exactly what the grading copies, and never reads
a file whole (a huge one would take the batch's memory before anyone is graded)."""

from __future__ import annotations

import os
import shutil
import tracemalloc
from pathlib import Path

import pytest

from autograder.course import find_lab
from autograder.instructor import batch, feedback
from autograder.instructor.fingerprint import TOO_LARGE, submission_digest, suite_digest
from autograder.sandbox.workspace import MAX_COPY_BYTES, copy_submission

LAB = find_lab(2)
MB = 1 << 20


def submission(folder: Path) -> Path:
    """A small lab folder, with the caches a tool leaves beside it."""
    shutil.copytree(LAB.solution_dir, folder)
    for name in ("__pycache__/main.cpython-311.pyc", ".pytest_cache/v/cache/lastfailed"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"cache")
    return folder


def digest_with_a_sparse_file(folder: Path, size: int) -> tuple[str, int]:
    """The fingerprint of ``folder`` with a sparse ``data.bin`` of ``size`` bytes (no disk
    used), and the most memory Python held while it was computed."""
    (folder / "data.bin").touch()
    os.truncate(folder / "data.bin", size)
    tracemalloc.start()
    try:
        return submission_digest(folder), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_file_far_over_the_budget_is_not_read(tmp_path):
    folder = submission(tmp_path / "mallory")
    digest, peak = digest_with_a_sparse_file(folder, MAX_COPY_BYTES + 300 * MB)
    assert digest == TOO_LARGE
    assert peak < 4 * MB, f"the fingerprint held {peak / MB:.0f} MB"


def test_a_file_under_the_budget_is_hashed_a_block_at_a_time(tmp_path):
    folder = submission(tmp_path / "alice")
    digest, peak = digest_with_a_sparse_file(folder, 64 * MB)
    assert digest != TOO_LARGE
    assert peak < 8 * MB, f"the fingerprint held {peak / MB:.0f} MB for a 64 MB file"
    os.truncate(folder / "data.bin", 64 * MB - 1)
    assert submission_digest(folder) != digest


@pytest.mark.parametrize(
    "changed",
    [
        "impl.pyc",  # main.py may import a lone .pyc
        "app/helpers.pyc",
        ".ruff_cache/0.1/cache",
        ".ipynb_checkpoints/main-checkpoint.py",
        "__MACOSX/._main.py",
    ],
)
def test_a_change_to_any_file_the_copy_takes_changes_the_fingerprint(tmp_path, changed):
    folder = submission(tmp_path / "eve")
    (folder / changed).parent.mkdir(parents=True, exist_ok=True)
    (folder / changed).write_bytes(b"the solution")
    before = submission_digest(folder)
    (folder / changed).write_bytes(b"the starter!")  # same size, other bytes
    assert submission_digest(folder) != before


def test_a_change_behind_a_link_the_copy_follows_changes_the_fingerprint(tmp_path):
    folder = submission(tmp_path / "eve")
    hidden = folder / "__pycache__" / "impl.pyc"  # in a folder the copy leaves out
    hidden.write_bytes(b"the solution")
    (folder / "impl.pyc").symlink_to("__pycache__/impl.pyc")  # but the copy follows this
    before = submission_digest(folder)
    hidden.write_bytes(b"the starter!")
    assert submission_digest(folder) != before


def test_the_fingerprint_leaves_out_exactly_what_the_copy_leaves_out(tmp_path):
    folder = submission(tmp_path / "bob")
    (folder / "impl.pyc").write_bytes(b"code")
    (folder / ".ruff_cache").mkdir()
    (folder / ".ruff_cache" / "cache").write_bytes(b"kept by the copy")
    (folder / "node_modules" / "left").mkdir(parents=True)
    (folder / "node_modules" / "left" / "out.js").write_text("left out by the copy")
    before = submission_digest(folder)
    copy_submission(folder, tmp_path / "copy")
    assert submission_digest(tmp_path / "copy") == before
    (folder / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"recompiled")
    assert submission_digest(folder) == before, "a cache the copy leaves out counted"


def test_a_too_large_submission_is_never_kept_as_unchanged(monkeypatch, tmp_path):
    (tmp_path / "subs" / "mallory").mkdir(parents=True)
    record = {"submission_sha256": TOO_LARGE, "suite_sha256": suite_digest(LAB)}
    monkeypatch.setattr(batch, "submission_digest", lambda entry: TOO_LARGE)
    monkeypatch.setattr(feedback, "read_record", lambda path: record)
    run, tasks = batch.plan(LAB, tmp_path / "subs", tmp_path / "fb", "title", regrade=False)
    assert run.regraded == ["mallory"] and not run.unchanged
    assert [task.student for task in tasks] == ["mallory"]
