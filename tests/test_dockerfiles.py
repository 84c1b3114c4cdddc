"""Lab 12 reads a Dockerfile as Docker reads it (autograder/suites/dockerfiles.py):
continuations, comment lines inside them, the escape directive and heredocs."""

from __future__ import annotations

from autograder.suites.dockerfiles import (
    dockerignore_rules,
    first_heredoc_line,
    instructions,
)


def test_a_continuation_goes_on_past_comment_and_empty_lines():
    text = "FROM python\nRUN a \\\n# a comment\n\n    && b\nUSER app\n"
    assert instructions(text) == [("FROM", "python"), ("RUN", "a     && b"), ("USER", "app")]


def test_the_escape_directive_changes_the_continuation_character():
    text = "# escape=`\nFROM python\nRUN a `\n  b\nRUN c \\\nUSER app\n"
    assert instructions(text) == [
        ("FROM", "python"),
        ("RUN", "a   b"),
        ("RUN", "c \\"),
        ("USER", "app"),
    ]


def test_a_heredoc_body_is_never_an_instruction():
    text = 'FROM python\nRUN <<EOF\nuseradd app\nUSER app\nEOF\nCMD ["x"]\n'
    assert instructions(text) == [("FROM", "python"), ("RUN", "<<EOF"), ("CMD", '["x"]')]
    assert first_heredoc_line(text) == 2


def test_heredocs_close_in_order_and_dash_allows_tabs():
    text = "FROM python\nCOPY <<-ONE <<'TWO' /app/\n\tUSER root\n\tONE\nUSER root\nTWO\nUSER app\n"
    assert instructions(text)[-1] == ("USER", "app")
    assert len(instructions(text)) == 3


def test_a_heredoc_only_opens_in_run_copy_and_add():
    text = 'FROM python\nLABEL note="a <<EOF in a label"\nUSER app\nEOF\n'
    assert [keyword for keyword, _ in instructions(text)] == ["FROM", "LABEL", "USER", "EOF"]
    assert first_heredoc_line(text) is None


def test_dockerignore_lines_keep_their_order_and_their_exceptions():
    rules = dockerignore_rules("# local files\n.venv/\n**/*.db\n!keep.db\n")
    assert rules == [
        (False, ".venv", ".venv/"),
        (False, "*.db", "**/*.db"),
        (True, "keep.db", "!keep.db"),
    ]
