"""``just hint N``: the fuller hint of the first check that failed last time, the lab's
general hints, and ``just hint N "check name"`` for any one check.

The report shows a nudge; this command goes further, up to the line to write. It reads the
suite's source (:mod:`autograder.hints`) and the last grading (:mod:`autograder.progress`),
and imports neither pytest nor FastAPI, so it answers at once.
"""

from __future__ import annotations

import os
import textwrap

from autograder import progress
from autograder.course import Lab
from autograder.hints import CheckHint, find_check, read_hints

WIDTH = 80
MAX_FAILED_SHOWN = 1


def _wrapped(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def _check(hint: CheckHint) -> list[str]:
    lines = [f"✗ {hint.name}"]
    if hint.description:
        lines.append(_wrapped(hint.description))
    lines.append(_wrapped(f"hint: {hint.hint}"))
    if hint.more:
        lines.append(_wrapped(f"more: {hint.more}"))
    return lines


def _names_in_lines(names: list[str], prefix: str, limit: int) -> str:
    """``prefix`` and as many names as fit ``limit`` lines, then how many more there are."""
    for shown in range(len(names), 0, -1):
        rest = len(names) - shown
        text = prefix + " · ".join(names[:shown]) + (f" (+{rest} more)" if rest else "")
        wrapped = textwrap.wrap(text, WIDTH)
        if len(wrapped) <= limit:
            return "\n".join(wrapped)
    return f"{prefix}{len(names)} checks"


def _handout(lab: Lab) -> str:
    path = lab.starter_dir / "README.md"
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def show_hints(lab: Lab, asked: str | None) -> int:
    """Print the hints; 0, or 2 when ``asked`` names no check of the lab."""
    print(f"Lab {lab.number:02d} · {lab.title}: hints\n")
    if asked:
        found, candidates = find_check(lab, asked)
        if found is None:
            print(f"No check of lab {lab.number} is called {asked!r}. The checks are:")
            for hint in candidates:
                print(f"  {hint.name}")
            return 2
        print("\n".join(_check(found)))
        print(f"\nThe handout, {_handout(lab)}, states the contract this check tests.")
        return 0
    entry = progress.read().get(lab.folder)
    hints = {hint.name: hint for hint in read_hints(lab.suite)}
    if isinstance(entry, dict) and entry.get("problem"):
        print("Your last grading stopped at import:")
        print(_wrapped(str(entry["problem"])))
        print(_wrapped("Fix that line first: no check runs until the app imports.") + "\n")
    elif isinstance(entry, dict) and isinstance(entry.get("failed"), list):
        failed = [str(name) for name in entry["failed"]]
        bases = list(dict.fromkeys(name.split(" [", 1)[0] for name in failed))
        if not failed:
            print("Your last grading had full marks: nothing left to hint.\n")
        else:
            when = str(entry.get("graded_at", ""))[:16].replace("T", " ")
            print(f"Your last grading ({when} UTC) failed {len(failed)} checks. The first:")
            for name in bases[:MAX_FAILED_SHOWN]:
                if name in hints:
                    print("\n".join(_check(hints[name])))
            if len(bases) > MAX_FAILED_SHOWN:
                print(_names_in_lines(bases[MAX_FAILED_SHOWN:], "Also failing: ", 2))
                print(f'One of them: just hint {lab.number} "{bases[MAX_FAILED_SHOWN]}"')
            print()
    else:
        print(
            f"Not graded yet: `just lab {lab.number}` grades it; then `just hint "
            f"{lab.number}` starts with the first check that fails.\n"
        )
    print("General hints:")
    for hint in lab.hints:
        print(_wrapped(f"- {hint}", "").replace("\n", "\n  "))
    print(f"\nThe handout: {_handout(lab)}")
    return 0
