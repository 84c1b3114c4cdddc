"""A custom exception class and its handler: domain code raises, one handler answers.

``reserve`` knows about stock, not about HTTP: it raises ``OutOfStockError``. The handler
registered with ``@app.exception_handler`` turns every such error into the same 409 answer,
whichever route it comes from.
"""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

STOCK = {"teapot": 3, "kettle": 0}


class OutOfStockError(Exception):
    """Fewer items are left than the order asks for."""

    def __init__(self, item: str, available: int) -> None:
        super().__init__(f"only {available} {item} left")
        self.item = item
        self.available = available


def reserve(item: str, quantity: int) -> None:
    """Take items from the stock, or raise OutOfStockError."""
    available = STOCK.get(item, 0)
    if quantity > available:
        raise OutOfStockError(item, available)
    STOCK[item] = available - quantity


class Order(BaseModel):
    item: str
    quantity: int = Field(gt=0)


app = FastAPI(title="Shop")


@app.exception_handler(OutOfStockError)
async def out_of_stock(request: Request, exc: OutOfStockError) -> JSONResponse:
    """Every OutOfStockError, from any route, becomes this 409 Conflict."""
    return JSONResponse(
        status_code=409,
        content={"detail": f"Only {exc.available} {exc.item} left", "available": exc.available},
    )


@app.post("/orders", status_code=201)
def place_order(order: Order) -> dict:
    """Reserve the items; the route has no error handling of its own."""
    reserve(order.item, order.quantity)
    return {"item": order.item, "quantity": order.quantity}
