"""The decks rendered by `just slides` and opened in headless Chromium with no network.

Every slide fits its page (nothing reaches the footer, no code line runs off the side),
every diagram is drawn, every slide carries speaker notes, and no request leaves the
machine. A screenshot of each deck's title slide and first diagram is kept in
build/screenshots for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser import Chromium, find_chromium, screenshots_dir
from tests.slide_layout import CONTENT_BOTTOM, decks, slides_of

ROOT = Path(__file__).resolve().parent.parent
DECKS = decks()
RENDER_TIMEOUT = 300  # seconds: the first run downloads Marp from the npm registry

if find_chromium() is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium package (see .ci/run)")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

MEASURE = """
(() => [...document.querySelectorAll('div.bespoke-marp-parent > svg > foreignObject > section')]
  .map((section, index) => {
    const top = section.getBoundingClientRect().top;
    let bottom = 0;
    for (const child of section.children) {
      if (child.tagName === 'FOOTER' || child.tagName === 'HEADER') continue;
      const margin = parseFloat(getComputedStyle(child).marginBottom) || 0;
      bottom = Math.max(bottom, child.getBoundingClientRect().bottom - top + margin);
    }
    const wide = [...section.querySelectorAll('pre, table')]
      .filter(box => box.scrollWidth > box.clientWidth + 1 ||
                     box.getBoundingClientRect().right > section.getBoundingClientRect().right)
      .map(box => box.tagName.toLowerCase());
    const pictures = [...section.querySelectorAll('img')]
      .map(img => ({src: img.getAttribute('src'), drawn: img.complete && img.naturalWidth > 0}));
    return {
      number: index + 1,
      bottom: Math.round(bottom),
      overflow: section.scrollHeight > section.clientHeight,
      wide,
      pictures,
      font: getComputedStyle(section).fontFamily,
    };
  }))()
"""
NOTES = "new Set([...document.querySelectorAll('.bespoke-marp-note')].map(n => n.dataset.index))"
PICTURES_LOADED = "[...document.images].every(img => img.complete)"


def _just() -> str:
    beside_python = Path(sys.executable).parent / "just"
    return str(beside_python) if beside_python.exists() else (shutil.which("just") or "just")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """The decks rendered to HTML by the `slides` recipe, as a student would."""
    output = tmp_path_factory.mktemp("slides")
    result = subprocess.run(
        [_just(), "slides", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RENDER_TIMEOUT,
    )
    assert result.returncode == 0, f"`just slides` failed:\n{result.stdout}\n{result.stderr}"
    return output


@pytest.fixture(scope="module")
def browser():
    with Chromium() as chromium:
        yield chromium


def _open(browser: Chromium, url: str) -> None:
    browser.goto("about:blank")
    browser.goto(url)
    browser.wait_for(PICTURES_LOADED)


@pytest.mark.parametrize("deck", DECKS, ids=lambda deck: deck.stem)
def test_deck_renders_and_fits_in_chromium(deck, rendered, browser):
    html = rendered / f"{deck.stem}.html"
    assert html.is_file(), f"`just slides` wrote no {html.name}"
    browser.requests.clear()
    _open(browser, html.as_uri())
    slides = browser.evaluate(MEASURE)

    assert len(slides) == len(slides_of(deck)), "Marp drew another number of slides"
    assert all("DejaVu Sans" in slide["font"] for slide in slides), "the course theme is missing"
    too_tall = [
        f"slide {s['number']} reaches {s['bottom']} px"
        for s in slides
        if s["overflow"] or s["bottom"] > CONTENT_BOTTOM
    ]
    assert not too_tall, f"content below {CONTENT_BOTTOM} px (the footer line): {too_tall}"
    too_wide = [f"slide {s['number']}: {s['wide']}" for s in slides if s["wide"]]
    assert not too_wide, f"code or tables wider than the slide: {too_wide}"
    broken = [
        f"slide {s['number']}: {p['src']}" for s in slides for p in s["pictures"] if not p["drawn"]
    ]
    assert not broken, f"pictures that did not load: {broken}"
    noted = browser.evaluate(f"[...{NOTES}].length")
    assert noted == len(slides), f"Marp found speaker notes on {noted} of {len(slides)} slides"
    outside = browser.requests_leaving_the_machine()
    assert not outside, f"the deck asked the network for {outside}"

    first_picture = next((s["number"] for s in slides if s["pictures"]), None)
    for number in (1, first_picture):
        if number is None:
            continue
        _open(browser, f"{html.as_uri()}#{number}")
        browser.evaluate("document.querySelector('.bespoke-marp-osc')?.remove()")
        time.sleep(0.2)  # let the slide transition settle before the picture
        browser.screenshot(screenshots_dir() / f"{deck.stem}-slide-{number:02d}.png")
    assert not browser.requests_leaving_the_machine()
