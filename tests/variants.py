"""Known-bad submissions: a reference solution with one plausible bug written in.

Each lab's known-bad file (``Lab.known_bad``: ``tests/known_bad/NN-slug.toml``) lists variants::

    [[variant]]
    name = "flower-404-answers-200"
    bug = "an unknown flower id answers 200 with null instead of 404"
    fails = ["unknown flower is 404"]          # the checks (behaviour names) it must fail
    says = "answered 200"                      # optional: a failure message names the cause
    [[variant.edit]]
    file = "main.py"
    replace = "raise HTTPException(status_code=404"   # must occur exactly once
    with = "return None  # (status_code=404"

A variant is built by copying the solution and applying its edits, so the corpus follows the
solution as it evolves, and an edit that no longer applies fails loudly.

A variant whose edits touch only files that a few checks read may say so::

    graded_on = ["cmd is exec form", "image runs as a non root user"]

It is then graded on those checks alone, and must fail exactly its own among them: lab 12's
Dockerfile is read by its static checks only (the grader starts the servers with its own
commands), so a Dockerfile bug needs none of the real servers a full grading starts.

A file whose variants share the checks they must keep passing names them once, at the top::

    narrow_to = ["correct service: the reference, as given", ...]

and a variant with ``narrow = true`` is graded on those checks and its ``fails``. Lab 06's
weak test suites do: each one misses one bug, and grading it on that bug's check and on the
correct services (where its tests must still pass) runs five services instead of 32.

Checks that fail together, for one reason and through one code path, may be named once::

    fail_alike = ["buggy service: an observation created with 200", ...]

A narrowed variant whose ``fails`` holds them all is graded on one of them only (drawn from
its name, so that the variants of the file share the work among the checks). Lab 06's
over-specific suites do: a suite that fails on a correct service loses every "buggy
service" check the same way (none of its catches count). The file's variants without
``narrow`` are still graded on every check, so the whole path stays tested.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder.course import Lab
from autograder.variants import build_variant


@dataclass(frozen=True)
class Variant:
    lab: Lab
    name: str
    bug: str
    fails: tuple[str, ...]
    edits: tuple[dict, ...]
    says: str = ""  # a text one of its failure messages must contain (the real cause)
    graded_on: tuple[str, ...] | None = None  # the checks it is graded on (None: all)

    def build(self, destination: Path) -> Path:
        """Write the variant into ``destination`` and return it."""
        return build_variant(self.lab.solution_dir, destination, self.edits, self.name)


def variants_for(lab: Lab) -> list[Variant]:
    path = lab.known_bad
    if not path.is_file():
        return []
    data = tomllib.loads(path.read_text())
    found = []
    for entry in data.get("variant", []):
        checks = graded_on(entry, data.get("narrow_to", []), data.get("fail_alike", []))
        fails = [name for name in entry["fails"] if checks is None or name in checks]
        found.append(
            Variant(
                lab=lab,
                name=entry["name"],
                bug=entry["bug"],
                fails=tuple(fails),
                edits=tuple(entry["edit"]),
                says=entry.get("says", ""),
                graded_on=checks,
            )
        )
    return found


def graded_on(entry: dict, narrow_to: list[str], alike: list[str]) -> tuple[str, ...] | None:
    """The checks a variant is graded on: its ``graded_on``; with ``narrow = true``, the
    file's ``narrow_to`` and its own ``fails`` (one only of the file's ``fail_alike`` when it
    fails them all); otherwise None (every check)."""
    if entry.get("narrow"):
        if not narrow_to or "graded_on" in entry:
            raise ValueError(f"{entry['name']}: narrow needs the file's narrow_to, not graded_on")
        fails = entry["fails"]
        if alike and set(alike) <= set(fails):
            drawn = int(hashlib.sha256(entry["name"].encode()).hexdigest(), 16) % len(alike)
            fails = [name for name in fails if name not in alike or name == alike[drawn]]
        return tuple(dict.fromkeys([*narrow_to, *fails]))
    return tuple(entry["graded_on"]) if "graded_on" in entry else None
