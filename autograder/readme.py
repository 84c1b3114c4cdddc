"""The README's lab table, generated from course.toml so adding a lab is one entry."""

from __future__ import annotations

from pathlib import Path

from autograder.course import ROOT, Lab, load_labs

README = ROOT / "README.md"
BEGIN, END = "<!-- labs:begin -->", "<!-- labs:end -->"


def lab_table(labs: list[Lab] | None = None) -> str:
    """A Markdown table: number, title (linked to the handout), what the student learns."""
    lines = ["| # | lab | you learn to |", "|---|---|---|"]
    for lab in load_labs() if labs is None else labs:
        handout = f"labs/{lab.folder}/README.md"
        learns = "; ".join(lab.objectives)
        lines.append(f"| {lab.number:02d} | [{lab.title}]({handout}) | {learns} |")
    return "\n".join(lines)


def with_table(text: str, labs: list[Lab] | None = None) -> str:
    """``text`` with the part between the lab-table markers replaced by a fresh table."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return f"{text[:start]}\n{lab_table(labs)}\n{text[end:]}"


def update(path: Path = README, *, check: bool = False) -> bool:
    """Rewrite the table in place (or, with ``check``, only compare). True when up to date."""
    text = path.read_text()
    fresh = with_table(text)
    if fresh == text:
        return True
    if not check:
        path.write_text(fresh)
    return False
