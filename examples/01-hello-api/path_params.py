"""Path parameters: a part of the URL that changes, converted to the type you declare."""

from fastapi import FastAPI, HTTPException

app = FastAPI(title="Path parameters")

MOONS = {"mercury": 0, "venus": 0, "earth": 1, "mars": 2, "jupiter": 95, "saturn": 146}


@app.get("/square/{number}")
def square(number: int) -> dict:
    """`number: int`: "12" arrives as the int 12, and "twelve" gets 422 before this runs."""
    return {"number": number, "square": number * number}


@app.get("/moons/{planet}")
def count_moons(planet: str) -> dict:
    """A planet we do not know is a 404: raise HTTPException, never return None."""
    if planet not in MOONS:
        raise HTTPException(status_code=404, detail=f"No planet called {planet!r}")
    return {"planet": planet, "moons": MOONS[planet]}
