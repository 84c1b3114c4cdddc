"""Work done once in a warm process so that the processes forked from it skip it.

FastAPI imports some modules only when it declares its first route (``pydantic.v1``, to tell
an old model from a new one, is the largest: about 40 ms). A grading child or a sandbox
forked from a process that has declared one route already has them.
"""


def warm_up_fastapi() -> None:
    """Declare one typed route and build its schema, in an app that is then dropped."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/items/{item_id}")
    def read_item(item_id: int, q: str | None = None) -> dict:
        return {"item_id": item_id, "q": q}

    app.openapi()
