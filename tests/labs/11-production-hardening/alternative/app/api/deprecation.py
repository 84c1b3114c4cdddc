"""Lab 11 alternative: the deprecation headers written with the time module."""

import calendar
import time

from fastapi import Response

DEPRECATED_SINCE = (2026, 1, 15, 0, 0, 0)
SUNSET_ON = (2027, 1, 31, 12, 0, 0)


def unix_time(moment: tuple) -> int:
    return calendar.timegm((*moment, 0, 0, 0))


def mark_v1_deprecated(response: Response) -> None:
    response.headers["Deprecation"] = "@" + str(unix_time(DEPRECATED_SINCE))
    response.headers["Sunset"] = time.strftime(
        "%a, %d %b %Y %H:%M:%S GMT", time.gmtime(unix_time(SUNSET_ON))
    )
