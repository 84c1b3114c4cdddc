"""How the Iris API documents itself: /docs and /redoc without internet, and its error answers.

FastAPI's own /docs and /redoc pages load Swagger UI and ReDoc from a CDN, so they are blank
on a machine without internet. The same files ship inside the `fastapi-offline` package:
`serve_docs_offline(app)` serves them from this server and points the two pages at them.

Routes list the errors they can answer with `responses=`, so /docs shows each one with its
body: `not_found("flower")` is the 404 of a route that looks something up by id, and
`UNREADABLE_BODY` the 400 of a route whose JSON body cannot be read at all.
"""

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict

#: Swagger UI's and ReDoc's JavaScript and CSS, as shipped in the fastapi-offline package.
ASSETS = files("fastapi_offline") / "static"
ASSETS_URL = "/docs-assets"


class Problem(BaseModel):
    """The body of an HTTPException's answer: `{"detail": "..."}`."""

    detail: str

    model_config = ConfigDict(json_schema_extra={"examples": [{"detail": "Flower 99 not found"}]})


#: The answer of a route with a JSON body when the body cannot even be read (not UTF-8).
UNREADABLE_BODY = {400: {"model": Problem, "description": "The body is not readable JSON"}}


def not_found(thing: str) -> dict:
    """The `responses=` entry of a route that answers 404 when no `thing` has the given id."""
    return {404: {"model": Problem, "description": f"No {thing} has this id"}}


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
