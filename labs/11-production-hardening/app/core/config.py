"""Lab 11 · the service's settings: one class, read from ``IRIS_*`` environment variables
(and from a ``.env`` file while you develop), checked once, when the app is created.

pydantic-settings fills each field from the environment variable of the same name in
capitals with the prefix (``jwt_secret`` from ``IRIS_JWT_SECRET``) and checks its type. A
list or a dict is given as JSON: ``IRIS_CORS_ORIGINS='["https://app.example.com"]'``. A
variable set in the environment wins over the same one in ``.env``.

Secrets (the signing key, the API keys) are ``SecretStr``: printing the settings, or a log
line that shows them, gives ``**********``; the code that needs the value asks for it with
``.get_secret_value()``.

A bad configuration never starts a half-working service: ``app/main.py`` turns the
``ValidationError`` into one line that names each bad variable (``configuration_problem``).
"""

import json
from functools import lru_cache
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Role = Literal["admin", "user"]
ENV_PREFIX = "IRIS_"
MIN_SECRET_BYTES = 32  # HS256 needs a key at least as long as its 32-byte hash (RFC 7518)
# The signing key when IRIS_JWT_SECRET is not set. It is in this file, so anyone can read
# it: good enough on your laptop, refused in production.
DEVELOPMENT_SECRET = "development-only-secret-never-use-it-in-production"


class UserRecord(BaseModel):
    """One account: the Argon2 hash of its password (never the password) and its role."""

    password_hash: str
    role: Role = "user"


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    # TODO 1: read the variables with the prefix ENV_PREFIX, and from a .env file too
    # (model_config = SettingsConfigDict(...), ignoring variables it does not know).

    # "production" turns on the checks a real deployment needs (a secret of its own).
    environment: Literal["development", "production"] = "development"
    model_path: str = "models/model.joblib"
    # A file path after "sqlite:///" (relative to where the service runs); "sqlite://"
    # alone is an in-memory database, gone when the process ends.
    database_url: str = "sqlite:///predictions.db"
    cache_size: int = Field(default=1024, ge=1)
    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    access_token_minutes: int = Field(default=30, gt=0)
    # IRIS_API_KEYS='{"client name": "its key", ...}'
    api_keys: Annotated[dict[str, SecretStr], NoDecode] = {}
    # IRIS_USERS='{"ada": {"password_hash": "$argon2id$...", "role": "admin"}, ...}'
    users: Annotated[dict[str, UserRecord], NoDecode] = {}
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost: int = Field(default=65536, ge=64, description="in KiB")
    token_delay_seconds: float = Field(default=0.05, ge=0, le=5)
    # Lab 11: the web pages (origins) whose scripts may call the API from a browser.
    cors_origins: Annotated[list[str], NoDecode] = ["http://localhost:5173"]
    # Lab 11: the host names this service answers to (the Host header); "testserver" is
    # the name FastAPI's TestClient sends.
    allowed_hosts: Annotated[list[str], NoDecode] = ["localhost", "127.0.0.1", "testserver"]
    # Lab 11: each caller's token bucket: how many requests in a burst, and how many
    # tokens come back per second.
    rate_limit_capacity: int = Field(default=60, ge=1)
    rate_limit_refill_per_second: float = Field(default=1.0, gt=0)
    # Lab 11: the largest request body, in bytes (a route may set its own, as uploads do).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)

    @field_validator("api_keys", "users", "cors_origins", "allowed_hosts", mode="before")
    @classmethod
    def json_from_the_environment(cls, value: object) -> object:
        """A list or a dict comes from its variable as JSON text, read here, as part of the
        validation. (Left to pydantic-settings, which reads it before validating, text that
        is not JSON stops the start with a traceback of its own, a ``SettingsError``; those
        fields are marked ``NoDecode`` so that it becomes one more bad variable instead.)"""
        if not isinstance(value, str):
            return value  # a default, or a value given in Python (a test's Settings(...))
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError(
                'not JSON: write a list as ["a", "b"] and a map as {"name": "value"}'
            ) from None

    @field_validator("jwt_secret")
    @classmethod
    def secret_fit_for_the_environment(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        """At least 32 bytes, and in production never the development secret."""
        secret = value.get_secret_value()
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the secret must be at least {MIN_SECRET_BYTES} bytes long")
        # TODO 2: in production (info.data.get("environment")), refuse DEVELOPMENT_SECRET.
        return value

    @field_validator("cors_origins")
    @classmethod
    def explicit_origins(cls, origins: list[str]) -> list[str]:
        """Each origin written out as ``scheme://host[:port]``: no ``*``, no path."""
        # TODO 3: refuse "*", and anything that is not scheme://host[:port]
        # with the scheme http or https (no path, not even a trailing slash).
        return origins


@lru_cache
def get_settings() -> Settings:
    """The settings, read from the environment the first time they are asked for, then
    the same object every time. A dependency: tests replace it with
    ``app.dependency_overrides[get_settings]``, or call ``get_settings.cache_clear()``
    after changing the environment."""
    return Settings()


def configuration_problem(error: ValidationError) -> str:
    """A ``ValidationError`` of :class:`Settings` in one line, naming each bad variable:
    ``bad configuration: IRIS_CORS_ORIGINS: '*' is not allowed: ...``. The values are never
    shown: one of them may be a secret."""
    problems = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        name = f"{ENV_PREFIX}{field.upper()}" if field else "the settings"
        message = " ".join(item["msg"].removeprefix("Value error, ").split())
        problems.append(f"{name}: {message}")
    return "bad configuration: " + "; ".join(problems)
