"""The decks in ``slides/`` share the course theme, fit their pages, have speaker notes, and
show diagrams drawn from the committed Graphviz sources.

These checks read the Markdown only; ``test_slides_browser.py`` renders the decks and
measures them in Chromium.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from tests.slide_layout import (
    CONTENT_BOTTOM,
    SLIDES,
    Slide,
    decks,
    estimated_height,
    front_matter,
    slides_of,
)

DECKS = decks()
ALL_SLIDES = [slide for deck in DECKS for slide in slides_of(deck)]
DIAGRAMS = SLIDES / "diagrams"
MAX_TITLE_OBJECTIVES = 6


def _render_module():
    spec = importlib.util.spec_from_file_location("render_diagrams", DIAGRAMS / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_are_decks():
    assert len(DECKS) >= 6, f"found only {[deck.name for deck in DECKS]}"


@pytest.mark.parametrize("deck", DECKS, ids=lambda deck: deck.stem)
def test_deck_uses_the_course_theme_with_a_footer(deck):
    front = front_matter(deck)
    assert re.search(r"(?m)^theme: course$", front), f"{deck.name}: set `theme: course`"
    assert re.search(r"(?m)^paginate: true$", front), f"{deck.name}: set `paginate: true`"
    number = deck.name[:2]
    assert re.search(rf'(?m)^footer: "Lab {number} · .+"$', front), (
        f'{deck.name}: give it `footer: "Lab {number} · <title>"`'
    )
    assert "style:" not in front, f"{deck.name}: put styles in slides/course.css, not the deck"


@pytest.mark.parametrize("deck", DECKS, ids=lambda deck: deck.stem)
def test_deck_opens_with_a_title_slide(deck):
    first = slides_of(deck)[0]
    assert "title" in first.classes, f"{deck.name}: the first slide needs `_class: title`"
    assert re.search(rf"(?m)^###### Lab {deck.name[:2]}$", first.content), (
        f"{deck.name}: the title slide starts with '###### Lab {deck.name[:2]}'"
    )
    assert re.search(r"(?m)^# \S", first.content), f"{deck.name}: the title slide has no '# '"
    objectives = re.findall(r"(?m)^- ", first.content)
    assert 1 <= len(objectives) <= MAX_TITLE_OBJECTIVES, (
        f"{deck.name}: the title slide lists {len(objectives)} objectives "
        f"(1 to {MAX_TITLE_OBJECTIVES} fit)"
    )


@pytest.mark.parametrize("slide", ALL_SLIDES, ids=str)
def test_slide_has_speaker_notes(slide):
    assert slide.notes, f"{slide}: add speaker notes in an HTML comment (<!-- ... -->)"


@pytest.mark.parametrize("slide", [s for s in ALL_SLIDES if s.number > 1], ids=str)
def test_slide_content_fits_its_page(slide):
    """A budget in pixels, from the Markdown: headings, wrapped text, code lines, rows."""
    height = estimated_height(slide)
    assert height <= CONTENT_BOTTOM, (
        f"{slide}: its content reaches about {height:.0f} px of a {CONTENT_BOTTOM} px page: "
        "split it, shorten it, or use `<!-- _class: small -->` for long code"
    )


def test_the_budget_refuses_an_overfull_slide():
    """The estimate is not so generous that nothing fails: 20 bullets do not fit."""
    deck = DECKS[0]
    bullets = "\n".join(f"- point number {n} of a very long list" for n in range(20))
    assert estimated_height(Slide(deck, 2, f"\n## Too much\n\n{bullets}\n")) > CONTENT_BOTTOM


def test_the_budget_counts_code_lines():
    deck = DECKS[0]
    code = "\n".join(f"x_{n} = {n}" for n in range(24))
    assert estimated_height(Slide(deck, 2, f"\n## Code\n\n```python\n{code}\n```\n")) > (
        CONTENT_BOTTOM
    )


@pytest.mark.parametrize("slide", [s for s in ALL_SLIDES if s.images], ids=str)
def test_pictures_exist(slide):
    missing = [path for path, _ in slide.images if not (slide.deck.parent / path).is_file()]
    assert not missing, f"{slide}: no such picture {missing}"


def test_every_diagram_is_drawn_from_its_current_source():
    stale = _render_module().stale(DIAGRAMS)
    assert not stale, f"redraw with `uv run just diagrams`: {stale}"


def test_every_drawing_has_a_source():
    orphans = [svg.name for svg in DIAGRAMS.glob("*.svg") if not svg.with_suffix(".dot").exists()]
    assert not orphans, f"SVGs without a .dot source: {orphans}"


def test_every_diagram_is_shown_in_a_deck():
    shown = {Path(path).name for slide in ALL_SLIDES for path, _ in slide.images}
    unused = [svg.name for svg in sorted(DIAGRAMS.glob("*.svg")) if svg.name not in shown]
    assert not unused, f"diagrams no deck shows: {unused}"


@pytest.mark.parametrize("deck", DECKS, ids=lambda deck: deck.stem)
def test_every_deck_has_a_diagram(deck):
    assert any(slide.images for slide in slides_of(deck)), f"{deck.name} shows no diagram"


# ------------------------------------------------ diagrams in handouts and notebooks

MARKDOWN_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<path>[^)\s]+)\)")
HANDOUTS = sorted(SLIDES.parent.glob("solutions/*/README.md")) + sorted(
    SLIDES.parent.glob("labs/*/README.md")
)
NOTEBOOKS = sorted(SLIDES.parent.glob("notebooks/*.ipynb"))


def _pictures_of(document: Path) -> list[tuple[str, str]]:
    text = document.read_text()
    if document.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return [(match["alt"], match["path"]) for match in MARKDOWN_IMAGE.finditer(text)]


@pytest.mark.parametrize(
    "document", HANDOUTS + NOTEBOOKS, ids=lambda path: str(path.relative_to(SLIDES.parent))
)
def test_handouts_and_notebooks_show_their_diagrams(document):
    pictures = _pictures_of(document)
    diagrams = [path for _, path in pictures if "slides/diagrams/" in path]
    assert diagrams, f"{document.name} shows no diagram from slides/diagrams"
    missing = [path for _, path in pictures if not (document.parent / path).is_file()]
    assert not missing, f"pictures that do not exist: {missing}"
    unexplained = [path for alt, path in pictures if len(alt.split()) < 8]
    assert not unexplained, f"give these pictures an alt text that tells the flow: {unexplained}"


def test_every_diagram_is_in_a_handout_and_a_notebook():
    for kind, documents in (("the handouts", HANDOUTS), ("the notebooks", NOTEBOOKS)):
        shown = {Path(path).name for document in documents for _, path in _pictures_of(document)}
        unused = [svg.name for svg in sorted(DIAGRAMS.glob("*.svg")) if svg.name not in shown]
        assert not unused, f"diagrams missing from {kind}: {unused}"
