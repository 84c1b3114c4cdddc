"""Lab 11 example: CORS with listed origins, and what `*` with credentials does."""

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware


def make_app(origins: list[str]) -> FastAPI:
    app = FastAPI()
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_credentials=True,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "X-API-Key"],
        expose_headers=["Retry-After", "X-Request-ID"],
    )

    @app.get("/hello")
    def hello() -> dict:
        return {"hello": "browser"}

    return app


listed = make_app(["https://shop.example"])
wildcard = make_app(["*"])  # never do this: see the handout
