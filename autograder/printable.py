"""Text from a submission, made safe to show on a terminal, in a file or on a web page.

A check's message may quote what the student's app answered, and an app can answer
anything: escape sequences that move a terminal's cursor and erase lines, set its window
title or put a command on its clipboard (``ESC ] 52``), a carriage return that makes a
terminal write over what came before, a right-to-left override that shows text in another
order. :func:`printable` shows each such character as the escape Python would write for it:
ESC becomes the four characters ``\\x1b``, a carriage return ``\\x0d``, a right-to-left
override ``\\u202e``. The student still reads what their app sent; nothing of it acts on
the screen.

Only the newline and the tab are kept as they are (and not even those in
``one_line=True`` text, such as a name).
"""

from __future__ import annotations

import re

# The C0 controls but tab and newline, DEL, the C1 controls; the marks that change the
# order in which text is shown (bidirectional embeddings, overrides and isolates); lone
# surrogates (the bytes of a file name that are not UTF-8, which no file can be written with).
_HIDDEN = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_ACTING = re.compile(f"[{_HIDDEN}]")
_ACTING_IN_A_LINE = re.compile(f"[{_HIDDEN}\t\n\u2028\u2029]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, one_line: bool = False) -> str:
    """``text`` with every control character written as its escape (``\\x1b`` for ESC).

    Newlines and tabs are kept, unless ``one_line`` (then they are escaped as well, and so
    are the Unicode line and paragraph separators). Printable text is returned unchanged,
    and so is text that was already made printable."""
    pattern = _ACTING_IN_A_LINE if one_line else _ACTING
    return pattern.sub(_escape, str(text))
