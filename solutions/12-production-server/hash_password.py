"""Lab 12 · print the Argon2 hash of a password, to put in USERS.

    uv run python hash_password.py            # asks for the password
    uv run python hash_password.py wonderland # for a throw-away development password only

The hash uses the cost of the current settings (ARGON2_TIME_COST, ARGON2_MEMORY_COST).
"""

import getpass
import sys

from app.core.config import Settings
from app.security import Passwords


def main(arguments: list[str]) -> None:
    password = arguments[0] if arguments else getpass.getpass("password: ")
    print(Passwords(Settings()).hash(password))


if __name__ == "__main__":
    main(sys.argv[1:])
