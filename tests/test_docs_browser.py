"""Every solution's /docs and /redoc work with no internet, seen in headless Chromium.

The pages load Swagger UI and ReDoc from the app itself (`api_docs.serve_docs_offline`), so
with every name but the loopback address unresolvable they still draw each operation of
/openapi.json. A screenshot of each /docs is kept in build/screenshots.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser import Chromium, find_chromium, screenshots_dir
from tests.served import serve

ROOT = Path(__file__).resolve().parent.parent
# every solution: its app is in main.py, or in app/main.py for the labs laid out as a package
SOLUTIONS = sorted(
    {main.parent for main in (ROOT / "solutions").glob("*/main.py")}
    | {main.parent.parent for main in (ROOT / "solutions").glob("*/app/main.py")}
)

if find_chromium() is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium package (see .ci/run)")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

OPERATIONS_DRAWN = "document.querySelectorAll('#swagger-ui .opblock').length"
TAGS_DRAWN = (
    "[...document.querySelectorAll('#swagger-ui .opblock-tag')]"
    ".map(tag => tag.getAttribute('data-tag'))"
)
REDOC_OPERATIONS = (
    "new Set([...document.querySelectorAll('[data-section-id^=\"operation/\"]')]"
    ".map(section => section.dataset.sectionId)).size"
)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    from autograder.iris import save_model

    return save_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def browser():
    with Chromium(height=900) as chromium:
        yield chromium


def _operations(base_url: str) -> list[tuple[str, str, list[str]]]:
    with urllib.request.urlopen(f"{base_url}/openapi.json") as answer:
        schema = json.load(answer)
    return [
        (method, path, operation.get("tags", []))
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


@pytest.mark.parametrize("folder", SOLUTIONS, ids=lambda folder: folder.name)
def test_docs_and_redoc_render_offline(folder, model_path, browser):
    with serve(folder, model_path) as base_url:
        operations = _operations(base_url)
        browser.requests.clear()
        browser.blocked.clear()

        browser.goto(f"{base_url}/docs")
        drawn = browser.wait_for(f"{OPERATIONS_DRAWN} >= {len(operations)} && {OPERATIONS_DRAWN}")
        assert drawn == len(operations), f"Swagger UI drew {drawn} of {len(operations)} operations"
        tags = {tag for _, _, names in operations for tag in names} or {"default"}
        assert set(browser.evaluate(TAGS_DRAWN)) >= tags, "Swagger UI lost a tag"
        time.sleep(0.3)  # let the last fonts and icons settle for the picture
        browser.screenshot(screenshots_dir() / f"docs-{folder.name}.png")

        browser.goto(f"{base_url}/redoc")
        redoc = browser.wait_for(REDOC_OPERATIONS)
        assert redoc == len(operations), f"ReDoc drew {redoc} of {len(operations)} operations"

        browser.settle()
        outside = browser.requests_leaving_the_machine()
        assert not outside, f"/docs or /redoc asked the network for {outside}"
