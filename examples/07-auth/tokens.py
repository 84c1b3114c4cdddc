"""Lab 07 example: a library where readers log in and librarians may remove books.

- POST /token: the OAuth2 password flow. The password is checked against an Argon2 hash
  (pwdlib); an unknown name is checked against a dummy hash, so both cost the same.
- The answer is a JWT signed with HS256 (PyJWT): who (sub), which role, until when (exp).
- Routes ask for `CurrentUser` (any reader) or `Librarian` (role "librarian"): 401 when the
  caller is unknown, 403 when known but not allowed.

Try it: `uv run fastapi dev examples/07-auth/tokens.py`, open /docs, press Authorize and log
in as `lin` / `shelves` (a librarian) or `rex` / `novels` (a reader).
"""

import os
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# A tiny Argon2 cost keeps this example fast; production keeps pwdlib's slow defaults.
password_hash = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=64),))
DUMMY_HASH = password_hash.hash("never-a-real-password")
# In a real service the secret comes from the environment; a random one dies with the process.
SECRET = os.environ.get("LIBRARY_SECRET") or secrets.token_urlsafe(32)
ALGORITHM = "HS256"

READERS = {
    "lin": {"password_hash": password_hash.hash("shelves"), "role": "librarian"},
    "rex": {"password_hash": password_hash.hash("novels"), "role": "reader"},
}
BOOKS = {1: "Dune", 2: "Emma", 3: "Ulysses"}

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


def not_authenticated(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


def create_token(name: str, role: str, minutes: int = 15) -> str:
    now = datetime.now(UTC)
    claims = {"sub": name, "role": role, "iat": now, "exp": now + timedelta(minutes=minutes)}
    return jwt.encode(claims, SECRET, algorithm=ALGORITHM)


def current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> dict:
    """The reader a valid token names: signature, expiry, sub and exp all checked."""
    try:
        claims = jwt.decode(
            token, SECRET, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.InvalidTokenError:
        raise not_authenticated("Invalid or expired token") from None
    if claims["sub"] not in READERS:
        raise not_authenticated("Unknown reader")
    return {"name": claims["sub"], "role": claims.get("role")}


CurrentUser = Annotated[dict, Depends(current_user)]


def librarian(user: CurrentUser) -> dict:
    """The current user, who must be a librarian (403 otherwise)."""
    if user["role"] != "librarian":
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Librarians only")
    return user


Librarian = Annotated[dict, Depends(librarian)]

app = FastAPI(title="Library")


@app.post("/token")
def log_in(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict:
    """Trade a name and a password for an access token."""
    reader = READERS.get(form.username)
    stored = reader["password_hash"] if reader else DUMMY_HASH
    if not password_hash.verify(form.password, stored) or reader is None:
        raise not_authenticated("Wrong name or password")
    return {"access_token": create_token(form.username, reader["role"]), "token_type": "bearer"}


@app.get("/books")
def list_books(user: CurrentUser) -> dict:
    """Any logged-in reader sees the books."""
    return BOOKS


@app.delete("/books/{book_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_book(book_id: int, user: Librarian) -> None:
    """Only a librarian removes a book."""
    BOOKS.pop(book_id, None)
