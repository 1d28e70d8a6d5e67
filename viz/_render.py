"""Rendering DOT text in-process with pygraphviz (which bundles Graphviz): no ``dot`` binary."""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

__all__ = ["FORMATS", "format_for_path", "render"]

#: Output formats ``render`` accepts, by file extension.
FORMATS = ("svg", "png", "pdf")

_INSTALL_HINT = "pip install 'gradwalk[viz]'"
_lock = threading.Lock()
_fontconfig_ready = False
# The bundled Fontconfig is older than the system's configuration files and
# complains once per process, on the first layout that measures text, about
# elements it does not know. The message is harmless; only it is dropped.
_FONTCONFIG_NOISE = re.compile(rb"^Fontconfig (warning|error): .*$\n?", re.MULTILINE)


def _pygraphviz() -> Any:
    """The pygraphviz module, imported on first use, with an install hint if missing."""
    try:
        import pygraphviz
    except ImportError as exc:  # pragma: no cover - exercised with a fake import in the tests
        raise ImportError(
            "drawing graphs needs pygraphviz (it bundles Graphviz, so no system "
            f"install is needed): {_INSTALL_HINT}"
        ) from exc
    return pygraphviz


def _draw(dot: str, fmt: str) -> bytes:
    pgv = _pygraphviz()
    graph = pgv.AGraph(string=dot)
    return graph.draw(format=fmt, prog="dot")


def _draw_quietly(dot: str, fmt: str) -> bytes:
    """``_draw`` with file descriptor 2 captured; everything but Fontconfig's noise is replayed."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to silence
        return _draw(dot, fmt)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            return _draw(dot, fmt)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            rest = _FONTCONFIG_NOISE.sub(b"", sink.read())
            if rest:
                os.write(2, rest)


def render(dot: str, fmt: str = "svg") -> bytes:
    """Lay out DOT text with Graphviz's ``dot`` and return it as ``fmt`` (svg, png or pdf) bytes."""
    global _fontconfig_ready
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if _fontconfig_ready:
        return _draw(dot, fmt)
    with _lock:
        if not _fontconfig_ready:
            out = _draw_quietly(dot, fmt)
            _fontconfig_ready = True
            return out
    return _draw(dot, fmt)


def format_for_path(path: str | os.PathLike[str], format: str | None) -> str:
    """The output format for ``path``: ``format`` if given, else the file's extension."""
    if format is not None:
        if format not in (*FORMATS, "dot"):
            raise ValueError(
                f"unknown format {format!r}; choose one of {', '.join((*FORMATS, 'dot'))}"
            )
        return format
    ext = Path(path).suffix.lower().lstrip(".")
    if ext == "gv":
        ext = "dot"
    if ext not in (*FORMATS, "dot"):
        raise ValueError(
            f"cannot tell the format of {str(path)!r} from its extension; use .svg, .png, "
            ".pdf or .dot (or pass format=)"
        )
    return ext
