"""Saved notebooks show their graphs untrusted: every SVG or HTML output also carries a PNG.

JupyterLab, VS Code and repository viewers drop ``image/svg+xml`` and
``text/html`` outputs of a notebook that is not trusted (a fresh clone) and
fall back to ``image/png`` or text. ``viz`` drawings and players offer a PNG in
their mime bundle; this checks that the notebooks were saved with it.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from pathlib import Path
from xml.etree import ElementTree

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
RICH = ("image/svg+xml", "text/html")
SVG = "{http://www.w3.org/2000/svg}"


def _rich_outputs_without_png(path: Path) -> list[str]:
    """``cell N, output M (mime types)`` for each rich output that has no PNG."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    missing = []
    for n, cell in enumerate(notebook.get("cells", []), 1):
        if cell.get("cell_type") != "code":
            continue
        for m, output in enumerate(cell.get("outputs", []), 1):
            data = output.get("data", {})
            if any(kind in data for kind in RICH) and "image/png" not in data:
                missing.append(f"cell {n}, output {m} ({', '.join(sorted(data))})")
    return missing


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_rich_outputs_carry_a_png(path: Path) -> None:
    missing = _rich_outputs_without_png(path)
    assert not missing, (
        f"{path.name}: outputs an untrusted notebook cannot show (re-run the notebook with the "
        f"current viz to save PNGs): {'; '.join(missing)}"
    )


#: JupyterLab's notebook column at 1280 px, file browser open, is about 850 px wide: a wider PNG
#: is scaled down to it, a wider SVG runs off its right edge.
SHOWN_PX = 840
#: The smallest size, in pixels as shown, at which a graph's node text can be read.
READABLE_PX = 9.0


def _png_width(data: str) -> int:
    raw = base64.b64decode(data)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">I", raw[16:20])[0]


def _node_text_pt(svg: str) -> float:
    """The smallest font size (points) of the text in a drawing's value boxes."""
    root = ElementTree.fromstring(svg)
    sizes = [
        float(text.get("font-size", "14"))
        for g in root.iter(f"{SVG}g")
        if "value" in (g.get("class") or "").split()
        for text in g.iter(f"{SVG}text")
    ]
    return min(sizes, default=math.inf)


def _pictures(path: Path) -> list[tuple[str, dict]]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for n, cell in enumerate(notebook.get("cells", []), 1):
        for m, output in enumerate(cell.get("outputs", []), 1):
            if "image/png" in output.get("data", {}):
                found.append((f"cell {n}, output {m}", output["data"]))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_saved_picture_is_readable_at_a_notebooks_width(path: Path) -> None:
    """Shown at most 840 px wide (the column of a notebook at 1280 px), and a drawn graph's node
    text at least 9 px there, measured from the saved PNG and SVG."""
    problems = []
    for where, data in _pictures(path):
        width = _png_width(data["image/png"])
        if width > SHOWN_PX:
            problems.append(f"{where}: PNG {width} px wide, shown scaled to {SHOWN_PX}")
        svg = data.get("image/svg+xml")
        if svg is None:
            continue
        svg = svg if isinstance(svg, str) else "".join(svg)
        view_width = float(ElementTree.fromstring(svg).get("viewBox", "0 0 1 1").split()[2])
        shown = min(width, SHOWN_PX) / view_width  # pixels per point as shown
        text_px = _node_text_pt(svg) * shown
        if text_px < READABLE_PX:
            problems.append(f"{where}: node text {text_px:.1f} px as shown")
        svg_width = ElementTree.fromstring(svg).get("width", "")
        if svg_width.endswith("px") and float(svg_width[:-2]) > SHOWN_PX + 0.5:
            problems.append(f"{where}: inline SVG {svg_width} wide")
    assert not problems, f"{path.name}: " + "; ".join(problems)
