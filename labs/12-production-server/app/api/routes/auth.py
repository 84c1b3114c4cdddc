"""Lab 12 · logging in: ``POST /token`` exchanges a password for a JWT, ``GET /users/me``
says whose token it is."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from app.api_docs import WWW_AUTHENTICATE, error
from app.deps import CurrentUser, PasswordsDep, SettingsDep
from app.security import AUTH_ERRORS, Token, User, create_access_token, unauthorized

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
    password_hash = record.password_hash if record is not None else None
    if not passwords.verify(form.password, password_hash) or record is None:
        raise unauthorized("Wrong user name or password.")
    user = User(username=form.username, role=record.role)
    return Token(access_token=create_access_token(user, settings))


@router.get("/users/me", summary="Who am I?", responses=AUTH_ERRORS)
def read_current_user(user: CurrentUser) -> User:
    """The user the bearer token belongs to."""
    return user
