"""Being a client: call an HTTP API from Python with `requests`.

The file holds both sides so it can be tried alone: a small API (`app`) and a client
function that calls it over the network. Serve the API in one terminal with
`uv run fastapi dev examples/01-hello-api/planet_client.py`, then in another:
`uv run python examples/01-hello-api/planet_client.py`.
"""

import requests
from fastapi import FastAPI, HTTPException

app = FastAPI(title="Planet radii")

RADIUS_KM = {"mercury": 2440, "earth": 6371, "mars": 3390, "jupiter": 69911}


@app.get("/planets/{name}")
def read_planet(name: str, miles: bool = False) -> dict:
    """A planet's mean radius, in kilometres, or in miles with `?miles=true`."""
    if name not in RADIUS_KM:
        raise HTTPException(status_code=404, detail=f"No planet called {name!r}")
    radius = RADIUS_KM[name] * 0.621371 if miles else RADIUS_KM[name]
    return {"name": name, "radius": round(radius), "unit": "mi" if miles else "km"}


def radius_of(base_url: str, name: str, miles: bool = False) -> int:
    """Ask the API for a planet's radius; raise requests.HTTPError for an error status."""
    response = requests.get(
        f"{base_url}/planets/{name}",
        params={"miles": miles},  # requests adds ?miles=False to the URL for you
        timeout=5,  # seconds: without a timeout, a silent server makes you wait forever
    )
    response.raise_for_status()  # 4xx or 5xx: raise, instead of reading an error as data
    return response.json()["radius"]


if __name__ == "__main__":
    print(radius_of("http://127.0.0.1:8000", "mars"))
    print(radius_of("http://127.0.0.1:8000", "mars", miles=True))
    try:
        radius_of("http://127.0.0.1:8000", "pluto")
    except requests.HTTPError as error:
        print(f"the API said no: {error.response.status_code} {error.response.json()}")
