"""Lab 12 · one error envelope for every 4xx and 5xx: the handlers the app installs.

``add_error_handlers(app)`` registers them; ``app/main.py`` calls it once.
"""

import logging

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import (
    HTTP_ERROR_CODES,
    RETRY_AFTER_SECONDS,
    ModelUnavailableError,
    UnknownModelVersionError,
    error_response,
    field_problems,
)

logger = logging.getLogger(__name__)


def add_error_handlers(app: FastAPI) -> None:
    """Answer every HTTPException, 422, model problem and unexpected error in the envelope."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Every HTTPException (yours, and Starlette's 404 and 405) in the envelope."""
        code = HTTP_ERROR_CODES.get(exc.status_code, "http_error")
        return error_response(request, exc.status_code, code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        """A 422 that names each bad field and says what is wrong with it."""
        fields = field_problems(exc.errors())
        count = "1 value is" if len(fields) == 1 else f"{len(fields)} values are"
        return error_response(
            request,
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "validation_error",
            f"The request is not valid: {count} wrong (see fields).",
            fields=fields,
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        """A bug: the details go to the log, the caller gets a 500 that reveals nothing."""
        logger.error("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(
            request,
            status.HTTP_500_INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side. Quote the request id if you report it.",
        )

    @app.exception_handler(ModelUnavailableError)
    async def model_unavailable(request: Request, exc: ModelUnavailableError) -> JSONResponse:
        """No model is loaded: tell the caller to come back later."""
        return error_response(
            request,
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "model_unavailable",
            "The model is not loaded, so predictions are unavailable. Try again later.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(UnknownModelVersionError)
    async def unknown_model_version(
        request: Request, exc: UnknownModelVersionError
    ) -> JSONResponse:
        """A model version this server does not have."""
        return error_response(
            request,
            status.HTTP_404_NOT_FOUND,
            "unknown_model_version",
            f"Model version {exc.requested} is not available; this server has {exc.available}.",
        )
