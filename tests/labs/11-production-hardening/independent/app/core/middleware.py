"""Lab 11 · the middleware every request passes through, configured from the settings.

From the outside in: CORS (which web pages may call the API from a browser), trusted hosts
(a request for another host name gets 400), and GZip (large answers are compressed for
clients that accept it). FastAPI's own body limit (``max_body_size``, 413) is set where the
app is created, in ``app/main.py``.
"""

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES

from app.core.config import Settings
from app.errors import REQUEST_ID_HEADER

# Headers a browser's script may read from an answer besides the basic ones.
EXPOSED_HEADERS = ["Retry-After", REQUEST_ID_HEADER, "Deprecation", "Sunset", "Link"]
# Answers smaller than this are sent as they are: compressing them saves nothing.
GZIP_MINIMUM_BYTES = 1000
# Streams must reach the client token by token: never compress them (Server-Sent Events
# are excluded by Starlette already; lab 10's JSON Lines are added here).
NOT_COMPRESSED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/jsonl")


def add_middleware(app: FastAPI, settings: Settings) -> None:
    """Add GZip, trusted hosts and CORS to ``app``; the last one added runs first."""
    stack = [
        (
            GZipMiddleware,
            {"minimum_size": GZIP_MINIMUM_BYTES, "exclude_content_types": NOT_COMPRESSED},
        ),
        (TrustedHostMiddleware, {"allowed_hosts": list(settings.allowed_hosts)}),
        (
            CORSMiddleware,
            {
                "allow_origins": list(settings.cors_origins),
                "allow_credentials": True,
                "allow_methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
                "allow_headers": ["Authorization", "Content-Type", "X-API-Key"],
                "expose_headers": EXPOSED_HEADERS,
            },
        ),
    ]
    for middleware, options in stack:
        app.add_middleware(middleware, **options)
