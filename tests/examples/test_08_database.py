"""The example apps of lab 08 (examples/08-database/) do what the handout says."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from autograder.course import find_lab
from tests.example_apps import load_example

EXAMPLES = find_lab(8).examples_dir


@pytest.fixture(scope="module")
def books():
    """books.py, imported once: its table is registered in SQLModel's metadata."""
    return load_example(EXAMPLES / "books.py")


@pytest.fixture
def shelf(books, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKS_DATABASE_URL", f"sqlite:///{tmp_path / 'books.db'}")
    with TestClient(books.app) as client:
        yield client


def add(client, title, author="Anon", **extra):
    answer = client.post("/books", json={"title": title, "author": author, **extra})
    assert answer.status_code == 201
    return answer.json()


def test_books_are_paged_in_id_order(shelf):
    ids = [add(shelf, f"Book {number}")["id"] for number in range(5)]
    pages = [
        shelf.get("/books", params={"offset": offset, "limit": 2}).json() for offset in (0, 2, 4)
    ]
    assert [book["id"] for page in pages for book in page] == ids
    assert shelf.get("/books", params={"limit": 101}).status_code == 422


def test_a_patch_changes_only_what_it_sends(shelf):
    book = add(shelf, "Emma", "Austen")
    answer = shelf.patch(f"/books/{book['id']}", json={"finished": True})
    assert answer.json() == {**book, "finished": True}
    assert shelf.patch("/books/999", json={"finished": True}).status_code == 404


def test_books_survive_a_restart(books, shelf):
    book = add(shelf, "Dune", "Herbert")
    with TestClient(books.app) as restarted:
        assert restarted.get(f"/books/{book['id']}").json()["title"] == "Dune"


def test_concurrent_writes_all_land(books, shelf):
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: add(shelf, f"Book {n}")["id"], range(24)))
    assert len(set(answers)) == 24
    assert len(shelf.get("/books", params={"limit": 100}).json()) == 24


def test_in_memory_needs_a_static_pool(books, monkeypatch):
    monkeypatch.setenv("BOOKS_DATABASE_URL", "sqlite://")
    with TestClient(books.app) as client:
        assert add(client, "Ulysses")["id"] == 1
        assert client.get("/books/1").status_code == 200


def test_a_file_uses_wal(books, tmp_path):
    engine = books.make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_the_migration_keeps_the_rows(tmp_path):
    migrate = load_example(EXAMPLES / "migrate.py")
    path = tmp_path / "old.db"
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine, "0001")
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO book (title, author, finished) VALUES ('Emma', 'Austen', 1)"
        )
    migrate.upgrade(engine)
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT id, title, finished, rating FROM book").fetchall()
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    engine.dispose()
    assert rows == [(1, "Emma", 1, None)]
    assert version == ("0002",)
