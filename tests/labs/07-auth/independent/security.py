"""Lab 07 · who is calling, and what may they do: API keys, passwords, tokens and roles.

- Machine clients send a key in the ``X-API-Key`` header (``API_KEYS``).
- People log in at ``POST /token`` with a user name and a password (``USERS`` holds their
  Argon2 hashes) and get a JWT access token, which they send as ``Authorization: Bearer``.
- ``Caller`` (either of the two), ``CurrentUser`` (a token) and ``AdminUser`` (a token with
  the role "admin") are the dependencies routes ask for.

The convention: **401** (with ``WWW-Authenticate: Bearer``) when we do not know who is
calling: no credentials, or wrong ones; **403** when we know, and the answer is no.
"""

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pydantic import BaseModel

from api_docs import FORBIDDEN, UNAUTHORIZED, WWW_AUTHENTICATE, error
from settings import Role, Settings

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
        stored = self.dummy_hash if password_hash is None else password_hash
        try:
            ok = self.hasher.verify(password, stored)
        except Exception:
            ok = False
        return ok and password_hash is not None


def get_settings(request: Request) -> Settings:
    """The settings read when the app started."""
    return request.app.state.settings


def get_passwords(request: Request) -> Passwords:
    """The password checker made when the app started."""
    return request.app.state.passwords


SettingsDep = Annotated[Settings, Depends(get_settings)]
PasswordsDep = Annotated[Passwords, Depends(get_passwords)]


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
    issued = datetime.now(UTC)
    payload = {
        "exp": issued + timedelta(minutes=settings.access_token_minutes),
        "iat": issued,
        "role": user.role,
        "sub": user.username,
    }
    return jwt.encode(payload, settings.jwt_secret, algorithm=ALGORITHM)


def user_from_token(token: str, settings: Settings) -> User:
    """The user a token was issued to, or a 401 when the token is not one we signed, has
    expired, or lacks its claims."""
    try:
        claims = jwt.decode(
            token, settings.jwt_secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.InvalidTokenError:
        raise unauthorized("Invalid or expired token") from None
    name = claims.get("sub")
    role = claims.get("role")
    if not isinstance(name, str) or name not in settings.users:
        raise unauthorized("Invalid or expired token")
    if role not in ("admin", "user"):
        raise unauthorized("Invalid or expired token")
    return User(username=name, role=role)


# ---------------------------------------------------------------- dependencies


def get_current_user(
    token: Annotated[str | None, Depends(bearer_scheme)], settings: SettingsDep
) -> User:
    """The user of the bearer token; 401 without one."""
    if not token:
        raise unauthorized("Not authenticated")
    return user_from_token(token, settings)


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_admin(user: CurrentUser) -> User:
    """The current user, who must be an admin: 403 for anyone else."""
    if user.role == "admin":
        return user
    raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Admins only")


AdminUser = Annotated[User, Depends(require_admin)]


def client_for_key(api_key: str, api_keys: dict[str, str]) -> str | None:
    """The name of the client whose key this is, or None.

    ``secrets.compare_digest`` takes as long for a near miss as for a far one, so the time
    of an answer does not reveal how much of a key was right. It compares bytes here: on
    ``str`` it refuses anything but ASCII.
    """
    given = api_key.encode()
    found = None
    for client, key in api_keys.items():
        if secrets.compare_digest(given, key.encode()) and found is None:
            found = client
    return found


def get_caller(
    api_key: Annotated[str | None, Depends(api_key_scheme)],
    token: Annotated[str | None, Depends(bearer_scheme)],
    settings: SettingsDep,
) -> str:
    """Who is calling: the client of a valid API key, or the user of a valid bearer token.

    An API key decides alone (the token is not read then): a wrong key is a 401 even beside
    a valid token. No credentials at all are a 401 too.
    """
    if api_key is not None:
        client = client_for_key(api_key, settings.api_keys)
        if client is None:
            raise unauthorized("Unknown API key")
        return client
    if token is not None:
        return user_from_token(token, settings).username
    raise unauthorized("Send an API key or a bearer token")


Caller = Annotated[str, Depends(get_caller)]

# ---------------------------------------------------------------- routes

router = APIRouter(tags=["auth"])


# Password checks are CPU-bound (Argon2 is slow on purpose): a plain `def` route runs in a
# worker thread, so the event loop keeps serving other requests meanwhile.
@router.post(
    "/token",
    summary="Log in: exchange a password for a token",
    responses={401: error("Wrong user name or password", headers=WWW_AUTHENTICATE)},
)
def log_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    settings: SettingsDep,
    passwords: PasswordsDep,
) -> Token:
    """Exchange a user name and a password (an HTML form) for an access token."""
    record = settings.users.get(form.username)
    valid = passwords.verify(form.password, record.password_hash if record else None)
    if record is None or not valid:
        raise unauthorized("Wrong user name or password")
    user = User(username=form.username, role=record.role)
    return Token(access_token=create_access_token(user, settings))


@router.get("/users/me", summary="Who am I?", responses=AUTH_ERRORS)
def read_current_user(user: CurrentUser) -> User:
    """The user the bearer token belongs to."""
    return user
