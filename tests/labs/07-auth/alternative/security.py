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
        if password_hash is None:
            # Spend the same time as a real check, then refuse: no user, no login.
            self.hasher.verify(password, self.dummy_hash)
            return False
        try:
            return self.hasher.verify(password, password_hash)
        except Exception:  # a malformed stored hash never logs anybody in
            return False


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
    issued = datetime.now(tz=UTC)
    expires = issued + timedelta(minutes=settings.access_token_minutes)
    payload = {
        "sub": user.username,
        "role": user.role,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(payload, key=settings.jwt_secret, algorithm=ALGORITHM)


def user_from_token(token: str, settings: Settings) -> User:
    """The user a token was issued to, or a 401 when the token is not one we signed, has
    expired, or lacks its claims."""
    try:
        payload = jwt.decode(
            token,
            key=settings.jwt_secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub"]},
        )
    except jwt.InvalidTokenError as exc:
        raise unauthorized("Invalid or expired token") from exc
    role = payload.get("role")
    if role not in ("admin", "user"):
        raise unauthorized("The token carries no valid role")
    name = payload["sub"]
    if not isinstance(name, str) or name not in settings.users:
        raise unauthorized("The token names no known user")
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
    raise HTTPException(status.HTTP_403_FORBIDDEN, "Admins only")


AdminUser = Annotated[User, Depends(require_admin)]


def client_for_key(api_key: str, api_keys: dict[str, str]) -> str | None:
    """The name of the client whose key this is, or None.

    ``secrets.compare_digest`` takes as long for a near miss as for a far one, so the time
    of an answer does not reveal how much of a key was right. It compares bytes here: on
    ``str`` it refuses anything but ASCII.
    """
    offered = api_key.encode("utf-8")
    for client_name, expected in api_keys.items():
        if secrets.compare_digest(offered, expected.encode("utf-8")):
            return client_name
    return None


def get_caller(
    api_key: Annotated[str | None, Depends(api_key_scheme)],
    token: Annotated[str | None, Depends(bearer_scheme)],
    settings: SettingsDep,
) -> str:
    """Who is calling: the client of a valid API key, or the user of a valid bearer token.

    An API key decides alone (the token is not read then): a wrong key is a 401 even beside
    a valid token. No credentials at all are a 401 too.
    """
    if api_key is None:
        if token is None:
            raise unauthorized("No credentials: send an API key or a bearer token")
        return user_from_token(token, settings).username
    client_name = client_for_key(api_key, settings.api_keys)
    if client_name is None:
        raise unauthorized("Unknown API key")
    return client_name


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
    account = settings.users.get(form.username)
    stored_hash = None if account is None else account.password_hash
    password_ok = passwords.verify(form.password, stored_hash)
    if account is None or not password_ok:
        raise unauthorized("Wrong name or password")
    token = create_access_token(User(username=form.username, role=account.role), settings)
    return Token(access_token=token, token_type="bearer")


@router.get("/users/me", summary="Who am I?", responses=AUTH_ERRORS)
def read_current_user(user: CurrentUser) -> User:
    """The user the bearer token belongs to."""
    return user
