"""Ctrl+C that ends a long-running student command quietly.

``just`` reports "interrupted by SIGINT" whenever it receives one itself, even when the
command it ran ended cleanly. A watch or a server started from a recipe therefore takes
the terminal's foreground for its own process group while it runs (as a shell does for a
job): Ctrl+C then reaches only this command, which stops quietly, and the terminal is given
back on the way out.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator


@contextlib.contextmanager
def own_foreground() -> Iterator[None]:
    """Run the block as the terminal's foreground process group (a no-op without one)."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        yield
        return
    try:
        before = os.tcgetpgrp(fd)
        if before != os.getpgrp():
            yield  # not in the foreground: leave the terminal alone
            return
        previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        try:
            os.setpgid(0, 0)
            os.tcsetpgrp(fd, os.getpgrp())
        except OSError:
            signal.signal(signal.SIGTTOU, previous)
            yield
            return
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.tcsetpgrp(fd, before)
            signal.signal(signal.SIGTTOU, previous)
    finally:
        os.close(fd)
