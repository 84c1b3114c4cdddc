"""Lab 11 example: settings from prefixed variables, a secret that never prints, and a
configuration that is refused in one line."""

from functools import lru_cache

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Read from SHOP_* variables, and from .env while you develop."""

    model_config = SettingsConfigDict(env_prefix="SHOP_", env_file=".env", extra="ignore")

    api_token: SecretStr = SecretStr("development-token")
    page_size: int = 20
    cors_origins: list[str] = ["http://localhost:5173"]

    @field_validator("cors_origins")
    @classmethod
    def no_wildcard(cls, origins: list[str]) -> list[str]:
        if "*" in origins:
            raise ValueError("'*' is not allowed: list each origin")
        return origins


@lru_cache
def get_settings() -> Settings:
    """Read once, then the same object every time (tests call get_settings.cache_clear())."""
    return Settings()


def one_line(error: ValidationError) -> str:
    """Each bad variable and what is wrong with it, on one line."""
    problems = [
        f"SHOP_{str(item['loc'][0]).upper()}: {item['msg'].removeprefix('Value error, ')}"
        for item in error.errors()
    ]
    return "bad configuration: " + "; ".join(problems)


def settings_or_exit() -> Settings:
    """The settings, or SystemExit: Python prints its message alone and exits with 1."""
    try:
        settings = get_settings()
    except ValidationError as error:
        raise SystemExit(one_line(error)) from None
    return settings
