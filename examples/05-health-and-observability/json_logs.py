"""Structured logs: one JSON object per event, on a named logger.

A line such as `{"event": "order", "item": "tea", "quantity": 2}` can be filtered and summed by
any log tool, where "Ordered 2 tea" can only be searched as text. The message of each record is
the JSON text; a formatter adds the time, the level and the logger's name when it is printed.
"""

import json
import logging
import sys
from datetime import UTC, datetime

from fastapi import FastAPI
from pydantic import BaseModel, Field

order_log = logging.getLogger("shop.orders")


class JsonLines(logging.Formatter):
    """Print each record as one JSON line: when, how severe, which logger, then its fields."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).isoformat()
        line = {"time": when, "level": record.levelname, "logger": record.name}
        return json.dumps({**line, **json.loads(record.getMessage())})


def setup_logging() -> None:
    """Send the "shop..." loggers to standard output, at INFO and above (only once)."""
    shop = logging.getLogger("shop")
    shop.setLevel(logging.INFO)
    if not shop.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonLines())
        shop.addHandler(handler)


class Order(BaseModel):
    item: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=100)


app = FastAPI(title="Tea shop")


@app.post("/orders")
def place_order(order: Order) -> dict:
    """Accept an order and log it as one JSON event."""
    order_log.info(json.dumps({"event": "order", "item": order.item, "quantity": order.quantity}))
    return {"accepted": True}
