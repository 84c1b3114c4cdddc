"""Lab 12 · the service's settings, read from environment variables when the app starts.

pydantic-settings fills each field from the environment variable of the same name in
capitals (``jwt_secret`` from ``JWT_SECRET``) and checks its type, so a list or a dict is
given as JSON. Lab 11 covers settings in depth; this lab needs only these few.

Secrets (the signing key, the API keys, the password hashes) never appear in the code: the
people who run the service set them, and they differ from one deployment to the next.
"""

import secrets
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings

Role = Literal["admin", "user"]
MIN_SECRET_BYTES = 32  # HS256 needs a key at least as long as its 32-byte hash (RFC 7518)


class UserRecord(BaseModel):
    """One account: the Argon2 hash of its password (never the password) and its role."""

    password_hash: str
    role: Role = "user"


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_path: str = "models/model.joblib"
    # Lab 08: the prediction log. A file path after "sqlite:///" (relative to where the
    # service runs); "sqlite://" alone is an in-memory database, gone when the process ends.
    database_url: str = "sqlite:///predictions.db"
    # Lab 09: how many predictions the cache keeps (the least recently used goes first).
    cache_size: int = Field(default=1024, ge=1)
    # No JWT_SECRET: a random key for this run only (tokens die with the process).
    jwt_secret: str = Field(default_factory=lambda: secrets.token_urlsafe(MIN_SECRET_BYTES))
    access_token_minutes: int = Field(default=30, gt=0)
    # API_KEYS='{"client name": "its key", ...}'
    api_keys: dict[str, str] = {}
    # USERS='{"ada": {"password_hash": "$argon2id$...", "role": "admin"}, ...}'
    users: dict[str, UserRecord] = {}
    # Argon2's cost: slow on purpose in production (pwdlib's defaults), cheap in tests.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost: int = Field(default=65536, ge=64, description="in KiB")
    # Lab 10: the pause between two tokens of a streamed explanation, in seconds.
    token_delay_seconds: float = Field(default=0.05, ge=0, le=5)
    # Lab 12: the file of the lifecycle log (app/lifecycle.py); none: no log.
    lifecycle_log: str | None = None

    @field_validator("jwt_secret")
    @classmethod
    def secret_long_enough(cls, value: str) -> str:
        if len(value.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
        return value
