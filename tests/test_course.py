"""The course's shape: every lab in course.toml has all its parts, and the README agrees."""

from __future__ import annotations

import json

import pytest

from autograder import readme, sync
from autograder.course import ROOT, find_lab, load_labs
from autograder.instructor.course_check import missing_parts, placeholders_left
from autograder.runner import collect_checks

LABS = load_labs()
REQUIRED_HANDOUT_SECTIONS = ("objectives", "contract", "hint")


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.folder)
def test_lab_has_every_part(lab):
    """Starter and solution (each with README.md and main.py), suite, notebook, deck,
    examples and their tests, known-bad file: the parts the course check requires."""
    assert missing_parts(ROOT, lab) == []


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.folder)
def test_lab_is_finished(lab):
    """A lab written by `just new-lab` is a draft until no placeholder is left; the run says
    so for every draft lab, and a lab that is not a draft keeps no placeholder."""
    left = placeholders_left(ROOT, lab)
    if lab.draft:
        pytest.skip(f"lab {lab.number:02d} is a draft: {len(left)} files still say PLACEHOLDER")
    assert not left, f"lab {lab.folder} is not a draft, but these say PLACEHOLDER: {left}"


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.folder)
def test_handout_states_objectives_contract_and_hints(lab):
    text = (lab.starter_dir / "README.md").read_text().lower()
    absent = [word for word in REQUIRED_HANDOUT_SECTIONS if word not in text]
    assert not absent, f"the handout of {lab.folder} never mentions {absent}"


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.folder)
def test_suite_has_ten_checks_with_docstrings(lab):
    checks = collect_checks(lab.suite)
    assert len(checks) >= 10, f"{lab.suite.name} has {len(checks)} checks"
    undocumented = [check.name for check in checks if not check.description]
    assert not undocumented, f"checks without a docstring: {undocumented}"


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.folder)
def test_notebook_is_self_contained_and_executed(lab):
    notebook = json.loads(lab.notebook.read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code, "the notebook has no code"
    assert all(cell.get("execution_count") for cell in code), "run every cell before committing"
    source = "\n".join("".join(cell["source"]) for cell in code)
    for forbidden in ("solutions/", "from autograder", "import autograder"):
        assert forbidden not in source, f"the notebook depends on {forbidden!r}"


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.folder)
def test_slides_are_a_marp_deck(lab):
    text = lab.slides.read_text()
    assert text.startswith("---") and "marp: true" in text.split("---")[1]


def test_labs_are_in_sync_with_solutions():
    assert sync.differences() == []


def test_readme_lab_table_matches_course_toml():
    assert readme.update(check=True), "run `uv run just sync` to refresh the README table"


def test_starter_generation_replaces_blocks_with_starter_lines():
    source = (
        "def f():\n"
        "    # BEGIN SOLUTION\n"
        "    #: # TODO: return 1\n"
        "    #: raise NotImplementedError\n"
        "    return 1\n"
        "    # END SOLUTION\n"
    )
    expected = "def f():\n    # TODO: return 1\n    raise NotImplementedError\n"
    assert sync.make_starter(source) == expected
    assert sync.strip_markers(source) == "def f():\n    return 1\n"


@pytest.mark.parametrize(
    "source",
    [
        "# BEGIN SOLUTION\nx = 1\n",
        "x = 1\n# END SOLUTION\n",
        "# BEGIN SOLUTION\n# BEGIN SOLUTION\n",
    ],
)
def test_unpaired_markers_are_refused(source):
    with pytest.raises(sync.MarkerError):
        sync.make_starter(source)


def test_sync_never_overwrites_an_edited_starter(tmp_path, monkeypatch, capsys):
    root = tmp_path
    lab = LABS[0]
    (root / "solutions" / lab.folder).mkdir(parents=True)
    (root / "solutions" / lab.folder / "main.py").write_text(
        "# BEGIN SOLUTION\n#: x = None\nx = 1\n# END SOLUTION\n"
    )
    monkeypatch.setattr(sync, "load_labs", lambda: [lab])
    assert sync.sync(root=root) == 0
    starter = root / "labs" / lab.folder / "main.py"
    assert starter.read_text() == "x = None\n"
    starter.write_text("x = 'my own work'\n")
    (root / "solutions" / lab.folder / "main.py").write_text("y = 2\n")
    assert sync.sync(root=root) == 1
    assert starter.read_text() == "x = 'my own work'\n"
    assert "my own work" not in capsys.readouterr().out
    assert sync.sync(root=root, force=True) == 0
    assert starter.read_text() == "y = 2\n"


@pytest.mark.parametrize(
    "name", ["3", "03", "model-serving", "03-model-serving", "labs/03-model-serving/"]
)
def test_a_lab_can_be_named_many_ways(name):
    assert find_lab(name).number == 3
