"""Text from users, files and models made safe to print on a terminal.

Paths, reasons, column names, values and model answers may hold rich markup (`[/red]` crashes
the printer, `[link=...]` forges a link) and control characters (ANSI escapes recolour or erase
the screen, `\\r` overwrites a line, OSC `\\x1b]...` sets the title or a hyperlink, bidi overrides
reorder what the reader sees). `safe()` makes any value plain, printable text; every string the
CLI prints that did not come from our own code goes through it.
"""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape

# C0 and C1 controls except tab and newline, DEL, and the bidi / zero-width format characters that
# change the order or visibility of what follows (Trojan Source, CVE-2021-42574).
_BIDI = "\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff"
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
# An escape sequence is removed whole (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ESC \\`, and
# two-byte ones), so its parameters do not survive as stray text.
_ESCAPE_SEQ = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")


def plain(value: Any, newlines: bool = True) -> str:
    """`value` as text with escape sequences removed and every other control character shown
    as `\\xNN` / `\\uNNNN` (so the reader still sees that something was there)."""
    text = value if isinstance(value, str) else str(value)
    text = _ESCAPE_SEQ.sub(lambda m: _visible(m.group()[:1]), text)
    if not newlines:
        text = text.replace("\n", "\\n").replace("\t", " ")
    return _CONTROL.sub(lambda m: _visible(m.group()), text)


def _visible(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(value: Any, newlines: bool = True) -> str:
    """`value` as plain text that rich prints literally (markup escaped, controls neutralised)."""
    return escape(plain(value, newlines))


def one_line(value: Any) -> str:
    """`safe()` on one line: newlines shown as `\\n` (error messages, table cells of names)."""
    return safe(value, newlines=False)


def is_printable(text: str) -> bool:
    """True when `text` holds no control or bidi character but tab and newline."""
    return not _CONTROL.search(text)
