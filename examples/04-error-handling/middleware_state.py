"""An HTTP middleware: code that runs around every request, before and after the route.

It reads a request header, keeps what it found in ``request.state`` (where routes and
exception handlers can read it), lets the request go on with ``call_next``, and adds a
header to the response on its way out.
"""

from fastapi import FastAPI, Request

GREETINGS = {"en": "Hello", "fr": "Bonjour", "de": "Hallo"}

app = FastAPI(title="Greeter")


@app.middleware("http")
async def choose_language(request: Request, call_next):
    """Pick the caller's language from Accept-Language (English when unknown)."""
    wanted = request.headers.get("Accept-Language", "")[:2].lower()
    language = wanted if wanted in GREETINGS else "en"
    request.state.language = language  # before: visible to the route
    response = await call_next(request)  # the route (and its error handlers) run here
    response.headers["Content-Language"] = language  # after: on every response
    return response


@app.get("/greet/{name}")
def greet(name: str, request: Request) -> dict:
    """Greet in the language the middleware chose."""
    return {"message": f"{GREETINGS[request.state.language]}, {name}!"}
