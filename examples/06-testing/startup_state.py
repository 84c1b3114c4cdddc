"""Lab 06 example: lifespan prepares what the routes use, so a test must let it run.

`TestClient(app)` alone never starts the app: lifespan does not run and `app.state.greeting`
does not exist. `with TestClient(app) as client:` runs lifespan's start-up before the first
request and its shutdown at the end of the block, as a real server does.

Try it: `uv run fastapi dev examples/06-testing/startup_state.py`, then open /greet/Ada.
"""

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.greeting = "Hello"  # imagine a model loaded from a file
    yield
    del app.state.greeting  # shutdown: release what start-up prepared


app = FastAPI(title="Greeter", lifespan=lifespan)


@app.get("/greet/{name}")
def greet(name: str, request: Request) -> dict:
    """Greet someone with the greeting lifespan prepared."""
    return {"message": f"{request.app.state.greeting}, {name}!"}
