"""SQLite files a student's app wrote, read by the suites without trusting them.

The file is the student's code's: it may be a link, hold views that make a query endless or
generated columns of any size. The grader reads its own copy, in bounded steps. Suites call
these through :mod:`autograder.suites.support` (``support.table_rows(...)``).
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from autograder.own_files import read_own_file

MAX_DATABASE_BYTES = 64 * 1024 * 1024
# Steps of SQLite's virtual machine one query on a copy may take: reading a table of
# 100,000 rows takes a few million; past this the query is stopped.
MAX_DATABASE_STEPS = 50_000_000


@contextmanager
def database_copy(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the grader's own copy of a SQLite file the app wrote (and of its
    write-ahead log), read without following links (see :func:`read_own_file`).

    The file is the student's code's: its schema may hold views that make a query endless.
    Nothing goes to temporary files, functions in the schema are not trusted, and a query
    stops after a bounded amount of work (``sqlite3.OperationalError: interrupted``)."""
    data = read_own_file(path, limit=MAX_DATABASE_BYTES)
    assert data is not None, f"there is no database file at {path.name}: is DATABASE_URL used?"
    log = read_own_file(path.with_name(f"{path.name}-wal"), limit=MAX_DATABASE_BYTES)
    with tempfile.TemporaryDirectory(prefix="database-") as folder:
        copy = Path(folder) / path.name
        copy.write_bytes(data)
        if log:
            copy.with_name(f"{copy.name}-wal").write_bytes(log)
        connection = sqlite3.connect(copy)
        try:
            connection.execute("PRAGMA temp_store = MEMORY")
            connection.execute("PRAGMA trusted_schema = OFF")
            connection.set_progress_handler(lambda: 1, MAX_DATABASE_STEPS)
            yield connection
        finally:
            connection.close()


COPY_ATTEMPTS = 10  # a copy taken while the app checkpoints its log may miss the table


def table_rows(path: Path, table: str, *, order_by: str) -> list[dict]:
    """The rows of ``table`` in a SQLite file the app wrote (read from a copy): a failed
    check, never a hung grader, when it is not a table (a view) or cannot be read.

    The file and its write-ahead log are copied one after the other: when the app moved
    the log into the file in between, the copy may lack the table. It is copied again."""
    for _ in range(COPY_ATTEMPTS - 1):
        with database_copy(path) as connection:
            try:
                found = connection.execute(
                    "SELECT count(*) FROM sqlite_master WHERE name = ?", (table,)
                ).fetchone()[0]
            except sqlite3.DatabaseError:
                found = 0
        if found:
            break
        time.sleep(0.1)
    with database_copy(path) as connection:
        try:
            kind = connection.execute(
                "SELECT type FROM sqlite_master WHERE name = ?", (table,)
            ).fetchone()
            if kind is not None and kind[0] != "table":
                pytest.fail(f"{table} in the database file is a {kind[0]}, not a table")
            # A generated column is computed by each read: its value can be anything, of
            # any size, though the app never stores it (table_xinfo's "hidden" 2 or 3).
            generated = [
                column[1]
                for column in connection.execute(f'PRAGMA table_xinfo("{table}")')
                if column[6] in (2, 3)
            ]
            if generated:
                pytest.fail(f"{table} in the database file has generated columns: {generated}")
            connection.row_factory = sqlite3.Row
            rows = connection.execute(f'SELECT * FROM "{table}" ORDER BY "{order_by}"')
            return [dict(row) for row in rows]
        except sqlite3.Error as error:
            pytest.fail(f"reading the table {table} of the database file: {error}", pytrace=False)
