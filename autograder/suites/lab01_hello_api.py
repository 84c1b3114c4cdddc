"""Lab 01 checks (prototype)."""

from autograder import check


@check(points=2, hint="Return a dict with a message key.")
def test_root_returns_a_message(client):
    """GET / answers 200 with a JSON object holding a "message" string."""
    response = client.get("/")
    assert response.status_code == 200, f"GET / answered {response.status_code}"
    assert isinstance(response.json().get("message"), str)


@check(points=3, hint="Type the path parameter as int.")
def test_flower_id_must_be_an_integer(client):
    """GET /flowers/abc answers 422."""
    assert client.get("/flowers/abc").status_code == 422


@check(points=3, hint="Look the flower up by id.")
def test_known_flower_is_found(client):
    """GET /flowers/1 answers the flower."""
    response = client.get("/flowers/1")
    assert response.status_code == 200, f"GET /flowers/1 answered {response.status_code}"
    assert response.json()["species"] == "setosa"
