"""Rendering DOT text in-process with pygraphviz (which bundles Graphviz): no ``dot`` binary."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

__all__ = [
    "FILE_PX",
    "FORMATS",
    "READABLE_SCALE",
    "SHOWN_PX",
    "fit_svg",
    "format_for_path",
    "png_dpi",
    "render",
    "svg_size",
]

#: Output formats ``render`` accepts, by file extension.
FORMATS = ("svg", "png", "pdf")

_INSTALL_HINT = "pip install 'gradwalk[viz]'"
# Graphviz writes warnings ("graph is too large for cairo-renderer bitmaps", "graph has N
# nodes") and errors straight to file descriptor 2, and the bundled Fontconfig complains
# about configuration files it is older than. None of it is for the reader: every layout
# runs with descriptor 2 captured, one at a time, and what Graphviz said is only used to
# explain a layout that failed.
_lock = threading.Lock()


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


def _draw(dot: str, fmt: str, dpi: float | None) -> bytes:
    pgv = _pygraphviz()
    graph = pgv.AGraph(string=dot)
    if dpi is not None:
        graph.graph_attr["dpi"] = f"{dpi:.3f}"
    return graph.draw(format=fmt, prog="dot")


def _draw_quietly(dot: str, fmt: str, dpi: float | None) -> bytes:
    """``_draw`` with descriptor 2 and ``sys.stderr`` captured; Graphviz's words become part of
    the error if the layout fails, and are dropped otherwise."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to silence
        return _draw(dot, fmt, dpi)
    with tempfile.TemporaryFile() as sink:
        said = io.StringIO()
        try:
            sys.stderr.flush()
        except (AttributeError, OSError, ValueError):
            pass
        os.dup2(sink.fileno(), 2)
        try:
            with contextlib.redirect_stderr(said), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return _draw(dot, fmt, dpi)
        except (ValueError, RuntimeError) as exc:
            sink.seek(0)
            text = sink.read().decode("utf-8", "replace") + said.getvalue()
            lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
            lines = [ln for ln in lines if not ln.startswith("Fontconfig")]
            why = f": {lines[0]}" if lines else ""
            raise RuntimeError(f"Graphviz could not lay out the graph{why}") from exc
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def render(dot: str, fmt: str = "svg", *, dpi: float | None = None) -> bytes:
    """Lay out DOT text with Graphviz's ``dot`` and return it as ``fmt`` (svg, png or pdf) bytes.

    ``dpi`` sets a PNG's pixels per inch (Graphviz's default is 96: 4/3 pixel per point).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    with _lock:
        return _draw_quietly(dot, fmt, dpi)


#: The widest a picture is shown in a notebook, in pixels: wider ones are scaled down to it.
#: JupyterLab at 1280 px with its file browser open leaves a column of about 850 px, and it
#: shows an SVG at its own size, however wide (a PNG it scales down to the column).
SHOWN_PX = 840
#: Pixels per point below which a drawing's 10-point node text is too small to read (9 px).
READABLE_SCALE = 0.9
#: The widest PNG file written, in pixels (Cairo refuses bitmaps over 32767).
FILE_PX = 32000

_SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def svg_size(svg: str) -> tuple[float, float]:
    """A Graphviz SVG's width and height in points (as its ``<svg>`` element gives them)."""
    m = _SVG_SIZE.search(svg)
    if m is None:
        raise ValueError("not an SVG written by Graphviz: no width and height in points")
    return float(m.group(1)), float(m.group(2))


def png_dpi(width_pt: float, max_px: float) -> float:
    """The dots per inch that make a drawing ``width_pt`` points wide at most ``max_px`` pixels
    (and at most Graphviz's 96: 4/3 pixel per point, as a browser shows the SVG)."""
    return 72.0 * min(4.0 / 3.0, max_px / max(width_pt, 1.0))


def fit_svg(svg: str, max_px: float = SHOWN_PX) -> str:
    """``svg`` with its size given in pixels, scaled down to ``max_px`` wide if it is wider.

    Its ``viewBox`` is kept, so the browser scales the picture to the size: a notebook
    shows it as wide as its PNG.
    """
    m = _SVG_SIZE.search(svg)
    if m is None:
        return svg
    w, h = float(m.group(1)), float(m.group(2))
    scale = png_dpi(w, max_px) / 72.0
    size = f'<svg width="{w * scale:.0f}px" height="{h * scale:.0f}px"'
    return svg[: m.start()] + size + svg[m.end() :]


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
