"""Lab 11 alternative: the same three middlewares, configured more loosely."""

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES

from app.core.config import Settings


def add_middleware(app: FastAPI, settings: Settings) -> None:
    # Compress from 1000 bytes (Starlette's default is 500); its excluded types, with JSON Lines.
    streams = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/jsonl")
    app.add_middleware(GZipMiddleware, minimum_size=1000, exclude_content_types=streams)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["X-Request-ID", "Retry-After"],
    )
