"""A new lab's folder set and its course.toml entry: ``just new-lab 13 slug``.

``python -m autograder.instructor.scaffold N SLUG [--title "..."]`` writes, for lab N after
the course's last lab:

* ``solutions/NN-slug/``: the previous lab's solution carried forward (markers stripped, so
  the starter holds the finished work of the labs before it), a handout skeleton
  (``README.md``) and a placeholder ``main.py`` with one marked TODO;
* the suite (the course's minimum of 10 checks, each a placeholder), the known-bad file (3
  placeholder variants), an example and its test, a notebook and a deck;
* the ``course.toml`` entry, with ``draft = true`` and the carried files in ``carries``;
* then the starter (``labs/NN-slug/``) and the README's lab table, as ``just sync`` does.

Every placeholder says ``PLACEHOLDER``, and the lab stays a draft until its entry loses
``draft = true``: the course check names draft labs, refuses a finished lab that still holds
a placeholder, and releases and Gradescope zips refuse a draft lab. The course's own tests
pass on the new lab from the first commit. Nothing that exists is overwritten.
"""

from __future__ import annotations

import argparse
import json
import string
import sys
import tempfile
from pathlib import Path

from autograder import submission, sync
from autograder.course import ROOT, Lab, find_lab, is_generated, load_labs
from autograder.instructor.course_check import PLACEHOLDER, carried_copy

TEMPLATES = Path(__file__).resolve().parent / "templates" / "new-lab"
PLACEHOLDER_CHECKS = 10
NOT_CARRIED = {"README.md"}  # and the module that holds the app: the new lab's own
DIAGRAM_ALT = (
    "PLACEHOLDER diagram: the trip of one request through FastAPI, until this lab draws its own"
)


class ScaffoldError(Exception):
    """The lab cannot be written; the message says why, in one line."""


def _render(name: str, values: dict[str, str]) -> str:
    return string.Template((TEMPLATES / name).read_text()).substitute(values)


def entry_file(previous: Lab, root: Path) -> str:
    """Where the previous lab's app is (``main.py``, or ``app/main.py`` for a package): the
    new lab's placeholder app goes there, beside the modules it carries."""
    return submission.entrypoint(root / previous.solution_dir.relative_to(ROOT)).file


def values_for(lab: Lab, previous: Lab, root: Path = ROOT) -> dict[str, str]:
    """What the templates fill in."""
    names = [f"placeholder check [{number}]" for number in range(1, PLACEHOLDER_CHECKS + 1)]
    entry = entry_file(previous, root)
    package = entry.rpartition("/")[0].replace("/", ".")
    return {
        "entry_file": entry,
        "api_docs_module": f"{package}.api_docs" if package else "api_docs",
        "number": str(lab.number),
        "number2": f"{lab.number:02d}",
        "title": lab.title,
        "slug": lab.slug,
        "folder": lab.folder,
        "module": lab.module_name,
        "previous": str(previous.number),
        "previous2": f"{previous.number:02d}",
        "previous_folder": previous.folder,
        "all_checks": ", ".join(json.dumps(name) for name in names),
    }


def carried_files(previous: Lab, lab: Lab, root: Path) -> dict[str, str]:
    """The previous lab's solution files as the new lab inherits them (:func:`carried_copy`);
    README.md and the module that holds the app are the new lab's own."""
    source = root / previous.solution_dir.relative_to(ROOT)
    own = NOT_CARRIED | {entry_file(previous, root)}
    carried = {}
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if not path.is_file() or is_generated(relative) or relative.as_posix() in own:
            continue
        carried[relative.as_posix()] = carried_copy(path.read_text(), lab.number)
    return carried


def notebook(lab: Lab) -> str:
    """A notebook that runs top to bottom (one executed cell), marked as a placeholder."""
    alt = (
        "PLACEHOLDER diagram: the trip of one request through FastAPI, until this lab draws its own"
    )
    message = f"PLACEHOLDER: the walkthrough of lab {lab.number:02d} comes here"
    cells = [
        {
            "cell_type": "markdown",
            "id": "title",
            "metadata": {},
            "source": [
                f"# Lab {lab.number:02d} · {lab.title}: a walkthrough\n",
                "\n",
                f"{PLACEHOLDER} notebook written by `just new-lab`: replace it with the lab's "
                "walkthrough, run it top to bottom and commit it with its outputs.",
            ],
        },
        {
            "cell_type": "markdown",
            "id": "diagram",
            "metadata": {},
            "source": [f"![{alt}](../slides/diagrams/request-cycle.svg)"],
        },
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "placeholder",
            "metadata": {},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": [message + "\n"]}],
            "source": [f"print({json.dumps(message)})"],
        },
    ]
    metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    document = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def course_entry(lab: Lab, carries: list[str]) -> str:
    """The lab's [[lab]] block for course.toml."""
    lines = [
        "",
        "[[lab]]",
        f"number = {lab.number}",
        f'slug = "{lab.slug}"',
        f"title = {json.dumps(lab.title, ensure_ascii=False)}",
        "draft = true  # written by `just new-lab`: remove once no PLACEHOLDER is left",
        "carries = [",
        *(f"    {json.dumps(name)}," for name in carries),
        "]",
        'objectives = ["PLACEHOLDER objective: what the student can do afterwards"]',
        'hints = ["PLACEHOLDER hint."]',
    ]
    return "\n".join(lines) + "\n"


def planned_files(lab: Lab, previous: Lab, root: Path) -> dict[Path, str]:
    """Path under ``root`` -> content, for every file the new lab gets (starter excluded)."""
    values = values_for(lab, previous, root)
    solution = root / lab.solution_dir.relative_to(ROOT)
    files = {solution / name: text for name, text in carried_files(previous, lab, root).items()}
    files[solution / "README.md"] = _render("README.md.tmpl", values)
    files[solution / values["entry_file"]] = _render("main.py.tmpl", values)

    def at(path: Path) -> Path:
        return root / path.relative_to(ROOT)

    files[at(lab.suite)] = _render("suite.py.tmpl", values)
    files[at(lab.known_bad)] = _render("variants.toml.tmpl", values)
    files[at(lab.examples_dir) / "placeholder.py"] = _render("example.py.tmpl", values)
    files[at(lab.example_tests)] = _render("example_test.py.tmpl", values)
    files[at(lab.notebook)] = notebook(lab)
    files[at(lab.slides)] = _render("deck.md.tmpl", values)
    return files


def new_lab(number: int, slug: str, title: str | None = None, *, root: Path = ROOT) -> Lab:
    """Write lab ``number`` with ``slug`` into the course at ``root``; return it."""
    labs = load_labs(root / "course.toml")
    if not labs:
        raise ScaffoldError("course.toml has no lab to start from: write the first lab by hand")
    previous = labs[-1]
    if number <= previous.number:
        raise ScaffoldError(
            f"lab {number} would not come last: the course's last lab is {previous.number} "
            f"({previous.slug}); a new lab is added after it"
        )
    lab = Lab(number=number, slug=slug, title=title or slug.replace("-", " ").capitalize())
    try:
        find_lab(slug, labs)
    except LookupError:
        pass
    else:
        raise ScaffoldError(f"a lab called {slug!r} exists already")
    files = planned_files(lab, previous, root)
    existing = [path.relative_to(root).as_posix() for path in files if path.exists()]
    existing += [
        path.relative_to(root).as_posix()
        for path in (
            root / lab.starter_dir.relative_to(ROOT),
            root / lab.data_dir.relative_to(ROOT),
        )
        if path.exists()
    ]
    if existing:
        raise ScaffoldError(f"these exist already, and are kept: {', '.join(existing[:3])}")
    entry = course_entry(lab, sorted(carried_files(previous, lab, root)))
    course_text = (root / "course.toml").read_text()
    with tempfile.TemporaryDirectory(prefix="new-lab-") as scratch:
        candidate = Path(scratch) / "course.toml"
        candidate.write_text(course_text.rstrip("\n") + "\n" + entry)
        try:  # the entry must read back as this lab before anything is written
            read_back = load_labs(candidate)[-1]
        except (ValueError, KeyError) as error:
            raise ScaffoldError(f"the course.toml entry would not read: {error}") from None
    if (read_back.number, read_back.slug, read_back.title) != (lab.number, lab.slug, lab.title):
        raise ScaffoldError("the course.toml entry would not read back as this lab")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "course.toml").write_text(course_text.rstrip("\n") + "\n" + entry)
    return lab


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.instructor.scaffold",
        description="Write a new lab's folder set and course.toml entry, marked as a draft.",
    )
    parser.add_argument("number", type=int, help="the lab's number, after the last lab")
    parser.add_argument("slug", help="lowercase words joined by hyphens: streaming-and-websockets")
    parser.add_argument("--title", help="the lab's title (default: from the slug)")
    options = parser.parse_args(argv)
    try:
        lab = new_lab(options.number, options.slug, options.title)
    except (ScaffoldError, ValueError) as error:
        print(f"new-lab: {error}", file=sys.stderr)
        return 2
    status = sync.sync()
    print(
        f"wrote lab {lab.number:02d} ({lab.folder}) as a draft: every file says PLACEHOLDER "
        "where work is left; `just check-course` lists what remains"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
