"""Lab 01 · being a client: call the Iris API over HTTP with `requests`.

Start the API in one terminal (`uv run just serve 1`), then in another:

    uv run python client.py hello Ada
    uv run python client.py flowers --species setosa --limit 2
    uv run python client.py flower 3
"""

import argparse
import json
from urllib.parse import quote

import requests

BASE_URL = "http://127.0.0.1:8000"
TIMEOUT = 5  # seconds; a client without a timeout can wait forever


def greet(base_url: str, name: str, shout: bool = False) -> str:
    """Return the message of GET /hello/{name}."""
    url = f"{base_url}/hello/{quote(name, safe='')}"
    reply = requests.get(url, params={"shout": "true" if shout else "false"}, timeout=TIMEOUT)
    reply.raise_for_status()
    return reply.json()["message"]


def fetch_flowers(base_url: str, species: str | None = None, limit: int = 5) -> list[dict]:
    """Return the flowers of GET /flowers, filtered by species when one is given."""
    query: dict[str, object] = {"limit": limit}
    if species is not None:
        query["species"] = species
    with requests.Session() as session:
        reply = session.get(base_url + "/flowers", params=query, timeout=TIMEOUT)
    reply.raise_for_status()
    return reply.json()


def fetch_flower(base_url: str, flower_id: int) -> dict:
    """Return one flower; raise requests.HTTPError when the API answers an error (4xx or 5xx)."""
    reply = requests.get(f"{base_url}/flowers/{int(flower_id)}", timeout=TIMEOUT)
    if not reply.ok:
        raise requests.HTTPError(f"{reply.status_code} from the API", response=reply)
    return reply.json()


def main() -> None:
    parser = argparse.ArgumentParser(description="Talk to the Iris API.")
    parser.add_argument("--url", default=BASE_URL, help="where the API runs")
    commands = parser.add_subparsers(dest="command", required=True)
    hello = commands.add_parser("hello")
    hello.add_argument("name")
    hello.add_argument("--shout", action="store_true")
    many = commands.add_parser("flowers")
    many.add_argument("--species")
    many.add_argument("--limit", type=int, default=5)
    one = commands.add_parser("flower")
    one.add_argument("flower_id", type=int)
    args = parser.parse_args()
    if args.command == "hello":
        print(greet(args.url, args.name, shout=args.shout))
    elif args.command == "flowers":
        print(json.dumps(fetch_flowers(args.url, args.species, args.limit), indent=2))
    else:
        print(json.dumps(fetch_flower(args.url, args.flower_id), indent=2))


if __name__ == "__main__":
    main()
