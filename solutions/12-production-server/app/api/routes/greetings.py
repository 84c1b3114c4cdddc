"""Lab 12 · the greetings: the smallest useful routes."""

from fastapi import APIRouter

router = APIRouter(tags=["greetings"])


@router.get("/", summary="Say welcome")
def read_root() -> dict:
    """Greet the caller: the smallest useful route."""
    return {"message": "Welcome to the Iris API"}


@router.get("/hello/{name}", summary="Greet someone by name")
def say_hello(name: str, shout: bool = False) -> dict:
    """Greet someone by name; `?shout=true` greets in capitals."""
    message = f"Hello, {name}!"
    return {"message": message.upper() if shout else message}
