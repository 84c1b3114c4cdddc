"""One student's feedback: the grading status, a Markdown report and the JSON record.

The JSON record is Gradescope's ``results.json`` document plus what batch grading needs to
trust it later: the student, the status, the reason, and the fingerprints of the
submission and of the suite that were graded.

A student is the name of a folder, and a folder may be named anything a file system
allows: bytes that are not UTF-8, a newline, 250 characters, Markdown or a spreadsheet
formula. The files keep the name when it makes a plain file name (:func:`file_stem`), and the
reports show it with its odd characters written as escapes (:func:`display_name`). In the
Markdown report nothing the submission wrote can change the document around it: names are
escaped, and messages sit in code blocks that nothing inside them can close.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import quote

from autograder.printable import printable
from autograder.results import GradeResult

GRADED, NOT_GRADED, TIMED_OUT = "graded", "could not be graded", "timed out"
STATUSES = (GRADED, NOT_GRADED, TIMED_OUT)
MAX_STEM_BYTES = 100  # a student's own name longer than this is shortened in file names
_HASH_CHARS = 10
_SHORTENED = re.compile(rf"-[0-9a-f]{{{_HASH_CHARS}}}\Z")  # how a shortened name ends
_MARKDOWN_SIGN = re.compile(r"[\\`*_\[\]<>!&~|#]")  # links, emphasis, code, HTML, tables
_BLOCK_START = re.compile(r"\A(\s*\d*)([-+=.)])")  # a list, a heading's underline


def display_name(student: str) -> str:
    """The name of a student's folder as the reports show it: bytes that are not UTF-8 and
    control characters written as escapes (``caf\\xe9``, ``carol\\x0aalice``), on one line."""
    decoded = os.fsencode(student).decode("utf-8", errors="backslashreplace")
    return printable(decoded, one_line=True)


def file_stem(student: str) -> str:
    """The name of a student's feedback files, without ``.md`` or ``.json``.

    It is the folder's own name when that makes a plain file name: UTF-8, printable, at most
    :data:`MAX_STEM_BYTES` bytes. Any other name is written with its unusual bytes
    percent-encoded, cut to that length, and followed by a short hash of the real name, so
    that two students never share their files: ``caf%E9-3f1a2b4c5d``. (A plain name that
    happens to end the way such a name does is given a hash too.)
    """
    raw = os.fsencode(student)
    plain = (
        display_name(student) == student
        and len(raw) <= MAX_STEM_BYTES
        and not _SHORTENED.search(student)
    )
    if plain:
        return student
    readable = quote(raw, safe=" !#$&'()+,;=@[]^{}~")[:MAX_STEM_BYTES]
    readable = re.sub(r"%[0-9A-F]?\Z", "", readable)  # never half of an encoded byte
    return f"{readable}-{hashlib.sha256(raw).hexdigest()[:_HASH_CHARS]}"


def status_of(result: GradeResult) -> tuple[str, str]:
    """``(status, reason)``: whether the score can be read as the work's worth, and why not.

    * ``graded``: every check ran; a blank starter is graded (and scores what it is worth);
    * ``could not be graded``: the submission did not import, or has no lab folder;
    * ``timed out``: the import, or at least one check, ran past its time limit.

    Time-outs are what the grader measured (``import_timed_out``, each check's
    ``timed_out``), never words of a message: the student's app can answer any words.
    """
    if result.problem:
        return (TIMED_OUT if result.import_timed_out else NOT_GRADED), result.problem
    slow = [item.check.name for item in result.results if item.timed_out]
    if slow:
        return TIMED_OUT, "ran past its time limit: " + ", ".join(slow)
    return GRADED, ""


def record(result: GradeResult, student: str, *, submission: str, suite: str) -> dict:
    """The JSON record of one grading (Gradescope's schema plus batch's own fields)."""
    document = result.to_gradescope()
    status, reason = status_of(result)
    document.update(
        student=display_name(student),
        status=status,
        reason=reason,
        submission_sha256=submission,
        suite_sha256=suite,
    )
    return document


def read_record(path: Path) -> dict | None:
    """A record written earlier, or None when it is missing, unreadable or incomplete."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("student"), str):
        return None
    scores = (document.get("score"), document.get("max_score"))
    if not all(isinstance(score, int | float) and not isinstance(score, bool) for score in scores):
        return None
    return document


def markdown_text(text: str) -> str:
    """``text`` as Markdown that shows it as written, on one line: every sign that could
    start a link, emphasis, HTML or code is escaped, and so is a first character that could
    start a list, a quote or a heading."""
    text = _MARKDOWN_SIGN.sub(r"\\\g<0>", printable(text, one_line=True))
    return _BLOCK_START.sub(r"\1\\\2", text)


def code_block(text: str) -> list[str]:
    """``text`` as the lines of a fenced code block, shown as written: its fence is a run of
    backticks longer than any inside it, so no line of the text can close it (CommonMark),
    and inside a code block HTML, links and emphasis are plain text."""
    text = printable(text)  # no carriage return starts a line the fence does not see
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, text, fence]


def markdown_report(student: str, result: GradeResult, title: str) -> str:
    """A readable feedback file for one student."""
    status, reason = status_of(result)
    score = f"**Score: {result.score:g}/{result.max_score:g}**"
    lines = [f"# {title}: {markdown_text(display_name(student))}", "", score, ""]
    if status != GRADED:
        lines += [f"Status: {status}.", "", *code_block(reason), ""]
    lines += ["| check | points |", "|---|---|"]
    for item in result.results:
        mark = "passed" if item.passed else "failed"
        lines.append(f"| {item.check.name} ({mark}) | {item.score:g}/{item.check.points:g} |")
    failed = [item for item in result.results if not item.passed]
    if failed:
        lines += ["", "## What to fix", ""]
        for item in failed:
            lines.append(f"### {item.check.name}")
            if item.check.description:
                lines.append(item.check.description)
            if item.message and not result.problem:
                lines += ["", *code_block(item.message)]
            lines += ["", f"Hint: {item.check.hint}", ""]
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Write a file so that a reader sees the old content or the new one, never a part."""
    # A short prefix: the temporary name must fit the file system's limit as well.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.")
    try:
        with os.fdopen(handle, "w", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
