"""A Dockerfile and a .dockerignore, read as Docker reads them (lab 12 grades them unbuilt).

Docker's rules, followed here so that a file means to the checks what it means to Docker:

- the escape character (``\\``, or what a ``# escape=`` parser directive names) at the end
  of a line continues the instruction on the next line; comment lines and empty lines
  inside such a continuation are left out and do not end it;
- a heredoc (``RUN <<EOF`` ... ``EOF``, also ``<<-EOF`` and a quoted ``<<"EOF"``) in a
  ``RUN``, ``COPY`` or ``ADD`` belongs to its instruction up to the line that closes it:
  a line of the script inside it, even ``USER root``, is never an instruction;
- ``.dockerignore`` lines apply in order, the last one that matches a name decides, and a
  line beginning with ``!`` lets what it matches back in.
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
from pathlib import PurePosixPath

HEREDOC_INSTRUCTIONS = ("RUN", "COPY", "ADD")
# <<EOF, <<-EOF (tabs before the closing word allowed), <<"EOF" and <<'EOF' (no expansion)
HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")


def escape_character(text: str) -> str:
    """The Dockerfile's escape character: ``\\``, or the one its ``# escape=`` parser
    directive names (directives come first, before any comment, blank line or instruction)."""
    for line in text.splitlines():
        directive = re.match(r"\s*#\s*([A-Za-z]+)\s*=\s*(\S+)\s*$", line)
        if not directive:
            break
        if directive.group(1).lower() == "escape" and directive.group(2) in ("\\", "`"):
            return directive.group(2)
    return "\\"


def heredoc_ends(instruction: str) -> list[tuple[str, bool]]:
    """The heredocs an instruction opens, in order, as (closing word, tabs may precede it);
    none unless it is a RUN, COPY or ADD."""
    keyword = instruction.strip().partition(" ")[0].upper()
    if keyword not in HEREDOC_INSTRUCTIONS:
        return []
    return [(found.group(3), found.group(1) == "-") for found in HEREDOC.finditer(instruction)]


def instruction_lines(text: str) -> list[tuple[int, str]]:
    """Each instruction as (its first line's number, from 1; its text), continuations
    joined and heredoc bodies left out (see the module's docstring)."""
    continues = re.compile(re.escape(escape_character(text)) + r"[ \t]*$")
    found: list[tuple[int, str]] = []
    current: str | None = None
    start = 0
    waiting: list[tuple[str, bool]] = []  # heredocs still open, first to close first
    for number, line in enumerate(text.splitlines(), start=1):
        if waiting:
            word, tabs = waiting[0]
            if (line.lstrip("\t") if tabs else line) == word:
                waiting.pop(0)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        body, joined = continues.subn("", line)
        if current is None:
            current, start = body, number
        else:
            current += body
        if not joined:
            found.append((start, current))
            waiting = heredoc_ends(current)
            current = None
    if current is not None:
        found.append((start, current))
    return found


def instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), read as Docker reads them."""
    steps = []
    for _, instruction in instruction_lines(text):
        keyword, _, arguments = instruction.strip().partition(" ")
        steps.append((keyword.upper(), arguments.strip()))
    return steps


def first_heredoc_line(text: str) -> int | None:
    """The line number of the first instruction that opens a heredoc, or None."""
    for number, instruction in instruction_lines(text):
        if heredoc_ends(instruction):
            return number
    return None


def final_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The instructions of the last stage (from its FROM on)."""
    starts = [index for index, (keyword, _) in enumerate(steps) if keyword == "FROM"]
    return steps[starts[-1] :] if starts else steps


def exec_form(arguments: str) -> list[str] | None:
    """The list of a JSON-array (exec-form) CMD/ENTRYPOINT/HEALTHCHECK CMD, else None."""
    try:
        value = json.loads(arguments)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def stages(steps: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """The instructions of each stage, in order (each from its FROM on)."""
    found: list[list[tuple[str, str]]] = []
    for keyword, arguments in steps:
        if keyword == "FROM" or not found:
            found.append([])
        found[-1].append((keyword, arguments))
    return found


SHELL_OPERATORS = ("&&", "||", ";", "|", "&")
SERVERS = ("gunicorn", "fastapi", "uvicorn")
# programs that run the command given after their options (tini -- CMD, uv run CMD...)
WRAPPERS = ("tini", "dumb-init", "env")
SHELLS = ("sh", "bash", "dash", "ash", "zsh")


def shell_words(script: str) -> list[str]:
    """The words of a shell command line, each operator (&&, ;, |...) a word of its own
    (whitespace-separated words when the quotes do not close)."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:
        return re.findall(r"&&|\|\||[;|&]|[^\s;|&]+", script)


def simple_commands(words: list[str]) -> list[list[str]]:
    """``words`` cut at the shell's operators: the commands of a command line."""
    commands: list[list[str]] = [[]]
    for word in words:
        if word and set(word) <= set("();<>|&"):
            commands.append([])
        else:
            commands[-1].append(word)
    return [command for command in commands if command]


def run_commands(arguments: str) -> list[list[str]]:
    """The commands a RUN's arguments run (exec form: one command, the list)."""
    listed = exec_form(arguments)
    if listed is not None:
        return [listed] if listed else []
    return simple_commands(shell_words(arguments))


def uv_installs(command: list[str]) -> bool:
    """Whether a command runs uv to install packages: ``uv sync``, ``uv pip install``,
    ``uv pip sync`` (uv by any path, or ``python -m uv``); ``uv venv`` installs nothing."""
    for index, word in enumerate(command):
        if PurePosixPath(word).name != "uv":
            continue
        rest = command[index + 1 :]
        if "sync" in rest:
            return True
        if any(a == "pip" and b in ("install", "sync") for a, b in itertools.pairwise(rest)):
            return True
    return False


def starts_a_server(command: list[str]) -> bool:
    """Whether a command's program is a server of the lab (see :func:`server_started`)."""
    return server_started(command) is not None


def server_started(command: list[str]) -> str | None:
    """The server a command's program is, ``gunicorn``, ``fastapi`` or ``uvicorn`` (by any
    path), ``python -m`` one of them, or one of those behind ``uv run``, ``tini``,
    ``dumb-init`` or ``env``, or run by ``sh -c`` (a command of its script); else None."""
    if not command:
        return None
    name = PurePosixPath(command[0]).name
    if name in SERVERS:
        return name
    if re.fullmatch(r"python[\d.]*", name):
        for index, word in enumerate(command[1:], start=1):
            if word == "-m":
                module = command[index + 1] if index + 1 < len(command) else ""
                return module if module in SERVERS else None
            if word.startswith("-m"):
                return word[2:] if word[2:] in SERVERS else None
            if not word.startswith("-"):
                return None  # a script, not a module
        return None
    if name in SHELLS:
        for index, word in enumerate(command[1:], start=1):
            if word.startswith("-") and "c" in word and index + 1 < len(command):
                script = simple_commands(shell_words(command[index + 1]))
                for each in script:
                    found = server_started(each[1:] if each[0] == "exec" else each)
                    if found:
                        return found
                return None
        return None
    wrapped = 2 if name == "uv" and command[1:2] == ["run"] else 1 if name in WRAPPERS else 0
    if not wrapped:
        return None
    for index in range(wrapped, len(command)):
        word = command[index]
        if word.startswith("-") or (name == "env" and "=" in word):
            continue
        found = server_started(command[index:])
        if found:
            return found
        previous = command[index - 1]
        if not (previous.startswith("-") and "=" not in previous):
            return None  # the program it runs (not the value of an option)
    return None


def runs_the_prestart(command: list[str]) -> bool:
    """Whether a command is the prestart step: ``python -m app.prestart`` (any python, by any
    path, also behind ``uv run`` or ``env``) or ``python app/prestart.py``."""
    words = list(command)
    while words:  # the wrappers before the program: uv run, env NAME=value, tini --...
        if PurePosixPath(words[0]).name == "uv" and words[1:2] == ["run"]:
            words = words[2:]
        elif PurePosixPath(words[0]).name in WRAPPERS or words[0][:1] == "-" or "=" in words[0]:
            words = words[1:]
        else:
            break
    if not words or not re.fullmatch(r"python[\d.]*", PurePosixPath(words[0]).name):
        return False
    for index, word in enumerate(words[1:], start=1):
        if word == "-m":
            return words[index + 1 : index + 2] == ["app.prestart"]
        if word.startswith("-m"):
            return word[2:] == "app.prestart"
        if not word.startswith("-"):
            return PurePosixPath(word).parts[-2:] == ("app", "prestart.py")
    return False


def is_a_script(command: list[str]) -> bool:
    """Whether a command's program is a script of the image's own (``./entrypoint.sh``, or
    ``sh entrypoint.sh``): not a server, ``sh -c``, Python, uv or a wrapper such as tini. An
    ENTRYPOINT script runs the CMD, and may run the prestart step first: the checks cannot
    read it."""
    if not command or starts_a_server(command):
        return False
    name = PurePosixPath(command[0]).name
    if name in SHELLS:  # a shell runs a script file, unless -c gives it the script itself
        for word in command[1:]:
            if not word.startswith("-"):
                return True
            if "c" in word:
                return False
        return False
    return not (
        name in (*SHELLS, *WRAPPERS, "uv") or re.fullmatch(r"python[\d.]*", name) is not None
    )


def shell_runs_the_prestart(command: list[str]) -> bool:
    """Whether a command runs a shell (``sh -c SCRIPT``, also behind a wrapper such as
    ``tini --``) whose script runs the prestart step (:func:`runs_the_prestart`)."""
    for index, word in enumerate(command):
        if PurePosixPath(word).name not in SHELLS:
            continue
        for option, script in itertools.pairwise(command[index + 1 :]):
            if not option.startswith("-"):
                break
            if "c" in option:
                steps = simple_commands(shell_words(script))
                return any(runs_the_prestart(step) for step in steps)
    return False


def final_image(steps: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """The image the last stage starts from, following ``FROM <an earlier stage>`` back to an
    image, and the RUNs of the stages on the way (the last one's first): what the last
    stage's container has."""
    found = stages(steps)
    names: dict[str, int] = {}
    for number, stage in enumerate(found):
        named = re.search(r"\s+as\s+(\S+)\s*$", stage[0][1], re.IGNORECASE) if stage else None
        if named:
            names[named.group(1).lower()] = number
        names[str(number)] = number
    runs: list[str] = []
    current = len(found) - 1
    seen = set()
    while current >= 0 and current not in seen:
        seen.add(current)
        stage = found[current]
        runs += [arguments for keyword, arguments in stage if keyword == "RUN"]
        words = [w for w in stage[0][1].split() if not w.startswith("--")] if stage else []
        image = words[0] if words else ""
        earlier = names.get(image.lower())
        if earlier is None or earlier >= current:
            return image, runs
        current = earlier
    return "", runs


def earlier_stages(steps: list[tuple[str, str]]) -> set[str]:
    """What COPY --from= may name to copy from a stage before the last: each one's number,
    and its name (``FROM image AS name``), in lowercase."""
    stages = [arguments for keyword, arguments in steps if keyword == "FROM"][:-1]
    names = {str(number) for number in range(len(stages))}
    for arguments in stages:
        named = re.search(r"\s+as\s+(\S+)\s*$", arguments, re.IGNORECASE)
        if named:
            names.add(named.group(1).lower())
    return names


def without_hadolint_comments(text: str) -> str:
    """The Dockerfile without the comments that steer hadolint (``# hadolint ignore=...``,
    ``# hadolint shell=...``): each becomes an empty comment, so line numbers stay."""
    return "\n".join(
        "#" if re.match(r"\s*#\s*hadolint\b", line, re.IGNORECASE) else line
        for line in text.split("\n")
    )


def dockerignore_rules(text: str) -> list[tuple[bool, str, str]]:
    """The lines of a .dockerignore as (lets back in, pattern, the line), in order: a line
    beginning with ``#`` is a comment, ``!`` lets back in what it matches."""
    rules = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        pattern = line.strip()
        back_in = pattern.startswith("!")
        pattern = pattern.removeprefix("!").strip().strip("/").removeprefix("**/")
        rules.append((back_in, pattern, line.strip()))
    return rules


def stage_names(steps: list[tuple[str, str]]) -> dict[str, int]:
    """The index of each stage by what ``FROM`` and ``COPY --from=`` may call it: its number
    and its name (``FROM image AS name``), in lowercase."""
    names: dict[str, int] = {}
    for number, stage in enumerate(stages(steps)):
        named = re.search(r"\s+as\s+(\S+)\s*$", stage[0][1], re.IGNORECASE) if stage else None
        if named:
            names[named.group(1).lower()] = number
        names[str(number)] = number
    return names


def image_stages(steps: list[tuple[str, str]], last: int | None = None) -> list[int]:
    """The stages whose instructions the image of stage ``last`` (the last stage when None)
    is made of: that stage, and the earlier stage it is built ``FROM``, and so on back to an
    image; in build order (the earliest first)."""
    found = stages(steps)
    names = stage_names(steps)
    current = len(found) - 1 if last is None else last
    chain: list[int] = []
    while 0 <= current < len(found) and current not in chain:
        chain.append(current)
        words = [w for w in found[current][0][1].split() if not w.startswith("--")]
        earlier = names.get(words[0].lower()) if words else None
        if earlier is None or earlier >= current:
            break
        current = earlier
    return chain[::-1]


def image_instructions(steps: list[tuple[str, str]], keyword: str) -> list[str]:
    """The arguments of each ``keyword`` instruction (CMD, USER, HEALTHCHECK...) the last
    stage's image has: those of the last stage and of the stages it is built FROM, in build
    order (the last one decides). An instruction of another earlier stage is not in it."""
    found = stages(steps)
    return [
        arguments
        for number in image_stages(steps)
        for word, arguments in found[number]
        if word == keyword
    ]


def script_server_problem(command: list[str]) -> str | None:
    """Why a ``sh -c SCRIPT`` command (also behind a wrapper such as tini) that starts the
    server does not hand the container's process 1 over to it, or None: the script runs the
    prestart step, if it does, before the server, and starts the server last, with ``exec``
    (without it the shell stays process 1 and never passes ``SIGTERM`` on)."""
    for index, word in enumerate(command):
        if PurePosixPath(word).name not in SHELLS:
            continue
        for option, script in itertools.pairwise(command[index + 1 :]):
            if not option.startswith("-"):
                return None
            if "c" not in option:
                continue
            steps = simple_commands(shell_words(script))
            servers = [
                number
                for number, step in enumerate(steps)
                if server_started(step[1:] if step[0] == "exec" else step)
            ]
            if not servers:
                return None
            first = servers[0]
            if any(runs_the_prestart(step) for step in steps[first + 1 :]):
                return (
                    "its script runs the prestart step after the server, which never ends: "
                    "the prestart step runs first"
                )
            if first != len(steps) - 1:
                return "its script runs more commands after the server: the server comes last"
            if steps[first][0] != "exec":
                return (
                    "its script starts the server without exec: the shell stays process 1 and "
                    "never passes SIGTERM on; `exec` makes the server take its place"
                )
            return None
        return None
    return None


def server_words(command: list[str]) -> list[str] | None:
    """The words of a command from the server's program on (``uvicorn ...``, ``python -m
    uvicorn ...``), found as :func:`server_started` finds the server; None if it starts none."""
    if not command:
        return None
    name = PurePosixPath(command[0]).name
    if name in SERVERS or re.fullmatch(r"python[\d.]*", name):
        return command if server_started(command) else None
    if name in SHELLS:
        for index, word in enumerate(command[1:], start=1):
            if word.startswith("-") and "c" in word and index + 1 < len(command):
                for each in simple_commands(shell_words(command[index + 1])):
                    found = server_words(each[1:] if each[0] == "exec" else each)
                    if found:
                        return found
                return None
        return None
    for index in range(1, len(command)):
        found = server_words(command[index:])
        if found:
            return found
    return None


def option_values(words: list[str], *names: str) -> list[str]:
    """The values a command line gives its options ``names`` (``--port 8000``, ``--port=8000``,
    ``-b0.0.0.0:8000``)."""
    values = []
    for index, word in enumerate(words):
        for name in names:
            if word == name and index + 1 < len(words):
                values.append(words[index + 1])
            elif name.startswith("--") and word.startswith(name + "="):
                values.append(word[len(name) + 1 :])
            elif len(name) == 2 and word.startswith(name) and len(word) > 2 and word[2] != "-":
                values.append(word[2:])
    return values


def environment_of(steps: list[tuple[str, str]]) -> dict[str, str]:
    """The variables the ``ENV`` instructions of the last stage's image set (``ENV A=1 B=2``
    and the older ``ENV A 1``); values that name other variables are kept as written."""
    found = stages(steps)
    variables: dict[str, str] = {}
    for number in image_stages(steps):
        for keyword, arguments in found[number]:
            if keyword != "ENV":
                continue
            words = shell_words(arguments)
            if words and "=" not in words[0]:
                variables[words[0]] = " ".join(words[1:])
                continue
            for word in words:
                name, separator, value = word.partition("=")
                if separator:
                    variables[name] = value
    return variables


def is_loopback(host: str) -> bool:
    """Whether ``host`` is an address of the loopback interface alone."""
    host = host.strip("[]")
    return host in ("localhost", "::1") or host.startswith("127.")


def split_bind(bind: str) -> tuple[str, str]:
    """Gunicorn's ``bind`` (``HOST:PORT``, ``HOST``, ``[::]:PORT``) as (host, port); the port
    is 8000 when it names none."""
    if bind.startswith("["):
        host, _, rest = bind[1:].partition("]")
        return host, rest.removeprefix(":") or "8000"
    host, separator, port = bind.rpartition(":")
    return (host, port) if separator else (bind, "8000")


def user_is_created(user: str, steps: list[tuple[str, str]]) -> bool:
    """Whether the last stage's image has the user named ``user``: a RUN of the last stage
    (or of a stage it is built FROM) creates it (``useradd``, ``adduser``), the image copies
    a passwd file in, or the user is one that Debian and Alpine images have already."""
    if user.isdigit() or user in BASE_IMAGE_USERS or "$" in user:
        return True
    found = stages(steps)
    for number in image_stages(steps):
        for keyword, arguments in found[number]:
            if keyword in ("COPY", "ADD") and "passwd" in arguments:
                return True
            if keyword != "RUN":
                continue
            for command in run_commands(arguments):
                names = [PurePosixPath(word).name for word in command]
                if {"useradd", "adduser"} & set(names) and user in command:
                    return True
    return False


# The users a Debian (python:*-slim) or Alpine base image already has.
BASE_IMAGE_USERS = frozenset(
    (
        "daemon",
        "bin",
        "sys",
        "sync",
        "games",
        "man",
        "lp",
        "mail",
        "news",
        "uucp",
        "proxy",
        "www-data",
        "backup",
        "list",
        "irc",
        "gnats",
        "nobody",
        "_apt",
        "adm",
        "operator",
        "guest",
        "ftp",
        "xfs",
        "nogroup",
        "nonroot",
        "ubuntu",
    )
)


def copied_paths(stage: list[tuple[str, str]]) -> list[str]:
    """The absolute paths a stage's instructions name: its WORKDIRs, the destinations of its
    COPY and ADD, and every absolute path written in its RUN and ENV instructions (where
    ``uv venv /opt/venv`` or ``UV_PROJECT_ENVIRONMENT=/opt/venv`` puts an environment)."""
    paths = []
    workdir = "/"
    for keyword, arguments in stage:
        if keyword == "WORKDIR":
            workdir = str(PurePosixPath(workdir, arguments.strip().strip("\"'")))
            paths.append(workdir)
        elif keyword in ("COPY", "ADD"):
            listed = exec_form(arguments)
            words = listed if listed is not None else arguments.split()
            words = [word for word in words if not word.startswith("--")]
            if words:
                paths.append(str(PurePosixPath(workdir, words[-1])))
        elif keyword in ("RUN", "ENV"):
            for word in re.findall(r"(?<![\w.$}-])/[\w./-]*", arguments):
                paths.append(word.rstrip("/") or "/")
    return paths


# Where a Python base image keeps what pip (or uv pip --system) installs, and the system.
IMAGE_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc", "/root", "/home", "/var")


def made_by_stage(path: str, steps: list[tuple[str, str]], number: int) -> bool:
    """Whether the absolute ``path`` is in stage ``number``: under (or above) a path it or a
    stage it is built FROM names (:func:`copied_paths`), or under the base image's own
    folders (/usr/local, /root...)."""
    found = stages(steps)
    chain = image_stages(steps, number)
    if all(len(found[each]) < 2 for each in chain):
        return True  # an image alone (FROM ... AS name): what it holds is not known here
    target = PurePosixPath(path)
    named: list[PurePosixPath] = []
    for each in chain:
        named += [PurePosixPath(p) for p in copied_paths(found[each]) if p != "/"]
    named += [PurePosixPath(p) for p in IMAGE_PATHS]
    return any(target == p or p in target.parents or target in p.parents for p in named)


def copied_in(steps: list[tuple[str, str]]) -> list[str]:
    """Where the last stage puts what it copies from an earlier stage: the absolute
    destination of each of its ``COPY --from=<stage>`` (a relative one read from its
    WORKDIR)."""
    names = stage_names(steps)
    found = stages(steps)
    workdir = "/"
    destinations = []
    for keyword, arguments in found[-1] if found else []:
        if keyword == "WORKDIR":
            workdir = str(PurePosixPath(workdir, arguments.strip().strip("\"'")))
            continue
        stage = re.search(r"--from=(\S+)", arguments) if keyword == "COPY" else None
        number = names.get(stage[1].lower()) if stage else None
        if number is None or number >= len(found) - 1:
            continue
        bracket = arguments.find("[")
        listed = exec_form(arguments[bracket:]) if bracket >= 0 else None
        words = listed if listed is not None else arguments.split()
        words = [word for word in words if not word.startswith("--")]
        if words and "$" not in words[-1]:
            destinations.append(str(PurePosixPath(workdir, words[-1])))
    return destinations


def copied_environment_on_path(steps: list[tuple[str, str]]) -> bool | None:
    """Whether the programs of what the last stage copies from an earlier stage are on its
    ``PATH``: an entry of the ``PATH`` its ``ENV`` sets lies in a copied folder (its virtual
    environment's ``bin``), or a copy goes into the system's own folders (/usr/local...).
    None when it copies nothing from an earlier stage."""
    destinations = [PurePosixPath(path) for path in copied_in(steps)]
    if not destinations:
        return None
    system = [PurePosixPath(path) for path in ("/usr", "/bin", "/sbin")]
    if any(path == each or each in path.parents for path in destinations for each in system):
        return True
    variables = environment_of(steps)

    def expand(found: re.Match) -> str:
        name = found.group(1) or found.group(2)
        return found.group(0) if name == "PATH" else variables.get(name, found.group(0))

    written = re.sub(r"\$\{(\w+)\}|\$(\w+)", expand, variables.get("PATH", ""))
    entries = [entry for entry in written.split(":") if entry not in ("$PATH", "${PATH}")]
    if any("$" in entry for entry in entries):
        return None  # a variable it cannot tell
    entries = [PurePosixPath(entry) for entry in entries if entry.startswith("/")]
    return any(entry == path or path in entry.parents for entry in entries for path in destinations)


def dockerignore_pattern(pattern: str) -> re.Pattern[str]:
    """A ``.dockerignore`` pattern as Docker matches it: ``*`` and ``?`` within one path
    segment, ``**`` across any number of them, ``[...]`` a class of characters."""
    pattern = str(PurePosixPath("/", pattern.strip())).lstrip("/") or "."
    regex = ""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            regex += "(?:.*/)?"
            index += 3
            continue
        if pattern.startswith("**", index):
            regex += ".*"
            index += 2
            continue
        if char == "*":
            regex += "[^/]*"
        elif char == "?":
            regex += "[^/]"
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end < 0:
                regex += re.escape(char)
            else:
                body = pattern[index + 1 : end]
                regex += "[" + ("^" + body[1:] if body.startswith("^") else body) + "]"
                index = end
        elif char == "\\" and index + 1 < len(pattern):
            index += 1
            regex += re.escape(pattern[index])
        else:
            regex += re.escape(char)
        index += 1
    return re.compile(regex + r"\Z")


def dockerignore_excludes(text: str, path: str) -> str | None:
    """The line of a ``.dockerignore`` that keeps ``path`` (a file's path in the build
    context) out of the build, or None when it goes in: lines apply in order, each one to the
    path and to the folders it is in, and the last that matches decides (``!`` lets in)."""
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: count + 1]) for count in range(len(parts))]
    decided = None
    for line in text.splitlines():
        pattern = line.strip()
        if not pattern or line.startswith("#"):
            continue
        back_in = pattern.startswith("!")
        matcher = dockerignore_pattern(pattern.removeprefix("!"))
        if any(matcher.match(prefix) for prefix in prefixes):
            decided = None if back_in else pattern
    return decided
