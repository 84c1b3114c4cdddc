"""Lab 12 reads a Dockerfile as Docker reads it (autograder/suites/dockerfiles.py):
continuations, comment lines inside them, the escape directive and heredocs."""

from __future__ import annotations

from autograder.suites.dockerfiles import (
    dockerignore_rules,
    final_image,
    first_heredoc_line,
    instructions,
    is_a_script,
    run_commands,
    server_started,
    shell_runs_the_prestart,
    starts_a_server,
    uv_installs,
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


def test_a_server_is_the_program_of_the_command():
    for command in (
        ["gunicorn", "-c", "gunicorn.conf.py", "app.main:app"],
        ["/app/.venv/bin/gunicorn", "app.main:app"],
        ["fastapi", "run", "--workers", "2"],
        ["uvicorn", "app.main:app"],
        ["python", "-m", "gunicorn", "-c", "gunicorn.conf.py", "app.main:app"],
        ["/app/.venv/bin/python3.12", "-u", "-m", "uvicorn", "app.main:app"],
        ["uv", "run", "--no-sync", "fastapi", "run"],
        ["tini", "--", "gunicorn", "app.main:app"],
        ["sh", "-c", "python -m app.prestart && exec fastapi run --workers 2"],
    ):
        assert starts_a_server(command), command
    for command in (
        ["python", "-m", "app.prestart", "&&", "fastapi", "run"],
        ["python", "app/serve.py", "gunicorn"],
        ["sh", "-c", "python -m app.prestart"],
        ["uv", "run", "python", "-m", "app.prestart", "gunicorn"],
        [],
    ):
        assert not starts_a_server(command), command


def test_uv_installs_only_when_it_syncs_or_pip_installs():
    def installs(run: str) -> bool:
        return any(uv_installs(command) for command in run_commands(run))

    assert installs("uv venv /app/.venv && uv pip install --python /app/.venv/bin/python -r r.txt")
    assert installs("--mount=type=cache,target=/root/.cache/uv uv sync --locked --no-dev")
    assert installs("pip install --no-cache-dir uv==0.9.7 && uv pip install --system -r r.txt")
    assert installs('["/bin/uv", "pip", "sync", "requirements.txt"]')
    assert installs("python -m uv --no-cache pip install -r requirements.txt")
    assert not installs("python -m venv /app/.venv && /app/.venv/bin/pip install -r r.txt")
    assert not installs("uv venv /app/.venv && /app/.venv/bin/pip install -r r.txt")
    assert not installs("pip install uv")


def test_the_final_image_follows_stages_back_to_an_image():
    text = (
        "FROM python:3.12-slim AS base\nRUN apt-get install -y curl\n"
        "FROM base AS builder\nRUN uv sync\n"
        "FROM --platform=linux/amd64 base AS runtime\nRUN useradd app\n"
    )
    assert final_image(instructions(text)) == (
        "python:3.12-slim",
        ["useradd app", "apt-get install -y curl"],
    )
    assert final_image(instructions("FROM python:3.12-alpine\nUSER app\n")) == (
        "python:3.12-alpine",
        [],
    )


def test_the_server_a_command_starts_is_named():
    assert server_started(["/app/.venv/bin/gunicorn", "app.main:app"]) == "gunicorn"
    assert server_started(["python", "-m", "uvicorn", "app.main:app"]) == "uvicorn"
    assert server_started(["sh", "-c", "python -m app.prestart && exec fastapi run"]) == "fastapi"
    assert server_started(["tini", "--", "fastapi", "run"]) == "fastapi"
    assert server_started(["python", "-m", "app.prestart"]) is None


def test_the_prestart_runs_in_a_shell_script_before_the_server():
    for command in (
        ["sh", "-c", "python -m app.prestart && exec fastapi run --workers 2"],
        ["/bin/bash", "-ec", "/app/.venv/bin/python3 -m app.prestart; exec uvicorn app.main:app"],
        ["tini", "--", "sh", "-c", "uv run --no-sync python -m app.prestart && fastapi run"],
        ["sh", "-c", "env PYTHONUNBUFFERED=1 python app/prestart.py && exec fastapi run"],
    ):
        assert shell_runs_the_prestart(command), command
    for command in (
        ["fastapi", "run", "--workers", "2"],
        ["sh", "-c", "exec fastapi run --workers 2"],
        ["sh", "-c", "python -m app.main && fastapi run"],
        ["python", "-m", "app.prestart"],
    ):
        assert not shell_runs_the_prestart(command), command


def test_an_entrypoint_script_is_the_images_own_program():
    assert is_a_script(["/app/docker-entrypoint.sh"])
    assert is_a_script(["sh", "/app/start.sh"])
    assert not is_a_script(["tini", "--"])
    assert not is_a_script(["sh", "-c", 'exec "$@"', "--"])
    assert not is_a_script(["fastapi", "run"])
    assert not is_a_script([])
