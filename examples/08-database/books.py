"""Lab 08 example: a reading list kept in SQLite with SQLModel.

- one table model (``Book``) and the shapes around it kept apart: ``BookCreate`` (what a
  client sends), ``BookPublic`` (what the API returns), ``BookUpdate`` (a PATCH: every field
  optional);
- one engine per app, made in lifespan from BOOKS_DATABASE_URL; one session per request
  (``SessionDep``);
- a page of books in a stable order (by id), a bounded ``limit``, 404 for a missing id, and
  partial updates with ``exclude_unset``.

Try it: `uv run fastapi dev examples/08-database/books.py`, add a book in /docs, stop the
server, start it again: the book is still there (in books.db).
"""

import os
from collections.abc import Iterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from sqlalchemy import Engine, event
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, Session, SQLModel, col, create_engine, select


class BookBase(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    author: str = Field(min_length=1, max_length=100)
    finished: bool = False


class Book(BookBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class BookCreate(BookBase):
    pass


class BookPublic(BookBase):
    id: int


class BookUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    author: str | None = Field(default=None, min_length=1, max_length=100)
    finished: bool | None = None


def make_engine(url: str) -> Engine:
    """An engine for many threads: WAL and a busy timeout on a file, StaticPool in memory."""
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 15},
        **({"poolclass": StaticPool} if in_memory else {}),
    )

    @event.listens_for(engine, "connect")
    def set_pragmas(connection, record) -> None:
        if not in_memory:
            connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=15000")

    return engine


@asynccontextmanager
async def lifespan(app: FastAPI):
    engine = make_engine(os.environ.get("BOOKS_DATABASE_URL", "sqlite:///books.db"))
    SQLModel.metadata.create_all(engine)  # fine for a new file; the lab uses migrations
    app.state.engine = engine
    yield
    engine.dispose()


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

app = FastAPI(title="Reading list", lifespan=lifespan)


@app.post("/books", status_code=201)
def add_book(book: BookCreate, session: SessionDep) -> BookPublic:
    row = Book.model_validate(book)
    session.add(row)
    session.commit()
    session.refresh(row)
    return BookPublic.model_validate(row)


@app.get("/books")
def list_books(
    session: SessionDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    finished: bool | None = None,
) -> list[BookPublic]:
    query = select(Book)
    if finished is not None:
        query = query.where(Book.finished == finished)
    rows = session.exec(query.order_by(col(Book.id)).offset(offset).limit(limit))
    return [BookPublic.model_validate(row) for row in rows]


def book_or_404(session: Session, book_id: int) -> Book:
    book = session.get(Book, book_id)
    if book is None:
        raise HTTPException(status_code=404, detail=f"Book {book_id} not found")
    return book


@app.get("/books/{book_id}")
def read_book(book_id: int, session: SessionDep) -> BookPublic:
    return BookPublic.model_validate(book_or_404(session, book_id))


@app.patch("/books/{book_id}")
def update_book(book_id: int, changes: BookUpdate, session: SessionDep) -> BookPublic:
    book = book_or_404(session, book_id)
    book.sqlmodel_update(changes.model_dump(exclude_unset=True))
    session.add(book)
    session.commit()
    session.refresh(book)
    return BookPublic.model_validate(book)
