"""Text from the command line made safe to show: control characters escaped (stdlib only)."""

from __future__ import annotations

import unicodedata

__all__ = ["printable"]


def printable(text: str) -> str:
    """``text`` with every control, format or unencodable character written as an escape
    (``\\x1b``, ``\\u202e``, ``\\xff`` for an undecodable byte), so that echoing it can never
    send a control sequence to the terminal. Ordinary text, including non-ASCII letters,
    is unchanged.
    """
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not valid UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(repr(ch)[1:-1] if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)
