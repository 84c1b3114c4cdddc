"""Lab 11 · the dependencies routes ask for, as ``Annotated`` aliases, in one place.

A route writes ``settings: SettingsDep`` or ``caller: Caller`` and FastAPI calls the function
behind the alias for each request. Tests replace a function with
``app.dependency_overrides[get_model] = ...``: the aliases themselves never change.
"""

import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlmodel import Session

from app.cache import PredictionCache
from app.core.config import Settings, get_settings
from app.core.rate_limit import RateLimiter, retry_after
from app.errors import ModelUnavailableError
from app.model import IrisModel
from app.security import (
    API_KEY_HEADER,
    Passwords,
    User,
    api_key_scheme,
    bearer_scheme,
    client_for_key,
    unauthorized,
    user_from_token,
)

# ---------------------------------------------------------------- what the app holds


def get_passwords(request: Request) -> Passwords:
    """The password checker made when the app started."""
    return request.app.state.passwords


SettingsDep = Annotated[Settings, Depends(get_settings)]
PasswordsDep = Annotated[Passwords, Depends(get_passwords)]


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request, closed when the request is over."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_model(request: Request) -> IrisModel:
    """The model loaded at start-up (a dependency, so tests can replace it)."""
    model = getattr(request.app.state, "model", None)
    if model is None:
        raise ModelUnavailableError("no model is loaded")
    return model


ModelDep = Annotated[IrisModel, Depends(get_model)]


def get_cache(request: Request) -> PredictionCache:
    """The cache made at start-up (a dependency, so tests can replace it)."""
    return request.app.state.cache


CacheDep = Annotated[PredictionCache, Depends(get_cache)]


# ---------------------------------------------------------------- who is calling


def get_current_user(
    token: Annotated[str | None, Depends(bearer_scheme)], settings: SettingsDep
) -> User:
    """The user of the bearer token; 401 without one."""
    if token is None:
        raise unauthorized("Not authenticated: send Authorization: Bearer <token>.")
    return user_from_token(token, settings)


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_admin(user: CurrentUser) -> User:
    """The current user, who must be an admin: 403 for anyone else."""
    if user.role != "admin":
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN, detail="Only an admin may do this."
        )
    return user


AdminUser = Annotated[User, Depends(require_admin)]


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
            raise unauthorized(f"The {API_KEY_HEADER} header holds no valid API key.")
        return client
    if token is not None:
        return user_from_token(token, settings).username
    raise unauthorized(f"Send an {API_KEY_HEADER} header or a bearer token.")


Caller = Annotated[str, Depends(get_caller)]


# ---------------------------------------------------------------- how often


def get_clock() -> float:
    """The time the rate limiter reads, in seconds. ``time.monotonic`` never jumps when the
    computer's clock is set; tests replace this dependency to move time by hand."""
    return time.monotonic()


Now = Annotated[float, Depends(get_clock)]


def get_rate_limiter(request: Request) -> RateLimiter:
    """The callers' buckets, made at start-up."""
    return request.app.state.rate_limiter


def rate_limit(
    caller: Caller,
    settings: SettingsDep,
    now: Now,
    limiter: Annotated[RateLimiter, Depends(get_rate_limiter)],
) -> None:
    """Take one token from the caller's bucket; 429 with ``Retry-After`` when it is empty."""
    wait = limiter.take(
        caller,
        capacity=settings.rate_limit_capacity,
        refill_per_second=settings.rate_limit_refill_per_second,
        now=now,
    )
    if wait > 0:
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"Too many requests from {caller}: try again later.",
            headers={"Retry-After": retry_after(wait)},
        )
