"""Every Python snippet in a handout, a slide deck or a guide is true.

A block that starts with ``# file: PATH`` must be a contiguous run of lines of that tested
file; any other Python block must parse and must not contain app code (routes or apps), so
app code is never shown untested.
"""

from __future__ import annotations

import ast
import re

import pytest

from autograder.course import ROOT

DOCUMENTS = sorted(
    [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    + list((ROOT / "solutions").glob("*/README.md"))
    + list((ROOT / "labs").glob("*/README.md"))
    + list((ROOT / "slides").glob("*.md"))
)
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
TAG = re.compile(r"^# file: (?P<path>\S+)\s*$")
APP_CODE = re.compile(
    r"^\s*@(app|router|\w+_router)\.(get|post|put|patch|delete|websocket)\b|FastAPI\(", re.M
)


def python_blocks():
    for document in DOCUMENTS:
        if not document.is_file():
            continue
        text = document.read_text()
        for match in FENCE.finditer(text):
            if match["lang"] not in ("python", "py"):
                continue
            line = text[: match.start()].count("\n") + 1
            body = "\n".join(row[len(match["indent"]) :] for row in match["body"].splitlines())
            yield pytest.param(body, id=f"{document.relative_to(ROOT)}:{line}")


BLOCKS = list(python_blocks())


@pytest.mark.parametrize("body", BLOCKS)
def test_python_block_parses(body):
    ast.parse(body)


@pytest.mark.parametrize("body", BLOCKS)
def test_app_code_is_quoted_from_a_tested_file(body):
    lines = body.splitlines()
    tag = TAG.match(lines[0]) if lines else None
    if tag is None:
        assert not APP_CODE.search(body), (
            "app code in a snippet must be quoted from a tested file: start the block with "
            "'# file: examples/NN-slug/name.py' (or a given lab file)"
        )
        return
    source = ROOT / tag["path"]
    assert source.is_file(), f"{tag['path']} does not exist"
    quoted = [line.rstrip() for line in lines[1:]]
    while quoted and not quoted[-1]:
        quoted.pop()
    original = [line.rstrip() for line in source.read_text().splitlines()]
    runs = (original[i : i + len(quoted)] for i in range(len(original) - len(quoted) + 1))
    assert quoted in runs, f"the snippet is not a contiguous excerpt of {tag['path']}"


def test_documents_have_python_snippets_checked():
    assert DOCUMENTS, "no handouts or slides were found"
