"""A griffe extension for the API reference: docstrings written for Python read as Markdown.

The docstrings hold interactive examples (``>>> a = Value(2.0)`` and the printed
result on the next line); Markdown would read ``>>>`` as a quotation. Each run of
them, up to the next blank line, becomes a fenced ``pycon`` block. Cross-reference
roles (``:func:`grad```) become code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe


def fence_doctests(text: str) -> str:
    """``text`` with every doctest run (``>>>`` to the next blank line) fenced as ``pycon``."""
    out: list[str] = []
    inside = False
    indent = ""
    for line in text.splitlines():
        stripped = line.lstrip()
        if not inside and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
            inside = True
        elif inside and not stripped:
            out.append(f"{indent}```")
            inside = False
        out.append(line)
    if inside:
        out.append(f"{indent}```")
    return "\n".join(out)


_ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|exc|obj|const):`~?([^`]+)`")


class DoctestFences(griffe.Extension):
    """Fences the doctest examples of every docstring griffe loads, and plains its roles."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(r"`\1`", fence_doctests(obj.docstring.value))
