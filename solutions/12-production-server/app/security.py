"""Lab 12 · who is calling, and what may they do: API keys, passwords, tokens and roles.

- Machine clients send a key in the ``X-API-Key`` header (``API_KEYS``).
- People log in at ``POST /token`` with a user name and a password (``USERS`` holds their
  Argon2 hashes) and get a JWT access token, which they send as ``Authorization: Bearer``.
- ``Caller`` (either of the two), ``CurrentUser`` (a token) and ``AdminUser`` (a token with
  the role "admin") are the dependencies routes ask for.

The convention: **401** (with ``WWW-Authenticate: Bearer``) when we do not know who is
calling: no credentials, or wrong ones; **403** when we know, and the answer is no.
"""

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import HTTPException, status
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pydantic import BaseModel, SecretStr

from app.api_docs import FORBIDDEN, UNAUTHORIZED
from app.core.config import Role, Settings

ALGORITHM = "HS256"
API_KEY_HEADER = "X-API-Key"

# auto_error=False: a missing header gives None instead of an immediate 401, because a
# prediction may come with either an API key or a token.
api_key_scheme = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)
bearer_scheme = OAuth2PasswordBearer(tokenUrl="token", auto_error=False)

# The answers of a route that needs a caller, and of one for admins only (see api_docs.py).
AUTH_ERRORS = UNAUTHORIZED
ADMIN_ERRORS = {**UNAUTHORIZED, **FORBIDDEN}


class User(BaseModel):
    """A person who logged in."""

    username: str
    role: Role


class Token(BaseModel):
    """The answer of POST /token, in the shape OAuth2 clients (and /docs) expect."""

    access_token: str
    token_type: str = "bearer"


class Passwords:
    """Argon2 password checks, at the cost the settings give.

    Argon2 is slow on purpose: each guess of an attacker who stole the hashes costs as much
    as a login. Tests set a tiny cost so they stay fast.
    """

    def __init__(self, settings: Settings) -> None:
        hasher = Argon2Hasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_cost
        )
        self.hasher = PasswordHash((hasher,))
        # Checked against when the user does not exist, so that an unknown name costs as
        # much as a wrong password: the answer's timing never tells which names exist.
        self.dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password: str, password_hash: str | None) -> bool:
        """Whether ``password`` matches ``password_hash`` (None: an unknown user, never)."""
        if password_hash is None:
            self.hasher.verify(password, self.dummy_hash)
            return False
        return self.hasher.verify(password, password_hash)


def unauthorized(message: str) -> HTTPException:
    """A 401: the caller is not (or not correctly) authenticated."""
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


# ---------------------------------------------------------------- tokens


def create_access_token(user: User, settings: Settings) -> str:
    """A signed JWT: who (``sub``), which role, issued when, and when it expires."""
    now = datetime.now(UTC)
    claims = {
        "sub": user.username,
        "role": user.role,
        "iat": now,
        "exp": now + timedelta(minutes=settings.access_token_minutes),
    }
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def user_from_token(token: str, settings: Settings) -> User:
    """The user a token was issued to, or a 401 when the token is not one we signed, has
    expired, or lacks its claims."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub"]},
        )
    except jwt.InvalidTokenError:
        raise unauthorized("The token is invalid or has expired: log in again.") from None
    username, role = claims["sub"], claims.get("role")
    if username not in settings.users or role not in ("admin", "user"):
        raise unauthorized("The token does not name a known user and role.")
    return User(username=username, role=role)


def client_for_key(api_key: str, api_keys: Mapping[str, SecretStr]) -> str | None:
    """The name of the client whose key this is, or None.

    ``secrets.compare_digest`` takes as long for a near miss as for a far one, so the time
    of an answer does not reveal how much of a key was right. It compares bytes here: on
    ``str`` it refuses anything but ASCII.
    """
    given = api_key.encode()
    found = None
    for client, key in api_keys.items():
        if secrets.compare_digest(given, key.get_secret_value().encode()):
            found = client
    return found
