"""Reading the Marp decks of ``slides/``: their slides, speaker notes, pictures and height.

The height is an estimate in pixels of what the course theme (``slides/course.css``) draws,
computed from the Markdown alone: a heading, each line of text (wrapped at the width of a
slide), each line of code, each table row and each picture at its declared width. It is
deliberately a little pessimistic, so a slide it accepts also fits in the browser test,
which measures the real thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SLIDES = Path(__file__).resolve().parent.parent / "slides"

PAGE_HEIGHT = 720
TOP_PADDING = 44
BOTTOM_PADDING = 64
CONTENT_WIDTH = 1152
#: the lowest point content may reach: above the footer and the page number
CONTENT_BOTTOM = PAGE_HEIGHT - BOTTOM_PADDING

HEADING = 82  # an h2 with its rule and margin
BLOCK_GAP = 14  # the margin under a paragraph, list, table or code block
TABLE_ROW = 43
TABLE_LINE = 31  # each further line of a row whose text wraps
TABLE_CHARS = 80  # characters of a row that fit on one line
CODE_BOX = 26  # a code block's padding and border


@dataclass(frozen=True)
class Style:
    """The sizes a slide's class gives its text and its code, in pixels."""

    text_line: float
    chars_per_line: int
    code_line: float


NORMAL = Style(text_line=36.4, chars_per_line=84, code_line=26.0)
SMALL = Style(text_line=32.2, chars_per_line=94, code_line=19.0)

COMMENT = re.compile(r"<!--(.*?)-->", re.S)
DIRECTIVES = (
    "marp|theme|paginate|header|footer|class|style|size|math|title|description|author|"
    "image|keywords|url|lang|transition|headingDivider|color|backgroundColor|"
    "backgroundImage|backgroundPosition|backgroundRepeat|backgroundSize"
)
DIRECTIVE = re.compile(rf"^\s*_?({DIRECTIVES})\s*:")
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<path>[^)\s]+)\)")
WIDTH = re.compile(r"\bw(?:idth)?:(?P<width>\d+)")
FENCE = re.compile(r"^```")


@dataclass
class Slide:
    """One slide of a deck: its number (from 1), Markdown, and what its comments hold."""

    deck: Path
    number: int
    markdown: str

    @property
    def comments(self) -> list[str]:
        return [body.strip() for body in COMMENT.findall(self.markdown)]

    @property
    def notes(self) -> list[str]:
        """Speaker notes: the comments that are not Marp directives."""
        return [text for text in self.comments if text and not DIRECTIVE.match(text)]

    @property
    def classes(self) -> list[str]:
        found = re.search(r"<!--\s*_?class:\s*([\w -]+?)\s*-->", self.markdown)
        return found.group(1).split() if found else []

    @property
    def content(self) -> str:
        """The Markdown without its comments."""
        return COMMENT.sub("", self.markdown)

    @property
    def images(self) -> list[tuple[str, int | None]]:
        """Each picture's path and declared width (``![w:900](...)``), if any."""
        pictures = []
        for match in IMAGE.finditer(self.content):
            width = WIDTH.search(match["alt"])
            pictures.append((match["path"], int(width["width"]) if width else None))
        return pictures

    def __str__(self) -> str:
        return f"{self.deck.name} slide {self.number}"


def decks() -> list[Path]:
    return sorted(SLIDES.glob("[0-9][0-9]-*.md"))


def front_matter(deck: Path) -> str:
    return deck.read_text().split("---\n", 2)[1]


def slides_of(deck: Path) -> list[Slide]:
    body = deck.read_text().split("---\n", 2)[2]
    return [
        Slide(deck, number, markdown)
        for number, markdown in enumerate(re.split(r"\n---\n", body), start=1)
    ]


def svg_size(path: Path) -> tuple[float, float]:
    """The width and height an SVG declares (Graphviz writes them in points)."""
    head = path.read_text()[:2000]
    width = re.search(r'<svg[^>]*\swidth="([\d.]+)(pt|px)?"', head)
    height = re.search(r'<svg[^>]*\sheight="([\d.]+)(pt|px)?"', head)
    return float(width.group(1)), float(height.group(1))


def image_height(slide: Slide, path: str, width: int | None) -> float:
    picture = slide.deck.parent / path
    natural_width, natural_height = svg_size(picture)
    points = 4 / 3  # Graphviz sizes are in points; the browser draws 4/3 px per point
    drawn_width = min(width or natural_width * points, CONTENT_WIDTH)
    return natural_height / natural_width * drawn_width


def estimated_height(slide: Slide) -> float:
    """How far down the slide its content reaches, in pixels (an estimate, from the top)."""
    style = SMALL if "small" in slide.classes else NORMAL
    height = TOP_PADDING
    in_code = False
    code_lines = 0
    previous_kind = None
    for raw in slide.content.splitlines():
        line = raw.rstrip()
        if FENCE.match(line.strip()):
            if in_code:
                height += CODE_BOX + code_lines * style.code_line + BLOCK_GAP
                code_lines = 0
            in_code = not in_code
            previous_kind = None
            continue
        if in_code:
            code_lines += 1
            continue
        if not line.strip():
            if previous_kind is not None:
                height += BLOCK_GAP
            previous_kind = None
            continue
        if line.startswith("## ") or line.startswith("# "):
            height += HEADING
            previous_kind = None
        elif line.startswith("|"):
            if not re.fullmatch(r"\|[\s|:-]+\|", line):
                text = re.sub(r"[`*|]", "", line).strip()
                height += TABLE_ROW + TABLE_LINE * (-(-len(text) // TABLE_CHARS) - 1)
            previous_kind = "block"
        elif IMAGE.search(line):
            for match in IMAGE.finditer(line):
                width = WIDTH.search(match["alt"])
                height += image_height(slide, match["path"], int(width[1]) if width else None)
            previous_kind = "block"
        else:
            text = re.sub(r"[`*]", "", line.strip())
            wrapped = -(-len(text) // style.chars_per_line)
            height += wrapped * style.text_line + (4 if line.lstrip()[:2] in ("- ", "1.") else 0)
            previous_kind = "block"
    if in_code:  # an unclosed fence: count what there is
        height += CODE_BOX + code_lines * style.code_line
    return height
