"""How the Iris API documents itself: /docs and /redoc without internet, and its error answers.

FastAPI's own /docs and /redoc pages load Swagger UI and ReDoc from a CDN, so they are blank
on a machine without internet. The same files ship inside the `fastapi-offline` package:
`serve_docs_offline(app)` serves them from this server and points the two pages at them.

Every error answer of this API is the envelope `ErrorOut`, and /docs should say so:
`ERRORS` (the 400, 422 and 500 any route can give) is declared once, on the app; a route adds
its own with `responses=`, such as `not_found("flower")` or `MODEL_UNAVAILABLE`.

Lab 07 adds the two answers of security: `UNAUTHORIZED` (401, we do not know who is calling)
and `FORBIDDEN` (403, we know, and the answer is no). Lab 08's prediction log reuses them,
with `not_found("logged prediction")`. Lab 09 adds a CSV file as a success (`CSV_DOWNLOAD`),
`CONFLICT` (409: the job is not done yet), `TOO_LARGE` (413, FastAPI's own short plain-text
answer, not the envelope) and `UNSUPPORTED_TYPE` (415: not a CSV file). Lab 10's streams
answer the same errors as a prediction (`UNAUTHORIZED` and `MODEL_UNAVAILABLE`), before their
first event, as JSON: `as_json(...)` documents them so on a route whose success is
`text/event-stream`.
"""

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.errors import REQUEST_ID_HEADER
from app.schemas import ErrorOut

#: Swagger UI's and ReDoc's JavaScript and CSS, as shipped in the fastapi-offline package.
ASSETS = files("fastapi_offline") / "static"
ASSETS_URL = "/docs-assets"

REQUEST_ID = {
    REQUEST_ID_HEADER: {
        "description": "The id of this request, also in the envelope and in the log",
        "schema": {"type": "string"},
    }
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before asking again",
        "schema": {"type": "integer"},
    }
}


def error(description: str, headers: dict | None = None) -> dict:
    """One `responses=` entry: an answer in the error envelope, with its headers."""
    return {
        "model": ErrorOut,
        "description": description,
        "headers": {**REQUEST_ID, **(headers or {})},
    }


WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "How to authenticate: `Bearer` (a token from POST /token)",
        "schema": {"type": "string"},
    }
}


#: The errors any route can answer: declared on the app, `FastAPI(..., responses=ERRORS)`.
ERRORS = {
    400: error("The body cannot be read as JSON (it is not UTF-8 text)"),
    422: error("A value breaks the contract: `error.fields` says which and why"),
    500: error("A bug on our side: quote the request id when you report it"),
}
#: The answer of a route that needs the model while none is loaded.
MODEL_UNAVAILABLE = {503: error("No model is loaded: try again later", headers=RETRY_AFTER)}


#: A route that needs credentials: none were sent, or they are wrong (401, never 403).
UNAUTHORIZED = {
    401: error(
        "Missing or invalid credentials: we do not know who is calling",
        headers=WWW_AUTHENTICATE,
    )
}
#: A route for admins only: a valid token of someone who is not an admin.
FORBIDDEN = {403: error("You are logged in, but only an admin may do this")}


#: Lab 09: a job's result asked for before the job is done.
CONFLICT = {409: error("The job is not done (queued, running or failed): no result yet")}
#: Lab 09: a request body over the route's max_body_size. FastAPI answers it itself, before
#: the route runs, with a short plain-text body: only the status code matters.
TOO_LARGE = {
    413: {
        "description": "The body is larger than the limit (FastAPI's own answer, plain text)",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
}
#: Lab 11: the caller's bucket is empty: Retry-After says in how many seconds to try again.
TOO_MANY_REQUESTS = {429: error("Too many requests from this caller", headers=RETRY_AFTER)}
#: Lab 09: an upload that is not a CSV file.
UNSUPPORTED_TYPE = {415: error("The file is not text/csv")}
#: Lab 09: a success that is a CSV file to save, not JSON.
CSV_DOWNLOAD = {
    200: {
        "description": "A CSV file: a header line, then one line per flower",
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "headers": {
            "Content-Disposition": {
                "description": 'attachment; filename="...": save it as a file',
                "schema": {"type": "string"},
            }
        },
    }
}


def not_found(thing: str) -> dict:
    """The `responses=` entry of a route that answers 404 when no `thing` has the given id."""
    return {404: error(f"No {thing} has this id")}


def as_json(responses: dict) -> dict:
    """The same error answers, documented as JSON, for a route whose success is a stream.

    FastAPI documents a `responses=` entry with a `model` under the route's own content type:
    on an `EventSourceResponse` route its errors would claim to be `text/event-stream`. They
    are JSON (the envelope, sent before any event), so they say so here.
    """
    schema = {"$ref": "#/components/schemas/ErrorOut"}
    return {
        code: {
            "description": answer["description"],
            "headers": answer["headers"],
            "content": {"application/json": {"schema": schema}},
        }
        for code, answer in responses.items()
    }


def serve_docs_offline(app: FastAPI) -> None:
    """Serve /docs and /redoc with this server's own copy of Swagger UI and ReDoc.

    FastAPI has already added its pages at `app.docs_url` and `app.redoc_url` (unless they
    were set to None); they are replaced by pages that load the same tools from ASSETS_URL.
    """
    pages = {app.docs_url, app.redoc_url} - {None}
    app.router.routes[:] = [
        route for route in app.router.routes if getattr(route, "path", None) not in pages
    ]
    app.mount(ASSETS_URL, StaticFiles(directory=str(ASSETS)), name="docs-assets")

    if app.docs_url is not None:

        @app.get(app.docs_url, include_in_schema=False)
        def swagger_ui(request: Request) -> HTMLResponse:
            root = request.scope.get("root_path", "")
            return get_swagger_ui_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=f"{root}{app.swagger_ui_oauth2_redirect_url}",
                swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
                swagger_ui_parameters=app.swagger_ui_parameters,
            )

    if app.redoc_url is not None:

        @app.get(app.redoc_url, include_in_schema=False)
        def redoc(request: Request) -> HTMLResponse:
            root = request.scope.get("root_path", "")
            page = get_redoc_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
                with_google_fonts=False,
            )
            # ReDoc shows its maker's logo from the internet: pictures come from here only.
            page.headers["Content-Security-Policy"] = "img-src 'self' data:"
            return page
