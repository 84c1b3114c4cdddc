"""BackgroundTasks: work that runs after the answer has been sent."""

import logging

from fastapi import BackgroundTasks, FastAPI, HTTPException

app = FastAPI(title="Background tasks demo")
logger = logging.getLogger("demo.background")
sent_receipts: list[str] = []


def send_receipt(order_id: int) -> None:
    """A plain def task: FastAPI runs it in a worker thread, after the answer."""
    if order_id < 0:
        raise ValueError(f"no address for order {order_id}")
    sent_receipts.append(f"receipt for order {order_id}")


def send_receipt_safely(order_id: int) -> None:
    """Nobody will see a background task's exception: catch it, log it, record it."""
    try:
        send_receipt(order_id)
    except Exception:
        logger.exception("the receipt of order %s was not sent", order_id)


@app.post("/orders/{order_id}", status_code=201)
def place_order(order_id: int, background_tasks: BackgroundTasks) -> dict:
    if order_id == 0:
        raise HTTPException(status_code=400, detail="order 0 does not exist")
    background_tasks.add_task(send_receipt_safely, order_id)
    return {"order": order_id, "receipt": "on its way"}
