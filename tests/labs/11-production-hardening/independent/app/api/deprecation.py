"""Lab 11 · telling clients that /v1 is going away: the ``Deprecation`` and ``Sunset`` headers.

- ``Deprecation`` (RFC 9745) says since when a resource is deprecated, as a structured-field
  date: ``@`` and the Unix time in seconds, ``Deprecation: @1764547200``.
- ``Sunset`` (RFC 8594) says when it will stop answering, as an HTTP date in GMT:
  ``Sunset: Wed, 30 Jun 2027 23:59:59 GMT``.
- ``Link`` with ``rel="successor-version"`` points at what to use instead.
"""

from datetime import UTC, datetime
from email.utils import format_datetime

from fastapi import Response

V1_DEPRECATED_AT = datetime(2025, 12, 1, tzinfo=UTC)
V1_SUNSET_AT = datetime(2027, 6, 30, 23, 59, 59, tzinfo=UTC)
V1_SUCCESSOR = '</v2/predict>; rel="successor-version"'


def deprecation_date(moment: datetime) -> str:
    """RFC 9745's format: ``@`` and the whole seconds since 1970-01-01 UTC."""
    return f"@{int(moment.timestamp())}"


def http_date(moment: datetime) -> str:
    """RFC 8594's format, an HTTP date: ``Wed, 30 Jun 2027 23:59:59 GMT``."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def mark_v1_deprecated(response: Response) -> None:
    """A dependency of every /v1 route: add the three headers to its answer."""
    headers = {
        "Deprecation": deprecation_date(V1_DEPRECATED_AT),
        "Sunset": http_date(V1_SUNSET_AT),
        "Link": V1_SUCCESSOR,
    }
    response.headers.update(headers)
