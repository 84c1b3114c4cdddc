"""Lab 01: the Iris API says hello."""

from fastapi import FastAPI, HTTPException

from flowers import FLOWERS

app = FastAPI(title="Iris API")


@app.get("/")
def read_root() -> dict:
    """Greet the caller."""
    # BEGIN SOLUTION
    #: # TODO: return {"message": "..."} with any greeting.
    #: raise NotImplementedError
    return {"message": "Welcome to the Iris API"}
    # END SOLUTION


@app.get("/flowers/{flower_id}")
def read_flower(flower_id: int) -> dict:
    """One flower by id, or 404."""
    # BEGIN SOLUTION
    #: raise NotImplementedError
    for flower in FLOWERS:
        if flower["id"] == flower_id:
            return flower
    raise HTTPException(status_code=404, detail=f"flower {flower_id} not found")
    # END SOLUTION
