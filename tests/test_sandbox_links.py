"""Secure mode never changes a file of the machine through a link the student's code made.

The harness (root) opens up the files it makes for the sandbox user to read, and hands it
folders to write in. The sandbox user can put links in those folders; whatever the harness
does there afterwards must act on the link itself, never on where it points (a root-only
file of the machine made readable, say).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from autograder.isolation.sandboxed import Sandboxed
from autograder.sandbox import state, workspace

SANDBOX_UID = 2_000_000_000 + (2 << 22) + 7  # of no grading, nor any self-test

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root, as secure mode does"
)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, Path]:
    """A root-only file and folder of "the machine", outside the grading's folder."""
    private = tmp_path / "machine"
    private.mkdir(mode=0o700)
    secret = private / "secret.txt"
    secret.write_text("root only")
    secret.chmod(0o600)
    return {"folder": private, "secret": secret}


def test_sharing_a_folder_opens_up_the_harness_files_but_never_a_link_target(tmp_path, machine):
    shared = tmp_path / "grading" / "pytest"
    shared.mkdir(parents=True, mode=0o700)
    (shared / "model.json").write_text("{}")
    (shared / "model.json").chmod(0o600)
    for_the_app = shared / "data"  # a folder the app may write in: the sandbox user's
    for_the_app.mkdir()
    os.chown(for_the_app, SANDBOX_UID, SANDBOX_UID)
    (for_the_app / "to-a-file").symlink_to(machine["secret"])
    (for_the_app / "to-a-folder").symlink_to(machine["folder"])
    (shared / "at-the-top").symlink_to(machine["secret"])

    workspace.share_with_sandbox(shared)

    assert mode_of(shared / "model.json") == 0o644  # the harness's own file: shared
    assert mode_of(shared) & 0o055 == 0o055
    assert mode_of(machine["secret"]) == 0o600, "a link led the harness to open up a file"
    assert mode_of(machine["folder"]) == 0o700, "a link led the harness to open up a folder"


def test_a_folder_given_to_the_app_gives_away_links_never_their_targets(
    tmp_path, machine, monkeypatch
):
    folder = tmp_path / "for-the-app"
    folder.mkdir()
    (folder / "to-a-file").symlink_to(machine["secret"])
    policy = state.Policy(base=tmp_path, folder=tmp_path / "copy", uid=SANDBOX_UID)
    monkeypatch.setattr(state, "_policy", policy)

    Sandboxed().writable_by_app(folder)

    assert os.lstat(folder).st_uid == SANDBOX_UID
    assert os.lstat(folder / "to-a-file").st_uid == SANDBOX_UID  # the link itself
    assert os.stat(machine["secret"]).st_uid == 0, "a link gave a file of the machine away"


def test_a_suite_reads_a_file_of_the_students_folder_never_through_a_link(tmp_path, machine):
    from autograder.suites.support import read_own_file

    folder = tmp_path / "copy"
    (folder / "app").mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM python\n")
    (folder / "linked").symlink_to(machine["secret"])
    (folder / "app-link").symlink_to(folder / "app")
    (folder / "app" / "x.txt").write_text("x")

    assert read_own_file(folder / "Dockerfile") == b"FROM python\n"
    assert read_own_file(folder / "app" / "x.txt") == b"x"
    assert read_own_file(folder / "linked") is None  # a link to a file of the machine
    assert read_own_file(folder / "app-link" / "x.txt") is None  # a link on the way
    assert read_own_file(folder / "missing") is None


def test_a_copy_of_the_students_folder_leaves_links_and_pipes_out(tmp_path, machine):
    from autograder.own_files import copy_own_tree

    folder = tmp_path / "student"
    (folder / "tests" / "deep").mkdir(parents=True)
    (folder / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    (folder / "tests" / "deep" / "data.txt").write_text("mine")
    (folder / "tests" / "stolen.txt").symlink_to(machine["secret"])
    (folder / "tests" / "deep" / "machine").symlink_to(machine["folder"])
    os.mkfifo(folder / "tests" / "waits-forever")  # opened without waiting, then left out
    copy = copy_own_tree(folder / "tests", tmp_path / "copy")
    copied = sorted(path.relative_to(copy).as_posix() for path in copy.rglob("*"))
    assert copied == ["deep", "deep/data.txt", "test_a.py"]
    assert (copy / "deep" / "data.txt").read_text() == "mine"
    # A folder reached through a link copies as nothing at all.
    (tmp_path / "linked").symlink_to(folder)
    assert list(copy_own_tree(tmp_path / "linked" / "tests", tmp_path / "none").iterdir()) == []


def test_a_project_file_is_read_never_through_a_link_and_bad_bytes_are_explained(tmp_path, machine):
    from autograder import submission

    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "pyproject.toml").symlink_to(machine["secret"])
    with pytest.raises(submission.SubmissionError, match="not a regular file"):
        submission.entrypoint(folder)
    (folder / "pyproject.toml").unlink()
    (folder / "pyproject.toml").write_bytes(b"\xff\xfe[tool]\n")
    with pytest.raises(submission.SubmissionError, match="cannot be read: UnicodeDecodeError"):
        submission.entrypoint(folder)


def test_a_database_the_app_wrote_is_read_as_a_table_never_a_view(tmp_path):
    import sqlite3

    from autograder.suites import support

    database = tmp_path / "predictions.db"
    with sqlite3.connect(database) as connection:
        endless = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r"
        connection.execute(f"CREATE VIEW prediction AS {endless}")
    connection.close()
    with pytest.raises(pytest.fail.Exception, match="prediction in the database file is a view"):
        support.table_rows(database, "prediction", order_by="id")
    # A query that never ends is stopped after a bounded amount of work.
    with support.database_copy(database) as copy, pytest.raises(sqlite3.Error):
        copy.execute(f"{endless} ORDER BY n").fetchone()


def test_a_database_table_with_generated_columns_is_refused(tmp_path):
    import sqlite3

    from autograder.suites import support

    database = tmp_path / "predictions.db"
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TABLE prediction (id INTEGER PRIMARY KEY, "
            "huge BLOB GENERATED ALWAYS AS (zeroblob(700000000)) VIRTUAL)"
        )
        connection.execute("INSERT INTO prediction (id) VALUES (1)")
    connection.close()
    with pytest.raises(pytest.fail.Exception, match="generated columns: \\['huge'\\]"):
        support.table_rows(database, "prediction", order_by="id")


def test_folders_deeper_than_python_recurses_are_copied_in_part_and_removed(tmp_path):
    from autograder.own_files import MAX_TREE_DEPTH, copy_own_tree, remove_tree

    deep = tmp_path / "student"
    deep.mkdir()
    folder = os.open(deep, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(1500):  # one level at a time: os.makedirs would recurse too
        os.mkdir("d", dir_fd=folder)
        inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder)
        os.close(folder)
        folder = inner
    os.close(folder)
    try:
        (deep / "d" / "kept.txt").write_text("near the top")
        copy = copy_own_tree(deep, tmp_path / "copy")
        assert (copy / "d" / "kept.txt").read_text() == "near the top"
        assert (copy / "/".join(["d"] * MAX_TREE_DEPTH)).is_dir()
        assert not (copy / "/".join(["d"] * (MAX_TREE_DEPTH + 1))).exists()
    finally:
        remove_tree(deep)
    assert not deep.exists()
