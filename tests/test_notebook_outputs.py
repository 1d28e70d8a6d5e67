"""Saved notebooks show their graphs untrusted: every SVG or HTML output also carries a PNG.

JupyterLab, VS Code and repository viewers drop ``image/svg+xml`` and
``text/html`` outputs of a notebook that is not trusted (a fresh clone) and
fall back to ``image/png`` or text. ``viz`` drawings and players offer a PNG in
their mime bundle; this checks that the notebooks were saved with it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
RICH = ("image/svg+xml", "text/html")


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
