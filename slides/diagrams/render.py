"""Draw every diagram of the course: each ``NAME.dot`` beside this file becomes ``NAME.svg``.

The drawings are Graphviz sources, so they diff and review like code. The SVG files are
committed, so students, ``just slides``, the handouts and the notebooks need no Graphviz;
only whoever changes a ``.dot`` file runs ``uv run just diagrams`` (Graphviz's ``dot``:
``apt-get install graphviz``, ``brew install graphviz`` or ``winget install graphviz``).

Each SVG starts with a comment holding the SHA-256 of its source; the course's tests use it
to report a drawing that is older than its source (``--check`` does the same here).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
MARK = "<!-- drawn from {name} sha256:{digest} by `uv run just diagrams` -->\n"


def fingerprint(source: Path) -> str:
    """The comment an up-to-date drawing of ``source`` carries."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    return MARK.format(name=source.name, digest=digest)


def stale(folder: Path = FOLDER) -> list[str]:
    """The ``.dot`` files whose ``.svg`` is missing or was drawn from another version."""
    return [
        source.name
        for source in sorted(folder.glob("*.dot"))
        if not source.with_suffix(".svg").is_file()
        or fingerprint(source) not in source.with_suffix(".svg").read_text()
    ]


def draw(source: Path) -> Path:
    """Run Graphviz on one source and write its SVG, fingerprinted, beside it."""
    svg = subprocess.run(
        ["dot", "-Tsvg", str(source)], check=True, capture_output=True, text=True
    ).stdout
    declaration, _, rest = svg.partition("\n") if svg.startswith("<?xml") else ("", "", svg)
    target = source.with_suffix(".svg")
    target.write_text((declaration + "\n" if declaration else "") + fingerprint(source) + rest)
    return target


def main(argv: list[str]) -> int:
    if "--check" in argv:
        outdated = stale()
        for name in outdated:
            print(f"{name}: its SVG is missing or older than the source; run `just diagrams`")
        return 1 if outdated else 0
    if shutil.which("dot") is None:
        print("Graphviz's `dot` is not installed (apt-get install graphviz).", file=sys.stderr)
        return 2
    for source in sorted(FOLDER.glob("*.dot")):
        print(f"drew {draw(source).relative_to(FOLDER.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
